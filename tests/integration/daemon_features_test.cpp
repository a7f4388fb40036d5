// padtimerd's features end to end, each against the real padtimerd, the real padtimer-sim
// (two Tasmota plugs for zone back, heat and cold, and one for a zone neck that reloads
// add) and a real mosquitto: a routine run to its end at --time-scale, the rest interval,
// SIGHUP reloads, schedules (due, refused, missed while padtimerd was down), MQTT 5
// response topics, and padtimerctl against it. The phone is mosquitto_pub/mosquitto_sub
// or padtimerctl.
//
// Waiting is always for a line a process prints, never a sleep. A subscriber is known to
// be subscribed once it has received a retained marker; what a broker holds retained is
// read by subscribing to the topic and then the marker, which the broker delivers after
// the topic's retained message, if there is one.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "broker.h"
#include "ctl_runner.h"
#include "json/json.h"
#include "process.h"

namespace padtimer::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kWait = 20s;
// heat 15m, rest 5m, cold 10m at --time-scale 120: 15 s.
constexpr auto kRoutineWait = 60s;
const std::string kMarker = "padtimer-test/marker";

// Reads `p` until a line holds every one of `parts`; returns that line.
std::optional<std::string> wait_for_all(ChildProcess& p, const std::vector<std::string>& parts,
                                        std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left <= 0ms) return std::nullopt;
    auto line = p.wait_for_line(parts.front(), left);
    if (!line) return std::nullopt;
    if (std::all_of(parts.begin() + 1, parts.end(), [&](const std::string& part) {
          return line->find(part) != std::string::npos;
        })) {
      return line;
    }
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// The payloads a `mosquitto_sub -v` printed for `topic`, in order.
std::vector<std::string> payloads(const std::string& output, const std::string& topic) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(output)) {
    if (line.starts_with(topic + " ")) out.push_back(line.substr(topic.size() + 1));
  }
  return out;
}

std::string text_member(const json::Value& doc, std::string_view key) {
  const json::Value* v = doc.find(key);
  return v && v->as_string() ? *v->as_string() : std::string();
}

// Each event as "name", "name kind" (phase events) or "name outcome" (session_ended).
std::vector<std::string> event_sequence(const std::string& output, const std::string& topic) {
  std::vector<std::string> out;
  for (const std::string& payload : payloads(output, topic)) {
    auto doc = json::parse(payload);
    if (!doc) {
      out.push_back("unparsable: " + payload);
      continue;
    }
    std::string event = text_member(*doc.value, "event");
    if (event.starts_with("phase_")) event += " " + text_member(*doc.value, "phase_kind");
    if (event == "session_ended") event += " " + text_member(*doc.value, "outcome");
    out.push_back(event);
  }
  return out;
}

// A whole local minute, as time and as a schedule's "HH:MM".
struct LocalMinute {
  std::time_t at = 0;
  std::string hhmm;
};

// The local minute `offset` from now: the one it falls in, or with `round_up` the first
// whole minute at or after it (the hour and the day roll over as they must).
LocalMinute local_minute(std::chrono::seconds offset, bool round_up = false) {
  std::time_t t = std::time(nullptr) + offset.count();
  std::tm local{};
  localtime_r(&t, &local);
  t += round_up && local.tm_sec != 0 ? 60 - local.tm_sec : -local.tm_sec;
  localtime_r(&t, &local);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", local.tm_hour, local.tm_min);
  return {t, buf};
}

// "2026-11-24T16:37:" for the UTC minute of `t`: how an event's "at" in it starts.
std::string utc_minute(std::time_t t) {
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:", &utc);
  return buf;
}

// A line `p` printed holding `needle`, before now or within `timeout`.
std::optional<std::string> seen_or_wait(ChildProcess& p, const std::string& needle,
                                        std::chrono::milliseconds timeout) {
  for (const std::string& line : lines_of(p.output())) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return p.wait_for_line(needle, timeout);
}

struct Plan {
  bool neck = false;      // a second zone, neck, with the sim's third plug
  std::string schedules;  // the schedules: section's entries, if any
};

