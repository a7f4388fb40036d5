// Zigbee2MQTT: options (on_time, properties), exact set payloads (on_time rounding), state
// and availability in both forms, topics that are not state, and malformed payloads.
#include "devices/zigbee2mqtt.h"

#include "driver_testing.h"

namespace padtimer::devices {
namespace {

using namespace testing_support;

std::unique_ptr<Driver> plug(Options options = {{"name", "bedroom/heat plug"}},
                             core::DeviceSpec device = spec("pad")) {
  return make("zigbee2mqtt", device, options);
}

std::unique_ptr<Driver> plug_with_sensor() {
  return plug(
      {{"name", "pad"}, {"base", "z2m/home"}, {"temperature_property", "local_temperature"}},
      spec("pad", DeviceRole::heat, true));
}

TEST(Zigbee2MqttOptions, NameIsRequiredAndMayHoldSlashes) {
  auto missing = problems("zigbee2mqtt", spec("pad"), {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].option, "name");
  for (const char* bad : {"a/+/b", "#", "/pad", "pad/", "a//b"}) {
    auto found = problems("zigbee2mqtt", spec("pad"), {{"name", bad}});
    ASSERT_EQ(found.size(), 1u) << bad;
  }
  auto bad_base = problems("zigbee2mqtt", spec("pad"), {{"name", "p"}, {"base", ""}});
  ASSERT_EQ(bad_base.size(), 1u);
  EXPECT_EQ(bad_base[0].option, "base");
  plug({{"name", "floor 1/bedroom/pad"}});
}

TEST(Zigbee2MqttOptions, OnTimeIsTrueOrFalse) {
  auto found = problems("zigbee2mqtt", spec("pad"), {{"name", "p"}, {"on_time", "yes"}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].option, "on_time");
  EXPECT_TRUE(contains(found[0].message, "true or false"));
}

TEST(Zigbee2MqttOptions, WithoutOnTimeTheDeviceMustNotClaimAutoOff) {
  auto found = problems("zigbee2mqtt", spec("pad"), {{"name", "p"}, {"on_time", "false"}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].option, "on_time");
  EXPECT_TRUE(contains(found[0].message, "never told to switch itself off"));
  auto d = plug({{"name", "p"}, {"on_time", "false"}}, spec("pad", DeviceRole::heat, false, false));
  ASSERT_EQ(d->notes().size(), 1u);
  EXPECT_TRUE(contains(d->notes()[0], "no device-side auto-off"));
}

TEST(Zigbee2MqttOptions, TemperaturePropertyOnlyWithASensorAndNoDual) {
  auto pointless = problems("zigbee2mqtt", spec("pad"),
                            {{"name", "p"}, {"temperature_property", "temperature"}});
  ASSERT_EQ(pointless.size(), 1u);
  EXPECT_EQ(pointless[0].option, "temperature_property");
  auto dual = problems("zigbee2mqtt", spec("pad", DeviceRole::dual), {{"name", "p"}});
  ASSERT_EQ(dual.size(), 1u);
  EXPECT_TRUE(contains(dual[0].message, "cannot be a dual"));
  auto empty = problems("zigbee2mqtt", spec("pad"), {{"name", "p"}, {"state_property", ""}});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].option, "state_property");
}

TEST(Zigbee2MqttEncode, SetWithOnTimeInWholeSecondsRoundedUp) {
  auto d = plug();
  const std::string set = "zigbee2mqtt/bedroom/heat plug/set";
  EXPECT_EQ(d->encode(on(120s)), (std::vector<Outgoing>{{set, R"({"state":"ON","on_time":120})"}}));
  EXPECT_EQ(d->encode(on(120'001ms))[0].payload, R"({"state":"ON","on_time":121})");
  EXPECT_EQ(d->encode(on(500ms))[0].payload, R"({"state":"ON","on_time":1})");
  EXPECT_EQ(d->encode(on(std::nullopt))[0].payload, R"({"state":"ON"})");
  EXPECT_EQ(d->encode(kOff), (std::vector<Outgoing>{{set, R"({"state":"OFF"})"}}));
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::cold, 60s})[0].payload, R"({"state":"OFF"})");
}

TEST(Zigbee2MqttEncode, StatePropertyAndNoOnTime) {
  auto d = plug({{"name", "strip"}, {"state_property", "state_l2"}, {"on_time", "false"}},
                spec("pad", DeviceRole::cold, false, false));
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::cold, 60s}),
            (std::vector<Outgoing>{{"zigbee2mqtt/strip/set", R"({"state_l2":"ON"})"}}));
  EXPECT_EQ(d->encode(kOff)[0].payload, R"({"state_l2":"OFF"})");
}

TEST(Zigbee2MqttQuery, GetWithAnEmptyState) {
  EXPECT_EQ(plug()->encode(kQuery),
            (std::vector<Outgoing>{{"zigbee2mqtt/bedroom/heat plug/get", R"({"state":""})"}}));
  EXPECT_EQ(plug_with_sensor()->encode(kQuery),
            (std::vector<Outgoing>{{"z2m/home/pad/get", R"({"state":""})"}}));
  // One outlet of a multi-outlet plug: its own state property is the one read.
  EXPECT_EQ(plug({{"name", "strip"}, {"state_property", "state_l2"}})->encode(kQuery),
            (std::vector<Outgoing>{{"zigbee2mqtt/strip/get", R"({"state_l2":""})"}}));
}

