// The real padtimerd, the real padtimer-sim and a real mosquitto: what a phone sees.
// The phone is mosquitto_pub / mosquitto_sub; waiting is on printed lines, never sleeps.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>

#include "broker.h"
#include "process.h"

namespace padtimer::testing {
namespace {

using namespace std::chrono_literals;
constexpr auto kWait = 20s;

class Daemon : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.file("padtimer.yaml");
    dir_.write("padtimer.yaml", "mqtt:\n  url: " + broker_.url() +
                                    "\n  client_id: padtimerd-it\n"
                                    "safety:\n  confirm_timeout: 2s\n  lease: 10s\n"
                                    "  lease_rearm: 3s\n  lease_margin: 1s\n"
                                    "devices:\n  heat_pad:\n    driver: tasmota\n"
                                    "    role: heat\n    topic: it_heat\n"
                                    "zones:\n  back:\n    heat: heat_pad\n    min_rest: 30m\n"
                                    "routines:\n  evening:\n    - heat: 15m\n");
    std::filesystem::create_directory(dir_.file("state"));
    sim_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{PADTIMER_SIM_PATH, "--broker", broker_.url(), "--device",
                                 "tasmota:heat_pad,topic=it_heat,sensor=none"});
    ASSERT_TRUE(sim_->wait_for_line("padtimer-sim: connected", kWait)) << sim_->output();
    phone_ = watch("padtimer/#");
  }

  std::unique_ptr<ChildProcess> watch(const std::string& topic) {
    auto p = std::make_unique<ChildProcess>(
        std::vector<std::string>{"mosquitto_sub", "-h", "127.0.0.1", "-p",
                                 std::to_string(broker_.port()), "-v", "-t", topic});
    return p;
  }

  std::unique_ptr<ChildProcess> start_daemon() {
    auto d = std::make_unique<ChildProcess>(
        std::vector<std::string>{PADTIMERD_PATH, "--config", config_, "--state-dir",
                                 dir_.file("state"), "--log-level", "debug"});
    EXPECT_TRUE(d->wait_for_line("mqtt: connected", kWait)) << d->output();
    // Its start-up OFF has been confirmed by the plug.
    EXPECT_TRUE(sim_->wait_for_line("heat_pad: relay still OFF", kWait)) << sim_->output();
    return d;
  }

  void send(const std::string& topic, const std::string& payload) {
    ChildProcess pub({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_.port()),
                      "-t", topic, "-m", payload});
    ASSERT_EQ(pub.wait(kWait), 0);
  }

  // Starts `evening` on `back` as a phone would, asking again while the daemon answers
  // device_not_ready (its start-up OFF is confirmed a moment after the plug acts on it).
  bool start_evening(const std::string& id) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      send("padtimer/back/set", R"({"action":"start","routine":"evening","id":")" + id + "\"}");
      auto line = phone_->wait_for_line(R"(padtimer/back/result {"id":")" + id + "\"", kWait);
      if (!line) return false;
      if (line->find("device_not_ready") == std::string::npos) {
        return line->find(R"("ok":true)") != std::string::npos;
      }
    }
    return false;
  }

  Broker broker_;
  TempDir dir_;
  std::string config_;
  std::unique_ptr<ChildProcess> sim_;
  std::unique_ptr<ChildProcess> phone_;
};

TEST_F(Daemon, PhoneStartsARoutineAndSigtermSwitchesEverythingOff) {
  auto d = start_daemon();
  ASSERT_TRUE(start_evening("p1")) << phone_->output();
  ASSERT_TRUE(sim_->wait_for_line("heat_pad: relay ON (heat)", kWait)) << sim_->output();
  // The retained state said heat before the result came.
  EXPECT_NE(phone_->output().find(R"(padtimer/back/state {"zone":"back","status":"heat")"),
            std::string::npos);

  d->signal(SIGTERM);
  EXPECT_TRUE(sim_->wait_for_line("heat_pad: relay OFF", kWait)) << sim_->output();
  int status = d->wait(kWait);
  ASSERT_TRUE(WIFEXITED(status)) << d->output();
  EXPECT_EQ(WEXITSTATUS(status), 0) << d->output();
}

TEST_F(Daemon, MalformedAndOversizedRequestsGetBadRequest) {
  auto d = start_daemon();
  send("padtimer/back/set", "{\"action\":");
  EXPECT_TRUE(phone_->wait_for_line(R"("code":"bad_request")", kWait)) << phone_->output();
  send("padtimer/back/set",
       "{\"action\":\"start\",\"routine\":\"" + std::string(5000, 'x') + "\"}");
  EXPECT_TRUE(phone_->wait_for_line(R"("code":"bad_request")", kWait)) << phone_->output();
}

TEST_F(Daemon, KillDashNineMidHeatThenRestartNothingResumesAndRestHolds) {
  auto d = start_daemon();
  ASSERT_TRUE(start_evening("k1")) << phone_->output() << d->output() << sim_->output();
  ASSERT_TRUE(sim_->wait_for_line("heat_pad: relay ON (heat)", kWait)) << sim_->output();
  d->signal(SIGKILL);
  d->wait(kWait);
  // No padtimerd: the plug's own PulseTime lease switches it off.
  EXPECT_TRUE(sim_->wait_for_line("heat_pad: auto-off fired, relay OFF", 30s)) << sim_->output();

  auto again = start_daemon();
  EXPECT_NE(again->output().find("were running when padtimerd stopped"), std::string::npos)
      << again->output();
  EXPECT_TRUE(phone_->wait_for_line(R"("event":"session_interrupted")", kWait)) << phone_->output();
  send("padtimer/back/set", R"({"action":"start","routine":"evening","id":"again"})");
  EXPECT_TRUE(phone_->wait_for_line(R"({"id":"again","ok":false,"code":"rest_interval")", kWait))
      << phone_->output();
}

TEST(DaemonConfig, BadConfigFailsWithLineAndColumn) {
  TempDir dir;
  dir.write("bad.yaml",
            "mqtt:\n  url: mqtt://127.0.0.1:1\ndevices:\n  p:\n    driver: tasmota\n"
            "    role: heat\n    topic: t\nzones:\n  z:\n    heat: p\n"
            "routines:\n  r:\n    - heat: 25m\n");
  ChildProcess check({PADTIMERD_PATH, "--check-config", dir.file("bad.yaml")});
  int status = check.wait(kWait);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_TRUE(check.wait_for_line(dir.file("bad.yaml") + ":13:", 1s)) << check.output();
}

}  // namespace
}  // namespace padtimer::testing
