// Tasmota, device side: Power, PulseTime (its encoding and timing), Backlog (queued, one entry
// per main-loop pass, SetOption34 apart, overtaken by plain commands), telemetry.
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

TEST(Tasmota, AStateQueryAnswersLikePowerAndLeavesThePulseRunning) {
  auto d = make("tasmota:t,pulsetime=220");
  d->handle("cmnd/t/Power1", "ON", at(0));
  auto q = d->handle("cmnd/t/Power1", "", at(30));
  EXPECT_EQ(payloads(q, "stat/t/RESULT"), Strings{R"({"POWER":"ON"})"});
  EXPECT_EQ(payloads(q, "stat/t/POWER"), Strings{"ON"});
  EXPECT_EQ(q.publish.size(), 2u);
  EXPECT_TRUE(q.lines.empty());
  EXPECT_FALSE(q.physical_changed);
  // Tasmota leaves the PulseTime countdown alone for a query (only a switch restarts it).
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(30).mono)->count(), 90.0);
  run_until(*d, 120);
  EXPECT_EQ(d->output(), Output::off);
  q = d->handle("cmnd/t/Power1", "", at(121));
  EXPECT_EQ(payloads(q, "stat/t/RESULT"), Strings{R"({"POWER":"OFF"})"});
  EXPECT_EQ(payloads(q, "stat/t/POWER"), Strings{"OFF"});

  auto strip = make("tasmota:s,relay=2,relays=2");
  strip->handle("cmnd/s/Power2", "ON", at(0));
  q = strip->handle("cmnd/s/Power2", "", at(1));
  EXPECT_EQ(payloads(q, "stat/s/RESULT"), Strings{R"({"POWER2":"ON"})"});
  EXPECT_EQ(payloads(q, "stat/s/POWER2"), Strings{"ON"});
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

Tasmota& tasmota(Device& d) {
  return static_cast<Tasmota&>(d);
}

TEST(TasmotaBacklog, EntriesAreQueuedAndRunOnePerLoopPassSetOption34Apart) {
  auto d = make("tasmota:t");
  EXPECT_EQ(tasmota(*d).backlog_delay_ms(), 200);  // Tasmota's default
  auto r = d->handle("cmnd/t/Backlog", "PulseTime1 220; Power1 ON", at(0));
  // The first entry runs in the pass that received the Backlog; the Backlog itself answers
  // nothing. PulseTime arms its countdown at once, though the relay is OFF.
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"PulseTime1":{"Set":220,"Remaining":220}})"});
  EXPECT_TRUE(payloads(r, "stat/t/POWER").empty());
  EXPECT_EQ(r.lines, (Strings{"Backlog queued 2 commands",
                              "PulseTime1 set to 220 (120.0 s), auto-off in 120.0 s"}));
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_EQ(tasmota(*d).pulse_time(1), 220);
  EXPECT_EQ(tasmota(*d).backlog(), Strings{"Power1 ON"});
  EXPECT_DOUBLE_EQ(testing::seconds_of(d->next_deadline()), 0.2);

  auto before = run_until(*d, 0.199);
  EXPECT_TRUE(before.publish.empty());
  EXPECT_EQ(d->output(), Output::off);
  auto second = run_until(*d, 0.2);  // SetOption34 later: the Power ON
  EXPECT_EQ(d->output(), Output::heat);
  EXPECT_EQ(payloads(second, "stat/t/RESULT"), Strings{R"({"POWER":"ON"})"});
  EXPECT_EQ(payloads(second, "stat/t/POWER"), Strings{"ON"});
  EXPECT_EQ(second.lines, Strings{"relay ON (heat), auto-off in 120.0 s"});
  EXPECT_TRUE(tasmota(*d).backlog().empty());

  // The lease counts from the Power ON.
  run_until(*d, 120.199);
  EXPECT_EQ(d->output(), Output::heat);
  auto fired = run_until(*d, 120.2);
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_EQ(payloads(fired, "stat/t/RESULT"), Strings{R"({"POWER":"OFF"})"});
  EXPECT_EQ(payloads(fired, "stat/t/POWER"), Strings{"OFF"});
  EXPECT_TRUE(has_line(fired, "auto-off fired, relay OFF"));
}