class Padtimerd : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(state_dir());
    write_config();
    send(kMarker, "here", {"-r"});
    sim_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{PADTIMER_SIM_PATH, "--broker", broker_.url(), "--device",
                                 "tasmota:heat_pad,topic=it_heat,sensor=none", "--device",
                                 "tasmota:cold_pack,topic=it_cold,role=cold,sensor=none",
                                 "--device", "tasmota:neck_pad,topic=it_neck,sensor=none"});
    ASSERT_TRUE(sim_->wait_for_line("padtimer-sim: connected", kWait)) << sim_->output();
    phone_ = subscribe({"padtimer/#"});
  }

  std::string config_path() const { return dir_.file("padtimer.yaml"); }
  std::string state_dir() const { return dir_.file("state"); }

  // Timings fit for a scaled clock: the engine's confirmations, leases and margins run on
  // it, the plugs in real time (1 min is 1 s at 60 times). The rest between sessions is
  // 24 h, longer than any test.
  std::string config_text(const Plan& plan = {}) const {
    std::string text = "mqtt:\n  url: " + broker_.url() +
                       "\n  client_id: padtimerd-it\n"
                       "safety:\n  confirm_timeout: 60s\n  lease: 10m\n  lease_rearm: 1m\n"
                       "  lease_margin: 30s\n  state_refresh: 10m\n"
                       "devices:\n"
                       "  heat_pad:\n    driver: tasmota\n    role: heat\n    topic: it_heat\n"
                       "  cold_pack:\n    driver: tasmota\n    role: cold\n    topic: it_cold\n";
    if (plan.neck) text += "  neck_pad:\n    driver: tasmota\n    role: heat\n    topic: it_neck\n";
    text += "zones:\n  back:\n    heat: heat_pad\n    cold: cold_pack\n    min_rest: 24h\n";
    if (plan.neck) text += "  neck:\n    heat: neck_pad\n    min_rest: 24h\n";
    text += "routines:\n  evening:\n    - heat: 15m\n    - rest: 5m\n    - cold: 10m\n";
    if (!plan.schedules.empty()) text += "schedules:\n" + plan.schedules;
    return text;
  }

  void write_config(const Plan& plan = {}) const { dir_.write("padtimer.yaml", config_text(plan)); }

  // One schedule of `evening` on back, daily.
  static std::string schedule(const std::string& at, const std::string& grace = "0m") {
    return "  - zone: back\n    routine: evening\n    at: \"" + at +
           "\"\n    days: daily\n    grace: " + grace + "\n";
  }

  std::unique_ptr<ChildProcess> start_daemon(const std::string& time_scale = "60") {
    auto d = std::make_unique<ChildProcess>(
        std::vector<std::string>{PADTIMERD_PATH, "--config", config_path(), "--state-dir",
                                 state_dir(), "--time-scale", time_scale});
    if (!d->wait_for_line("mqtt: connected", kWait)) {
      ADD_FAILURE() << "padtimerd did not connect:\n" << d->output();
    }
    return d;
  }

  // SIGTERM; its exit code.
  static int stop_daemon(ChildProcess& d) {
    d.signal(SIGTERM);
    return exit_code(d.wait(kWait));
  }

  // The retained state of `zone` says ready: its plugs confirmed the start-up OFF.
  bool ready(const std::string& zone = "back") {
    return wait_for_all(*phone_, {"padtimer/" + zone + "/state ", R"("ready":true)"}, kWait)
        .has_value();
  }

  // mosquitto_sub on `topics` (and the marker), once it is subscribed.
  std::unique_ptr<ChildProcess> subscribe(const std::vector<std::string>& topics,
                                          const std::vector<std::string>& options = {"-v"}) {
    std::vector<std::string> argv{"mosquitto_sub", "-h", "127.0.0.1", "-p",
                                  std::to_string(broker_.port())};
    argv.insert(argv.end(), options.begin(), options.end());
    for (const std::string& t : topics) {
      argv.push_back("-t");
      argv.push_back(t);
    }
    argv.push_back("-t");
    argv.push_back(kMarker);
    auto sub = std::make_unique<ChildProcess>(argv);
    if (!sub->wait_for_line(kMarker, kWait)) {
      throw std::runtime_error("mosquitto_sub did not subscribe: " + sub->output());
    }
    return sub;
  }

  // What a new subscriber to `topic` gets retained: its payload, or nothing.
  std::optional<std::string> retained(const std::string& topic) {
    auto sub = subscribe({topic});
    auto found = payloads(sub->output(), topic);
    if (found.empty()) return std::nullopt;
    return found.front();
  }

  void send(const std::string& topic, const std::string& payload,
            const std::vector<std::string>& options = {}) {
    std::vector<std::string> argv{
        "mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_.port()), "-q", "1", "-t",
        topic,           "-m", payload};
    argv.insert(argv.end(), options.begin(), options.end());
    ChildProcess pub(argv);
    ASSERT_EQ(exit_code(pub.wait(kWait)), 0) << pub.output();
  }

  Outcome ctl(const std::vector<std::string>& args, Stream stream = Stream::both) const {
    std::vector<std::string> all{"--broker", broker_.url(), "--timeout", "10s"};
    all.insert(all.end(), args.begin(), args.end());
    return run_ctl(all, stream);
  }

  // The output lines of the sim's plugs of zone back that switched a relay, as
  // "heat_pad ON" / "heat_pad OFF"; fails the test if both were ever ON together.
  std::vector<std::string> relay_changes() {
    std::vector<std::string> changes;
    bool heat_on = false;
    bool cold_on = false;
    for (const std::string& line : lines_of(sim_->output())) {
      for (auto [name, on] : {std::pair<std::string, bool*>{"heat_pad", &heat_on},
                              std::pair<std::string, bool*>{"cold_pack", &cold_on}}) {
        if (!line.starts_with(name + ": ")) continue;
        bool now_on = *on;
        if (line.find("relay ON") != std::string::npos ||
            line.find("relay still ON") != std::string::npos) {
          now_on = true;
        } else if (line.find("relay OFF") != std::string::npos) {
          now_on = false;
        }
        if (now_on != *on) changes.push_back(name + (now_on ? " ON" : " OFF"));
        *on = now_on;
      }
      EXPECT_FALSE(heat_on && cold_on) << "both ON at: " << line << "\n" << sim_->output();
    }
    return changes;
  }

  Broker broker_;
  TempDir dir_;
  std::unique_ptr<ChildProcess> sim_;
  std::unique_ptr<ChildProcess> phone_;
};

