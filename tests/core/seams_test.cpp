// Safety across the seams of a life: a device rebooting, a suspend, a restart or a reload,
// a wall clock corrected. Each test reproduces one way the engine used to break there.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/history.h"
#include "world.h"

namespace padtimer::testing {
namespace {

std::string name(Output output) {
  return std::string(to_string(output));
}
std::string name(ZoneStatus status) {
  return std::string(to_string(status));
}
std::string code(Reason reason) {
  return std::string(reason_code(reason));
}

std::vector<QueryState> queries_for(const World& w, const std::string& device, std::size_t from) {
  std::vector<QueryState> out;
  for (const auto& q : w.since<QueryState>(from)) {
    if (q.device == device) out.push_back(q);
  }
  return out;
}

bool any_on(const std::vector<SetOutput>& outputs) {
  for (const auto& o : outputs) {
    if (o.output != Output::off) return true;
  }
  return false;
}

LocalDay today(const World& w) {
  return local_day(w.now().wall, w.now().utc_offset);
}

// The state database's record of every zone, as the daemon would have saved it last.
std::vector<ZoneHistory> restart_history(const World& w, const Now& now, bool same_clock,
                                         Duration run_on = 30s + 120s + 10s) {
  std::vector<ZoneHistory> out;
  for (const ZoneSafety& record : w.engine().safety())
    out.push_back(history_from(record, {w.now().wall, run_on, same_clock, same_clock}, now));
  return out;
}

// ---- A device that reboots or reconnects ------------------------------------------------

// `routine` runs on `zone` for `after`; then `device` falls silent and says it is online
// again (live). Returns the log position from just before that `online`.
std::size_t reconnect_silent(World& w, const std::string& zone, const std::string& routine,
                             Duration after, const std::string& device) {
  if (!w.request(Action::start, zone, routine).ok) throw std::logic_error("start refused");
  w.advance(after);
  w.silent = {device};
  std::size_t from = w.mark();
  w.send(DeviceAvailability{device, true});
  return from;
}

// Mid-heat, lb_heat loses power and reboots OFF within the broker's keep-alive: no will
// reaches padtimer. It says `online` (live) and its state `off` (a status), in either order.
TEST(EngineSeams, APadThatRebootsOffIsNeverSwitchedBackOn) {
  for (bool online_first : {true, false}) {
    World w;
    ASSERT_TRUE(w.request(Action::start, "lower_back", "heat_only").ok);
    w.advance(5min);
    w.silent = {"lb_heat"};  // rebooting: it answers nothing for now
    std::size_t from = w.mark();
    if (online_first) {
      w.send(DeviceAvailability{"lb_heat", true});
      // Nothing ON goes out: padtimer asks for its state first.
      EXPECT_FALSE(any_on(w.outputs_for("lb_heat", from))) << online_first;
      EXPECT_EQ(queries_for(w, "lb_heat", from).size(), 1u) << online_first;
      w.send(DeviceReport{"lb_heat", Output::off, /*answer=*/false});
    } else {
      w.send(DeviceReport{"lb_heat", Output::off, /*answer=*/false});
      w.send(DeviceAvailability{"lb_heat", true});
    }
    w.silent.clear();
    w.advance(30min);
    EXPECT_FALSE(any_on(w.outputs_for("lb_heat", from))) << online_first;
    auto paused = w.events(EventKind::paused, from);
    ASSERT_EQ(paused.size(), 1u) << online_first;
    EXPECT_EQ(code(paused[0].reason), "unexpected_state");
    EXPECT_EQ(w.physical("lb_heat"), Output::off);
  }
}

TEST(EngineSeams, APadWithoutAutoOffThatRebootsOffIsNeverSwitchedBackOn) {
  World w;
  std::size_t from = reconnect_silent(w, "shoulder", "heat_only", 3min, "sh_pad");
  w.send(DeviceReport{"sh_pad", Output::off, false});
  w.silent.clear();
  w.advance(30min);
  EXPECT_FALSE(any_on(w.outputs_for("sh_pad", from)));
  EXPECT_EQ(w.events(EventKind::paused, from).size(), 1u);
}

TEST(EngineSeams, APadThatReconnectsStillOnIsReArmedOnceItHasSaidSo) {
  World w;
  ASSERT_TRUE(w.request(Action::start, "lower_back", "heat_only").ok);
  w.advance(5min + 30s);
  std::size_t from = w.mark();
  // The device answers the query with its physical state: ON.
  w.send(DeviceAvailability{"lb_heat", true});
  ASSERT_EQ(queries_for(w, "lb_heat", from).size(), 1u);
  auto outs = w.outputs_for("lb_heat", from);
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(name(outs[0].output), "heat");
  EXPECT_EQ(outs[0].auto_off, std::optional<Duration>{120s});
  w.advance(1h);
  EXPECT_TRUE(w.events(EventKind::paused, from).empty());
  auto ended = w.events(EventKind::session_ended, from);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].outcome, SessionOutcome::completed);
}