TEST(Zigbee2MqttQuery, TheDeviceStateAnswersIt) {
  // Zigbee2MQTT publishes the state it read on <base>/<name>.
  auto d = plug();
  d->encode(kQuery);
  expect_decoded(*d, "zigbee2mqtt/bedroom/heat plug",
                 {{R"({"state":"ON","linkquality":87})", "report heat"},
                  {R"({"state":"OFF","linkquality":87})", "report off"}});
  const auto decoded = d->decode("zigbee2mqtt/bedroom/heat plug", R"({"state":"OFF"})");
  ASSERT_TRUE(decoded && decoded->events.size() == 1u);
  EXPECT_TRUE(std::get<core::DeviceReport>(decoded->events[0]).answer);
  auto strip =
      plug({{"name", "strip"}, {"state_property", "state_l2"}}, spec("pad", DeviceRole::cold));
  strip->encode(kQuery);
  expect_decoded(*strip, "zigbee2mqtt/strip",
                 {{R"({"state_l1":"OFF","state_l2":"ON"})", "report cold"},
                  {R"({"state_l2":"OFF"})", "report off"}});
}

TEST(Zigbee2MqttDecode, SubscriptionsStateAndTemperature) {
  auto d = plug_with_sensor();
  EXPECT_EQ(d->subscriptions(),
            (std::vector<std::string>{"z2m/home/pad", "z2m/home/pad/availability"}));
  EXPECT_EQ(describe(d->decode(
                "z2m/home/pad",
                R"({"state":"ON","linkquality":87,"power":35.2,"local_temperature":33.5})")),
            "report heat, 33.5 C");
  EXPECT_EQ(describe(d->decode("z2m/home/pad", R"({"state":"OFF"})")), "report off");
  EXPECT_EQ(describe(d->decode("z2m/home/pad", R"({"linkquality":87})")), "");
  EXPECT_EQ(describe(d->decode("z2m/home/pad", R"({"local_temperature":30,"temperature":99})")),
            "30 C");
  expect_device(d->decode("z2m/home/pad", R"({"state":"ON","local_temperature":33.5})"), "pad");
}

TEST(Zigbee2MqttDecode, TemperatureIsIgnoredWithoutASensor) {
  // Many plugs report their own chip temperature: it is not the pad's.
  auto d = plug({{"name", "p"}});
  EXPECT_EQ(describe(d->decode("zigbee2mqtt/p", R"({"state":"ON","temperature":48})")),
            "report heat");
  EXPECT_EQ(describe(d->decode("zigbee2mqtt/p", R"({"state":"ON","temperature":"hot"})")),
            "report heat");
}

TEST(Zigbee2MqttDecode, StatePropertyOfAMultiEndpointPlug) {
  auto d = plug({{"name", "strip"}, {"state_property", "state_l2"}});
  EXPECT_EQ(describe(d->decode("zigbee2mqtt/strip", R"({"state_l1":"OFF","state_l2":"ON"})")),
            "report heat");
  EXPECT_EQ(describe(d->decode("zigbee2mqtt/strip", R"({"state_l1":"ON"})")), "");
}

TEST(Zigbee2MqttDecode, AvailabilityJsonAndLegacy) {
  auto d = plug();
  const std::string topic = "zigbee2mqtt/bedroom/heat plug/availability";
  EXPECT_EQ(describe(d->decode(topic, R"({"state":"online"})")), "online");
  EXPECT_EQ(describe(d->decode(topic, R"({"state":"offline"})")), "offline");
  EXPECT_EQ(describe(d->decode(topic, "online")), "online");
  EXPECT_EQ(describe(d->decode(topic, "offline")), "offline");
}

TEST(Zigbee2MqttDecode, SetGetAndOtherTopicsAreNotState) {
  auto d = plug();
  for (const char* topic :
       {"zigbee2mqtt/bedroom/heat plug/set", "zigbee2mqtt/bedroom/heat plug/get",
        "zigbee2mqtt/bedroom/heat plug/set/state", "zigbee2mqtt/bedroom",
        "zigbee2mqtt/bedroom/heat", "zigbee2mqtt/bridge/state", "other/bedroom/heat plug"}) {
    EXPECT_FALSE(d->decode(topic, R"({"state":"ON"})").has_value()) << topic;
  }
}

TEST(Zigbee2MqttMalformed, StateAndAvailability) {
  auto d = plug_with_sensor();
  expect_bad_json_rejected(*d, "z2m/home/pad");
  expect_truncations_rejected(*d, "z2m/home/pad", R"({"state":"ON"})");
  expect_size_limit(*d, "z2m/home/pad", R"({"state":"ON"})");
  for (const char* payload :
       {R"({"state":true})", R"({"state":1})", R"({"state":"TOGGLE"})", R"({"state":null})",
        R"({"local_temperature":"31"})", R"({"local_temperature":null})",
        R"({"local_temperature":-51})", R"(["ON"])", R"("ON")", "ON"}) {
    expect_rejected(*d, "z2m/home/pad", payload);
  }
  const std::string availability = "z2m/home/pad/availability";
  for (const char* payload : {"", "up", R"({"state":true})", R"({"status":"online"})",
                              R"({"state":"online")", R"({"state":"asleep"})", "{", "[]"}) {
    expect_rejected(*d, availability, payload);
  }
  expect_truncations_rejected(*d, availability, R"({"state":"online"})");
  expect_truncations_rejected(*d, availability, "offline");
  expect_size_limit(*d, availability, R"({"state":"online"})");
  expect_size_limit(*d, availability, "online");
}

}  // namespace
}  // namespace padtimer::devices