// ---- A routine, the rest interval ------------------------------------------------------

TEST_F(Padtimerd, RoutineRunsToCompletionAtTimeScale) {
  // 120 times: the 30-minute routine takes 15 s.
  auto d = start_daemon("120");
  ASSERT_TRUE(ready()) << phone_->output() << d->output();
  Outcome start = ctl({"start", "back", "evening"});
  ASSERT_EQ(start.exit_code, 0) << start.output;
  EXPECT_TRUE(start.has("back: started evening on back")) << start.output;

  auto ended =
      wait_for_all(*phone_, {"padtimer/back/event ", R"("event":"session_ended")"}, kRoutineWait);
  ASSERT_TRUE(ended) << phone_->output() << d->output();
  EXPECT_NE(ended->find(R"("outcome":"completed")"), std::string::npos) << *ended;
  EXPECT_EQ(
      event_sequence(phone_->output(), "padtimer/back/event"),
      (std::vector<std::string>{"session_started", "phase_started heat", "phase_ended heat",
                                "phase_started rest", "phase_ended rest", "phase_started cold",
                                "phase_ended cold", "session_ended completed"}));

  // The plugs: heat ON, then OFF, and only then cold ON (never both), then OFF.
  ASSERT_TRUE(sim_->wait_for_line("cold_pack: relay OFF", kWait)) << sim_->output();
  EXPECT_EQ(relay_changes(), (std::vector<std::string>{"heat_pad ON", "heat_pad OFF",
                                                       "cold_pack ON", "cold_pack OFF"}))
      << sim_->output();

  // Every state said the clock runs 120 times faster.
  auto states = payloads(phone_->output(), "padtimer/back/state");
  ASSERT_FALSE(states.empty());
  for (const std::string& s : states)
    EXPECT_NE(s.find(R"("time_scale":120)"), std::string::npos) << s;

  // The retained history has the session, and padtimerctl prints it.
  auto history = retained("padtimer/back/history");
  ASSERT_TRUE(history) << phone_->output();
  auto doc = json::parse(*history);
  ASSERT_TRUE(doc) << *history;
  const json::Value* sessions = doc.value->find("sessions");
  ASSERT_TRUE(sessions && sessions->as_array() && sessions->as_array()->size() == 1) << *history;
  const json::Value& session = sessions->as_array()->front();
  EXPECT_EQ(text_member(session, "routine"), "evening") << *history;
  EXPECT_EQ(text_member(session, "outcome"), "completed") << *history;
  const json::Value* phases = session.find("phases");
  ASSERT_TRUE(phases && phases->as_array() && phases->as_array()->size() == 3) << *history;
  EXPECT_EQ(text_member((*phases->as_array())[2], "kind"), "cold") << *history;

  Outcome printed = ctl({"history", "back"}, Stream::stdout_only);
  EXPECT_EQ(printed.exit_code, 0) << printed.output;
  EXPECT_TRUE(printed.has("back: 1 session, newest first")) << printed.output;
  EXPECT_TRUE(printed.has("  evening  completed  exposure ")) << printed.output;
  EXPECT_TRUE(printed.has("phase 3 cold ")) << printed.output;

  // Right after it, the rest interval refuses another start.
  Outcome again = ctl({"start", "back", "evening"}, Stream::stderr_only);
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_TRUE(again.has("padtimerctl: refused (rest_interval): ")) << again.output;
}