TEST(EngineSeams, APadThatNeverAnswersTheQueryIsToldOffAndThePhasePauses) {
  World w;
  std::size_t from = reconnect_silent(w, "lower_back", "heat_only", 5min, "lb_heat");
  w.advance(25s);
  EXPECT_EQ(queries_for(w, "lb_heat", from).size(), 2u);  // asked, then asked again
  auto outs = w.outputs_for("lb_heat", from);
  ASSERT_FALSE(outs.empty());
  EXPECT_FALSE(any_on(outs));
  EXPECT_EQ(name(w.engine().snapshot("lower_back").status), "paused");
}

TEST(EngineSeams, AStatusOnDuringTheQueryIsNotTakenForTheAnswer) {
  // Only the answer says the query arrived; an ON status may have been sent before a
  // restart that the answer would reveal.
  World w;
  std::size_t from = reconnect_silent(w, "lower_back", "heat_only", 5min, "lb_heat");
  w.send(DeviceReport{"lb_heat", Output::heat, /*answer=*/false});
  EXPECT_FALSE(any_on(w.outputs_for("lb_heat", from)));
  w.send(DeviceReport{"lb_heat", Output::heat, /*answer=*/true});
  EXPECT_TRUE(any_on(w.outputs_for("lb_heat", from)));
}

TEST(EngineSeams, ARetainedStateConfirmsNothing) {
  // The broker replays a device's retained state when padtimer subscribes: an old state.
  World w(standard_config(), {}, /*connect=*/false);
  w.silent = {"lb_heat"};
  w.send(BrokerConnection{true});
  w.send(DeviceReport{"lb_heat", Output::off, true, /*retained=*/true});
  EXPECT_FALSE(w.engine().confirmed("lb_heat"));
  w.send(DeviceReport{"lb_heat", Output::heat, true, /*retained=*/true});
  EXPECT_EQ(w.engine().snapshot("lower_back").fault, Reason::ok);
  w.send(DeviceReport{"lb_heat", Output::off, true});
  EXPECT_TRUE(w.engine().confirmed("lb_heat"));
}

TEST(EngineSeams, APadSilentAtARenewalWhoseLeaseRunsOutFirstLatchesAckTimeout) {
  // On time, the device has had its confirm_timeout to answer the renewal: a retry that
  // could only arrive after its lease ran out is not sent, and the silence is a fault, not a
  // pause "padtimer was late" (which is for a padtimer that woke late).
  EngineConfig c = standard_config();
  c.safety.lease = 40s;  // re-armed at 20 s, unanswered at 30 s: a retry could be too late
  c.safety.lease_rearm = 20s;
  World w(c);
  ASSERT_TRUE(w.request(Action::start, "lower_back", "heat_only").ok);
  w.advance(1s);
  ASSERT_TRUE(w.engine().confirmed("lb_heat"));
  w.silent = {"lb_heat"};
  std::size_t from = w.mark();
  w.advance(40s);
  EXPECT_EQ(w.engine().snapshot("lower_back").fault, Reason::ack_timeout);
  auto faults = w.events(EventKind::fault, from);
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_NE(faults[0].message.find("no retry"), std::string::npos) << faults[0].message;
  EXPECT_TRUE(w.events(EventKind::paused, from).empty());
}

// ---- A suspend ---------------------------------------------------------------------------

TEST(EngineSeams, ALateWakeDoesNotReArmAPadWhoseLeaseRanOut) {
  // The machine suspends mid-heat: CLOCK_BOOTTIME runs on, timers do not, and the pad's own
  // timer switches it off after its 120 s lease. The late re-arm must not switch it back.
  World w;
  ASSERT_TRUE(w.request(Action::start, "lower_back", "heat_only").ok);
  w.advance(30s);
  std::size_t from = w.mark();
  w.sleep_through(10min);
  EXPECT_FALSE(any_on(w.outputs_for("lb_heat", from)));
  auto paused = w.events(EventKind::paused, from);
  ASSERT_EQ(paused.size(), 1u);
  EXPECT_NE(paused[0].message.find("late to renew"), std::string::npos) << paused[0].message;
  // The phase counts what it was commanded, never the suspend past its lease.
  EXPECT_LE(w.engine().snapshot("lower_back").phase_remaining, 20min);
}

