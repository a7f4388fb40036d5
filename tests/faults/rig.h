// The fault-injection rig: a real mosquitto on a free loopback port, the real padtimer-sim
// recording what its devices do (--record), and the real padtimerd at a time scale, with
// zones of devices from every family that has a device-side auto-off. The scenarios in
// fault_test.cpp break things and then check the safety invariants from the device side.
//
// Waiting is on events (lines the processes print, records the sim writes), never a
// sleep; the only deliberate delays are the random moments a fault is injected at, drawn
// from a seeded generator that the tests print.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "broker.h"
#include "ctl_runner.h"
#include "device_record.h"
#include "process.h"

namespace padtimer::testing::faults {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

// Counts for the suite's summary: faults injected, faults after which padtimerd and the
// devices came back to a safe, working state, and invariant violations (must be 0).
struct Tally {
  std::string scenario;
  int injected = 0;
  int survived = 0;
  int violations = 0;
  int sessions = 0;  // sessions started during the scenario (it exercised something)
};

// Cycles are multiplied by $PADTIMER_FAULT_ROUNDS (default 1) to run the suite longer.
int rounds();

// Safety timings are on padtimerd's scaled clock; the devices see them in real time.
struct RigOptions {
  int zones = 4;
  int time_scale = 60;
  std::chrono::seconds confirm_timeout = 30s;
  std::chrono::seconds lease = 120s;
  std::chrono::seconds lease_rearm = 60s;
  std::chrono::seconds broker_grace = 60s;
  std::chrono::seconds telemetry_timeout = 300s;
  std::string telemetry_period = "1s";  // the sim's, in real time
  std::string schedules;                // the config's schedules: entries, if any
  bool faketime = false;                // padtimerd's wall clock can be moved: jump_wall()
};

class Rig {
 public:
  explicit Rig(RigOptions options);
  ~Rig();

  // --- Topology: zone i is "z<i>"; families rotate so every auto-off protocol is covered.
  int zones() const { return options_.zones; }
  static std::string zone(int i) { return "z" + std::to_string(i); }
  std::string heat_device(int i) const;
  std::string cold_device(int i) const;
  static constexpr const char* kRoutine = "therapy";  // heat 15m, rest 2m, cold 10m
  const Limits& limits() const { return limits_; }
  std::vector<ZoneLayout> layouts() const;
  Millis real(std::chrono::seconds scaled) const;  // a clock duration in real time

  // --- Processes.
  void start_daemon();  // waits until it has said it is online
  void kill_daemon();   // SIGKILL
  ChildProcess& daemon() { return *daemon_; }
  ChildProcess& sim() { return *sim_; }
  Broker& broker() { return broker_; }
  bool all_running();

  // padtimerctl against the rig's broker.
  Outcome ctl(const std::vector<std::string>& args);
  // mosquitto_pub, QoS 1.
  void publish(const std::string& topic, const std::string& payload, bool retained = false);
  // Sets a fault knob on a simulated device.
  void device_fault(const std::string& device, const std::string& fault) {
    publish("padtimer-sim/" + device + "/fault", fault);
  }
  // A phone: a subscriber on padtimerd's status and every zone's events and states, started
  // at the first use and again after a broker restart. Its lines are "padtimer/status
  // online", "padtimer/<zone>/event {json}" and "padtimer/<zone>/state {json}".
  ChildProcess& phone();
  // Waits until the latest state of zone `i` the phone heard says ready.
  bool wait_ready(int i, Millis timeout);

  // --- Waiting. Every wait drains every process's output, so none blocks on a full pipe.
  bool wait_until(const std::function<bool()>& done, Millis timeout);
  // A line of `p` after `cursor` holding every one of `parts`; the cursor moves past it.
  std::optional<std::string> wait_line(ChildProcess& p, std::size_t& cursor,
                                       const std::vector<std::string>& parts, Millis timeout);
  // Lets `d` of real time pass (the moment a fault is injected at), draining meanwhile.
  void let_pass(Millis d);

  // --- The device side.
  std::vector<OutputChange> record();
  // The invariants over the whole record so far; each violation is printed and counted.
  int check_invariants(Tally& tally);
  // The device's output changes after `since_ns` (CLOCK_MONOTONIC).
  std::vector<OutputChange> changes_of(const std::string& device, std::int64_t since_ns);

  // --- The wall clock under faketime: padtimerd's real wall clock is `offset` away from
  // the machine's (its scaled clock moves time_scale times that).
  void jump_wall(std::chrono::seconds offset);

  // Newest session's outcome for `zone` in padtimerd's database ("" when none or running).
  std::string last_outcome(const std::string& zone);

  std::mt19937& random() { return random_; }
  std::uint32_t seed() const { return seed_; }

 private:
  std::string config() const;
  std::vector<std::string> sim_arguments() const;

  RigOptions options_;
  Limits limits_;
  Broker broker_;
  TempDir dir_;
  std::unique_ptr<ChildProcess> sim_;
  std::unique_ptr<ChildProcess> daemon_;
  std::unique_ptr<ChildProcess> phone_;
  std::uint32_t seed_;
  std::mt19937 random_;
};

// Prints the scenario's tally and writes it where the suite's summary collects it.
void report(const Tally& tally);

}  // namespace padtimer::testing::faults