// What made `Backlog PulseTime1 v; Power1 ON` unsafe for padtimer (its Tasmota driver sent
// it until it switched to the two plain messages below): a plain OFF sent right after it
// runs at once, before the queued Power ON, and pushes that ON back by SetOption34; the
// ON then switches the plug ON again, until PulseTime ends it.
TEST(TasmotaBacklog, APlainOffSentAfterABacklogIsOvertakenByItsQueuedOn) {
  auto d = make("tasmota:t");
  d->handle("cmnd/t/Backlog", "PulseTime1 220; Power1 ON", at(0));
  run_until(*d, 0.05);
  auto off = d->handle("cmnd/t/Power1", "OFF", at(0.05));
  EXPECT_EQ(payloads(off, "stat/t/POWER"), Strings{"OFF"});
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_EQ(tasmota(*d).backlog(), Strings{"Power1 ON"});           // still queued
  EXPECT_DOUBLE_EQ(testing::seconds_of(d->next_deadline()), 0.25);  // pushed back

  run_until(*d, 0.249);
  EXPECT_EQ(d->output(), Output::off);
  auto late = run_until(*d, 0.25);
  EXPECT_EQ(d->output(), Output::heat);  // the OFF is undone
  EXPECT_EQ(payloads(late, "stat/t/POWER"), Strings{"ON"});
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(0.25).mono)->count(), 120.0);
  run_until(*d, 100);
  EXPECT_EQ(d->output(), Output::heat);
  run_until(*d, 120.25);
  EXPECT_EQ(d->output(), Output::off);  // only PulseTime ends it
}

// What padtimer's driver sends instead (tests/devices/tasmota_test.cpp asserts these exact
// messages): PulseTime1 and Power1 ON as two plain commands, then Power1 OFF. Each runs when
// it arrives, so the OFF comes last and stays.
TEST(TasmotaBacklog, PlainPulseTimeThenPowerOnThenOffEndsOff) {
  auto d = make("tasmota:t");
  auto pulse = d->handle("cmnd/t/PulseTime1", "220", at(0));
  EXPECT_EQ(payloads(pulse, "stat/t/RESULT"),
            Strings{R"({"PulseTime1":{"Set":220,"Remaining":220}})"});  // the driver's echo
  EXPECT_EQ(d->output(), Output::off);
  auto on = d->handle("cmnd/t/Power1", "ON", at(0));
  EXPECT_EQ(payloads(on, "stat/t/RESULT"), Strings{R"({"POWER":"ON"})"});
  EXPECT_EQ(d->output(), Output::heat);
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(0).mono)->count(), 120.0);  // from the ON
  EXPECT_TRUE(tasmota(*d).backlog().empty());

  run_until(*d, 0.05);
  auto off = d->handle("cmnd/t/Power1", "OFF", at(0.05));
  EXPECT_EQ(payloads(off, "stat/t/POWER"), Strings{"OFF"});
  auto rest = run_until(*d, 300);
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_TRUE(payloads(rest, "stat/t/POWER").empty());
  EXPECT_FALSE(d->timer());

  // The re-arm once PulseTime is confirmed: Power1 ON alone restarts the countdown.
  d->handle("cmnd/t/Power1", "ON", at(300));
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(300).mono)->count(), 120.0);
}

TEST(TasmotaBacklog, Backlog0RunsAnEntryPerLoopPassYetAPlainCommandStillPushesItBack) {
  auto d = make("tasmota:t");
  auto r = d->handle("cmnd/t/Backlog0", "PulseTime1 220; Power1 ON", at(0));
  EXPECT_EQ(r.lines.front(), "Backlog0 queued 2 commands");
  // No SetOption34 wait, but still one entry per pass of the main loop.
  EXPECT_EQ(testing::seconds_of(d->next_deadline()), 0.05);
  d->handle("cmnd/t/Power1", "OFF", at(0.02));  // inside that window
  EXPECT_DOUBLE_EQ(testing::seconds_of(d->next_deadline()), 0.22);
  run_until(*d, 0.22);
  EXPECT_EQ(d->output(), Output::heat);  // overtaken all the same

  auto late = make("tasmota:t");
  late->handle("cmnd/t/Backlog0", "PulseTime1 220; Power1 ON", at(0));
  run_until(*late, 0.06);
  EXPECT_EQ(late->output(), Output::heat);
  late->handle("cmnd/t/Power1", "OFF", at(0.06));  // after the window
  run_until(*late, 300);
  EXPECT_EQ(late->output(), Output::off);
}

