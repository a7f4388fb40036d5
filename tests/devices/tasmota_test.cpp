// Tasmota: options, exact commands (PulseTime then Power ON as two plain messages, never a
// Backlog; PulseTime encoding, rounding, clamping; re-arm with Power ON alone), every message
// kind decoded, and malformed payloads on every topic.
#include "devices/tasmota.h"

#include "driver_testing.h"

namespace padtimer::devices {
namespace {

using namespace testing_support;

std::unique_ptr<Driver> plug(Options options = {{"topic", "pad_plug"}},
                             DeviceRole role = DeviceRole::heat, bool sensor = false) {
  return make("tasmota", spec("pad", role, sensor), options);
}

std::unique_ptr<Driver> plug_with_sensor() {
  return plug({{"topic", "pad_plug"}, {"sensor", "DS18B20"}}, DeviceRole::heat, true);
}

// The ON that arms PulseTime: two plain commands, in this order.
std::vector<Outgoing> pulse_then_on(const std::string& topic, int relay, int pulse) {
  const std::string n = std::to_string(relay);
  return {{"cmnd/" + topic + "/PulseTime" + n, std::to_string(pulse)},
          {"cmnd/" + topic + "/Power" + n, "ON"}};
}

// ---- Options -----------------------------------------------------------------------------

TEST(TasmotaOptions, TopicIsRequired) {
  auto found = problems("tasmota", spec("pad"), {});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].option, "topic");
  EXPECT_TRUE(contains(found[0].message, "topic is required"));
}

TEST(TasmotaOptions, TopicMustNotHoldWildcardsOrEmptyLevels) {
  for (const char* bad : {"", "pad+", "pad#", "/pad", "pad/", "a//b", "pad\n"}) {
    auto found = problems("tasmota", spec("pad"), {{"topic", bad}});
    ASSERT_EQ(found.size(), 1u) << bad;
    EXPECT_EQ(found[0].option, "topic");
  }
}

TEST(TasmotaOptions, RelayIsOneToEight) {
  for (const char* bad : {"0", "9", "-1", "+1", "1.5", "x", "", " 1", "99999999999"}) {
    auto found = problems("tasmota", spec("pad"), {{"topic", "p"}, {"relay", bad}});
    ASSERT_EQ(found.size(), 1u) << bad;
    EXPECT_EQ(found[0].option, "relay");
    EXPECT_TRUE(contains(found[0].message, "whole number from 1 to 8"));
  }
  for (const char* good : {"1", "8"})
    make("tasmota", spec("pad"), {{"topic", "p"}, {"relay", good}});
}

TEST(TasmotaOptions, SensorIsRequiredWithASensorAndPointlessWithout) {
  auto missing = problems("tasmota", spec("pad", DeviceRole::heat, true), {{"topic", "p"}});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].option, "sensor");
  EXPECT_TRUE(contains(missing[0].message, "sensor is required"));

  auto pointless = problems("tasmota", spec("pad"), {{"topic", "p"}, {"sensor", "DS18B20"}});
  ASSERT_EQ(pointless.size(), 1u);
  EXPECT_EQ(pointless[0].option, "sensor");
  EXPECT_TRUE(contains(pointless[0].message, "no sensor block"));
}

TEST(TasmotaOptions, FullTopicIsNotSupported) {
  auto found =
      problems("tasmota", spec("pad"), {{"topic", "p"}, {"full_topic", "%topic%/%prefix%/"}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].option, "full_topic");
  EXPECT_TRUE(contains(found[0].message, "default FullTopic %prefix%/%topic%/"));
}

TEST(TasmotaOptions, DualRoleIsRefused) {
  auto found = problems("tasmota", spec("pad", DeviceRole::dual), {{"topic", "p"}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].option, "");
  EXPECT_TRUE(contains(found[0].message, "cannot be a dual"));
  EXPECT_TRUE(contains(found[0].message, "json_pad"));
}

TEST(TasmotaOptions, EveryProblemIsReportedAtOnce) {
  auto found =
      problems("tasmota", spec("pad", DeviceRole::dual, true), {{"relay", "0"}, {"colour", "red"}});
  EXPECT_EQ(found.size(), 5u) << text(found);  // topic, relay, sensor, dual, colour
}

