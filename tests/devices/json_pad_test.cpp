// JSON pads: options, exact set payloads for heat, cold and off (auto_off, level), state
// with and without temperature, modes a role cannot do, availability, malformed payloads.
#include "devices/json_pad.h"

#include "driver_testing.h"

namespace padtimer::devices {
namespace {

using namespace testing_support;

std::unique_ptr<Driver> pad(DeviceRole role = DeviceRole::dual, Options options = {{"id", "back"}},
                            bool sensor = true) {
  return make("json_pad", spec("pad", role, sensor), options);
}

TEST(JsonPadOptions, IdBaseAndLevel) {
  auto missing = problems("json_pad", spec("pad"), {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].option, "id");
  for (const char* bad : {"0", "11", "5.5", "high"}) {
    auto found = problems("json_pad", spec("pad"), {{"id", "back"}, {"level", bad}});
    ASSERT_EQ(found.size(), 1u) << bad;
    EXPECT_EQ(found[0].option, "level");
    EXPECT_TRUE(contains(found[0].message, "from 1 to 10"));
  }
  auto bad_base = problems("json_pad", spec("pad"), {{"id", "back"}, {"base", "pads/#"}});
  ASSERT_EQ(bad_base.size(), 1u);
  EXPECT_EQ(bad_base[0].option, "base");
  auto unknown = problems("json_pad", spec("pad"), {{"id", "back"}, {"sensor", "x"}});
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].message,
            R"(unknown option "sensor" for json_pad; accepted options: id, base, level)");
}

TEST(JsonPadOptions, AcceptsEveryRole) {
  for (auto role : {DeviceRole::heat, DeviceRole::cold, DeviceRole::dual})
    pad(role);
}

TEST(JsonPadEncode, ModesWithAutoOffAndLevel) {
  auto d = pad(DeviceRole::dual, {{"id", "back"}, {"level", "7"}});
  const std::string set = "padtimer/pads/back/set";
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::heat, 120s}),
            (std::vector<Outgoing>{{set, R"({"mode":"heat","auto_off":120,"level":7})"}}));
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::cold, 90'500ms}),
            (std::vector<Outgoing>{{set, R"({"mode":"cold","auto_off":91,"level":7})"}}));
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::heat, std::nullopt})[0].payload,
            R"({"mode":"heat","level":7})");
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::off, std::nullopt}),
            (std::vector<Outgoing>{{set, R"({"mode":"off"})"}}));
}

TEST(JsonPadEncode, BaseAndNoLevel) {
  auto d = pad(DeviceRole::heat, {{"id", "neck"}, {"base", "home/pads"}});
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::heat, 1ms}),
            (std::vector<Outgoing>{{"home/pads/neck/set", R"({"mode":"heat","auto_off":1})"}}));
  // A mode the pad's role cannot do is never sent.
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::cold, 60s})[0].payload, R"({"mode":"off"})");
}

TEST(JsonPadQuery, AnEmptyObjectOnGet) {
  EXPECT_EQ(pad()->encode(kQuery), (std::vector<Outgoing>{{"padtimer/pads/back/get", "{}"}}));
  EXPECT_EQ(pad(DeviceRole::heat, {{"id", "neck"}, {"base", "home/pads"}})->encode(kQuery),
            (std::vector<Outgoing>{{"home/pads/neck/get", "{}"}}));
}

TEST(JsonPadQuery, TheStateAnswersIt) {
  auto d = pad();
  d->encode(kQuery);
  const std::string state = "padtimer/pads/back/state";
  expect_decoded(*d, state,
                 {{R"({"mode":"heat","temperature":38.5})", "report heat, 38.5 C"},
                  {R"({"mode":"cold"})", "report cold"},
                  {R"({"mode":"off"})", "report off"}});
  const auto decoded = d->decode(state, R"({"mode":"off"})");
  ASSERT_TRUE(decoded && decoded->events.size() == 1u);
  EXPECT_TRUE(std::get<core::DeviceReport>(decoded->events[0]).answer);
  // The query's own topic is a command, never state.
  EXPECT_FALSE(d->decode("padtimer/pads/back/get", "{}").has_value());
}

