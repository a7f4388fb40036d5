// Shelly Gen1: options (no auto-off), exact relay commands, relay/online/ext_temperature
// messages including overpower, and malformed payloads.
#include "devices/shelly_gen1.h"

#include "driver_testing.h"

namespace padtimer::devices {
namespace {

using namespace testing_support;

// Gen1 devices have no auto-off: the config layer gives them auto_off = false.
core::DeviceSpec gen1_spec(DeviceRole role = DeviceRole::heat, bool sensor = false) {
  return spec("pad", role, sensor, false);
}

std::unique_ptr<Driver> relay(DeviceRole role = DeviceRole::heat) {
  return make("shelly_gen1", gen1_spec(role), {{"id", "shelly1-B929CC"}});
}

std::unique_ptr<Driver> relay_with_sensor() {
  return make("shelly_gen1", gen1_spec(DeviceRole::heat, true),
              {{"id", "shelly1pm-B929CC"}, {"relay", "1"}, {"temperature", "2"}});
}

TEST(ShellyGen1Options, IdRelayAndTemperature) {
  auto missing = problems("shelly_gen1", gen1_spec(), {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].option, "id");
  auto bad_relay = problems("shelly_gen1", gen1_spec(), {{"id", "s"}, {"relay", "4"}});
  ASSERT_EQ(bad_relay.size(), 1u);
  EXPECT_TRUE(contains(bad_relay[0].message, "relay must be a whole number from 0 to 3"));
  auto no_index = problems("shelly_gen1", gen1_spec(DeviceRole::heat, true), {{"id", "s"}});
  ASSERT_EQ(no_index.size(), 1u);
  EXPECT_EQ(no_index[0].option, "temperature");
  auto bad_index = problems("shelly_gen1", gen1_spec(DeviceRole::heat, true),
                            {{"id", "s"}, {"temperature", "3"}});
  ASSERT_EQ(bad_index.size(), 1u);
  EXPECT_TRUE(contains(bad_index[0].message, "from 0 to 2"));
  auto pointless = problems("shelly_gen1", gen1_spec(), {{"id", "s"}, {"temperature", "0"}});
  ASSERT_EQ(pointless.size(), 1u);
  EXPECT_TRUE(contains(pointless[0].message, "no sensor block"));
}

TEST(ShellyGen1Options, RefusesDualAndAnAutoOffItCannotKeep) {
  auto dual = problems("shelly_gen1", gen1_spec(DeviceRole::dual), {{"id", "s"}});
  ASSERT_EQ(dual.size(), 1u);
  EXPECT_TRUE(contains(dual[0].message, "cannot be a dual"));
  auto lease = problems("shelly_gen1", spec("pad", DeviceRole::heat, false, true), {{"id", "s"}});
  ASSERT_EQ(lease.size(), 1u);
  EXPECT_TRUE(contains(lease[0].message, "Shelly Gen1 has no auto-off over MQTT"));
  EXPECT_TRUE(contains(lease[0].message, "without auto-off"));
}

TEST(ShellyGen1Notes, TellTheUserToSetTheRelaysOwnAutoOff) {
  auto heat = relay()->notes();
  ASSERT_EQ(heat.size(), 1u);
  EXPECT_TRUE(contains(heat[0], "no auto-off over MQTT"));
  EXPECT_TRUE(contains(heat[0], "cannot arm a lease"));
  EXPECT_TRUE(contains(heat[0], "\"Auto OFF\" timer in the Shelly web UI"));
  EXPECT_TRUE(contains(heat[0], "21 min for heat"));
  EXPECT_TRUE(contains(relay(DeviceRole::cold)->notes().at(0), "16 min for cold"));
}

TEST(ShellyGen1Encode, RelayCommands) {
  auto d = relay();
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::heat, std::nullopt}),
            (std::vector<Outgoing>{{"shellies/shelly1-B929CC/relay/0/command", "on"}}));
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::off, std::nullopt}),
            (std::vector<Outgoing>{{"shellies/shelly1-B929CC/relay/0/command", "off"}}));
  EXPECT_EQ(relay_with_sensor()->encode(SetOutput{"pad", Output::heat, std::nullopt}),
            (std::vector<Outgoing>{{"shellies/shelly1pm-B929CC/relay/1/command", "on"}}));
  // Cold from a heat relay is never ON.
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::cold, std::nullopt})[0].payload, "off");
  EXPECT_EQ(
      relay(DeviceRole::cold)->encode(SetOutput{"pad", Output::cold, std::nullopt})[0].payload,
      "on");
}

TEST(ShellyGen1Query, UpdateOnTheDeviceCommandTopic) {
  EXPECT_EQ(relay()->encode(kQuery),
            (std::vector<Outgoing>{{"shellies/shelly1-B929CC/command", "update"}}));
  // The device's command topic, not the relay's: the whole device publishes its state.
  EXPECT_EQ(relay_with_sensor()->encode(kQuery),
            (std::vector<Outgoing>{{"shellies/shelly1pm-B929CC/command", "update"}}));
}

