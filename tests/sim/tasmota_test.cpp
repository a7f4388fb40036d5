// Tasmota, device side: Power, PulseTime (its encoding and timing), Backlog, telemetry.
#include "sim/tasmota.h"

#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace padtimer::sim {
namespace {

using testing::at;
using testing::has_line;
using testing::make;
using testing::payloads;
using testing::run_until;

using Strings = std::vector<std::string>;

TEST(TasmotaPulseTime, Encoding) {
  EXPECT_FALSE(pulse_time_duration(0));
  EXPECT_DOUBLE_EQ(pulse_time_duration(1)->count(), 0.1);
  EXPECT_DOUBLE_EQ(pulse_time_duration(50)->count(), 5.0);
  EXPECT_DOUBLE_EQ(pulse_time_duration(111)->count(), 11.1);
  EXPECT_DOUBLE_EQ(pulse_time_duration(112)->count(), 12.0);
  EXPECT_DOUBLE_EQ(pulse_time_duration(220)->count(), 120.0);
  EXPECT_DOUBLE_EQ(pulse_time_duration(1300)->count(), 1200.0);
  EXPECT_DOUBLE_EQ(pulse_time_duration(64900)->count(), 64800.0);
  EXPECT_FALSE(pulse_time_duration(64901));
  EXPECT_FALSE(pulse_time_duration(-1));
}

TEST(TasmotaPulseTime, RemainingIsReportedInTheSameEncodingRoundedUp) {
  EXPECT_EQ(pulse_time_setting(Seconds{0}), 0);
  EXPECT_EQ(pulse_time_setting(Seconds{0.05}), 1);
  EXPECT_EQ(pulse_time_setting(Seconds{11.1}), 111);
  EXPECT_EQ(pulse_time_setting(Seconds{11.2}), 112);
  EXPECT_EQ(pulse_time_setting(Seconds{120}), 220);
  EXPECT_EQ(pulse_time_setting(Seconds{119.4}), 220);
  for (int setting : {1, 37, 111, 112, 220, 64900}) {
    EXPECT_EQ(pulse_time_setting(*pulse_time_duration(setting)), setting) << setting;
  }
}

TEST(TasmotaCommand, NamesAreCaseInsensitiveWithAnOptionalIndex) {
  auto p = split_tasmota_command("Power1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "power");
  EXPECT_EQ(p->index, 1);
  p = split_tasmota_command("POWER");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "power");
  EXPECT_FALSE(p->index);
  p = split_tasmota_command("pulsetime2");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "pulsetime");
  EXPECT_EQ(p->index, 2);
  EXPECT_FALSE(split_tasmota_command(""));
  EXPECT_FALSE(split_tasmota_command("1Power"));
  EXPECT_FALSE(split_tasmota_command("Power1x"));
  EXPECT_FALSE(split_tasmota_command("Power12345"));
}

TEST(TasmotaBacklog, SplitsOnSemicolonsAndTrims) {
  using Entries = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(parse_backlog("PulseTime1 220; Power1 ON"),
            (Entries{{"PulseTime1", "220"}, {"Power1", "ON"}}));
  EXPECT_EQ(parse_backlog("  Power1   ON  ;;  ; Power1 ;"),
            (Entries{{"Power1", "ON"}, {"Power1", ""}}));
  EXPECT_EQ(parse_backlog(""), Entries{});
  EXPECT_EQ(parse_backlog(";;;"), Entries{});
  std::string many;
  for (int i = 0; i < 40; ++i)
    many += "Power1 TOGGLE;";
  EXPECT_EQ(parse_backlog(many).size(), kBacklogMax);
}

TEST(Tasmota, PowerOnRepliesOnResultAndPowerTopics) {
  auto d = make("tasmota:lb_heat,topic=plug");
  EXPECT_EQ(d->subscriptions(), Strings{"cmnd/plug/+"});
  auto r = d->handle("cmnd/plug/Power1", "ON", at(1));
  EXPECT_EQ(payloads(r, "stat/plug/RESULT"), Strings{R"({"POWER":"ON"})"});
  EXPECT_EQ(payloads(r, "stat/plug/POWER"), Strings{"ON"});
  EXPECT_EQ(d->output(), Output::heat);
  EXPECT_EQ(r.lines, Strings{"relay ON (heat)"});
  EXPECT_TRUE(r.physical_changed);
  for (const auto& p : r.publish)
    EXPECT_FALSE(p.retained) << p.topic;

  r = d->handle("cmnd/plug/POWER", "off", at(2));  // relay 1, any case
  EXPECT_EQ(payloads(r, "stat/plug/RESULT"), Strings{R"({"POWER":"OFF"})"});
  EXPECT_EQ(payloads(r, "stat/plug/POWER"), Strings{"OFF"});
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_EQ(r.lines, Strings{"relay OFF"});
}