TEST_F(Padtimerd, StartAfterAStoppedSessionIsRefusedForRest) {
  auto d = start_daemon();
  ASSERT_TRUE(ready()) << phone_->output() << d->output();
  Outcome start = ctl({"start", "back", "evening"});
  ASSERT_EQ(start.exit_code, 0) << start.output;
  Outcome stop = ctl({"stop", "back"});
  ASSERT_EQ(stop.exit_code, 0) << stop.output;
  ASSERT_TRUE(wait_for_all(*phone_, {"padtimer/back/event ", R"("outcome":"stopped")"}, kWait))
      << phone_->output();

  Outcome again = ctl({"start", "back", "evening"}, Stream::stderr_only);
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_TRUE(again.has("padtimerctl: refused (rest_interval): ")) << again.output;
  EXPECT_TRUE(again.has("may start again")) << again.output;
}

// ---- SIGHUP ------------------------------------------------------------------------------

TEST_F(Padtimerd, ReloadOfABadConfigKeepsTheRunningOne) {
  auto d = start_daemon();
  ASSERT_TRUE(ready()) << phone_->output() << d->output();
  auto info = retained("padtimer/info");
  ASSERT_TRUE(info) << phone_->output();

  const std::string good = config_text();
  const auto bad_line = std::count(good.begin(), good.end(), '\n') + 1;
  dir_.write("padtimer.yaml", good + "bogus: 1\n");
  d->signal(SIGHUP);
  EXPECT_TRUE(d->wait_for_line(
      "reload: " + config_path() + ":" + std::to_string(bad_line) + ":1: unknown key 'bogus'",
      kWait))
      << d->output();
  ASSERT_TRUE(d->wait_for_line("keeping the running configuration", kWait)) << d->output();

  // Still running, on the old configuration.
  EXPECT_TRUE(d->running());
  EXPECT_EQ(retained("padtimer/info"), info);
  Outcome start = ctl({"start", "back", "evening"});
  EXPECT_EQ(start.exit_code, 0) << start.output << d->output();
}

TEST_F(Padtimerd, ReloadAddsAndRemovesAZone) {
  auto d = start_daemon();
  ASSERT_TRUE(ready()) << phone_->output() << d->output();

  write_config({.neck = true, .schedules = ""});
  d->signal(SIGHUP);
  ASSERT_TRUE(d->wait_for_line("reload: applied", kWait)) << d->output();
  EXPECT_TRUE(wait_for_all(*phone_, {"padtimer/info ", R"("zones":["back","neck"])"}, kWait))
      << phone_->output();
  EXPECT_TRUE(ready("neck")) << phone_->output() << d->output();
  auto info = retained("padtimer/info");
  ASSERT_TRUE(info);
  EXPECT_NE(info->find(R"("zones":["back","neck"])"), std::string::npos) << *info;
  auto neck = retained("padtimer/neck/state");
  ASSERT_TRUE(neck);
  EXPECT_NE(neck->find(R"("zone":"neck")"), std::string::npos) << *neck;
  EXPECT_TRUE(retained("padtimer/neck/history"));

  write_config();
  d->signal(SIGHUP);
  EXPECT_TRUE(d->wait_for_line("reload: zone neck removed", kWait)) << d->output();
  ASSERT_TRUE(d->wait_for_line("reload: applied", kWait)) << d->output();
  // The phone sees the retained state cleared: the topic with an empty payload.
  for (;;) {
    auto line = phone_->wait_for_line("padtimer/neck/state", kWait);
    ASSERT_TRUE(line) << phone_->output();
    if (line->find('{') == std::string::npos) break;
  }
  EXPECT_FALSE(retained("padtimer/neck/state")) << "still retained";
  EXPECT_FALSE(retained("padtimer/neck/history")) << "still retained";
  info = retained("padtimer/info");
  ASSERT_TRUE(info);
  EXPECT_NE(info->find(R"("zones":["back"])"), std::string::npos) << *info;
}