TEST(ShellyGen1Query, TheRelayTopicAnswersIt) {
  // After "update" the device publishes shellies/<id>/relay/<n>, which the driver already
  // subscribes to; the query's own topic is never read as state.
  auto d = relay_with_sensor();
  const auto query = d->encode(kQuery);
  ASSERT_EQ(query.size(), 1u);
  EXPECT_FALSE(d->decode(query[0].topic, query[0].payload).has_value());
  expect_decoded(*d, "shellies/shelly1pm-B929CC/relay/1",
                 {{"on", "report heat"}, {"off", "report off"}});
  const auto decoded = d->decode("shellies/shelly1pm-B929CC/relay/1", "on");
  ASSERT_TRUE(decoded && decoded->events.size() == 1u);
  EXPECT_TRUE(std::get<core::DeviceReport>(decoded->events[0]).answer);
  auto cold = relay(DeviceRole::cold);
  cold->encode(kQuery);
  expect_decoded(*cold, "shellies/shelly1-B929CC/relay/0",
                 {{"on", "report cold"}, {"off", "report off"}});
}

TEST(ShellyGen1Decode, SubscriptionsAndMessages) {
  auto d = relay_with_sensor();
  EXPECT_EQ(d->subscriptions(),
            (std::vector<std::string>{"shellies/shelly1pm-B929CC/relay/1",
                                      "shellies/shelly1pm-B929CC/online",
                                      "shellies/shelly1pm-B929CC/ext_temperature/2"}));
  EXPECT_EQ(relay()->subscriptions(), (std::vector<std::string>{"shellies/shelly1-B929CC/relay/0",
                                                                "shellies/shelly1-B929CC/online"}));
  EXPECT_EQ(describe(d->decode("shellies/shelly1pm-B929CC/relay/1", "on")), "report heat");
  EXPECT_EQ(describe(d->decode("shellies/shelly1pm-B929CC/relay/1", "off")), "report off");
  EXPECT_EQ(describe(d->decode("shellies/shelly1pm-B929CC/online", "true")), "online");
  EXPECT_EQ(describe(d->decode("shellies/shelly1pm-B929CC/online", "false")), "offline");
  EXPECT_EQ(describe(d->decode("shellies/shelly1pm-B929CC/ext_temperature/2", "21.56")), "21.56 C");
  EXPECT_EQ(describe(d->decode("shellies/shelly1pm-B929CC/ext_temperature/2", "-3")), "-3 C");
  expect_device(d->decode("shellies/shelly1pm-B929CC/relay/1", "on"), "pad");
  EXPECT_EQ(describe(relay(DeviceRole::cold)->decode("shellies/shelly1-B929CC/relay/0", "on")),
            "report cold");
}

TEST(ShellyGen1Decode, OverpowerReportsOffAndAProblem) {
  EXPECT_EQ(describe(relay()->decode("shellies/shelly1-B929CC/relay/0", "overpower")),
            "report off, problem: the relay switched itself off for overpower: the pad draws more "
            "than the relay's power limit");
}

TEST(ShellyGen1Decode, OtherTopicsAreNotMine) {
  auto d = relay_with_sensor();
  for (const char* topic :
       {"shellies/shelly1pm-B929CC/relay/1/command", "shellies/shelly1pm-B929CC/relay/0",
        "shellies/shelly1pm-B929CC/relay/1/power", "shellies/shelly1pm-B929CC/ext_temperature/0",
        "shellies/shelly1pm-B929CC/ext_temperature_f/2", "shellies/other/relay/1",
        "shellies/announce"}) {
    EXPECT_FALSE(d->decode(topic, "on").has_value()) << topic;
  }
}

TEST(ShellyGen1Malformed, EveryTopic) {
  auto d = relay_with_sensor();
  const std::string relay_topic = "shellies/shelly1pm-B929CC/relay/1";
  const std::string online = "shellies/shelly1pm-B929CC/online";
  const std::string temperature = "shellies/shelly1pm-B929CC/ext_temperature/2";
  for (const char* payload : {"", "ON!", "1", "true", "{\"state\":\"on\"}", "over"})
    expect_rejected(*d, relay_topic, payload);
  for (const char* payload : {"", "online", "1", "True!"})
    expect_rejected(*d, online, payload);
  for (const char* payload : {"", "21,5", "21.5C", "\"21.5\"", "null", "999", "-127", "NaN",
                              "1e999", "[21.5]", "{\"tC\":21}", "0x15", "+21"}) {
    expect_rejected(*d, temperature, payload);
  }
  EXPECT_EQ(describe(d->decode(temperature, "999")),
            "problem: ext_temperature 999 °C is outside -50..150 °C: the sensor is broken or "
            "missing");
  expect_truncations_rejected(*d, relay_topic, "off");
  expect_truncations_rejected(*d, online, "false");
  expect_size_limit(*d, relay_topic, "on");
  expect_size_limit(*d, online, "true");
  expect_size_limit(*d, temperature, "21.5");
}

}  // namespace
}  // namespace padtimer::devices
