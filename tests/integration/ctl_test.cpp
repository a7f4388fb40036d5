// padtimerctl, the real binary, against a real mosquitto and a fake padtimerd: a Transport in
// the test that publishes retained info/state/history as padtimerd would and answers
// requests on padtimer/+/set and padtimer/stop_all (accept, refuse, or stay silent).
//
// Waiting is always for an event: padtimerctl's exit or a line it prints, or the broker
// delivering the fake daemon's own message back to it. Never a sleep.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "broker.h"
#include "ctl_runner.h"
#include "io_thread.h"
#include "json/json.h"
#include "mqtt/transport.h"
#include "process.h"

namespace padtimer::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 20s;

// ---- The fake padtimerd ----------------------------------------------------------------

// Plays padtimerd on the broker: "online" on padtimer/status (and "offline" as its last
// will), retained documents on request, and one result per request.
class FakeDaemon {
 public:
  enum class Mode { accept, refuse, silent };

  explicit FakeDaemon(const std::string& url) {
    mqtt::Settings settings;
    settings.url = url;
    settings.client_id = "fake-padtimerd";
    settings.status_topic = "padtimer/status";
    mqtt::Transport::Handlers handlers;
    handlers.connected = [this] { note([](State& s) { ++s.connects; }); };
    handlers.message = [this](const mqtt::Message& m) { on_message(m); };
    transport_ = std::make_unique<mqtt::Transport>(io_thread_.io(), std::move(settings),
                                                   std::move(handlers));
    transport_->set_subscriptions({"padtimer/#"});
    io_thread_.run([this] { transport_->start(); });
    if (!wait([](const State& s) { return s.connects > 0; })) {
      throw std::runtime_error("the fake padtimerd did not connect");
    }
  }

  ~FakeDaemon() {
    io_thread_.run([this] { transport_->stop(); });
    io_thread_.stop();
    transport_.reset();  // after the io thread: nothing runs it any more
  }

  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;

  void set_mode(Mode mode) {
    std::lock_guard lock(mutex_);
    state_.mode = mode;
  }

  // Publishes and returns once the broker has delivered it back: a retained message is
  // then stored, and an event has reached every subscriber.
  void publish(const std::string& topic, const std::string& payload, bool retained = true) {
    const int before = count(topic, payload);
    io_thread_.run([&] { transport_->publish(topic, payload, 1, retained); });
    if (!wait([&](const State& s) { return s.count(topic, payload) > before; })) {
      throw std::runtime_error("the broker did not deliver " + topic);
    }
  }

  // How many times it has connected: a client stealing its id would make that 2.
  int connects() {
    std::lock_guard lock(mutex_);
    return state_.connects;
  }

  // The requests received (topic, payload), in order.
  std::vector<std::pair<std::string, std::string>> requests() {
    std::lock_guard lock(mutex_);
    return state_.requests;
  }

 private:
  struct State {
    Mode mode = Mode::accept;
    int connects = 0;
    std::vector<std::pair<std::string, std::string>> requests;
    std::vector<std::pair<std::string, std::string>> seen;

    int count(const std::string& topic, const std::string& payload) const {
      int n = 0;
      for (const auto& [t, p] : seen)
        n += t == topic && p == payload;
      return n;
    }
  };

  int count(const std::string& topic, const std::string& payload) {
    std::lock_guard lock(mutex_);
    return state_.count(topic, payload);
  }