TEST_F(Padtimerd, ReloadDuringASessionIsAppliedWhenItEnds) {
  auto d = start_daemon();
  ASSERT_TRUE(ready()) << phone_->output() << d->output();
  Outcome start = ctl({"start", "back", "evening"});
  ASSERT_EQ(start.exit_code, 0) << start.output;

  write_config({.neck = true, .schedules = ""});
  d->signal(SIGHUP);
  ASSERT_TRUE(d->wait_for_line(
      "reload: the new configuration is applied when the session(s) on back end", kWait))
      << d->output();
  auto info = retained("padtimer/info");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->find("neck"), std::string::npos) << "applied too early: " << *info;
  EXPECT_FALSE(retained("padtimer/neck/state")) << "applied too early";

  Outcome stop = ctl({"stop", "back"});
  ASSERT_EQ(stop.exit_code, 0) << stop.output;
  ASSERT_TRUE(d->wait_for_line("reload: applied", kWait)) << d->output();
  ASSERT_TRUE(wait_for_all(*phone_, {"padtimer/info ", "neck"}, kWait)) << phone_->output();
  const std::string& seen = phone_->output();
  const auto ended = seen.find(R"("event":"session_ended")");
  ASSERT_NE(ended, std::string::npos) << seen;
  EXPECT_LT(ended, seen.find("padtimer/neck/state ")) << seen;
  EXPECT_TRUE(retained("padtimer/neck/state"));
}

// ---- Schedules ---------------------------------------------------------------------------