TEST(JsonPadDecode, SubscriptionsStateAndAvailability) {
  auto d = pad();
  EXPECT_EQ(d->subscriptions(), (std::vector<std::string>{"padtimer/pads/back/state",
                                                          "padtimer/pads/back/availability"}));
  const std::string state = "padtimer/pads/back/state";
  EXPECT_EQ(describe(d->decode(state, R"({"mode":"heat","temperature":31.5})")),
            "report heat, 31.5 C");
  EXPECT_EQ(describe(d->decode(state, R"({"mode":"cold","temperature":12,"level":3,"rssi":-60})")),
            "report cold, 12 C");
  EXPECT_EQ(describe(d->decode(state, R"({"mode":"off"})")), "report off");
  EXPECT_EQ(describe(d->decode("padtimer/pads/back/availability", "online")), "online");
  EXPECT_EQ(describe(d->decode("padtimer/pads/back/availability", "offline")), "offline");
  expect_device(d->decode(state, R"({"mode":"heat","temperature":31.5})"), "pad");
}

TEST(JsonPadDecode, TemperatureIsIgnoredWithoutASensor) {
  auto d = pad(DeviceRole::heat, {{"id", "back"}}, false);
  EXPECT_EQ(describe(d->decode("padtimer/pads/back/state", R"({"mode":"heat","temperature":"x"})")),
            "report heat");
}

TEST(JsonPadDecode, AModeTheRoleCannotDoIsReportedAndFlagged) {
  auto heat = pad(DeviceRole::heat);
  EXPECT_EQ(describe(heat->decode("padtimer/pads/back/state", R"({"mode":"cold"})")),
            "report cold, problem: the pad reports mode cold, which a heat device cannot do");
  auto cold = pad(DeviceRole::cold);
  EXPECT_EQ(
      describe(cold->decode("padtimer/pads/back/state", R"({"mode":"heat","temperature":40})")),
      "report heat, 40 C, problem: the pad reports mode heat, which a cold device cannot do");
}

TEST(JsonPadDecode, OtherTopicsAreNotMine) {
  auto d = pad();
  for (const char* topic :
       {"padtimer/pads/back/set", "padtimer/pads/back/get", "padtimer/pads/back",
        "padtimer/pads/front/state", "padtimer/pads/back/state/x", "padtimer/status"}) {
    EXPECT_FALSE(d->decode(topic, R"({"mode":"off"})").has_value()) << topic;
  }
}

TEST(JsonPadMalformed, StateAndAvailability) {
  auto d = pad();
  const std::string state = "padtimer/pads/back/state";
  expect_bad_json_rejected(*d, state);
  expect_truncations_rejected(*d, state, R"({"mode":"heat","temperature":31.5})");
  expect_size_limit(*d, state, R"({"mode":"heat"})");
  for (const char* payload :
       {R"({})", R"({"temperature":30})", R"({"mode":1})", R"({"mode":null})", R"({"mode":"HEAT"})",
        R"({"mode":"warm"})", R"({"mode":["heat"]})", R"(["heat"])", R"("heat")", "heat"}) {
    expect_rejected(*d, state, payload);
  }
  EXPECT_EQ(describe(d->decode(state, R"({"mode":"warm"})")),
            R"(problem: unknown mode "warm": expected "heat", "cold" or "off")");
  // A good mode beside a bad reading: the mode counts, the reading is the problem.
  for (const char* payload :
       {R"({"mode":"heat","temperature":"31"})", R"({"mode":"heat","temperature":null})",
        R"({"mode":"heat","temperature":151})"}) {
    auto decoded = d->decode(state, payload);
    EXPECT_TRUE(describe(decoded).starts_with("report heat, problem: temperature")) << payload;
  }
  const std::string availability = "padtimer/pads/back/availability";
  for (const char* payload : {"", "1", "true", R"({"state":"online"})", "onlin"})
    expect_rejected(*d, availability, payload);
  expect_truncations_rejected(*d, availability, "offline");
  expect_size_limit(*d, availability, "online");
}

}  // namespace
}  // namespace padtimer::devices