TEST(EngineSeams, ASuspendPastThePhaseEndEndsThePhaseAtItsTime) {
  World w;
  ASSERT_TRUE(w.request(Action::start, "lower_back", "evening").ok);
  w.advance(19min + 50s);  // the lease now ends with the phase (+5 s margin)
  std::size_t from = w.mark();
  w.sleep_through(1h);
  EXPECT_FALSE(any_on(w.outputs_for("lb_heat", from)));
  auto ended = w.events(EventKind::phase_ended, from);
  ASSERT_FALSE(ended.empty());
  EXPECT_EQ(ended[0].on_time, 20min);
}

// ---- Rest between phases -----------------------------------------------------------------

TEST(EngineSeams, ADualPadChangesModeOnlyAfterItConfirmedOff) {
  // shoulder's dual pad has no auto-off: heat's OFF is lost in a broker outage, so it heats
  // on until padtimer reaches it again; cold must wait for its OFF, and the rest with it.
  World w(heat_rest_cold_config());
  ASSERT_TRUE(w.request(Action::start, "shoulder", "hrc").ok);
  w.advance(14min + 30s);
  w.send(BrokerConnection{false});
  w.advance(4min);  // heat ended at 15:00; the rest would have ended at 17:00
  EXPECT_EQ(w.physical("sh_pad"), Output::heat);
  std::size_t back = w.mark();
  w.silent = {"sh_pad"};
  w.send(BrokerConnection{true});  // 18:30
  auto outs = w.outputs_for("sh_pad", back);
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(name(outs[0].output), "off");
  w.advance(5s);
  w.silent.clear();
  w.send(DeviceReport{"sh_pad", Output::off});  // 18:35: known OFF; the rest starts now
  w.advance(2min - 1ms);
  EXPECT_FALSE(any_on(w.outputs_for("sh_pad", back)));
  w.advance(1ms);
  outs = w.outputs_for("sh_pad", back);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(name(outs[1].output), "cold");
}

// ---- Exposure ---------------------------------------------------------------------------

TEST(EngineSeams, AWallClockJumpOfWeeksAndBackKeepsTodaysExposure) {
  World w;
  ASSERT_TRUE(w.request(Action::start, "shoulder", "heat_only").ok);
  w.advance(1h);
  const LocalDay day = today(w);
  ASSERT_EQ(w.engine().exposure("shoulder", day), 20min);
  w.jump_wall(24h * 10);
  w.advance(1s);
  w.jump_wall(-24h * 10);
  w.advance(1s);
  EXPECT_EQ(w.engine().exposure("shoulder", day), 20min);
  // shoulder's cap is 1 h: two more 20-min sessions fit, a third does not.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(w.request(Action::start, "shoulder", "heat_only").ok) << i;
    w.advance(1h);
  }
  Reply r = w.request(Action::start, "shoulder", "heat_only");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(code(r.code), "daily_limit");
}

TEST(EngineSeams, ExposureCountsAPadThatRanOnAfterItsSession) {
  // sh_pad has no auto-off. It stops answering as its session ends: its OFF is never
  // confirmed (ack_timeout), and it reports OFF only 25 minutes later. It may have heated
  // all that time: the daily cap counts it.
  World w;
  ASSERT_TRUE(w.request(Action::start, "shoulder", "heat_only").ok);
  w.advance(19min + 59s);
  w.silent = {"sh_pad"};
  w.advance(25min);
  w.silent.clear();
  w.send(DeviceReport{"sh_pad", Output::off});
  EXPECT_EQ(w.engine().exposure("shoulder", today(w)), 44min + 59s);
}

// ---- Restarts and reloads ----------------------------------------------------------------

TEST(EngineSeams, ARestCountsFromTheLastKnownOnAcrossAReload) {
  // As above, but padtimer reloads its configuration while sh_pad is silent: the new engine
  // must still move the rest to sh_pad's confirmed OFF, 26 min after the session ended.
  World a;
  ASSERT_TRUE(a.request(Action::start, "shoulder", "heat_only").ok);
  a.advance(19min + 59s);
  a.silent = {"sh_pad"};
  a.advance(1min);  // OFF sent at 20:00, never confirmed: ack_timeout
  ASSERT_EQ(a.engine().snapshot("shoulder").fault, Reason::ack_timeout);
  a.advance(1min);
  // The reload: a new engine from what the store holds, on the same clock.
  Now now = a.now();
  World b(standard_config(), restart_history(a, now, true), true, now, {"sh_pad"});
  b.advance(24min);
  b.silent.clear();
  b.send(DeviceReport{"sh_pad", Output::off});  // 45:59: known OFF
  ASSERT_TRUE(b.request(Action::reset, "shoulder").ok);
  b.advance(6min);
  Reply r = b.request(Action::start, "shoulder", "heat_only");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(code(r.code), "rest_interval") << r.message;
  b.advance(24min);
  // Rested now; but sh_pad may have been ON from 0:00 to 45:59, most of shoulder's 1-hour cap.
  r = b.request(Action::start, "shoulder", "heat_only");
  EXPECT_EQ(code(r.code), "daily_limit") << r.message;
  EXPECT_EQ(b.engine().exposure("shoulder", today(b)), 45min + 59s);
}

