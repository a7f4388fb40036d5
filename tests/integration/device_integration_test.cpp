// End to end, per device family: a real mosquitto on a free loopback port, the real
// padtimer-sim process playing the device, and padtimer's engine, driver and MQTT
// transport running on their own io thread. Waiting is always for an event (a line the
// sim or mosquitto_sub prints, or engine activity), bounded by a generous timeout.
#include <gtest/gtest.h>
#include <signal.h>

#include "broker.h"
#include "core/engine.h"
#include "devices/driver.h"
#include "host_runner.h"
#include "process.h"

namespace padtimer::testing {
namespace {

using namespace std::chrono_literals;
using core::Output;

struct FamilyCase {
  std::string family;
  std::string sim_device;     // --device argument for padtimer-sim
  devices::Options options;   // the driver's options for the same device
  std::string command_topic;  // where padtimer's commands to the device go
  std::string on_marker;      // a substring of an ON command's payload
  bool lease = true;          // the device can take an auto-off with each ON
};

// gtest prints the case by name instead of as raw bytes.
void PrintTo(const FamilyCase& c, std::ostream* os) {
  *os << c.family;
}

std::string name_of(const ::testing::TestParamInfo<FamilyCase>& info) {
  return info.param.family;
}

class DeviceFamily : public ::testing::TestWithParam<FamilyCase> {
 protected:
  static constexpr auto kWait = 15s;

  void SetUp() override {
    sim_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        PADTIMER_SIM_PATH, "--broker", broker_.url(), "--device", GetParam().sim_device});
    ASSERT_TRUE(sim_->wait_for_line("padtimer-sim: connected", kWait)) << sim_->output();
    watcher_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker_.port()), "-v", "-t",
        GetParam().command_topic});
  }

  core::EngineConfig config() const {
    core::EngineConfig c;
    c.safety.confirm_timeout = 2s;
    c.safety.lease = 10s;
    c.safety.lease_rearm = 3s;
    c.safety.lease_margin = 1s;
    c.safety.broker_grace = 30s;
    c.devices = {{"pad", core::DeviceRole::heat, GetParam().lease, std::nullopt}};
    c.zones = {{"back", "pad", "", 20min, 2h}};
    c.routines = {{"heat", {{core::PhaseKind::heat, 15min}}}};
    return c;
  }

  std::unique_ptr<HostRunner> start_host(const std::string& client_id) {
    const devices::Family* family = devices::find_family(GetParam().family);
    EXPECT_NE(family, nullptr);
    std::vector<devices::OptionProblem> problems;
    auto cfg = config();
    host::EngineHost::Drivers drivers;
    drivers.push_back(family->make(cfg.devices[0], GetParam().options, {client_id}, problems));
    EXPECT_TRUE(problems.empty()) << problems.front().message;
    mqtt::Settings settings;
    settings.url = broker_.url();
    settings.client_id = client_id;
    settings.status_topic = "padtimer-it/status";
    settings.reconnect_min = 250ms;
    settings.reconnect_max = 2s;
    auto host = std::make_unique<HostRunner>(cfg, std::move(drivers), settings);
    // Start-up: connected, the device commanded OFF and its OFF confirmed.
    EXPECT_TRUE(host->wait_until(
        [](const core::Engine& e) {
          return e.broker_connected() && e.commanded("pad") == Output::off && e.confirmed("pad");
        },
        kWait))
        << sim_->output();
    return host;
  }

  static bool on_confirmed(const core::Engine& e) {
    return e.commanded("pad") == Output::heat && e.confirmed("pad");
  }

  void start_session(HostRunner& host) {
    host.request(core::Request{"it-1", core::Action::start, "back", "heat", {}, false});
    ASSERT_TRUE(host.wait_for_command(
        [](const core::Command& c) {
          auto* r = std::get_if<core::Reply>(&c);
          return r && r->request_id == "it-1" && r->ok;
        },
        kWait));
    ASSERT_TRUE(host.wait_until(on_confirmed, kWait)) << sim_->output();
    ASSERT_TRUE(sim_->wait_for_line("relay ON", kWait)) << sim_->output();
  }

  Broker broker_;
  std::unique_ptr<ChildProcess> sim_;
  std::unique_ptr<ChildProcess> watcher_;
};