TEST(Tasmota, AcceptsTasmotaPowerWordsAndQueries) {
  auto d = make("tasmota:t");
  d->handle("cmnd/t/Power1", "1", at(0));
  EXPECT_EQ(d->output(), Output::heat);
  d->handle("cmnd/t/Power1", "0", at(0));
  EXPECT_EQ(d->output(), Output::off);
  d->handle("cmnd/t/Power1", "TOGGLE", at(0));
  EXPECT_EQ(d->output(), Output::heat);
  d->handle("cmnd/t/Power1", "2", at(0));
  EXPECT_EQ(d->output(), Output::off);
  d->handle("cmnd/t/Power1", "true", at(0));
  EXPECT_EQ(d->output(), Output::heat);

  auto q = d->handle("cmnd/t/Power1", "", at(1));  // a query: state, no change, no line
  EXPECT_EQ(payloads(q, "stat/t/RESULT"), Strings{R"({"POWER":"ON"})"});
  EXPECT_EQ(payloads(q, "stat/t/POWER"), Strings{"ON"});
  EXPECT_TRUE(q.lines.empty());
  EXPECT_EQ(d->output(), Output::heat);
}

TEST(Tasmota, MultiRelayPlugsUseIndexedKeysAndTopics) {
  auto d = make("tasmota:t,relay=2,relays=2");
  auto r = d->handle("cmnd/t/Power2", "ON", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"POWER2":"ON"})"});
  EXPECT_EQ(payloads(r, "stat/t/POWER2"), Strings{"ON"});
  // Relay 1 belongs to another sim device on the same topic: no answer, no change.
  r = d->handle("cmnd/t/Power1", "OFF", at(1));
  EXPECT_TRUE(r.publish.empty());
  EXPECT_EQ(d->output(), Output::heat);
  // A relay the plug does not have.
  r = d->handle("cmnd/t/Power3", "ON", at(1));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Unknown"})"});
}

TEST(Tasmota, MalformedCommandsChangeNothing) {
  auto d = make("tasmota:t");
  auto r = d->handle("cmnd/t/Power1", "MAYBE", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Error"})"});
  EXPECT_TRUE(has_line(r, "ignored Power1: bad parameter 'MAYBE'"));
  r = d->handle("cmnd/t/Dimmer", "50", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Unknown"})"});
  r = d->handle("cmnd/t/PulseTime1", "70000", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Error"})"});
  r = d->handle("cmnd/t/PulseTime1", "-5", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Error"})"});
  r = d->handle("cmnd/t/PulseTime1", "12abc", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Error"})"});
  r = d->handle("cmnd/t/PulseTime9", "10", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Unknown"})"});
  r = d->handle("cmnd/t/Power1/extra", "ON", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Unknown"})"});
  r = d->handle("cmnd/t/Power1", std::string(5000, 'x'), at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Error"})"});
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_EQ(static_cast<Tasmota&>(*d).pulse_time(1), 0);
  EXPECT_FALSE(d->timer());
}

TEST(Tasmota, BacklogArmsPulseTimeAndSwitchesOnInOneMessage) {
  auto d = make("tasmota:t");
  auto r = d->handle("cmnd/t/Backlog", "PulseTime1 220; Power1 ON", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"),
            (Strings{R"({"PulseTime1":{"Set":220,"Remaining":0}})", R"({"POWER":"ON"})"}));
  EXPECT_EQ(r.lines,
            (Strings{"PulseTime1 set to 220 (120.0 s)", "relay ON (heat), auto-off in 120.0 s"}));
  EXPECT_EQ(static_cast<Tasmota&>(*d).pulse_time(1), 220);
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(20).mono)->count(), 100.0);

  auto before = run_until(*d, 119.9);
  EXPECT_EQ(d->output(), Output::heat);
  EXPECT_TRUE(payloads(before, "stat/t/POWER").empty());
  auto fired = run_until(*d, 120.0);
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_EQ(payloads(fired, "stat/t/RESULT"), Strings{R"({"POWER":"OFF"})"});
  EXPECT_EQ(payloads(fired, "stat/t/POWER"), Strings{"OFF"});
  EXPECT_TRUE(has_line(fired, "auto-off fired, relay OFF"));
}