TEST(EngineSeams, AReloadAndAForwardWallJumpDoNotShortenTheRest) {
  World a;
  ASSERT_TRUE(a.request(Action::start, "lower_back", "heat_only").ok);
  a.advance(21min);  // ended at 20:00; lower_back rests 1 h
  Now now = a.now();
  World b(standard_config(), restart_history(a, now, true), true, now);
  b.jump_wall(2h);
  b.advance(1s);
  Reply r = b.request(Action::start, "lower_back", "heat_only");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(code(r.code), "rest_interval") << r.message;
}

TEST(EngineSeams, ALatchedFaultSurvivesARestart) {
  World a;
  a.send(DeviceReport{"lb_heat", Output::heat});  // ON without a command: latched
  ASSERT_EQ(a.engine().snapshot("lower_back").fault, Reason::unexpected_state);
  Now later = a.now();
  later.mono = MonoTime{} + 5min;  // a new boot
  later.wall += 3h;
  World b(standard_config(), restart_history(a, later, false), true, later);
  b.advance(2h);
  ZoneSnapshot snap = b.engine().snapshot("lower_back");
  EXPECT_EQ(snap.fault, Reason::unexpected_state);
  EXPECT_EQ(snap.fault_message, a.engine().snapshot("lower_back").fault_message);
  EXPECT_EQ(code(b.request(Action::start, "lower_back", "heat_only").code), "fault_latched");
}

TEST(EngineSeams, AClockCorrectedAfterStartUpReadsTodaysExposureAgain) {
  // A Pi without RTC starts at the saved time of its last shutdown, two days behind, and
  // the store has nothing for that day; NTP then sets the clock.
  World a;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(a.request(Action::start, "lower_back", "evening").ok);
    a.advance(2h);
  }
  ASSERT_EQ(a.engine().exposure("lower_back", today(a)), 100min);
  Now corrected = a.now();
  corrected.mono = MonoTime{} + 1min;
  Now fake = corrected;
  fake.wall -= 48h;
  // Read for the fake day: nothing used yet.
  World b(standard_config(), restart_history(a, fake, false), true, fake);
  b.advance(30s);
  Now real = b.now();
  real.wall += 48h;
  EXPECT_FALSE(b.engine().history_stale(b.now()));
  EXPECT_TRUE(b.engine().history_stale(real));
  b.jump_wall(48h);
  b.send(StoredHistory{restart_history(a, b.now(), false)});
  EXPECT_FALSE(b.engine().history_stale(b.now()));
  Reply r = b.request(Action::start, "lower_back", "evening");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(code(r.code), "daily_limit") << r.message;
}

TEST(EngineSeams, AClockThatCameUpBehindTheRecordIsNotSetUntilItSteps) {
  // A Pi without RTC comes up 1 h behind padtimer's last record. Running past the record
  // proves nothing (it is still behind by the downtime): starts wait for a step (NTP).
  World a;
  ASSERT_TRUE(a.request(Action::start, "lower_back", "heat_only").ok);
  a.advance(2h);
  Now fake = a.now();
  fake.mono = MonoTime{} + 1min;
  fake.wall -= 1h;
  World b(standard_config(), restart_history(a, fake, false), true, fake);
  Reply r = b.request(Action::start, "lower_back", "heat_only");
  EXPECT_EQ(code(r.code), "clock_not_set") << r.message;
  b.advance(90min);  // past the record by the clock, still not set
  r = b.request(Action::start, "lower_back", "heat_only");
  EXPECT_EQ(code(r.code), "clock_not_set") << r.message;
  EXPECT_NE(r.message.find("has not been set since"), std::string::npos) << r.message;
  // What it keeps meanwhile says so, and cannot replace the earlier life's record.
  EXPECT_TRUE(b.engine().safety().front().clock_doubt.has_value());
  b.jump_wall(3h);  // NTP
  b.send(StoredHistory{restart_history(a, b.now(), false)});
  EXPECT_FALSE(b.engine().safety().front().clock_doubt.has_value());
  r = b.request(Action::start, "lower_back", "heat_only");
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace
}  // namespace padtimer::testing
