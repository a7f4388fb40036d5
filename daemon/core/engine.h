// The therapy and safety engine: a deterministic state machine that performs no I/O.
//
// Inputs are events and the current time; outputs are commands and the next deadline:
//
//   engine.handle(event, now);            // a request, a device report, broker up/down
//   engine.handle_timeout(now);           // call when next_deadline() has come
//   for (auto& c : engine.take_commands()) ...   // SetOutput, PublishState, ...
//   engine.next_deadline();               // arm exactly one timer for this
//
// Every transition lives in engine.cpp; every safety rule is a named check in checks.h.
// Rules the code keeps everywhere:
//   - a device is only commanded ON during a running heat/cold phase, and only after every
//     other device of its zone has confirmed OFF (interlock);
//   - every command must be confirmed by the device's reported state: one retry, then the
//     zone faults (ack_timeout);
//   - any fault latches the zone: all its devices OFF, starts refused until reset;
//   - at construction every device is commanded OFF and nothing resumes by itself.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/checks.h"
#include "core/io.h"
#include "core/model.h"

namespace padtimer::core {

class Engine {
 public:
  // Throws std::invalid_argument naming every problem if validate(config) finds any.
  // `history` carries what persistence knows (last session end, today's exposure).
  Engine(EngineConfig config, const std::vector<ZoneHistory>& history, const Now& now);

  void handle(const Event& event, const Now& now);
  void handle_timeout(const Now& now);

  // The earliest moment handle_timeout must be called; none when nothing is scheduled.
  std::optional<MonoTime> next_deadline() const;

  // Commands produced since the last call, in order.
  std::vector<Command> take_commands();

  // Zone state as of the last call. Throws std::out_of_range for an unknown zone.
  ZoneSnapshot snapshot(const std::string& zone) const;

  const EngineConfig& config() const { return config_; }
  bool broker_connected() const { return connected_; }
  // What the engine last commanded a device to do, and whether the device has confirmed
  // it (its reported state matches and no command is awaiting confirmation). Both throw
  // std::out_of_range for an unknown device.
  Output commanded(const std::string& device) const;
  bool confirmed(const std::string& device) const;
  // Every device commanded OFF and confirmed: commanded(d) == off && confirmed(d) for all d,
  // without a lookup by name per device (the daemon asks after every message at start-up).
  bool all_off_confirmed() const;
  // Exposure counted for a zone on a local day. Throws std::out_of_range if unknown.
  Duration exposure(const std::string& zone, LocalDay day) const;

 private:
  struct DeviceRuntime {
    const DeviceSpec* spec = nullptr;
    std::size_t zone = 0;
    Output commanded = Output::off;
    std::optional<Output> reported;
    bool offline = false;
    // Confirmation of the current command.
    bool awaiting = false;
    bool transmitted = false;  // sent while the broker was up; the timeout only runs then
    int attempts = 0;
    MonoTime confirm_deadline{};
    std::optional<MonoTime> rearm_at;
    // Until when the device keeps itself ON by its auto-off lease, at the earliest: the
    // lease of the oldest ON sent since its last confirmation (if it got any of them, it
    // holds at least that one), and the one it confirmed. A report says only that the
    // device is ON, not which ON it got: a confirmation vouches for the oldest.
    std::optional<MonoTime> lease_unconfirmed_until;
    std::optional<MonoTime> lease_until;
    // Set while commanded ON: telemetry freshness and the response watch start here.
    std::optional<MonoTime> on_since;
    std::optional<double> temperature;
    std::optional<MonoTime> temperature_at;
    std::optional<double> watch_baseline;
    double watch_best = 0.0;
    std::optional<MonoTime> watch_deadline;
    bool watch_due = false;  // the watch time is up; judge at the next reading
  };

  struct SessionRuntime {
    const Routine* routine = nullptr;
    // The local day the whole session counts toward: a session running past midnight, or
    // through a wall-clock jump, stays on the day its start was checked against the cap.
    LocalDay day = 0;
    std::size_t phase = 0;
    Duration planned{};  // current phase length, extendable up to its maximum
    Duration done{};     // time ON (heat/cold) or elapsed (rest) in the current phase
    std::optional<MonoTime> running_since;  // set while `done` is growing
    bool paused = false;
    MonoTime paused_at{};
  };

