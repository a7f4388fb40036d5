// The engine's inputs (events) and outputs (commands). Everything the daemon, the MQTT
// drivers and the control API exchange with the engine passes through these types.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/model.h"
#include "core/reasons.h"

namespace padtimer::core {

// ---- Inputs ---------------------------------------------------------------------------

enum class Action { start, stop, pause, resume, skip, extend, reset, stop_all };

// A user or schedule request. `id` is echoed in the reply so a phone can match them.
struct Request {
  std::string id;
  Action action = Action::start;
  std::string zone;        // ignored by stop_all
  std::string routine;     // start only
  Duration extend_by{};    // extend only
  bool scheduled = false;  // started by a schedule: a refusal also becomes an event
};

// The device's reported output (Tasmota POWER, Shelly output, Zigbee state, pad mode).
struct DeviceReport {
  std::string device;
  Output output = Output::off;
  // The device's answer to a command. False for what it sends by itself (telemetry, its
  // state on connecting), which may cross a command in flight: it says the pad is ON, not
  // that the command and its lease arrived, so it never confirms one. Drivers that cannot
  // tell the two apart report everything as an answer.
  bool answer = true;
  // From the broker's store, delivered because padtimer subscribed: an old state, not the
  // device's state now. It confirms nothing and is not acted on (set by the host, which
  // sees MQTT's retain flag; drivers leave it false).
  bool retained = false;
};

// The device's own availability (LWT, Shelly online, Zigbee availability).
struct DeviceAvailability {
  std::string device;
  bool online = true;
  // From the broker's store, delivered because padtimer subscribed: old news, not a device
  // announcing a connection just now.
  bool retained = false;
};

struct TemperatureReading {
  std::string device;
  double celsius = 0.0;
};

// The MQTT connection came up or went down.
struct BrokerConnection {
  bool connected = true;
};

// What persistence knows, read again because the wall clock moved (NTP corrected a clock
// that started from a saved time, a manual change, a DST change): the engine keeps the
// larger exposure and the later rest of what it has and what this says.
struct StoredHistory {
  std::vector<ZoneHistory> zones;
};

using Event = std::variant<Request, DeviceReport, DeviceAvailability, TemperatureReading,
                           BrokerConnection, StoredHistory>;

// ---- Outputs --------------------------------------------------------------------------

// Drive a device. `auto_off` is the device-side lease: the device must switch itself off
// after it unless it receives another command. Absent for OFF and for devices without
// auto-off support.
struct SetOutput {
  std::string device;
  Output output = Output::off;
  std::optional<Duration> auto_off;
};

// Ask a device for its current output; it answers with a DeviceReport (answer = true).
// Sent after a gap in which the device may have changed without padtimer hearing of it (it
// reconnected, the broker was unreachable): nothing is switched ON again until it answers.
struct QueryState {
  std::string device;
};

enum class ZoneStatus { idle, heat, cold, rest, paused, fault };

// One device of a zone, as a phone shows it.
struct DeviceSnapshot {
  std::string id;
  DeviceRole role = DeviceRole::heat;
  Output output = Output::off;  // as commanded
  bool confirmed = false;       // its reported state matches the command
  bool online = true;
  std::optional<double> temperature_c;  // the last reading, if it has a sensor
};

// Everything a phone shows about a zone.
struct ZoneSnapshot {
  std::string zone;
  ZoneStatus status = ZoneStatus::idle;
  std::string routine;   // empty when idle
  int phase_index = -1;  // 0-based, -1 when idle
  int phase_count = 0;
  PhaseKind phase_kind = PhaseKind::rest;
  bool waiting_for_interlock = false;  // therapy phase waiting for the other device's OFF
  Duration phase_remaining{};
  std::optional<WallTime> next_allowed_start;  // set while the rest interval or cap forbids
  Duration exposure_today{};
  Duration daily_cap{};
  Reason fault = Reason::ok;
  std::string fault_message;
  // The broker is connected and every device is online and has confirmed its last command:
  // a start now would not be refused for readiness (device_not_ready, device_offline,
  // broker_offline).
  bool ready = false;
  std::vector<DeviceSnapshot> devices;
};

struct PublishState {
  ZoneSnapshot snapshot;
};

enum class EventKind {
  session_started,
  phase_started,
  phase_ended,
  session_ended,
  paused,
  resumed,
  fault,
  fault_reset,
  schedule_skipped,
  session_interrupted,  // found at start-up: a session was running when we died
};

enum class SessionOutcome { completed, stopped, emergency_stop, fault, pause_timeout };

struct ZoneEvent {
  std::string zone;
  EventKind kind = EventKind::session_started;
  WallTime at{};
  std::string routine;
  int phase_index = -1;
  PhaseKind phase_kind = PhaseKind::rest;
  Duration on_time{};  // phase_ended: time the device was commanded ON in that phase
  std::optional<SessionOutcome> outcome;  // session_ended
  Reason reason = Reason::ok;             // fault, schedule_skipped, paused by the device
  std::string message;                    // human wording
};

struct PublishEvent {
  ZoneEvent event;
};

// The answer to one Request: exactly one per request.
struct Reply {
  std::string request_id;
  std::string zone;
  bool ok = true;
  Reason code = Reason::ok;
  std::string message;
};

// Keep this in the state database before carrying out the commands that follow it: it is
// emitted before an ON goes out, so that a crash right after still knows the pad may be ON.
struct PersistSafety {
  ZoneSafety safety;
};

using Command =
    std::variant<SetOutput, QueryState, PersistSafety, PublishState, PublishEvent, Reply>;

std::string_view to_string(Action action);
std::string_view to_string(ZoneStatus status);
std::string_view to_string(EventKind kind);
std::string_view to_string(SessionOutcome outcome);

}  // namespace padtimer::core