TEST(TasmotaBacklog, SetOption34SetsTheDelay) {
  auto d = make("tasmota:t");
  auto r = d->handle("cmnd/t/SetOption34", "", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"SetOption34":200})"});
  r = d->handle("cmnd/t/SetOption34", "256", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Error"})"});
  r = d->handle("cmnd/t/SetOption33", "1", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Unknown"})"});
  r = d->handle("cmnd/t/SetOption34", "100", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"SetOption34":100})"});
  EXPECT_EQ(tasmota(*d).backlog_delay_ms(), 100);

  d->handle("cmnd/t/Backlog", "Power1 ON; Power1 OFF; Power1 ON", at(1));
  EXPECT_EQ(d->output(), Output::heat);
  run_until(*d, 1.1);
  EXPECT_EQ(d->output(), Output::off);
  run_until(*d, 1.199);
  EXPECT_EQ(d->output(), Output::off);
  run_until(*d, 1.2);
  EXPECT_EQ(d->output(), Output::heat);

  // 0: no wait, but still one entry per loop pass.
  d->handle("cmnd/t/SetOption34", "0", at(2));
  d->handle("cmnd/t/Backlog", "Power1 OFF; Power1 ON", at(3));
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_DOUBLE_EQ(testing::seconds_of(d->next_deadline()), 3.05);

  // The setting can also be given at start.
  CommonSettings common;
  common.name = "direct";
  TasmotaSettings settings;
  settings.topic = "direct";
  settings.backlog_delay_ms = 20;
  Tasmota direct(common, settings, at(0));
  direct.handle("cmnd/direct/Backlog", "Power1 ON; Power1 OFF", at(0));
  EXPECT_DOUBLE_EQ(testing::seconds_of(direct.next_deadline()), 0.05);  // a pass at least
  EXPECT_EQ(payloads(direct.handle("cmnd/direct/SetOption34", "", at(0)), "stat/direct/RESULT"),
            Strings{R"({"SetOption34":20})"});
}

TEST(TasmotaBacklog, AnEmptyBacklogClearsTheQueue) {
  auto d = make("tasmota:t");
  d->handle("cmnd/t/Backlog", "PulseTime1 10; Power1 ON; Power1 OFF", at(0));
  EXPECT_EQ(tasmota(*d).backlog(), (Strings{"Power1 ON", "Power1 OFF"}));
  auto r = d->handle("cmnd/t/Backlog", "", at(0.1));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Backlog":"Aborted"})"});
  EXPECT_TRUE(tasmota(*d).backlog().empty());
  run_until(*d, 10);
  EXPECT_EQ(d->output(), Output::off);
  r = d->handle("cmnd/t/Backlog", "  ", at(11));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Backlog":"Empty"})"});
}

TEST(TasmotaBacklog, ALeadingBacklogInAnEntryIsDroppedAndOtherIndexesAreRefused) {
  auto d = make("tasmota:t");
  d->handle("cmnd/t/Backlog", "Backlog Power1 ON; backlog; BACKLOG backlog Power1 OFF", at(0));
  EXPECT_EQ(d->output(), Output::heat);
  EXPECT_EQ(tasmota(*d).backlog(), Strings{"Power1 OFF"});
  auto r = d->handle("cmnd/t/Backlog2", "Power1 ON", at(1));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"Command":"Unknown"})"});
}

TEST(TasmotaBacklog, ASilentPlugStillRunsWhatItHadQueued) {
  auto d = make("tasmota:t");
  d->handle("cmnd/t/Backlog", "PulseTime1 220; Power1 ON", at(0));
  d->fault_command("silent", at(0.1));
  run_until(*d, 0.2);
  EXPECT_EQ(d->output(), Output::heat);
}

TEST(Tasmota, PulseTimeArmsTheCountdownEvenWhileOff) {
  auto d = make("tasmota:t");
  auto r = d->handle("cmnd/t/PulseTime1", "15", at(0));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"PulseTime1":{"Set":15,"Remaining":15}})"});
  ASSERT_TRUE(d->timer());
  auto ran_out = run_until(*d, 1.5);  // nothing to switch
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_TRUE(payloads(ran_out, "stat/t/POWER").empty());
  EXPECT_TRUE(has_line(ran_out, "auto-off fired, relay already OFF"));
  d->handle("cmnd/t/Power1", "ON", at(2));  // restarts it from the setting
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(2).mono)->count(), 1.5);
  r = d->handle("cmnd/t/PulseTime1", "0", at(2.5));
  EXPECT_EQ(r.lines, Strings{"PulseTime1 set to 0 (off), auto-off cancelled"});
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
  d->handle("cmnd/t/PulseTime", "15", at(0));
  d->handle("cmnd/t/Power", "ON", at(0));
  run_until(*d, 1.49);
  EXPECT_EQ(d->output(), Output::heat);
  run_until(*d, 1.5);
  EXPECT_EQ(d->output(), Output::off);
  // The same through a Backlog: from its Power ON, SetOption34 after the Backlog.
  d->handle("cmnd/t/Backlog", "PulseTime 15;Power ON", at(10));
  run_until(*d, 11.69);
  EXPECT_EQ(d->output(), Output::heat);
  run_until(*d, 11.7);
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
