// The fault-injection suite (CTest label `faults`): the real padtimerd, padtimer-sim and
// mosquitto, broken over and over — the broker killed and restarted, padtimerd killed with
// SIGKILL mid-heat, devices that go silent, offline, hot or stuck, the wall clock jumping
// during sessions and around schedules — and after every fault the safety invariants are
// checked from the device side (device_record.h). Each scenario prints and saves its
// tally; the fault_summary test adds them up. PADTIMER_FAULT_ROUNDS=N runs N times the
// cycles (with the test binary run directly, as ctest's timeout stays put).
#include <gtest/gtest.h>

#include <ctime>
#include <iostream>
#include <map>

#include "rig.h"

namespace padtimer::testing::faults {
namespace {

Millis random_delay(Rig& rig, Millis low, Millis high) {
  std::uniform_int_distribution<long> pick(low.count(), high.count());
  return Millis{pick(rig.random())};
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Starts the routine on zone i; true when padtimerd took it.
bool start_session(Rig& rig, int i, Tally& tally, std::string* refusal = nullptr) {
  Outcome out = rig.ctl({"start", Rig::zone(i), Rig::kRoutine});
  if (out.exit_code == 0) {
    ++tally.sessions;
    return true;
  }
  if (refusal) *refusal = out.output;
  return false;
}

// Starts the routine on zone i once its devices have confirmed OFF. Right after a restart
// the phone may still hold the previous padtimerd's "ready" state: a device_not_ready
// refusal then waits for the zone's next state and tries again.
bool start_when_ready(Rig& rig, int i, Tally& tally, std::string& refusal) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::size_t cursor = rig.phone().output().size();
    if (!rig.wait_ready(i, 30s)) {
      refusal = Rig::zone(i) + " never ready";
      return false;
    }
    if (start_session(rig, i, tally, &refusal)) return true;
    if (!has(refusal, "device_not_ready")) return false;
    rig.wait_line(rig.phone(), cursor, {"padtimer/" + Rig::zone(i) + "/state "}, 10s);
  }
  return false;
}

// Starts the routine on zone i (start_when_ready) and waits until its heat device says its
// relay is ON. Returns what went wrong, or "" when it heats.
std::string start_heating(Rig& rig, int i, Tally& tally) {
  std::size_t sim_cursor = rig.sim().output().size();
  std::string refusal;
  if (!start_when_ready(rig, i, tally, refusal)) return refusal + "\n" + rig.phone().output();
  if (!rig.wait_line(rig.sim(), sim_cursor, {rig.heat_device(i) + ": relay ON (heat)"}, 10s)) {
    return rig.heat_device(i) + " never switched ON\n" + rig.sim().output();
  }
  return "";
}

// ---- The broker killed and restarted ---------------------------------------------------

TEST(Faults, BrokerKilledAndRestartedDuringSessions) {
  // At 20 times: heat 45 s, lease 12 s re-armed every 3 s, broker_grace 6 s: the short
  // outages are survived by the sessions, and every 25th (7 s) outlasts the grace: those
  // sessions must fault, before any lease runs out.
  RigOptions o;
  o.zones = 4;
  o.time_scale = 20;
  o.lease = 240s;
  o.broker_grace = 120s;
  Rig rig(o);
  rig.start_daemon();
  Tally tally{"broker_restarts"};
  std::size_t daemon_cursor = rig.daemon().output().size();
  std::size_t sim_cursor = rig.sim().output().size();
  const int cycles = 50 * rounds();
  for (int c = 0; c < cycles; ++c) {
    if (c % 5 == 0) {
      // Keep sessions running: start every zone that may start; clear latched faults.
      for (int i = 0; i < rig.zones(); ++i) {
        std::string refusal;
        if (!start_session(rig, i, tally, &refusal) && has(refusal, "fault_latched")) {
          rig.ctl({"reset", Rig::zone(i)});
        }
      }
    }
    rig.let_pass(random_delay(rig, 0ms, 1500ms));
    rig.broker().kill();
    ++tally.injected;
    if (c % 25 == 24) rig.let_pass(rig.real(o.broker_grace) + 1s);
    rig.broker().restart();
    const bool daemon_back =
        rig.wait_line(rig.daemon(), daemon_cursor, {"mqtt: connected"}, 60s).has_value();
    const bool sim_back =
        rig.wait_line(rig.sim(), sim_cursor, {"padtimer-sim: reconnected"}, 60s).has_value();
    if (daemon_back && sim_back && rig.all_running()) {
      ++tally.survived;
    } else {
      ADD_FAILURE() << "cycle " << c << ": not back after the broker restart (padtimerd "
                    << daemon_back << ", sim " << sim_back << ")\n"
                    << rig.daemon().output().substr(rig.daemon().output().size() > 4000
                                                        ? rig.daemon().output().size() - 4000
                                                        : 0);
    }
    rig.check_invariants(tally);
  }
  report(tally);
  EXPECT_EQ(tally.survived, tally.injected);
  EXPECT_GT(tally.sessions, 0);
  EXPECT_EQ(tally.violations, 0);
}

// ---- padtimerd killed mid-heat ----------------------------------------------------------

TEST(Faults, DaemonKilledMidHeatNeverResumes) {
  // At 60 times: heat 15 s, lease 2 s, rest between sessions 20 s (after a crash up to
  // 22.5 s: the heartbeat period and the lease are added); twelve zones in turn.
  RigOptions o;
  o.zones = 12;
  o.time_scale = 60;
  Rig rig(o);
  rig.start_daemon();
  Tally tally{"padtimerd_sigkill"};
  rig.phone();
  const int cycles = 20 * rounds();
  for (int c = 0; c < cycles; ++c) {
    const int i = c % rig.zones();
    const std::string zone = Rig::zone(i);
    const std::string heat = rig.heat_device(i);
    ASSERT_EQ(start_heating(rig, i, tally), "");

    rig.let_pass(random_delay(rig, 100ms, 3000ms));
    const std::int64_t killed_at = monotonic_ns();
    rig.kill_daemon();
    ++tally.injected;

    // The device switches itself off within its lease: nobody else is there to do it.
    std::int64_t off_at = 0;
    rig.wait_until(
        [&] {
          for (const OutputChange& ch : rig.changes_of(heat, killed_at)) {
            if (ch.output == "off") off_at = ch.t_ns;
          }
          return off_at != 0;
        },
        rig.real(120s) + 5s);
    bool ok = off_at != 0;
    EXPECT_TRUE(ok) << heat << " stayed ON after padtimerd died\n" << rig.sim().output();
    if (ok) {
      const Nanos after{off_at - killed_at};
      EXPECT_LE(after, rig.limits().lease + rig.limits().tolerance)
          << heat << " switched off " << after.count() / 1e9 << " s after padtimerd died";
      ok = after <= rig.limits().lease + rig.limits().tolerance;
    }

    // Restarted: the session is recorded as interrupted, a start inside the rest interval
    // is refused, and nothing in the zone came back ON.
    rig.start_daemon();
    const bool told =
        has(rig.daemon().output(), "were running when padtimerd stopped; none is resumed");
    EXPECT_TRUE(told) << rig.daemon().output();
    const std::string outcome = rig.last_outcome(zone);
    EXPECT_EQ(outcome, "interrupted") << zone;
    Outcome again = rig.ctl({"start", zone, Rig::kRoutine});
    EXPECT_EQ(again.exit_code, 1) << again.output;
    EXPECT_TRUE(has(again.output, "rest_interval")) << again.output;
    bool resumed = false;
    for (const std::string& device : {heat, rig.cold_device(i)}) {
      for (const OutputChange& ch : rig.changes_of(device, killed_at))
        resumed = resumed || ch.output != "off";
    }
    EXPECT_FALSE(resumed) << zone << " came back ON after the restart\n" << rig.sim().output();
    if (ok && told && outcome == "interrupted" && again.exit_code == 1 && !resumed) {
      ++tally.survived;
    }
    rig.check_invariants(tally);
  }
  report(tally);
  EXPECT_EQ(tally.survived, tally.injected);
  EXPECT_EQ(tally.violations, 0);
}

// ---- Devices that fail -----------------------------------------------------------------

struct DeviceFault {
  const char* knob;    // padtimer-sim's fault word
  const char* reason;  // the fault padtimerd must latch
};

TEST(Faults, DevicesThatStopAnsweringGoOfflineOverheatOrStick) {
  RigOptions o;
  o.zones = 6;
  o.time_scale = 60;
  Rig rig(o);
  rig.start_daemon();
  Tally tally{"device_faults"};
  const std::vector<DeviceFault> kinds = {{"silent", "ack_timeout"},
                                          {"offline", "device_offline"},
                                          {"sensor_hot", "overtemp"},
                                          {"sensor_stuck", "heatup_failed"},
                                          {"sensor_silent", "telemetry_stale"}};
  rig.phone();
  const int cycles = 2 * static_cast<int>(kinds.size()) * rounds();
  for (int c = 0; c < cycles; ++c) {
    const int i = c % rig.zones();
    const std::string zone = Rig::zone(i);
    const std::string heat = rig.heat_device(i);
    const DeviceFault& fault = kinds[static_cast<std::size_t>(c) % kinds.size()];
    ASSERT_EQ(start_heating(rig, i, tally), "");

    std::size_t event_cursor = rig.phone().output().size();
    const std::int64_t injected_at = monotonic_ns();
    rig.device_fault(heat, fault.knob);
    ++tally.injected;
    const bool latched = rig.wait_line(rig.phone(), event_cursor,
                                       {"padtimer/" + zone + "/event ", R"("event":"fault")",
                                        std::string(R"("reason":")") + fault.reason + "\""},
                                       30s)
                             .has_value();
    EXPECT_TRUE(latched) << fault.knob << " on " << heat << ": no " << fault.reason << " fault\n"
                         << rig.phone().output();
    // OFF: told by padtimerd, or by its own auto-off when it no longer listens.
    const bool off = rig.wait_until(
        [&] {
          auto changes = rig.changes_of(heat, injected_at);
          return !changes.empty() && changes.back().output == "off";
        },
        rig.real(120s) + 10s);
    EXPECT_TRUE(off) << heat << " stayed ON after " << fault.knob << "\n" << rig.sim().output();

    if (std::string(fault.knob) == "offline") {
      std::size_t back_cursor = rig.sim().output().size();
      rig.device_fault(heat, "online");
      EXPECT_TRUE(rig.wait_line(rig.sim(), back_cursor, {heat + ": connected"}, 20s))
          << rig.sim().output();
    }
    rig.device_fault(heat, "clear");
    Outcome reset = rig.ctl({"reset", zone});
    EXPECT_EQ(reset.exit_code, 0) << reset.output;
    if (latched && off && reset.exit_code == 0 && rig.all_running()) ++tally.survived;
    rig.check_invariants(tally);
  }
  report(tally);
  EXPECT_EQ(tally.survived, tally.injected);
  EXPECT_EQ(tally.violations, 0);
}

TEST(Faults, ALatchedFaultSurvivesAKill) {
  // A pad overheats mid-session and latches overtemp; padtimerd is killed (the watchdog, a
  // crash) and comes back: the zone is still latched until someone resets it.
  RigOptions o;
  o.zones = 2;
  o.time_scale = 60;
  Rig rig(o);
  rig.start_daemon();
  Tally tally{"kill_while_latched"};
  rig.phone();
  for (int c = 0; c < 2 * rounds(); ++c) {
    const int i = c % rig.zones();
    const std::string zone = Rig::zone(i);
    const std::string heat = rig.heat_device(i);
    ASSERT_EQ(start_heating(rig, i, tally), "");
    std::size_t event_cursor = rig.phone().output().size();
    rig.device_fault(heat, "sensor_hot");
    ASSERT_TRUE(rig.wait_line(rig.phone(), event_cursor,
                              {"padtimer/" + zone + "/event ", R"("reason":"overtemp")"}, 30s))
        << rig.phone().output();
    rig.kill_daemon();
    ++tally.injected;
    rig.device_fault(heat, "clear");
    rig.start_daemon();
    Outcome again = rig.ctl({"start", zone, Rig::kRoutine});
    EXPECT_EQ(again.exit_code, 1) << again.output;
    EXPECT_TRUE(again.has("fault_latched") && again.has("overtemp")) << again.output;
    Outcome reset = rig.ctl({"reset", zone});
    EXPECT_EQ(reset.exit_code, 0) << reset.output;
    if (again.exit_code == 1 && again.has("fault_latched") && reset.exit_code == 0) {
      ++tally.survived;
    }
    rig.check_invariants(tally);
  }
  report(tally);
  EXPECT_EQ(tally.survived, tally.injected);
  EXPECT_EQ(tally.violations, 0);
}

TEST(Faults, AClockThatComesUpBehindRefusesStartsUntilNtpSetsIt) {
  // A Pi without RTC: padtimerd dies mid-heat, the machine comes back with its clock 2 min
  // (scaled) behind the last record, and NTP sets it a little later (libfaketime moves
  // padtimerd's wall clock). Starts wait for the step, then go by the real time again.
  RigOptions o;
  o.zones = 2;
  o.time_scale = 60;
  o.faketime = true;
  Rig rig(o);
  rig.phone();
  rig.start_daemon();
  Tally tally{"clock_behind_at_start"};
  ASSERT_EQ(start_heating(rig, 0, tally), "");
  rig.let_pass(1500ms);
  rig.kill_daemon();
  rig.jump_wall(-2s);
  ++tally.injected;
  rig.start_daemon();
  Outcome behind = rig.ctl({"start", "z0", Rig::kRoutine});
  EXPECT_EQ(behind.exit_code, 1) << behind.output;
  EXPECT_TRUE(behind.has("clock_not_set")) << behind.output;
  // It runs past the record (3 real seconds = 3 scaled minutes): still not set.
  rig.let_pass(3000ms);
  Outcome running = rig.ctl({"start", "z0", Rig::kRoutine});
  EXPECT_TRUE(running.has("clock_not_set")) << running.output;
  rig.jump_wall(0s);  // NTP
  // Once set, the start waits only for the rest after the pad's last moment ON (20 scaled
  // minutes plus the run-on after a crash: about 25 real seconds). Asked once a second: a
  // padtimerctl per few milliseconds would test the broker's accept queue, not padtimerd.
  Outcome set;
  const bool started = rig.wait_until(
      [&] {
        set = rig.ctl({"start", "z0", Rig::kRoutine});
        const bool waiting =
            set.has("clock_not_set") || set.has("rest_interval") || set.has("device_not_ready");
        if (set.exit_code != 0 && waiting) rig.let_pass(1000ms);
        return set.exit_code == 0 || !waiting;
      },
      40s);
  EXPECT_TRUE(started && set.exit_code == 0) << set.output << rig.daemon().output();
  if (behind.has("clock_not_set") && running.has("clock_not_set") && set.exit_code == 0) {
    ++tally.survived;
  }
  rig.check_invariants(tally);
  report(tally);
  EXPECT_EQ(tally.survived, tally.injected);
  EXPECT_EQ(tally.violations, 0);
}

// ---- The wall clock jumps --------------------------------------------------------------

// "HH:MM" of the local minute at or after `t`.
std::string local_hhmm_at_or_after(std::time_t t) {
  std::tm local{};
  localtime_r(&t, &local);
  if (local.tm_sec != 0) {
    t += 60 - local.tm_sec;
    localtime_r(&t, &local);
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", local.tm_hour, local.tm_min);
  return buf;
}

// The session_started events of zone i the phone has seen.
int sessions_started(Rig& rig, int i) {
  int n = 0;
  const std::string prefix = "padtimer/" + Rig::zone(i) + "/event ";
  std::size_t cursor = 0;
  while (rig.wait_line(rig.phone(), cursor, {prefix, R"("event":"session_started")"}, 0ms))
    ++n;
  return n;
}

TEST(Faults, WallClockJumpsDuringSessionsAndAroundSchedules) {
  // At 60 times, one real second is a minute of padtimerd's clock. Schedules: z2 about
  // 13 minutes ahead (jumped over: it must never run), z3 ten minutes after it (runs once;
  // then the clock jumps back before both and forward over both again).
  const std::time_t now = std::time(nullptr);
  const std::string missed_at = local_hhmm_at_or_after(now + 13 * 60);
  const std::string runs_at = local_hhmm_at_or_after(now + 13 * 60 + 10 * 60);
  RigOptions o;
  o.zones = 4;
  o.time_scale = 60;
  o.faketime = true;
  o.schedules = "  - zone: z2\n    routine: therapy\n    at: \"" + missed_at +
                "\"\n    days: daily\n  - zone: z3\n    routine: therapy\n    at: \"" + runs_at +
                "\"\n    days: daily\n";
  Rig rig(o);
  rig.phone();
  rig.start_daemon();
  Tally tally{"wall_clock_jumps"};
  std::chrono::seconds offset{0};
  auto jump = [&](std::chrono::seconds by) {
    offset += by;
    rig.jump_wall(offset);
    ++tally.injected;
  };
  std::size_t cursor = 0;

  // 1. Forward 18 min, over z2's schedule and past its grace: skipped as start_missed.
  jump(18s);
  const bool skipped = rig.wait_line(rig.phone(), cursor,
                                     {"padtimer/z2/event ", R"("event":"schedule_skipped")",
                                      R"("reason":"start_missed")"},
                                     20s)
                           .has_value();
  EXPECT_TRUE(skipped) << rig.phone().output() << rig.daemon().output();

  // 2. z3's schedule runs; then back 10 min, before both schedules' times again.
  cursor = 0;
  const bool z3_started = rig.wait_line(rig.phone(), cursor,
                                        {"padtimer/z3/event ", R"("event":"session_started")"}, 30s)
                              .has_value();
  EXPECT_TRUE(z3_started) << rig.phone().output() << rig.daemon().output();
  jump(-10s);

  // 3. Sessions on z0 and z1 while the clock jumps forward 2 h (over both schedules' times
  //    once more) and back 4 h.
  for (int i : {0, 1}) {
    ASSERT_EQ(start_heating(rig, i, tally), "");
    jump(i == 0 ? 120s : -240s);
  }

  // Each session runs its course on the monotonic clock, and the rest interval holds
  // after it whatever the wall clock says.
  std::map<int, bool> held;
  for (int i : {3, 0, 1}) {
    cursor = 0;
    auto ended =
        rig.wait_line(rig.phone(), cursor,
                      {"padtimer/" + Rig::zone(i) + "/event ", R"("event":"session_ended")"}, 60s);
    ASSERT_TRUE(ended) << rig.phone().output();
    EXPECT_TRUE(has(*ended, R"("outcome":"completed")")) << *ended;
    Outcome again = rig.ctl({"start", Rig::zone(i), Rig::kRoutine});
    EXPECT_EQ(again.exit_code, 1) << again.output;
    EXPECT_TRUE(has(again.output, "rest_interval")) << again.output;
    held[i] = has(*ended, R"("outcome":"completed")") && has(again.output, "rest_interval");
  }
  const int z2_starts = sessions_started(rig, 2);
  const int z3_starts = sessions_started(rig, 3);
  EXPECT_EQ(z2_starts, 0) << rig.phone().output();
  EXPECT_EQ(z3_starts, 1) << rig.phone().output();
  tally.survived =
      (skipped && z2_starts == 0) + (z3_started && z3_starts == 1 && held[3]) + held[0] + held[1];
  rig.check_invariants(tally);
  report(tally);
  EXPECT_EQ(tally.survived, tally.injected);
  EXPECT_EQ(tally.violations, 0);
}

}  // namespace
}  // namespace padtimer::testing::faults
