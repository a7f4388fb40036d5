// The registry and what every family shares: lookups, accepted option names, unknown
// options, problems appended without losing earlier ones, the shared helpers, and random
// payloads on every topic of every family (never a crash, never a throw).
#include <random>

#include "driver_testing.h"

namespace padtimer::devices {
namespace {

using namespace testing_support;

// Minimal good options per family, for a heat device with a sensor.
Options good_options(std::string_view family) {
  if (family == "tasmota") return {{"topic", "t"}, {"sensor", "DS18B20"}};
  if (family == "shelly_rpc") return {{"id", "s"}, {"temperature", "temperature:100"}};
  if (family == "shelly_gen1") return {{"id", "s"}, {"temperature", "0"}};
  if (family == "zigbee2mqtt") return {{"name", "z"}};
  return {{"id", "p"}};
}

core::DeviceSpec spec_for(const Family& family, bool sensor = true) {
  return spec("dev", DeviceRole::heat, sensor, family.supports_auto_off);
}

TEST(Registry, KnowsEveryFamily) {
  std::vector<std::string_view> names;
  for (const auto& f : families())
    names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"tasmota", "shelly_rpc", "shelly_gen1",
                                                  "zigbee2mqtt", "json_pad"}));
  for (auto name : names) {
    ASSERT_NE(find_family(name), nullptr);
    EXPECT_EQ(find_family(name)->name, name);
  }
  EXPECT_EQ(find_family("Tasmota"), nullptr);
  EXPECT_EQ(find_family(""), nullptr);
  EXPECT_EQ(find_family("shelly"), nullptr);
}

TEST(Registry, OnlyShellyGen1LacksAutoOff) {
  for (const auto& f : families())
    EXPECT_EQ(f.supports_auto_off, f.name != "shelly_gen1") << f.name;
}

TEST(Registry, EveryFamilyBuildsFromGoodOptions) {
  for (const auto& f : families()) {
    auto driver = make(f.name, spec_for(f), good_options(f.name));
    ASSERT_NE(driver, nullptr) << f.name;
    EXPECT_EQ(driver->device().id, "dev");
  }
}

TEST(Registry, UnknownOptionsNameTheAcceptedOnesInRegistryOrder) {
  for (const auto& f : families()) {
    Options options = good_options(f.name);
    options["bogus"] = "1";
    auto found = problems(f.name, spec_for(f), options);
    ASSERT_EQ(found.size(), 1u) << f.name << ": " << text(found);
    std::string accepted;
    for (auto name : f.options)
      accepted += (accepted.empty() ? "" : ", ") + std::string(name);
    EXPECT_EQ(found[0].option, "bogus");
    EXPECT_EQ(found[0].message, "unknown option \"bogus\" for " + std::string(f.name) +
                                    "; accepted options: " + accepted);
  }
}

TEST(Registry, ProblemsAreAppendedAndNothingIsBuilt) {
  std::vector<OptionProblem> found = {{"earlier", "kept"}};
  auto driver = find_family("tasmota")->make(spec("dev"), {}, kContext, found);
  EXPECT_EQ(driver, nullptr);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].option, "earlier");
  EXPECT_EQ(found[1].option, "topic");
  // A good device after a bad one still builds.
  EXPECT_NE(find_family("tasmota")->make(spec("dev"), {{"topic", "t"}}, kContext, found), nullptr);
  EXPECT_EQ(found.size(), 2u);
}

TEST(Registry, CommandsAreQos1AndNeverRetained) {
  for (const auto& f : families()) {
    auto driver = make(f.name, spec_for(f), good_options(f.name));
    for (auto output : {core::Output::heat, core::Output::off}) {
      auto lease = f.supports_auto_off && output != core::Output::off
                       ? std::optional<core::Duration>(120s)
                       : std::nullopt;
      for (const auto& out : driver->encode(core::SetOutput{"dev", output, lease})) {
        EXPECT_EQ(out.qos, 1) << f.name;
        EXPECT_FALSE(out.retained) << f.name;
        EXPECT_TRUE(topic_problem(out.topic).empty()) << out.topic;
      }
    }
  }
}

TEST(Registry, EveryFamilyHasAStateQueryThatIsNotItsOwnState) {
  for (const auto& f : families()) {
    auto driver = make(f.name, spec_for(f), good_options(f.name));
    const auto query = driver->encode(core::QueryState{"dev"});
    ASSERT_EQ(query.size(), 1u) << f.name;
    EXPECT_EQ(query[0].qos, 1) << f.name;
    EXPECT_FALSE(query[0].retained) << f.name;
    EXPECT_TRUE(topic_problem(query[0].topic).empty()) << query[0].topic;
    // Published by padtimer, not subscribed by it: a query never reads as a report.
    for (const auto& topic : driver->subscriptions())
      EXPECT_NE(topic, query[0].topic) << f.name;
    EXPECT_FALSE(driver->decode(query[0].topic, query[0].payload).has_value()) << f.name;
  }
}

