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
//   - at construction every device is commanded OFF and nothing resumes by itself;
//   - after a gap in which a device may have changed unseen (it reconnected, the broker was
//     unreachable, padtimer renewed a lease late), nothing is switched ON again until the
//     device has answered a state query: OFF pauses the session, never ON behind the user;
//   - a rest (between phases or sessions) counts from the moment every device of the zone
//     is known OFF, and exposure counts the time a device was, or may have been, ON;
//   - what safety needs across a life (faults, when pads were last ON, exposure) goes out
//     as PersistSafety before the ON it covers.
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
  // True when the wall clock (or the UTC offset) has moved, or a new local day has begun,
  // since the engine last took history: the caller should hand it StoredHistory read at
  // `now` before the next event, so that today's exposure and the rest come from the
  // corrected clock's day (a clock set back may bring a day the store already counted).
  bool history_stale(const Now& now) const;
  // What persistence should hold for each zone now (the daemon saves it at its heartbeat).
  std::vector<ZoneSafety> safety() const;

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
    // An ON was sent since the device was last commanded OFF: it may hold it.
    bool on_sent = false;
    // It answered ON since it was commanded ON: a later OFF from it (its messages keep their
    // order) is news, even while a renewal is in flight.
    bool on_confirmed = false;
    // After a gap: asking the device for its state; no ON goes out until it answers.
    bool probing = false;
    int probe_attempts = 0;
    MonoTime probe_deadline{};
    std::string probe_gap;  // what the gap was, for messages
    // The device is, or may be, physically ON: from an ON command until it confirms OFF
    // (or, commanded OFF, until `on_bound`). `on_bound`: OFF by then at the latest, by its
    // lease with delivery allowed for; none: no auto-off.
    bool maybe_on = false;
    std::optional<MonoTime> on_bound;
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
    MonoTime exposure_counted{};          // exposure is counted up to here
    std::optional<ZoneSafety> persisted;  // what the last PersistSafety said
    // The time of the previous life's last record: a wall clock behind it is not set yet.
    std::optional<WallTime> clock_floor;
    std::optional<MonoTime> refresh_at;
    // What the last published state said about readiness and devices: a device report,
    // availability or reading republishes the state only when that changes.
    std::optional<ZoneSnapshot> published;
  };

  // One kind per reason to wake up; the earliest wins (see collect_deadlines).
  enum class Wake {
    confirm_timeout,
    probe_timeout,
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
  void on_history(const StoredHistory& history);
  // `reread`: the engine already knows its devices: one it has seen confirm OFF is not taken
  // for ON again on the strength of an older record (its run-on is in the exposure).
  void merge_history(const ZoneHistory& history, bool reread);
  // After a gap in which the device may have missed commands or changed unseen: OFF again,
  // or, commanded ON, OFF and a pause if its lease may have run out, else a state query
  // (an ON it never got is simply sent).
  void after_gap(std::size_t device, const std::string& gap);
  void start_probe(std::size_t device, const std::string& gap);
  // The device answered ON after a gap: its command again, unless its lease may run out
  // before the re-send arrives.
  void resend_checked(std::size_t device, const std::string& gap);
  bool lease_may_run_out(const DeviceRuntime& device) const;
  void on_report_while_probing(std::size_t device, const DeviceReport& report);
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
  // Starts the current phase's clock once every device of the zone is confirmed OFF (the
  // interlock), switching the phase's device ON for heat and cold.
  void try_run_phase(ZoneRuntime& zone);
  void latch_fault(ZoneRuntime& zone, const Verdict& verdict);
  std::optional<std::size_t> phase_device(const ZoneRuntime& zone) const;
  std::optional<MonoTime> phase_end_at(const ZoneRuntime& zone) const;
  Duration phase_remaining(const ZoneRuntime& zone) const;
  Duration therapy_left(const ZoneRuntime& zone) const;
  Duration exposure_today(const ZoneRuntime& zone) const;
  void count_exposure(ZoneRuntime& zone);
  LocalDay exposure_day(const ZoneRuntime& zone) const;
  // The device is known OFF from `at` (its confirmation, or its lease bound).
  void known_off(std::size_t device, MonoTime at);
  void mark_maybe_on(DeviceRuntime& device, std::optional<MonoTime> bound);
  void persist(ZoneRuntime& zone);
  ZoneSafety make_safety(const ZoneRuntime& zone) const;
  Duration exposure_on(const ZoneRuntime& zone, LocalDay day) const;
  bool confirmed_off(const DeviceRuntime& device) const;
  CheckResult devices_ready(const ZoneRuntime& zone) const;

  // Device commands.
  enum class Confirmation { keep, restart };
  void command(std::size_t device, Output output, Confirmation confirmation = Confirmation::keep);
  void switch_off(std::size_t device);
  void transmit(std::size_t device);
  std::optional<Duration> lease_for(const DeviceRuntime& device) const;
  // Until when the device may hold the lease sent now, delivery allowed for; none: no lease.
  std::optional<MonoTime> lease_bound(const DeviceRuntime& device) const;
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
  // Wall minus monotonic time, and the UTC offset, when history was last taken.
  Duration history_offset_{};
  std::chrono::minutes history_utc_offset_{0};
  LocalDay history_day_ = 0;
  // Wall minus monotonic time when the clock was found behind a zone's record (not set
  // yet): until it steps past the records, starts wait and the records made carry it, so
  // that they cannot replace the earlier life's (merge_records) and the doubt outlives a
  // reload or a restart on the same clock, whose engine sees the clock past the records.
  std::optional<Duration> clock_doubt_;
  std::vector<Command> out_;
};

}  // namespace padtimer::core