TEST_P(DeviceFamily, OnAndOffAreConfirmedAndTheLeaseIsRearmed) {
  auto host = start_host("padtimer-it-a");
  start_session(*host);
  // The first ON command, then (with a lease) its re-arm a few seconds later.
  ASSERT_TRUE(watcher_->wait_for_line(GetParam().on_marker, kWait)) << watcher_->output();
  if (GetParam().lease) {
    ASSERT_TRUE(watcher_->wait_for_line(GetParam().on_marker, kWait)) << "no lease re-arm seen:\n"
                                                                      << watcher_->output();
    EXPECT_TRUE(host->wait_until(on_confirmed, kWait));
  }
  host->request(core::Request{"it-2", core::Action::stop, "back", "", {}, false});
  ASSERT_TRUE(host->wait_until(
      [](const core::Engine& e) { return e.commanded("pad") == Output::off && e.confirmed("pad"); },
      kWait));
  EXPECT_TRUE(sim_->wait_for_line("relay OFF", kWait)) << sim_->output();
}

TEST_P(DeviceFamily, DeviceSwitchesItselfOffWhenPadtimerDies) {
  auto host = start_host("padtimer-it-b");
  start_session(*host);
  // padtimer "dies": no OFF, no more re-arms. The device's own auto-off must end it.
  host->stop(/*clean=*/false);
  EXPECT_TRUE(sim_->wait_for_line("auto-off fired", 30s)) << sim_->output();
}

TEST_P(DeviceFamily, BrokerRestartMidPhaseReestablishesEveryDevice) {
  auto host = start_host("padtimer-it-c");
  start_session(*host);
  std::uint64_t before = 0;
  ASSERT_TRUE(host->wait_until_host(
      [&before](host::EngineHost& h) {
        before = h.transport().connect_count();
        return true;
      },
      kWait));
  broker_.restart();
  ASSERT_TRUE(sim_->wait_for_line("pad: connected", kWait)) << sim_->output();
  // The transport reconnects and resubscribes; the engine commands the device ON again
  // (with a fresh lease) and the device confirms it. The session survives.
  ASSERT_TRUE(host->wait_until_host(
      [before](host::EngineHost& h) { return h.transport().connect_count() > before; }, kWait));
  ASSERT_TRUE(host->wait_until(
      [](const core::Engine& e) { return e.broker_connected() && on_confirmed(e); }, kWait))
      << sim_->output();
  EXPECT_TRUE(host->wait_until(
      [](const core::Engine& e) { return e.snapshot("back").status == core::ZoneStatus::heat; },
      kWait));
  host->request(core::Request{"it-3", core::Action::stop, "back", "", {}, false});
  EXPECT_TRUE(host->wait_until(
      [](const core::Engine& e) { return e.commanded("pad") == Output::off && e.confirmed("pad"); },
      kWait));
}

INSTANTIATE_TEST_SUITE_P(
    Families, DeviceFamily,
    ::testing::Values(FamilyCase{"tasmota",
                                 "tasmota:pad,topic=it_plug,role=heat",
                                 {{"topic", "it_plug"}},
                                 "cmnd/it_plug/#",
                                 " ON",
                                 true},
                      FamilyCase{"shelly_rpc",
                                 "shelly_rpc:pad,id=shellyplus1-it,role=heat",
                                 {{"id", "shellyplus1-it"}},
                                 "shellyplus1-it/rpc",
                                 "\"on\":true",
                                 true},
                      FamilyCase{"shelly_gen1",
                                 "shelly_gen1:pad,id=shelly1-it,role=heat,auto_off=12",
                                 {{"id", "shelly1-it"}},
                                 "shellies/shelly1-it/relay/0/command",
                                 " on",
                                 false},
                      FamilyCase{"zigbee2mqtt",
                                 "zigbee2mqtt:pad,name=it_plug,role=heat",
                                 {{"name", "it_plug"}},
                                 "zigbee2mqtt/it_plug/set",
                                 "\"ON\"",
                                 true},
                      FamilyCase{"json_pad",
                                 "json_pad:pad,id=it_pad,role=heat",
                                 {{"id", "it_pad"}},
                                 "padtimer/pads/it_pad/set",
                                 "\"heat\"",
                                 true}),
    name_of);

// The sim's fault knobs against the whole chain: each fault, set at run time over the
// sim's own topic while a heat phase runs, must end in the engine's matching fault.
struct FaultCase {
  std::string fault;   // published to padtimer-sim/pad/fault
  std::string reason;  // the engine's fault reason code
};

void PrintTo(const FaultCase& c, std::ostream* os) {
  *os << c.fault;
}

class SimFaultFixture : public ::testing::Test {
 protected:
  static constexpr auto kWait = 20s;