  // On the io thread.
  void on_message(const mqtt::Message& m) {
    const bool set = m.topic.size() > 4 && m.topic.ends_with("/set");
    const bool stop_all = m.topic == "padtimer/stop_all";
    Mode mode = Mode::accept;
    note([&](State& s) {
      s.seen.emplace_back(m.topic, m.payload);
      if (set || stop_all) s.requests.emplace_back(m.topic, m.payload);
      mode = s.mode;
    });
    if ((!set && !stop_all) || mode == Mode::silent) return;

    auto parsed = json::parse(m.payload);
    json::Value id = parsed && parsed.value->find("id") ? *parsed.value->find("id") : json::Value();
    std::string result_topic = "padtimer/result";
    if (stop_all) {
      id = "plain-1";  // padtimerd ignores stop_all's payload and makes an id of its own
    } else {
      result_topic = m.topic.substr(0, m.topic.size() - 3) + "result";
      // Someone else's answer first: padtimerctl must match its own id.
      transport_->publish(result_topic,
                          R"({"id":"phone-7","ok":false,"code":"not_running","message":"x"})", 1,
                          false);
    }
    json::Value result =
        mode == Mode::accept
            ? json::Value::object(
                  {{"id", id}, {"ok", true}, {"message", "evening started: heat for 20 min"}})
            : json::Value::object({{"id", id},
                                   {"ok", false},
                                   {"code", "rest_interval"},
                                   {"message", "the zone may start again at 14:20"}});
    transport_->publish(result_topic, result.dump(), 1, false);
  }

  template <typename F>
  void note(F f) {
    std::lock_guard lock(mutex_);
    f(state_);
    cv_.notify_all();
  }

  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kWait, [&] { return pred(state_); });
  }

  IoThread io_thread_;
  std::unique_ptr<mqtt::Transport> transport_;
  std::mutex mutex_;
  std::condition_variable cv_;
  State state_;
};

// ---- Documents as padtimerd publishes them ----------------------------------------------

const std::string kInfo =
    R"({"version":"0.1.0","time_scale":1,"zones":["lower_back","neck"],)"
    R"("routines":[{"id":"evening","phases":[{"kind":"heat","duration_s":1200},)"
    R"({"kind":"rest","duration_s":300},{"kind":"cold","duration_s":600}]}],)"
    R"("started_at":"2026-11-24T16:37:33Z"})";

// A live state: its updated_at is not used for the countdown (it is not retained on arrival)
// or is "now"-ish enough that remaining_s shows within a second or two.
std::string heat_state(int remaining_s, double temperature) {
  char t[32];
  std::snprintf(t, sizeof t, "%.1f", temperature);
  return R"({"zone":"lower_back","status":"heat","routine":"evening","phase":1,"phases":3,)"
         R"("phase_kind":"heat","remaining_s":)" +
         std::to_string(remaining_s) +
         R"(,"next_allowed_start":null,"exposure_today_s":301,"daily_cap_s":7200,)"
         R"("fault":null,"fault_message":null,"updated_at":"2099-01-01T00:00:00Z",)"
         R"("ready":true,"time_scale":1,"devices":[{"id":"pad","role":"heat","output":"heat",)"
         R"("online":true,"temperature_c":)" +
         t + "}]}";
}

const std::string kNeckFault =
    R"({"zone":"neck","status":"fault","routine":null,"phase":null,"phases":0,)"
    R"("phase_kind":null,"remaining_s":0,"next_allowed_start":"2031-01-02T07:30:00Z",)"
    R"("exposure_today_s":1200,"daily_cap_s":3600,"fault":"overtemp",)"
    R"("fault_message":"neck_plug reached 45.2°C: check the pad, then reset",)"
    R"("updated_at":"2026-11-24T17:00:00Z","ready":false,"time_scale":1,)"
    R"("devices":[{"id":"neck_plug","role":"heat","output":"off","online":true,)"
    R"("temperature_c":44.9}]})";

// A state from a padtimerd without the new fields (ready, time_scale, devices).
const std::string kNeckOldIdle =
    R"({"zone":"neck","status":"idle","routine":null,"phase":null,"phases":0,)"
    R"("phase_kind":null,"remaining_s":0,"next_allowed_start":null,"exposure_today_s":0,)"
    R"("daily_cap_s":3600,"fault":null,"fault_message":null,)"
    R"("updated_at":"2026-11-24T17:00:00Z"})";