TEST(Registry, NoLeaseNoteForDevicesWithoutAutoOff) {
  for (const auto& f : families()) {
    if (!f.supports_auto_off) continue;
    EXPECT_TRUE(make(f.name, spec_for(f), good_options(f.name))->notes().empty()) << f.name;
    Options options = good_options(f.name);
    if (f.name == "zigbee2mqtt") options["on_time"] = "false";
    auto notes = make(f.name, spec("dev", DeviceRole::heat, true, false), options)->notes();
    ASSERT_EQ(notes.size(), 1u) << f.name;
    EXPECT_TRUE(contains(notes[0], "dev has no device-side auto-off"));
  }
}

// Random bytes and JSON-looking fragments on every topic a driver subscribes to.
TEST(Registry, RandomPayloadsNeverCrash) {
  std::mt19937 rng(20240611);
  const std::vector<std::string> fragments = {"{",
                                              "}",
                                              "[",
                                              "]",
                                              ",",
                                              ":",
                                              "\"",
                                              "\"POWER\"",
                                              "\"ON\"",
                                              "\"state\"",
                                              "\"mode\"",
                                              "\"heat\"",
                                              "\"output\"",
                                              "true",
                                              "false",
                                              "null",
                                              "1",
                                              "-0.5e3",
                                              "1e400",
                                              "\"src\"",
                                              "\"s\"",
                                              "\"id\"",
                                              "\"result\"",
                                              "\"error\"",
                                              "\"method\"",
                                              "\"NotifyStatus\"",
                                              "\"params\"",
                                              "\"switch:0\"",
                                              "\"tC\"",
                                              "\"DS18B20\"",
                                              "\"Temperature\"",
                                              "\\",
                                              "\xff",
                                              "on",
                                              "off",
                                              "Online",
                                              " "};
  for (const auto& f : families()) {
    auto driver = make(f.name, spec_for(f), good_options(f.name));
    driver->encode(core::SetOutput{"dev", core::Output::heat, std::nullopt});  // a pending id
    driver->encode(core::QueryState{"dev"});  // and one of each method
    for (const auto& topic : driver->subscriptions()) {
      for (int i = 0; i < 3000; ++i) {
        std::string payload;
        const int parts = static_cast<int>(rng() % 12);
        for (int k = 0; k < parts; ++k) {
          if (rng() % 4 == 0) {
            payload += static_cast<char>(rng() % 256);
          } else {
            payload += fragments[rng() % fragments.size()];
          }
        }
        std::optional<Decoded> decoded;
        ASSERT_NO_THROW(decoded = driver->decode(topic, payload)) << topic;
        ASSERT_TRUE(decoded.has_value() || topic.ends_with("/rpc")) << topic;
      }
    }
  }
}

// ---- Shared helpers ----------------------------------------------------------------------

TEST(Common, CeilUnitsRoundsUpAndIsAtLeastOne) {
  EXPECT_EQ(ceil_units(0ms, 1s), 1);
  EXPECT_EQ(ceil_units(-3s, 1s), 1);
  EXPECT_EQ(ceil_units(1ms, 1s), 1);
  EXPECT_EQ(ceil_units(1s, 1s), 1);
  EXPECT_EQ(ceil_units(1001ms, 1s), 2);
  EXPECT_EQ(ceil_units(11'100ms, 100ms), 111);
  EXPECT_EQ(ceil_units(11'101ms, 100ms), 112);
}

TEST(Common, ParseWord) {
  EXPECT_EQ(parse_word("ON", "on", "off"), true);
  EXPECT_EQ(parse_word(" off\n", "on", "off"), false);
  EXPECT_EQ(parse_word("Online", "online", "offline"), true);
  EXPECT_EQ(parse_word("onn", "on", "off"), std::nullopt);
  EXPECT_EQ(parse_word("", "on", "off"), std::nullopt);
  EXPECT_EQ(parse_word("o n", "on", "off"), std::nullopt);
}

TEST(Common, TopicProblem) {
  EXPECT_EQ(topic_problem("a/b c/d"), "");
  EXPECT_EQ(topic_problem(""), "must not be empty");
  EXPECT_EQ(topic_problem("a/+"), "must not contain the MQTT wildcards + or #");
  EXPECT_EQ(topic_problem("a\tb"), "must not contain control characters");
  EXPECT_EQ(topic_problem("a/"), "must not start or end with '/'");
  EXPECT_EQ(topic_problem("a//b"), "must not contain an empty level (//)");
}

TEST(Common, TemperatureLimits) {
  const auto reading = [](std::string_view number) {
    Decoded out;
    auto value = json::parse(number);
    add_temperature(out, "dev", value ? &*value.value : nullptr, "t");
    return describe(out);
  };
  EXPECT_EQ(reading("-50"), "-50 C");
  EXPECT_EQ(reading("150"), "150 C");
  EXPECT_EQ(reading("150.0001"),
            "problem: t 150.0001 °C is outside -50..150 °C: the sensor is broken or missing");
  EXPECT_EQ(reading("-50.0001").substr(0, 9), "problem: ");
  EXPECT_EQ(reading("\"20\""), "problem: t is not a number");
  EXPECT_EQ(reading("null"),
            "problem: t is null: the sensor has no reading (disconnected or failed)");
  EXPECT_EQ(reading(""), "problem: no t");
}

}  // namespace
}  // namespace padtimer::devices