  void SetUp() override {
    sim_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        PADTIMER_SIM_PATH, "--broker", broker_.url(), "--telemetry-period", "1s", "--device",
        "tasmota:pad,topic=it_fault,role=heat,sensor=DS18B20"});
    ASSERT_TRUE(sim_->wait_for_line("padtimer-sim: connected", kWait)) << sim_->output();
  }

  std::unique_ptr<HostRunner> start_host() {
    core::EngineConfig c;
    c.safety.confirm_timeout = 2s;
    c.safety.lease = 10s;
    c.safety.lease_rearm = 3s;
    c.safety.lease_margin = 1s;
    core::SensorSpec sensor;
    sensor.max_c = 43.0;
    sensor.telemetry_timeout = 5s;
    c.devices = {{"pad", core::DeviceRole::heat, true, sensor}};
    c.zones = {{"back", "pad", "", 20min, 2h}};
    c.routines = {{"heat", {{core::PhaseKind::heat, 15min}}}};
    std::vector<devices::OptionProblem> problems;
    host::EngineHost::Drivers drivers;
    drivers.push_back(devices::find_family("tasmota")->make(
        c.devices[0], {{"topic", "it_fault"}, {"sensor", "DS18B20"}}, {"padtimer-it-f"}, problems));
    EXPECT_TRUE(problems.empty());
    mqtt::Settings settings;
    settings.url = broker_.url();
    settings.client_id = "padtimer-it-f";
    settings.reconnect_min = 250ms;
    return std::make_unique<HostRunner>(c, std::move(drivers), settings);
  }

  void set_fault(const std::string& fault) {
    ChildProcess pub({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_.port()),
                      "-t", "padtimer-sim/pad/fault", "-m", fault});
    EXPECT_EQ(pub.wait(kWait), 0);
  }

  Broker broker_;
  std::unique_ptr<ChildProcess> sim_;
};

class SimFault : public SimFaultFixture, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(SimFault, EndsInTheEnginesFault) {
  auto host = start_host();
  ASSERT_TRUE(host->wait_until(
      [](const core::Engine& e) { return e.broker_connected() && e.confirmed("pad"); }, kWait));
  host->request(core::Request{"f-1", core::Action::start, "back", "heat", {}, false});
  ASSERT_TRUE(host->wait_until(
      [](const core::Engine& e) {
        return e.commanded("pad") == Output::heat && e.confirmed("pad");
      },
      kWait))
      << sim_->output();
  set_fault(GetParam().fault);
  ASSERT_TRUE(sim_->wait_for_line("fault " + GetParam().fault + " set", kWait)) << sim_->output();
  std::string reason = GetParam().reason;
  ASSERT_TRUE(host->wait_for_command(
      [&reason](const core::Command& c) {
        auto* e = std::get_if<core::PublishEvent>(&c);
        return e && e->event.kind == core::EventKind::fault &&
               core::reason_code(e->event.reason) == reason;
      },
      kWait))
      << sim_->output();
  EXPECT_TRUE(host->wait_until(
      [](const core::Engine& e) {
        return e.snapshot("back").status == core::ZoneStatus::fault &&
               e.commanded("pad") == Output::off;
      },
      kWait));
}

// A welded relay cannot be switched off: the OFF at the end of the session is never
// confirmed (the plug keeps reporting ON), so the zone latches ack_timeout.
TEST_F(SimFaultFixture, WeldedRelayLatchesWhenItCannotBeSwitchedOff) {
  auto host = start_host();
  ASSERT_TRUE(host->wait_until(
      [](const core::Engine& e) { return e.broker_connected() && e.confirmed("pad"); }, kWait));
  host->request(core::Request{"w-1", core::Action::start, "back", "heat", {}, false});
  ASSERT_TRUE(host->wait_until(
      [](const core::Engine& e) {
        return e.commanded("pad") == Output::heat && e.confirmed("pad");
      },
      kWait));
  set_fault("welded");
  ASSERT_TRUE(sim_->wait_for_line("fault welded set", kWait)) << sim_->output();
  host->request(core::Request{"w-2", core::Action::stop, "back", "", {}, false});
  ASSERT_TRUE(sim_->wait_for_line("relay welded, stays ON", kWait)) << sim_->output();
  EXPECT_TRUE(host->wait_for_command(
      [](const core::Command& c) {
        auto* e = std::get_if<core::PublishEvent>(&c);
        return e && e->event.kind == core::EventKind::fault &&
               e->event.reason == core::Reason::ack_timeout;
      },
      kWait))
      << sim_->output();
}

INSTANTIATE_TEST_SUITE_P(Knobs, SimFault,
                         ::testing::Values(FaultCase{"silent", "ack_timeout"},
                                           FaultCase{"offline", "device_offline"},
                                           FaultCase{"sensor_hot", "overtemp"},
                                           FaultCase{"sensor_silent", "telemetry_stale"}),
                         [](const ::testing::TestParamInfo<FaultCase>& info) {
                           return info.param.fault;
                         });

}  // namespace
}  // namespace padtimer::testing