const std::string kHistory =
    R"({"zone":"lower_back","sessions":[)"
    R"({"routine":"evening","started_at":"2025-03-04T16:37:33Z","ended_at":null,)"
    R"("outcome":null,"exposure_s":301,"phases":[{"index":1,"kind":"heat",)"
    R"("started_at":"2025-03-04T16:37:33Z","ended_at":null,"on_s":301}]},)"
    R"({"routine":"morning","started_at":"2025-03-03T07:00:00Z",)"
    R"("ended_at":"2025-03-03T07:35:00Z","outcome":"completed","exposure_s":1800,)"
    R"("phases":[{"index":1,"kind":"heat","started_at":"2025-03-03T07:00:00Z",)"
    R"("ended_at":"2025-03-03T07:20:00Z","on_s":1200},{"index":2,"kind":"rest",)"
    R"("started_at":"2025-03-03T07:20:00Z","ended_at":"2025-03-03T07:25:00Z","on_s":0},)"
    R"({"index":3,"kind":"cold","started_at":"2025-03-03T07:25:00Z",)"
    R"("ended_at":"2025-03-03T07:35:00Z","on_s":600}]}]})";

class Ctl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Local times in the output are UTC, whatever the machine's zone.
    setenv("TZ", "UTC", 1);
    unsetenv("PADTIMER_MQTT_PASSWORD");
  }

  std::vector<std::string> with_broker(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--broker", broker_.url(), "--timeout", "10s"});
    return args;
  }

  Outcome ctl(const std::vector<std::string>& args, Stream stream = Stream::both) const {
    return run_ctl(with_broker(args), stream);
  }

  void publish_zones() {
    daemon_->publish("padtimer/info", kInfo);
    daemon_->publish("padtimer/lower_back/state", heat_state(899, 38.5));
    daemon_->publish("padtimer/neck/state", kNeckFault);
  }

  Broker broker_;
  std::unique_ptr<FakeDaemon> daemon_ = std::make_unique<FakeDaemon>(broker_.url());
};

// ---- Requests ---------------------------------------------------------------------------

TEST_F(Ctl, StartAcceptedExitsZero) {
  Outcome r = ctl({"start", "lower_back", "evening"}, Stream::stdout_only);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "lower_back: evening started: heat for 20 min\n");

  auto requests = daemon_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].first, "padtimer/lower_back/set");
  auto doc = json::parse(requests[0].second);
  ASSERT_TRUE(doc) << requests[0].second;
  EXPECT_EQ(*doc.value->find("action"), json::Value("start"));
  EXPECT_EQ(*doc.value->find("routine"), json::Value("evening"));
  const std::string* id = doc.value->find("id")->as_string();
  ASSERT_NE(id, nullptr);
  EXPECT_TRUE(id->starts_with("ctl-")) << *id;
}

TEST_F(Ctl, ExtendSendsMinutes) {
  Outcome r = ctl({"extend", "neck", "5"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto requests = daemon_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].first, "padtimer/neck/set");
  auto doc = json::parse(requests[0].second);
  ASSERT_TRUE(doc);
  EXPECT_EQ(*doc.value->find("action"), json::Value("extend"));
  EXPECT_EQ(*doc.value->find("minutes"), json::Value(5));
}

TEST_F(Ctl, StopAllIsAnsweredOnTheBaseResultTopic) {
  Outcome r = ctl({"stop-all"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto requests = daemon_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].first, "padtimer/stop_all");
}