TEST(Tasmota, EveryPowerOnRestartsThePulse) {
  auto d = make("tasmota:t,pulsetime=220");  // set before start, persists
  d->handle("cmnd/t/Power1", "ON", at(0));
  run_until(*d, 100);
  auto r = d->handle("cmnd/t/Power1", "ON", at(100));  // the lease re-armed
  EXPECT_EQ(r.lines, Strings{"relay still ON (heat), auto-off in 120.0 s"});
  run_until(*d, 219.9);
  EXPECT_EQ(d->output(), Output::heat);
  run_until(*d, 220);
  EXPECT_EQ(d->output(), Output::off);
  // It persists: the next ON is armed again with the same setting.
  d->handle("cmnd/t/Power1", "TOGGLE", at(300));
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(300).mono)->count(), 120.0);
}

TEST(Tasmota, TenthsOfASecondBelow112) {
  auto d = make("tasmota:t");
  d->handle("cmnd/t/Backlog", "PulseTime 15;Power ON", at(0));
  run_until(*d, 1.49);
  EXPECT_EQ(d->output(), Output::heat);
  run_until(*d, 1.5);
  EXPECT_EQ(d->output(), Output::off);
}

TEST(Tasmota, PowerOffAndPulseTimeZeroCancelTheCountdown) {
  auto d = make("tasmota:t,pulsetime=110");
  d->handle("cmnd/t/Power1", "ON", at(0));
  d->handle("cmnd/t/Power1", "OFF", at(1));
  EXPECT_FALSE(d->timer());
  d->handle("cmnd/t/Power1", "ON", at(2));
  auto r = d->handle("cmnd/t/PulseTime1", "0", at(3));
  EXPECT_EQ(r.lines, Strings{"PulseTime1 set to 0 (off), auto-off cancelled"});
  run_until(*d, 1000);
  EXPECT_EQ(d->output(), Output::heat);
}

TEST(Tasmota, SettingPulseTimeWhileOnRestartsTheCountdown) {
  auto d = make("tasmota:t,pulsetime=220");
  d->handle("cmnd/t/Power1", "ON", at(0));
  auto r = d->handle("cmnd/t/PulseTime1", "130", at(50));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"PulseTime1":{"Set":130,"Remaining":130}})"});
  run_until(*d, 79.9);
  EXPECT_EQ(d->output(), Output::heat);
  run_until(*d, 80);
  EXPECT_EQ(d->output(), Output::off);
}

TEST(Tasmota, PulseTimeQueryReportsSetAndRemaining) {
  auto d = make("tasmota:t,pulsetime=220");
  d->handle("cmnd/t/Power1", "ON", at(0));
  auto r = d->handle("cmnd/t/PulseTime1", "", at(30));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"PulseTime1":{"Set":220,"Remaining":190}})"});
  EXPECT_TRUE(r.lines.empty());
}

TEST(Tasmota, TelemetryReportsTheNamedSensorEveryPeriod) {
  auto d = make("tasmota:t,sensor=SHT3X");
  d->handle("cmnd/t/Power1", "ON", at(0));
  auto r = run_until(*d, 10);
  auto sensor = payloads(r, "tele/t/SENSOR");
  ASSERT_EQ(sensor.size(), 1u);
  auto v = testing::parse_json(sensor[0]);
  EXPECT_EQ(*v.find("SHT3X")->find("Temperature"), json::Value(27.0));
  EXPECT_EQ(*v.find("TempUnit"), json::Value("C"));
  EXPECT_EQ(*v.find("Time"), json::Value("2027-01-15T08:00:10"));
  r = run_until(*d, 30);
  EXPECT_EQ(payloads(r, "tele/t/SENSOR").size(), 2u);
}

TEST(Tasmota, NoSensorNoTelemetry) {
  auto d = make("tasmota:t,sensor=none");
  auto r = run_until(*d, 60);
  EXPECT_TRUE(payloads(r, "tele/t/SENSOR").empty());
  EXPECT_TRUE(r.physical_changed);  // the sim's own report still goes out
}

TEST(Tasmota, AvailabilityIsTheLastWillOnLwt) {
  auto d = make("tasmota:t");
  Availability av = d->availability();
  EXPECT_EQ(av.topic, "tele/t/LWT");
  EXPECT_EQ(av.online, "Online");
  EXPECT_EQ(av.offline, "Offline");
  EXPECT_TRUE(av.is_will);
  auto r = d->connected(at(0));  // the state as it comes back, no availability (the will's)
  EXPECT_EQ(payloads(r, "stat/t/POWER"), Strings{"OFF"});
  EXPECT_TRUE(payloads(r, "tele/t/LWT").empty());
  EXPECT_EQ(payloads(r, "tele/t/SENSOR").size(), 1u);
}

}  // namespace
}  // namespace padtimer::sim