TEST_F(Padtimerd, ScheduleStartsASessionByItself) {
  // Two to three minutes ahead: two to three seconds at 60 times.
  const LocalMinute at = local_minute(120s, true);
  write_config({.schedules = schedule(at.hhmm)});
  auto d = start_daemon();
  auto started =
      wait_for_all(*phone_, {"padtimer/back/event ", R"("event":"session_started")"}, kWait);
  ASSERT_TRUE(started) << phone_->output() << d->output();
  EXPECT_NE(started->find("(scheduled)"), std::string::npos) << *started;
  // In the minute it was scheduled for (padtimerd's clock runs from the real time).
  EXPECT_NE(started->find(R"("at":")" + utc_minute(at.at)), std::string::npos)
      << at.hhmm << " local: " << *started;
  EXPECT_TRUE(wait_for_all(*phone_, {"padtimer/back/event ", R"("event":"phase_started")"}, kWait))
      << phone_->output();
  EXPECT_TRUE(sim_->wait_for_line("heat_pad: relay ON (heat)", kWait)) << sim_->output();
  EXPECT_EQ(phone_->output().find("schedule_skipped"), std::string::npos) << phone_->output();
}

TEST_F(Padtimerd, RefusedScheduledStartIsReported) {
  // The cold plug is offline before padtimerd starts.
  auto lwt = subscribe({"tele/it_cold/LWT"});
  send("padtimer-sim/cold_pack/fault", "offline");
  ASSERT_TRUE(lwt->wait_for_line("tele/it_cold/LWT Offline", kWait)) << lwt->output();

  write_config({.schedules = schedule(local_minute(120s, true).hhmm)});
  auto d = start_daemon();
  auto skipped =
      wait_for_all(*phone_, {"padtimer/back/event ", R"("event":"schedule_skipped")"}, kWait);
  ASSERT_TRUE(skipped) << phone_->output() << d->output();
  EXPECT_NE(skipped->find(R"("reason":"device_offline")"), std::string::npos) << *skipped;
  EXPECT_NE(skipped->find("scheduled evening skipped: cold_pack is offline"), std::string::npos)
      << *skipped;
  EXPECT_EQ(phone_->output().find("session_started"), std::string::npos) << phone_->output();
}

class MissedSchedule : public Padtimerd {
 protected:
  // padtimerd ran once (its database exists), then was down for two hours: the schedules
  // were last checked two hours ago, and `evening` was due an hour ago. Then it starts again.
  std::unique_ptr<ChildProcess> restart_after_two_hours_down(const std::string& grace) {
    write_config({.schedules = schedule(local_minute(-1h).hhmm, grace)});
    {
      auto first = start_daemon();
      EXPECT_EQ(stop_daemon(*first), 0) << first->output();
    }
    const auto two_hours_ago = std::chrono::duration_cast<std::chrono::milliseconds>(
        (std::chrono::system_clock::now() - 2h).time_since_epoch());
    ChildProcess sql({SQLITE3_PATH, state_dir() + "/padtimer.db",
                      "INSERT OR REPLACE INTO daemon_state(key, value) VALUES "
                      "('schedules_checked_until', " +
                          std::to_string(two_hours_ago.count()) + ")"});
    EXPECT_EQ(exit_code(sql.wait(kWait)), 0) << sql.output();
    return start_daemon();
  }
};

TEST_F(MissedSchedule, WithoutGraceItIsReportedAndNotRunLate) {
  auto d = restart_after_two_hours_down("0m");
  auto skipped =
      wait_for_all(*phone_, {"padtimer/back/event ", R"("event":"schedule_skipped")"}, kWait);
  ASSERT_TRUE(skipped) << phone_->output() << d->output();
  EXPECT_NE(skipped->find(R"("reason":"start_missed")"), std::string::npos) << *skipped;
  // No session: padtimerd has none to stop.
  Outcome stop = ctl({"stop", "back"}, Stream::stderr_only);
  EXPECT_EQ(stop.exit_code, 1) << stop.output;
  EXPECT_TRUE(stop.has("refused (not_running)")) << stop.output;
  EXPECT_EQ(phone_->output().find("session_started"), std::string::npos) << phone_->output();
}

TEST_F(MissedSchedule, WithinItsGraceItStartsOnceTheDevicesAreReady) {
  auto d = restart_after_two_hours_down("2h");
  auto started =
      wait_for_all(*phone_, {"padtimer/back/event ", R"("event":"session_started")"}, kWait);
  ASSERT_TRUE(started) << phone_->output() << d->output();
  EXPECT_NE(started->find("(scheduled)"), std::string::npos) << *started;
  EXPECT_TRUE(sim_->wait_for_line("heat_pad: relay ON (heat)", kWait)) << sim_->output();
  EXPECT_EQ(phone_->output().find("schedule_skipped"), std::string::npos) << phone_->output();
}

// ---- MQTT 5 and padtimerctl ----------------------------------------------------------------

TEST_F(Padtimerd, Mqtt5RequestIsAnsweredOnItsResponseTopic) {
  auto d = start_daemon();
  auto replies =
      subscribe({"phone/replies/#", "padtimer/back/result"}, {"-V", "mqttv5", "-F", "%t [%D] %p"});
  const std::vector<std::string> v5{"-V", "mqttv5", "-D", "publish", "response-topic"};

  auto ask = [&](const std::string& payload, const std::string& reply_to,
                 const std::string& correlation) {
    std::vector<std::string> options = v5;
    options.insert(options.end(), {reply_to, "-D", "publish", "correlation-data", correlation});
    send("padtimer/back/set", payload, options);
  };
  ask(R"({"action":"stop","id":"m5"})", "phone/replies/7", "corr-42");
  auto reply = replies->wait_for_line("phone/replies/7 [corr-42] ", kWait);
  ASSERT_TRUE(reply) << replies->output() << d->output();
  EXPECT_NE(reply->find(R"({"id":"m5","ok":false,"code":"not_running")"), std::string::npos)
      << *reply;
  // Also on the zone's result topic, as for every request.
  auto result = seen_or_wait(*replies, R"(padtimer/back/result [] {"id":"m5")", kWait);
  ASSERT_TRUE(result) << replies->output();
  EXPECT_NE(result->find(R"("code":"not_running")"), std::string::npos) << *result;

  // A request refused before it reaches the engine is answered the same way.
  ask(R"({"action":)", "phone/replies/8", "corr-43");
  reply = replies->wait_for_line("phone/replies/8 [corr-43] ", kWait);
  ASSERT_TRUE(reply) << replies->output();
  EXPECT_NE(reply->find(R"("code":"bad_request")"), std::string::npos) << *reply;
}

// ---- Home Assistant discovery ----------------------------------------------------------

TEST_F(Padtimerd, HomeAssistantDiscoveryFollowsTheZones) {
  const std::string back = "homeassistant/device/padtimer_back/config";
  const std::string neck = "homeassistant/device/padtimer_neck/config";
  write_config({.neck = true, .schedules = ""});
  auto ha = subscribe({"homeassistant/#"});
  auto d = start_daemon();
  // Retained at start-up, one device per zone.
  ASSERT_TRUE(wait_for_all(*ha, {neck + " {", R"("cmps")"}, kWait)) << ha->output();
  auto doc = retained(back);
  ASSERT_TRUE(doc);
  auto parsed = json::parse(*doc);
  ASSERT_TRUE(parsed.value) << *doc;
  EXPECT_EQ(parsed.value->find("dev")->find("ids")->dump(), R"(["padtimer_back"])");
  EXPECT_EQ(text_member(*parsed.value, "availability_topic"), "padtimer/status");
  const json::Value* start = parsed.value->find("cmps")->find("start_evening");
  ASSERT_TRUE(start) << *doc;
  EXPECT_EQ(text_member(*start, "command_topic"), "padtimer/back/start");

  // Home Assistant restarts: its birth message brings every document again.
  send("homeassistant/status", "online");
  EXPECT_TRUE(d->wait_for_line("home assistant is online", kWait)) << d->output();
  EXPECT_TRUE(ha->wait_for_line(back + " {", kWait)) << ha->output();
  EXPECT_TRUE(ha->wait_for_line(neck + " {", kWait)) << ha->output();

  // Its buttons work: the start button's topic and payload start the routine.
  ASSERT_TRUE(ready()) << phone_->output() << d->output();
  send(text_member(*start, "command_topic"), text_member(*start, "payload_press"));
  EXPECT_TRUE(wait_for_all(*phone_, {"padtimer/back/state ", R"("status":"heat")"}, kWait))
      << phone_->output() << d->output();
  send("padtimer/back/stop", "PRESS");  // the stop button: Home Assistant's default payload
  EXPECT_TRUE(wait_for_all(*phone_, {"padtimer/back/event ", R"("outcome":"stopped")"}, kWait))
      << phone_->output() << d->output();

  // A zone removed by a reload is removed from Home Assistant: an empty retained payload.
  write_config();
  d->signal(SIGHUP);
  EXPECT_TRUE(d->wait_for_line("home assistant: removed " + neck, kWait)) << d->output();
  for (;;) {
    auto line = ha->wait_for_line(neck, kWait);
    ASSERT_TRUE(line) << ha->output();
    if (line->find('{') == std::string::npos) break;
  }
  EXPECT_FALSE(retained(neck)) << "still retained";
  EXPECT_TRUE(retained(back));
  EXPECT_EQ(stop_daemon(*d), 0) << d->output();

  // Across a restart too: the state database remembers what was published.
  write_config({.neck = true, .schedules = ""});
  d = start_daemon();
  ASSERT_TRUE(wait_for_all(*ha, {neck + " {", R"("cmps")"}, kWait)) << ha->output();
  EXPECT_EQ(stop_daemon(*d), 0) << d->output();
  write_config();
  d = start_daemon();
  EXPECT_TRUE(seen_or_wait(*d, "home assistant: removed " + neck, kWait)) << d->output();
  EXPECT_FALSE(retained(neck)) << "still retained";
}

TEST_F(Padtimerd, HomeAssistantDiscoveryTurnedOffRemovesWhatWasPublished) {
  const std::string back = "homeassistant/device/padtimer_back/config";
  auto d = start_daemon();
  auto ha = subscribe({"homeassistant/#"});
  ASSERT_TRUE(seen_or_wait(*ha, back + " {", kWait)) << ha->output();
  EXPECT_EQ(stop_daemon(*d), 0) << d->output();
  dir_.write("padtimer.yaml", config_text() + "home_assistant:\n  discovery: false\n");
  d = start_daemon();
  EXPECT_TRUE(seen_or_wait(*d, "home assistant: removed " + back, kWait)) << d->output();
  EXPECT_FALSE(retained(back)) << "still retained";
  // And nothing is published again when Home Assistant comes online.
  send("homeassistant/status", "online");
  send(kMarker, "after");
  ASSERT_TRUE(ha->wait_for_line(kMarker + " after", kWait)) << ha->output();
  // The last thing on the topic is the removal (mosquitto_sub shows it as "(null)").
  EXPECT_EQ(payloads(ha->output(), back).back(), "(null)") << ha->output();
}

TEST_F(Padtimerd, PadtimerctlShowsStatusAndWatchesPhases) {
  auto d = start_daemon();
  ASSERT_TRUE(ready()) << phone_->output() << d->output();
  Outcome status = ctl({"status"}, Stream::stdout_only);
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_TRUE(status.has("padtimerd 0.1.0 online")) << status.output;
  EXPECT_TRUE(status.has("\nback: idle\n  ready       yes\n")) << status.output;
  EXPECT_TRUE(status.has("heat_pad (heat): off, -, online")) << status.output;
  EXPECT_TRUE(status.has("  time scale  60\n")) << status.output;
  EXPECT_NE(payloads(phone_->output(), "padtimer/back/state").back().find(R"("time_scale":60)"),
            std::string::npos);

  // Not a terminal: one line per state change and per event.
  ChildProcess watch(
      ctl_argv({"--broker", broker_.url(), "--timeout", "10s", "watch"}, Stream::both));
  ASSERT_TRUE(watch.wait_for_line("connected to " + broker_.url(), kWait)) << watch.output();
  ASSERT_TRUE(watch.wait_for_line("back idle", kWait)) << watch.output();
  Outcome start = ctl({"start", "back", "evening"});
  ASSERT_EQ(start.exit_code, 0) << start.output;
  EXPECT_TRUE(watch.wait_for_line("back heat 1/3 evening", kWait)) << watch.output();
  Outcome skip = ctl({"skip", "back"});
  ASSERT_EQ(skip.exit_code, 0) << skip.output;
  EXPECT_TRUE(watch.wait_for_line("back event phase_ended: ", kWait)) << watch.output();
  EXPECT_TRUE(watch.wait_for_line("back rest 2/3 evening", kWait)) << watch.output();
  watch.signal(SIGINT);
  EXPECT_EQ(exit_code(watch.wait(kWait)), 0) << watch.output();
}

// ---- Arguments ---------------------------------------------------------------------------

TEST(PadtimerdArguments, TimeScaleNeedsItsOwnStateDirAndANumberFrom1To1000) {
  TempDir dir;
  dir.write("padtimer.yaml",
            "mqtt:\n  url: mqtt://127.0.0.1:1\ndevices:\n  p:\n    driver: tasmota\n"
            "    role: heat\n    topic: t\nzones:\n  z:\n    heat: p\n"
            "routines:\n  r:\n    - heat: 15m\n");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases{
      {{"--time-scale", "10"}, "--time-scale needs a --state-dir of its own"},
      {{"--time-scale", "0.5", "--state-dir", dir.path()},
       "--time-scale must be a number from 1 to 1000, got '0.5'"},
      {{"--time-scale", "abc", "--state-dir", dir.path()},
       "--time-scale must be a number from 1 to 1000, got 'abc'"},
      {{"--time-scale", "1001", "--state-dir", dir.path()},
       "--time-scale must be a number from 1 to 1000, got '1001'"},
      {{"--time-scale"}, "--time-scale needs a number N"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv{PADTIMERD_PATH, "--config", dir.file("padtimer.yaml")};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    ChildProcess d(argv);
    EXPECT_EQ(exit_code(d.wait(kWait)), 2) << ::testing::PrintToString(c.args) << d.output();
    EXPECT_TRUE(d.wait_for_line(c.says, 2s)) << ::testing::PrintToString(c.args) << d.output();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("padtimer.db"))) << "no database was made";
}

}  // namespace
}  // namespace padtimer::testing