// ---- Commands ----------------------------------------------------------------------------

TEST(TasmotaEncode, OffIsPowerOff) {
  auto d = plug();
  EXPECT_EQ(d->encode(kOff), (std::vector<Outgoing>{{"cmnd/pad_plug/Power1", "OFF"}}));
}

TEST(TasmotaEncode, OnIsPulseTimeThenPowerOnAsTwoPlainMessages) {
  // Not `Backlog PulseTime1 220; Power1 ON`: Tasmota queues a Backlog's entries and runs the
  // Power ON a SetOption34 delay later, after any plain OFF sent in between (see
  // devices/tasmota.cpp). Plain commands run in the order they arrive.
  auto d = plug();
  const auto out = d->encode(on(120s));
  EXPECT_EQ(out, pulse_then_on("pad_plug", 1, 220));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "cmnd/pad_plug/PulseTime1");
  EXPECT_EQ(out[0].payload, "220");
  EXPECT_EQ(out[1].topic, "cmnd/pad_plug/Power1");
  EXPECT_EQ(out[1].payload, "ON");
  for (const auto& m : out) {
    EXPECT_EQ(m.qos, 1) << m.topic;
    EXPECT_FALSE(m.retained) << m.topic;
  }
}

TEST(TasmotaEncode, PulseTimeEncodingBoundariesRoundUp) {
  struct Case {
    core::Duration lease;
    int value;
  };
  const Case cases[] = {
      {0ms, 1},  // never 0: that would mean "no auto-off"
      {1ms, 1},         {100ms, 1},      {101ms, 2},
      {5s, 50},         {11'100ms, 111},  // the last value in tenths
      {11'101ms, 112},                    // just over 11.1 s: seconds + 100, rounded up to 12 s
      {11'200ms, 112},  {12s, 112},      {12'001ms, 113},
      {119'500ms, 220}, {120s, 220},     {64'800s, 64900},  // the largest value
      {64'801s, 64900}, {24h, 64900},    {-5s, 1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(tasmota_pulse_time(c.lease), c.value) << c.lease.count() << " ms";
  }
  auto d = plug();
  EXPECT_EQ(d->encode(on(11'100ms)), pulse_then_on("pad_plug", 1, 111));
  EXPECT_EQ(d->encode(on(11'200ms)), pulse_then_on("pad_plug", 1, 112));
  EXPECT_EQ(d->encode(on(30h)), pulse_then_on("pad_plug", 1, 64900));
}

TEST(TasmotaEncode, ReArmIsPlainPowerOnOnceTheDeviceConfirmedThePulseTime) {
  auto d = plug();
  const std::vector<Outgoing> power_on = {{"cmnd/pad_plug/Power1", "ON"}};
  EXPECT_EQ(d->encode(on(120s)), pulse_then_on("pad_plug", 1, 220));
  // Not confirmed yet (it may have been lost): both messages again.
  EXPECT_EQ(d->encode(on(120s)), pulse_then_on("pad_plug", 1, 220));

  // The device answers PulseTime1 220 on its own RESULT, apart from the POWER one; the echo
  // is no report, only the confirmation.
  EXPECT_EQ(
      describe(d->decode("stat/pad_plug/RESULT", R"({"PulseTime1":{"Set":220,"Remaining":220}})")),
      "");
  EXPECT_EQ(describe(d->decode("stat/pad_plug/RESULT", R"({"POWER":"ON"})")), "report heat");
  EXPECT_EQ(d->encode(on(120s)), power_on);  // restarts the 120 s PulseTime
  EXPECT_EQ(d->encode(on(120s)), power_on);
  EXPECT_EQ(d->encode(kOff), (std::vector<Outgoing>{{"cmnd/pad_plug/Power1", "OFF"}}));
  EXPECT_EQ(d->encode(on(120s)), power_on);

  // A shorter lease near the phase end is a new value.
  EXPECT_EQ(d->encode(on(45s)), pulse_then_on("pad_plug", 1, 145));
  d->decode("stat/pad_plug/RESULT", R"({"PulseTime1":{"Set":145,"Remaining":145}})");
  EXPECT_EQ(d->encode(on(45s)), power_on);

  // After an LWT change the device may have restarted and lost it: write it again.
  EXPECT_EQ(describe(d->decode("tele/pad_plug/LWT", "Online")), "online");
  EXPECT_EQ(d->encode(on(45s)), pulse_then_on("pad_plug", 1, 145));
}

TEST(TasmotaEncode, TheOldBacklogEchoStillConfirms) {
  // One RESULT with both keys (what a Backlog's entries could add up to): still read.
  auto d = plug();
  d->encode(on(120s));
  EXPECT_EQ(describe(d->decode("stat/pad_plug/RESULT",
                               R"({"PulseTime1":{"Set":220,"Remaining":220},"POWER1":"ON"})")),
            "report heat");
  EXPECT_EQ(d->encode(on(120s)), (std::vector<Outgoing>{{"cmnd/pad_plug/Power1", "ON"}}));
}

TEST(TasmotaEncode, OnWithoutLeaseClearsAnyPulseTime) {
  auto d = plug();
  const std::vector<Outgoing> clear = pulse_then_on("pad_plug", 1, 0);
  EXPECT_EQ(clear[0].payload, "0");
  EXPECT_EQ(d->encode(on(std::nullopt)), clear);  // unknown: a value may be left in flash
  d->decode("stat/pad_plug/RESULT", R"({"PulseTime1":{"Set":0,"Remaining":0}})");
  EXPECT_EQ(d->encode(on(std::nullopt)), (std::vector<Outgoing>{{"cmnd/pad_plug/Power1", "ON"}}));
  // A lease after that sets it again; clearing after the lease clears it again.
  EXPECT_EQ(d->encode(on(120s)), pulse_then_on("pad_plug", 1, 220));
  d->decode("stat/pad_plug/RESULT", R"({"PulseTime1":{"Set":220,"Remaining":220}})");
  EXPECT_EQ(d->encode(on(std::nullopt)), clear);
}

TEST(TasmotaEncode, RelayNumberIsInEveryCommand) {
  auto d = plug({{"topic", "strip"}, {"relay", "3"}});
  EXPECT_EQ(d->encode(kOff), (std::vector<Outgoing>{{"cmnd/strip/Power3", "OFF"}}));
  EXPECT_EQ(d->encode(on(2s)), pulse_then_on("strip", 3, 20));
  d->decode("stat/strip/RESULT", R"({"PulseTime3":{"Set":20,"Remaining":20}})");
  EXPECT_EQ(d->encode(on(2s)), (std::vector<Outgoing>{{"cmnd/strip/Power3", "ON"}}));
}

TEST(TasmotaEncode, ColdPlugSwitchesOnForColdAndNeverForHeat) {
  auto d = plug({{"topic", "ice"}}, DeviceRole::cold);
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::cold, 60s}), pulse_then_on("ice", 1, 160));
  EXPECT_EQ(d->encode(SetOutput{"pad", Output::heat, 60s}),
            (std::vector<Outgoing>{{"cmnd/ice/Power1", "OFF"}}));
}

TEST(TasmotaEncode, NeverSendsABacklog) {
  // Whatever the lease, relay, role or what the device has confirmed: one command per
  // message, never on cmnd/<topic>/Backlog and never a ';' list, so none is queued.
  for (const char* relay : {"1", "2", "8"}) {
    for (DeviceRole role : {DeviceRole::heat, DeviceRole::cold}) {
      auto d = plug({{"topic", "p"}, {"relay", relay}}, role);
      const Output on_output = role == DeviceRole::cold ? Output::cold : Output::heat;
      std::vector<Outgoing> all;
      auto add = [&](std::vector<Outgoing> out) { all.insert(all.end(), out.begin(), out.end()); };
      for (std::optional<core::Duration> lease :
           {std::optional<core::Duration>{}, std::optional<core::Duration>{100ms},
            std::optional<core::Duration>{120s}, std::optional<core::Duration>{30h}}) {
        add(d->encode(SetOutput{"pad", on_output, lease}));
        add(d->encode(SetOutput{"pad", on_output, lease}));
        const std::string n = relay;
        const int pulse = lease ? tasmota_pulse_time(*lease) : 0;
        d->decode("stat/p/RESULT", R"({"PulseTime)" + n + R"(":{"Set":)" + std::to_string(pulse) +
                                       R"(,"Remaining":0}})");
        add(d->encode(SetOutput{"pad", on_output, lease}));
        add(d->encode(kOff));
        add(d->encode(kQuery));
        d->decode("tele/p/LWT", "Online");
      }
      ASSERT_FALSE(all.empty());
      for (const auto& m : all) {
        EXPECT_EQ(m.topic.find("Backlog"), std::string::npos) << m.topic;
        EXPECT_EQ(m.payload.find(';'), std::string::npos) << m.payload;
        EXPECT_EQ(m.qos, 1) << m.topic;
        EXPECT_FALSE(m.retained) << m.topic;
      }
    }
  }
}

// ---- State query -------------------------------------------------------------------------

TEST(TasmotaQuery, PowerWithAnEmptyPayloadAsksForTheRelayState) {
  EXPECT_EQ(plug()->encode(kQuery), (std::vector<Outgoing>{{"cmnd/pad_plug/Power1", ""}}));
  EXPECT_EQ(plug({{"topic", "strip"}, {"relay", "3"}})->encode(kQuery),
            (std::vector<Outgoing>{{"cmnd/strip/Power3", ""}}));
}

TEST(TasmotaQuery, TheReplyIsAnAnswerOnOff) {
  // Tasmota answers an empty Power<n> with the same two messages as a Power command:
  // RESULT {"POWER":..} (single relay; "POWER<n>" on a multi-relay plug) and POWER<n>.
  auto d = plug();
  d->encode(kQuery);
  expect_decoded(*d, "stat/pad_plug/RESULT",
                 {{R"({"POWER":"ON"})", "report heat"}, {R"({"POWER":"OFF"})", "report off"}});
  expect_decoded(*d, "stat/pad_plug/POWER", {{"ON", "report heat"}, {"OFF", "report off"}});
  const auto decoded = d->decode("stat/pad_plug/RESULT", R"({"POWER":"ON"})");
  ASSERT_TRUE(decoded && decoded->events.size() == 1u);
  const auto& report = std::get<core::DeviceReport>(decoded->events[0]);
  EXPECT_EQ(report.device, "pad");
  EXPECT_EQ(report.output, Output::heat);
  EXPECT_TRUE(report.answer);

  auto strip = plug({{"topic", "strip"}, {"relay", "3"}}, DeviceRole::cold);
  strip->encode(kQuery);
  expect_decoded(*strip, "stat/strip/RESULT",
                 {{R"({"POWER3":"ON"})", "report cold"}, {R"({"POWER3":"OFF"})", "report off"}});
  expect_decoded(*strip, "stat/strip/POWER3", {{"ON", "report cold"}, {"OFF", "report off"}});
}

TEST(TasmotaQuery, AQueryLeavesTheConfirmedPulseTimeAlone) {
  auto d = plug();
  d->encode(on(120s));
  d->decode("stat/pad_plug/RESULT", R"({"PulseTime1":{"Set":220,"Remaining":220}})");
  EXPECT_EQ(d->encode(kQuery), (std::vector<Outgoing>{{"cmnd/pad_plug/Power1", ""}}));
  d->decode("stat/pad_plug/RESULT", R"({"POWER":"ON"})");
  EXPECT_EQ(d->encode(on(120s)), (std::vector<Outgoing>{{"cmnd/pad_plug/Power1", "ON"}}));
}

// ---- Messages ----------------------------------------------------------------------------

TEST(TasmotaDecode, Subscriptions) {
  EXPECT_EQ(plug_with_sensor()->subscriptions(),
            (std::vector<std::string>{"stat/pad_plug/RESULT", "stat/pad_plug/POWER1",
                                      "tele/pad_plug/STATE", "tele/pad_plug/LWT",
                                      "stat/pad_plug/POWER", "tele/pad_plug/SENSOR"}));
  EXPECT_EQ(plug({{"topic", "strip"}, {"relay", "2"}})->subscriptions(),
            (std::vector<std::string>{"stat/strip/RESULT", "stat/strip/POWER2", "tele/strip/STATE",
                                      "tele/strip/LWT"}));
}

TEST(TasmotaDecode, ResultReportsPowerAsTheRoleOutput) {
  auto d = plug();
  expect_decoded(*d, "stat/pad_plug/RESULT",
                 {{R"({"POWER":"ON"})", "report heat"},
                  {R"({"POWER1":"OFF"})", "report off"},
                  {R"({"POWER1":"on"})", "report heat"},
                  {R"({"Dimmer":40})", ""}});  // another command's answer
  expect_device(d->decode("stat/pad_plug/RESULT", R"({"POWER":"ON"})"), "pad");
  auto cold = plug({{"topic", "ice"}}, DeviceRole::cold);
  expect_decoded(*cold, "stat/ice/RESULT", {{R"({"POWER":"ON"})", "report cold"}});
}

TEST(TasmotaDecode, OtherRelaysAreIgnored) {
  auto d = plug({{"topic", "strip"}, {"relay", "2"}});
  expect_decoded(*d, "stat/strip/RESULT",
                 {{R"({"POWER2":"ON"})", "report heat"},
                  {R"({"POWER":"ON"})", ""},
                  {R"({"POWER1":"ON"})", ""}});
  expect_decoded(*d, "stat/strip/POWER2", {{"OFF", "report off"}});
  expect_decoded(*d, "stat/strip/POWER", {{"ON", "not mine"}});
  expect_decoded(*d, "stat/strip/POWER1", {{"ON", "not mine"}});
}

TEST(TasmotaDecode, PlainPowerTopics) {
  auto d = plug();
  EXPECT_EQ(describe(d->decode("stat/pad_plug/POWER", "ON")), "report heat");
  EXPECT_EQ(describe(d->decode("stat/pad_plug/POWER1", "OFF")), "report off");
}

TEST(TasmotaDecode, StateCarriesPower) {
  auto d = plug();
  EXPECT_EQ(
      describe(d->decode(
          "tele/pad_plug/STATE",
          R"({"Time":"2024-01-01T10:00:00","Uptime":"0T01:00:00","POWER":"ON","Wifi":{"RSSI":80}})")),
      "status heat");
  EXPECT_EQ(describe(d->decode("tele/pad_plug/STATE", R"({"Time":"x"})")),
            "problem: no POWER1 in STATE");
}

TEST(TasmotaDecode, LastWill) {
  auto d = plug();
  EXPECT_EQ(describe(d->decode("tele/pad_plug/LWT", "Online")), "online");
  EXPECT_EQ(describe(d->decode("tele/pad_plug/LWT", "Offline")), "offline");
  expect_device(d->decode("tele/pad_plug/LWT", "Offline"), "pad");
}

TEST(TasmotaDecode, SensorTemperatureInCelsiusOrFahrenheit) {
  auto d = plug_with_sensor();
  const std::string t = "tele/pad_plug/SENSOR";
  expect_decoded(
      *d, t,
      {{R"({"Time":"x","DS18B20":{"Id":"01","Temperature":20.6},"TempUnit":"C"})", "20.6 C"},
       {R"({"DS18B20":{"Temperature":98.6},"TempUnit":"F"})", "37 C"},
       {R"({"DS18B20":{"Temperature":41}})", "41 C"},  // Celsius by default
       {R"({"DS18B20":{"Temperature":150}})", "150 C"},
       {R"({"DS18B20":{"Temperature":-50}})", "-50 C"}});
  expect_device(d->decode(t, R"({"DS18B20":{"Temperature":41}})"), "pad");
}

TEST(TasmotaDecode, OtherTopicsAreNotMine) {
  auto d = plug();
  for (const char* topic :
       {"cmnd/pad_plug/Power1", "cmnd/pad_plug/PulseTime1", "cmnd/pad_plug/Backlog",
        "stat/other/RESULT", "stat/pad_plug2/RESULT", "stat/pad_plug/RESULT/x",
        "tele/pad_plug/SENSOR", "stat/pad_plug/POWER2", "pad_plug/RESULT", ""}) {
    EXPECT_FALSE(d->decode(topic, R"({"POWER":"ON"})").has_value()) << topic;
  }
}

// ---- Malformed payloads ------------------------------------------------------------------

TEST(TasmotaMalformed, JsonTopics) {
  auto d = plug_with_sensor();
  for (const char* topic : {"stat/pad_plug/RESULT", "tele/pad_plug/STATE", "tele/pad_plug/SENSOR"})
    expect_bad_json_rejected(*d, topic);
  expect_truncations_rejected(*d, "stat/pad_plug/RESULT", R"({"POWER":"ON"})");
  expect_truncations_rejected(*d, "tele/pad_plug/STATE", R"({"POWER":"ON"})");
  expect_truncations_rejected(*d, "tele/pad_plug/SENSOR", R"({"DS18B20":{"Temperature":20.6}})");
}

TEST(TasmotaMalformed, WrongTypesAndUnknownValues) {
  auto d = plug_with_sensor();
  for (const char* payload : {R"({"POWER":1})", R"({"POWER":true})", R"({"POWER":null})",
                              R"({"POWER":"BLINK"})", R"({"POWER1":["ON"]})", R"(["POWER","ON"])",
                              R"("ON")", "42", R"({"PulseTime1":{"Set":"220"}})",
                              R"({"PulseTime1":220})", R"({"PulseTime1":{"Set":-1}})"}) {
    expect_rejected(*d, "stat/pad_plug/RESULT", payload);
  }
  EXPECT_EQ(describe(d->decode("stat/pad_plug/RESULT", R"({"POWER":"BLINK"})")),
            R"(problem: expected "ON" or "OFF", got "BLINK")");
  for (const char* payload : {"", "ONN", "1", "BLINK", "{\"POWER\":\"ON\"}"})
    expect_rejected(*d, "stat/pad_plug/POWER1", payload);
  for (const char* payload : {"", "Up", "true", "Online!"})
    expect_rejected(*d, "tele/pad_plug/LWT", payload);
  expect_truncations_rejected(*d, "tele/pad_plug/LWT", "Online");
  expect_truncations_rejected(*d, "stat/pad_plug/POWER", "OFF");
}

TEST(TasmotaMalformed, SensorReadingsThatAreNotTemperatures) {
  auto d = plug_with_sensor();
  const std::string t = "tele/pad_plug/SENSOR";
  for (const char* payload :
       {R"({"DS18B20":20.6})", R"({"DS18B20":{"Temperature":"20.6"}})",
        R"({"DS18B20":{"Temperature":null}})", R"({"DS18B20":{"Temperature":150.01}})",
        R"({"DS18B20":{"Temperature":-50.5}})", R"({"DS18B20":{"Temperature":1e308}})",
        R"({"DS18B20":{"Temperature":-127}})", R"({"DS18B20":{"Temp":20}})",
        R"({"AM2301":{"Temperature":20}})", R"({"DS18B20":{"Temperature":20},"TempUnit":"K"})",
        R"({"DS18B20":{"Temperature":20},"TempUnit":1})",
        R"({"DS18B20":{"Temperature":400},"TempUnit":"F"})", "[]", "20.6"}) {
    expect_rejected(*d, t, payload);
  }
  EXPECT_EQ(describe(d->decode(t, R"({"ENERGY":{"Power":12}})")),
            "problem: no \"DS18B20\" object in SENSOR: the sensor is disconnected, or the sensor "
            "option does not match its name");
  EXPECT_EQ(describe(d->decode(t, R"({"DS18B20":{"Temperature":-127}})")),
            "problem: DS18B20.Temperature -127 °C is outside -50..150 °C: the sensor is broken or "
            "missing");
}

TEST(TasmotaMalformed, OversizedPayloadsAreRejectedBeforeParsing) {
  auto d = plug_with_sensor();
  expect_size_limit(*d, "stat/pad_plug/RESULT", R"({"POWER":"ON"})");
  expect_size_limit(*d, "tele/pad_plug/STATE", R"({"POWER":"ON"})");
  expect_size_limit(*d, "tele/pad_plug/SENSOR", R"({"DS18B20":{"Temperature":20.6}})");
  expect_size_limit(*d, "stat/pad_plug/POWER1", "ON");
  expect_size_limit(*d, "tele/pad_plug/LWT", "Online");
}

}  // namespace
}  // namespace padtimer::devices
