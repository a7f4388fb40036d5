// One simulated device: the device side of one protocol, over a relay (or a pad's mode),
// a device-side auto-off timer, a thermal model and the fault knobs.
//
// The base class holds everything the families share: the physical output and what it was
// last told, the one timer that flips the output (Tasmota PulseTime, Shelly toggle_after or
// auto_off, Zigbee on_time, a pad's auto_off), telemetry scheduling, the faults and their
// effects, the physical-state report and the stdout lines. A family (tasmota.h, ...) only
// speaks its protocol: it parses commands, calls switch_to(), and formats replies.
//
// Like the engine, a device is sans-IO: handle(topic, payload, now), handle_timeout(now)
// and fault_command(payload, now) go in; a Reaction (messages, lines, link changes) and
// next_deadline() come out.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/thermal.h"
#include "sim/types.h"

namespace padtimer::sim {

// The device's availability topic and words.
struct Availability {
  std::string topic;
  std::string online;
  std::string offline;
  // True: the device's own MQTT last will (Tasmota LWT, Shelly online, JSON pad). False:
  // published by the sim on the device's behalf (Zigbee2MQTT: the bridge, not the device,
  // is the MQTT client, so it stays connected and announces the device offline).
  bool is_will = true;
};

// A pending flip of the output: at `at` the output becomes `target`.
struct Timer {
  Time at;
  Output target = Output::off;
  Time armed;  // when it was set (Shelly reports timer_started_at / timer_duration)
};

// Settings every family shares (sim/config.cpp fills them in from the options).
struct CommonSettings {
  std::string name;
  Role role = Role::heat;
  ThermalParams thermal;
  std::optional<double> initial_temperature;  // default: room temperature
  bool has_sensor = true;
  Seconds telemetry_period{10};
};

class Device {
 public:
  Device(std::string family, CommonSettings settings, Now start);
  virtual ~Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& name() const { return settings_.name; }
  const std::string& family() const { return family_; }
  Role role() const { return settings_.role; }

  // Topic filters the device's own client subscribes to.
  virtual std::vector<std::string> subscriptions() const = 0;
  virtual Availability availability() const = 0;

  // A message on one of the device's topics.
  Reaction handle(std::string_view topic, std::string_view payload, Now now);
  // The device's client has (re)connected: its current state and a first telemetry.
  Reaction connected(Now now);
  // Fires a due timer and sends due telemetry. Call when next_deadline() has come.
  Reaction handle_timeout(Now now);
  // The earliest time handle_timeout has something to do.
  Time next_deadline() const;
  // A fault command (padtimer-sim/<name>/fault, or --fault at start).
  Reaction fault_command(std::string_view payload, Now now);
  Reaction apply_faults(const FaultCommand& command, Now now);
  // What to publish on the device's client before a clean shutdown (the will-less
  // availability; a will topic's offline word is published by the transport).
  std::vector<Publish> shutdown_messages() const;
  // Should the device's own client be connected? Not while a device with a will is offline.
  bool link_wanted() const;

  Output output() const { return output_; }
  Output commanded() const { return commanded_; }
  double temperature(Time now) const { return thermal_.temperature(now); }
  // What the device's sensor reports now: rounded to 0.1 °C; 50 °C when sensor_hot; the
  // frozen value when sensor_stuck. Empty without a sensor or when sensor_silent.
  std::optional<double> sensor_reading(Time now) const;
  // Time left until the timer switches the output OFF (empty when no such timer).
  std::optional<Seconds> auto_off_remaining(Time now) const;
  const std::optional<Timer>& timer() const { return timer_; }
  const Faults& faults() const { return faults_; }
  // {"output":"heat","temperature":38.2,"auto_off_remaining":95.3|null,"faults":[...]}
  std::string physical_json(Time now) const;

  static constexpr double kHotReading = 50.0;

 protected:
  // The family's protocol: a message on one of its topics, faults already screened.
  virtual void on_message(std::string_view topic, std::string_view payload, Now now,
                          Reaction& r) = 0;
  // The output changed by itself (a timer, a weld giving way): announce it.
  virtual void on_output_changed(Now now, Reaction& r) = 0;
  // After (re)connecting: the current state as the device announces it.
  virtual void on_connected(Now now, Reaction& r) = 0;
  // Every telemetry period (and right after connecting).
  virtual void on_telemetry(Now now, Reaction& r) = 0;
  // A deadline of the family's own protocol besides the timer and telemetry (Tasmota: the
  // next Backlog entry). next_deadline() includes it; handle_timeout() calls
  // on_protocol_deadline() once it has come.
  virtual std::optional<Time> protocol_deadline() const { return std::nullopt; }
  virtual void on_protocol_deadline(Now /*now*/, Reaction& /*r*/) {}

  // Carries out a command: the output becomes `target` (unless a welded relay keeps it
  // ON) and the timer is replaced by `timer` (none: cancelled). Prints one line. Returns
  // true when the output changed.
  bool switch_to(Output target, std::optional<Timer> timer, Now now, Reaction& r);
  // Replaces the timer only (Tasmota: PulseTime set while ON).
  void set_timer(std::optional<Timer> timer, Reaction& r);
  // A JSON pad's level 1..10.
  void set_level(int level, Time now);
  int level() const { return thermal_.level(); }

  Output on_output() const { return sim::on_output(settings_.role); }
  bool has_sensor() const { return settings_.has_sensor; }
  // A timer that fires `after` from now.
  static Timer timer_after(Seconds after, Output target, Now now);
  // The auto-off that goes with switching to `target`: none when it is OFF or `after` is
  // empty.
  static std::optional<Timer> auto_off_for(Output target, std::optional<Seconds> after, Now now);
  // "on", "off", "toggle" (exactly) -> the output they ask for; empty for anything else.
  std::optional<Output> switch_word(std::string_view word) const;
  // Prints "ignored <topic>: <why>" (malformed or unsupported input; no state change).
  static void ignored(Reaction& r, std::string_view topic, std::string_view why);

 private:
  void apply_output(Output output, Time at);
  void fire_timer(Now now, Reaction& r);

  std::string family_;
  CommonSettings settings_;
  Thermal thermal_;
  Output output_ = Output::off;     // what the relay/pad is physically doing
  Output commanded_ = Output::off;  // what it was last told (differs only when welded)
  std::optional<Timer> timer_;
  Time next_telemetry_;
  Faults faults_;
  double stuck_reading_ = 0.0;
};

}  // namespace padtimer::sim