TEST_F(Ctl, ConfigFileGivesTheBrokerButNotTheClientId) {
  // padtimerd's own config, whose client id is the (fake) daemon's: padtimerctl must use an
  // id of its own. Were it to take the daemon's, the broker would throw the daemon off, the
  // request would go unanswered, and padtimerctl would exit 3.
  TempDir dir;
  dir.write("padtimer.yaml", "mqtt:\n  url: " + broker_.url() +
                                 "\n  client_id: fake-padtimerd\n  base_topic: padtimer\n"
                                 "devices:\n  heat_pad:\n    driver: tasmota\n    role: heat\n"
                                 "    topic: heat_pad_plug\n"
                                 "zones:\n  lower_back:\n    heat: heat_pad\n"
                                 "routines:\n  evening:\n    - heat: 20m\n");
  Outcome r = run_ctl({"--config", dir.file("padtimer.yaml"), "skip", "lower_back"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(daemon_->requests().size(), 1u);
  EXPECT_EQ(daemon_->requests()[0].first, "padtimer/lower_back/set");
  EXPECT_EQ(daemon_->connects(), 1);

  dir.write("bad.yaml", "mqtt:\n  url: localhost\n");
  Outcome bad = run_ctl({"--config", dir.file("bad.yaml"), "status"}, Stream::stderr_only);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(bad.has(dir.file("bad.yaml") + ":2:")) << bad.output;
}

TEST_F(Ctl, RefusedExitsOneWithTheReasonOnStderr) {
  daemon_->set_mode(FakeDaemon::Mode::refuse);
  Outcome r = ctl({"start", "lower_back", "evening"}, Stream::stderr_only);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output, "padtimerctl: refused (rest_interval): the zone may start again at 14:20\n");
  EXPECT_EQ(ctl({"start", "lower_back", "evening"}, Stream::stdout_only).output, "");
}

TEST_F(Ctl, NoAnswerExitsThreeAfterTheTimeout) {
  daemon_->set_mode(FakeDaemon::Mode::silent);
  Outcome r = run_ctl({"--broker", broker_.url(), "--timeout", "1s", "stop", "lower_back"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(r.has("no answer from padtimerd within 1s")) << r.output;
  EXPECT_TRUE(r.has("padtimer/status is 'online'")) << r.output;
}

TEST_F(Ctl, OfflineDaemonExitsThreeAndSaysSo) {
  daemon_->set_mode(FakeDaemon::Mode::silent);
  daemon_->publish("padtimer/status", "offline");
  Outcome r = ctl({"pause", "lower_back"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(r.has("padtimerd is offline (padtimer/status is 'offline')")) << r.output;
  EXPECT_TRUE(r.has("is padtimerd running?")) << r.output;
}

TEST_F(Ctl, AbsentDaemonExitsThreeAndSaysSo) {
  daemon_.reset();  // its last will leaves "offline": clear the topic as if never published
  {
    ChildProcess clear({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_.port()),
                        "-q", "1", "-r", "-n", "-t", "padtimer/status"});
    ASSERT_EQ(exit_code(clear.wait(kWait)), 0) << clear.output();
  }
  Outcome r = run_ctl({"--broker", broker_.url(), "--timeout", "1s", "resume", "neck"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(r.has("nothing was ever published on padtimer/status")) << r.output;
}

TEST(CtlWithoutBroker, CannotConnectExitsThree) {
  const std::string url = "mqtt://127.0.0.1:" + std::to_string(free_loopback_port());
  Outcome r = run_ctl({"--broker", url, "--timeout", "1s", "start", "lower_back", "evening"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(r.has("cannot connect to the MQTT broker at " + url + " within 1s")) << r.output;

  Outcome status = run_ctl({"--broker", url, "--timeout", "500ms", "status"});
  EXPECT_EQ(status.exit_code, 3) << status.output;
  EXPECT_TRUE(status.has("cannot connect to the MQTT broker")) << status.output;
}

// ---- status and history -----------------------------------------------------------------

TEST_F(Ctl, StatusShowsEveryZone) {
  publish_zones();
  Outcome r = ctl({"status"}, Stream::stdout_only);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.has("padtimerd 0.1.0 online")) << r.output;
  EXPECT_TRUE(r.has("lower_back: heat 1/3 evening ")) << r.output;
  EXPECT_TRUE(r.has(" left\n")) << r.output;
  EXPECT_TRUE(r.has("pad (heat): heat, 38.5°C, online")) << r.output;
  EXPECT_TRUE(r.has("today       05:01 of 2:00:00 cap")) << r.output;
  EXPECT_TRUE(r.has("neck: fault overtemp\n")) << r.output;
  EXPECT_TRUE(r.has("ready       no")) << r.output;
  EXPECT_TRUE(r.has("fault       overtemp: neck_plug reached 45.2°C: check the pad, then reset"))
      << r.output;
  EXPECT_TRUE(r.has("next start  2031-01-02 07:30:00")) << r.output;
  EXPECT_TRUE(r.has("neck_plug (heat): off, 44.9°C, online")) << r.output;
  EXPECT_LT(r.output.find("lower_back:"), r.output.find("neck:")) << "info's zone order";
}

TEST_F(Ctl, StatusOfOneZoneAndOfAnUnknownOne) {
  publish_zones();
  Outcome r = ctl({"status", "neck"}, Stream::stdout_only);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.has("neck: fault overtemp")) << r.output;
  EXPECT_FALSE(r.has("lower_back:")) << r.output;

  Outcome unknown = ctl({"status", "knee"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_TRUE(unknown.has("padtimerd has no zone 'knee'; its zones: lower_back, neck"))
      << unknown.output;
}

TEST_F(Ctl, StatusJsonHoldsThePublishedDocuments) {
  publish_zones();
  Outcome r = ctl({"status", "--json"}, Stream::stdout_only);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto doc = json::parse(r.output);
  ASSERT_TRUE(doc) << r.output;
  EXPECT_EQ(*doc.value->find("status"), json::Value("online"));
  EXPECT_EQ(*doc.value->find("info"), *json::parse(kInfo).value);
  const json::Value* zones = doc.value->find("zones");
  ASSERT_NE(zones, nullptr);
  EXPECT_EQ(*zones->find("neck"), *json::parse(kNeckFault).value);
  EXPECT_EQ(*zones->find("lower_back"), *json::parse(heat_state(899, 38.5)).value);
}

TEST_F(Ctl, StatusWithoutInfoShowsWhatIsRetained) {
  // A padtimerd from before <base>/info and the new state fields: shown with "-".
  daemon_->publish("padtimer/neck/state", kNeckOldIdle);
  Outcome r = ctl({"status"}, Stream::stdout_only);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.has("neck: idle\n  ready       -\n")) << r.output;
  EXPECT_TRUE(r.has("devices     -\n")) << r.output;
}

TEST_F(Ctl, StatusWithNothingPublishedExitsThree) {
  Outcome r = run_ctl({"--broker", broker_.url(), "--base-topic", "elsewhere", "status"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(r.has("nothing is published under elsewhere/")) << r.output;
}

TEST_F(Ctl, HistoryPrintsSessions) {
  daemon_->publish("padtimer/info", kInfo);
  daemon_->publish("padtimer/lower_back/history", kHistory);
  daemon_->publish("padtimer/neck/history", R"({"zone":"neck","sessions":[]})");
  Outcome r = ctl({"history"}, Stream::stdout_only);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(r.has("lower_back: 2 sessions, newest first\n")) << r.output;
  EXPECT_TRUE(r.has("2025-03-04 16:37:33 → …  evening  running  exposure 05:01")) << r.output;
  EXPECT_TRUE(
      r.has("2025-03-03 07:00:00 → 2025-03-03 07:35:00  morning  completed  exposure "
            "30:00"))
      << r.output;
  EXPECT_TRUE(r.has("phase 3 cold  2025-03-03 07:25:00 → 2025-03-03 07:35:00  on 10:00"))
      << r.output;
  EXPECT_TRUE(r.has("neck: no sessions\n")) << r.output;

  Outcome limited = ctl({"history", "lower_back", "--limit", "1"}, Stream::stdout_only);
  ASSERT_EQ(limited.exit_code, 0) << limited.output;
  EXPECT_TRUE(limited.has("lower_back: 1 session of 2, newest first")) << limited.output;
  EXPECT_FALSE(limited.has("morning")) << limited.output;
}

// ---- watch ------------------------------------------------------------------------------

TEST_F(Ctl, WatchPrintsStateChangesAndEvents) {
  publish_zones();
  ChildProcess watch(ctl_argv(with_broker({"watch"}), Stream::both));
  ASSERT_TRUE(watch.wait_for_line("connected to " + broker_.url(), kWait)) << watch.output();
  // The retained states first.
  ASSERT_TRUE(watch.wait_for_line("lower_back heat 1/3 evening ", kWait)) << watch.output();

  daemon_->publish("padtimer/lower_back/state", heat_state(600, 40.2));
  auto state = watch.wait_for_line("lower_back heat 1/3 evening", kWait);
  ASSERT_TRUE(state) << watch.output();
  EXPECT_NE(state->find("left pad 40.2°C"), std::string::npos) << *state;
  EXPECT_EQ((*state)[2], ':') << "starts with the time: " << *state;

  daemon_->publish("padtimer/lower_back/event",
                   R"({"event":"phase_ended","zone":"lower_back","routine":"evening",)"
                   R"("phase":1,"phase_kind":"heat","on_s":1199,"reason":null,"message":"",)"
                   R"("at":"2026-11-24T16:57:33Z"})",
                   false);
  auto event = watch.wait_for_line("lower_back event phase_ended", kWait);
  ASSERT_TRUE(event) << watch.output();
  EXPECT_NE(event->find("phase_ended: phase 1 (heat), on 19:59"), std::string::npos) << *event;

  daemon_->publish("padtimer/neck/event",
                   R"({"event":"fault","zone":"neck","routine":null,"phase":null,)"
                   R"("phase_kind":null,"reason":"overtemp","message":"neck_plug too hot",)"
                   R"("at":"2026-11-24T16:57:40Z"})",
                   false);
  ASSERT_TRUE(watch.wait_for_line("neck event fault (overtemp): neck_plug too hot", kWait))
      << watch.output();

  watch.signal(SIGINT);
  EXPECT_EQ(exit_code(watch.wait(kWait)), 0) << watch.output();
}

TEST_F(Ctl, WatchReportsALostBrokerAndReconnects) {
  ChildProcess watch(ctl_argv(with_broker({"watch"}), Stream::both));
  ASSERT_TRUE(watch.wait_for_line("connected to " + broker_.url(), kWait)) << watch.output();
  daemon_.reset();
  broker_.restart();
  ASSERT_TRUE(watch.wait_for_line("lost the connection to " + broker_.url(), kWait))
      << watch.output();
  ASSERT_TRUE(watch.wait_for_line("reconnected to " + broker_.url(), kWait)) << watch.output();
  // And it still hears padtimerd.
  daemon_ = std::make_unique<FakeDaemon>(broker_.url());
  publish_zones();
  ASSERT_TRUE(watch.wait_for_line("lower_back heat 1/3 evening", kWait)) << watch.output();
  watch.signal(SIGTERM);
  EXPECT_EQ(exit_code(watch.wait(kWait)), 0) << watch.output();
}

TEST_F(Ctl, WatchOnATerminalRedrawsATableWithALocalCountdown) {
  if (::access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "needs script(1) for a terminal";
  daemon_->publish("padtimer/info", kInfo);
  daemon_->publish("padtimer/lower_back/state", heat_state(899, 38.5));
  // script(1) gives padtimerctl a pseudo-terminal as its stdout.
  ChildProcess watch({"/usr/bin/script", "-qfec",
                      std::string(PADTIMERCTL_PATH) + " --broker " + broker_.url() + " watch",
                      "/dev/null"});
  auto row = watch.wait_for_line("lower_back  heat", kWait);
  ASSERT_TRUE(row) << watch.output();
  EXPECT_NE(row->find("1/3 heat  evening"), std::string::npos) << *row;
  EXPECT_NE(row->find("pad 38.5°C"), std::string::npos) << *row;
  EXPECT_NE(watch.output().find("\x1b[H"), std::string::npos) << "redrawn from the top";
  ASSERT_TRUE(watch.wait_for_line("neck        -", kWait)) << "no state yet: " << watch.output();
  // The countdown runs locally, without a new state.
  for (;;) {
    auto next = watch.wait_for_line("lower_back  heat", kWait);
    ASSERT_TRUE(next) << watch.output();
    if (next->find("14:59") == std::string::npos) {
      EXPECT_NE(next->find("14:5"), std::string::npos) << *next;
      break;
    }
  }
}

// ---- Usage ------------------------------------------------------------------------------

TEST(CtlUsage, BadUsageExitsTwoWithAHelpfulMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases{
      {{}, "missing COMMAND: one of status, start,"},
      {{"frobnicate"}, "unknown command 'frobnicate'; commands: status, start,"},
      {{"start", "lower_back"}, "start needs ZONE ROUTINE"},
      {{"stop", "lower_back", "now"}, "unexpected argument 'now' after stop ZONE"},
      {{"start", "a/b", "evening"}, "zone 'a/b' is not a valid name"},
      {{"--timeout", "5", "status"}, "--timeout: a bare number has no unit"},
      {{"--broker", "localhost", "status"}, "--broker must be a URL starting with mqtt://"},
      {{"--bogus", "status"}, "unknown option '--bogus'"},
      {{"watch", "--json"}, "--json goes with status and history only"},
      {{"status", "--limit", "2"}, "--limit goes with history only"},
      {{"history", "--limit", "0"}, "--limit must be a whole number of sessions"},
      {{"--broker", "mqtt://127.0.0.1:1", "--ca-file", "ca.pem", "status"}, "--ca-file is for TLS"},
      {{"--config", "/nonexistent/padtimer.yaml", "status"}, "/nonexistent/padtimer.yaml"},
  };
  for (const Case& c : cases) {
    Outcome r = run_ctl(c.args, Stream::stderr_only);
    EXPECT_EQ(r.exit_code, 2) << "args: " << ::testing::PrintToString(c.args) << "\n" << r.output;
    EXPECT_TRUE(r.has(c.says)) << "args: " << ::testing::PrintToString(c.args) << "\n" << r.output;
  }
}

TEST(CtlUsage, ExtendWithANonNumberExitsTwo) {
  for (std::string minutes : {"abc", "0", "21", "-5", "2.5"}) {
    Outcome r = run_ctl({"extend", "lower_back", minutes}, Stream::stderr_only);
    EXPECT_EQ(r.exit_code, 2) << minutes << ": " << r.output;
    EXPECT_TRUE(r.has("extend: MINUTES must be a whole number from 1 to 20, got '" + minutes + "'"))
        << r.output;
  }
}

TEST(CtlUsage, HelpAndVersion) {
  Outcome help = run_ctl({"--help"}, Stream::stdout_only);
  EXPECT_EQ(help.exit_code, 0);
  for (const char* word : {"status [ZONE]", "start ZONE ROUTINE", "extend ZONE MINUTES", "stop-all",
                           "history [ZONE] [--limit N]", "watch", "--config FILE",
                           "PADTIMER_MQTT_PASSWORD", "Exit status:", "<base>/<zone>/history"}) {
    EXPECT_TRUE(help.has(word)) << word;
  }
  Outcome start_help = run_ctl({"start", "--help"}, Stream::stdout_only);
  EXPECT_EQ(start_help.exit_code, 0);
  EXPECT_TRUE(start_help.has("Usage: padtimerctl [OPTIONS] start ZONE ROUTINE"))
      << start_help.output;
  Outcome version = run_ctl({"--version"}, Stream::stdout_only);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output, "padtimerctl 0.1.0\n");
}

}  // namespace
}  // namespace padtimer::testing