  struct ZoneRuntime {
    const ZoneSpec* spec = nullptr;
    std::vector<std::size_t> devices;  // distinct device indices
    std::optional<std::size_t> heat_device;
    std::optional<std::size_t> cold_device;
    std::optional<SessionRuntime> session;
    Reason fault = Reason::ok;
    std::string fault_message;
    LastSessionEnd last_end;
    std::map<LocalDay, Duration> exposure;
    std::optional<MonoTime> refresh_at;
    // What the last published state said about readiness and devices: a device report,
    // availability or reading republishes the state only when that changes.
    std::optional<ZoneSnapshot> published;
  };

  // One kind per reason to wake up; the earliest wins (see collect_deadlines).
  enum class Wake {
    confirm_timeout,
    telemetry_stale,
    response_watch,
    broker_grace,
    phase_end,
    pause_limit,
    lease_rearm,
    state_refresh,
  };
  struct Deadline {
    MonoTime at;
    Wake wake;
    std::size_t index;  // device or zone index
  };

  void advance(const Now& now);
  void process_due();
  std::vector<Deadline> collect_deadlines() const;
  void wake(const Deadline& deadline);

  // Inputs.
  void on_request(const Request& request);
  void on_report(const DeviceReport& report);
  void on_availability(const DeviceAvailability& availability);
  void on_temperature(const TemperatureReading& reading);
  void on_broker(const BrokerConnection& connection);
  // After a gap in which the device may have missed commands: its current command again,
  // or, if its lease may have run out meanwhile, OFF and the session paused.
  void resend_after_gap(std::size_t device, const std::string& gap);
  void judge_watch(std::size_t device);

  // Requests.
  CheckResult start(ZoneRuntime& zone, const Request& request, std::string& message);
  CheckResult stop(ZoneRuntime& zone, std::string& message);
  CheckResult pause(ZoneRuntime& zone, std::string& message);
  CheckResult resume(ZoneRuntime& zone, std::string& message);
  CheckResult skip(ZoneRuntime& zone, std::string& message);
  CheckResult extend(ZoneRuntime& zone, Duration by, std::string& message);
  CheckResult reset(ZoneRuntime& zone, std::string& message);
  void stop_all(std::string& message);

  // Session mechanics.
  void accrue(ZoneRuntime& zone);
  void enter_phase(ZoneRuntime& zone, std::size_t index);
  void end_phase(ZoneRuntime& zone);
  void end_session(ZoneRuntime& zone, SessionOutcome outcome, const std::string& message);
  void pause_session(ZoneRuntime& zone, Reason reason, const std::string& message);
  void try_switch_on(ZoneRuntime& zone);
  void latch_fault(ZoneRuntime& zone, const Verdict& verdict);
  std::optional<std::size_t> phase_device(const ZoneRuntime& zone) const;
  std::optional<MonoTime> phase_end_at(const ZoneRuntime& zone) const;
  Duration phase_remaining(const ZoneRuntime& zone) const;
  Duration therapy_left(const ZoneRuntime& zone) const;
  Duration exposure_today(const ZoneRuntime& zone) const;
  Duration exposure_on(const ZoneRuntime& zone, LocalDay day) const;
  bool confirmed_off(const DeviceRuntime& device) const;
  CheckResult devices_ready(const ZoneRuntime& zone) const;

  // Device commands.
  enum class Confirmation { keep, restart };
  void command(std::size_t device, Output output, Confirmation confirmation = Confirmation::keep);
  void switch_off(std::size_t device);
  void transmit(std::size_t device);
  std::optional<Duration> lease_for(const DeviceRuntime& device) const;
  void all_off(ZoneRuntime& zone);

  // Outputs.
  void publish_state(ZoneRuntime& zone);
  void publish_state_if_devices_changed(ZoneRuntime& zone);
  void publish_event(const ZoneRuntime& zone, EventKind kind, Reason reason,
                     const std::string& message);
  ZoneSnapshot make_snapshot(const ZoneRuntime& zone) const;

  std::optional<std::size_t> find_zone(const std::string& id) const;
  std::optional<std::size_t> find_device(const std::string& id) const;
  std::optional<std::size_t> find_routine(const std::string& id) const;

  EngineConfig config_;
  std::vector<DeviceRuntime> devices_;
  std::vector<ZoneRuntime> zones_;
  std::map<std::string, std::size_t> device_index_;
  std::map<std::string, std::size_t> zone_index_;
  std::map<std::string, std::size_t> routine_index_;
  Now now_{};
  bool connected_ = false;
  std::optional<MonoTime> broker_lost_at_;  // cleared once broker_grace has acted
  std::vector<Command> out_;
};

}  // namespace padtimer::core
