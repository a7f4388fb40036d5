// What the engine is told about the world: devices, zones, routines and the safety
// settings. These are plain, already-typed values; config/ turns YAML into them and
// validate.h checks them before an Engine accepts them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/reasons.h"
#include "core/time.h"

namespace padtimer::core {

using namespace std::chrono_literals;

// Product ranges fixed by the design card. They are not configurable on purpose.
inline constexpr Duration kHeatPhaseMin = 15min;
inline constexpr Duration kHeatPhaseMax = 20min;
inline constexpr Duration kColdPhaseMin = 10min;
inline constexpr Duration kColdPhaseMax = 15min;
// Floors under the configurable rests: a config can ask for more rest, never less.
inline constexpr Duration kSessionRestFloor = 20min;
inline constexpr Duration kPhaseRestFloor = 2min;
// A rest phase or a pause longer than this is a forgotten session, not therapy.
inline constexpr Duration kRestPhaseMax = 4h;

enum class DeviceRole { heat, cold, dual };

// What a device is doing, as commanded or as it reports. A plain plug is ON in the mode of
// its role (a heat plug reports `heat` when ON); a dual pad reports its mode.
enum class Output { off, heat, cold };

enum class PhaseKind { heat, cold, rest };

// "Within `within` of switching ON, the reading must move by `min_change_c`" — in the
// manner of Klipper's verify_heater: a pad that does not warm up is broken or unplugged.
struct ResponseWatch {
  double min_change_c = 2.0;
  Duration within = 3min;
};

struct SensorSpec {
  std::optional<double> max_c;  // heat cutoff; required for heat and dual devices
  std::optional<double> min_c;  // cold cutoff; required for cold and dual devices
  // While the device is ON, a reading older than this cuts the phase.
  Duration telemetry_timeout = 2min;
  std::optional<ResponseWatch> heat_up;    // rise expected after switching heat ON
  std::optional<ResponseWatch> cool_down;  // drop expected after switching cold ON
};

struct DeviceSpec {
  std::string id;
  DeviceRole role = DeviceRole::heat;
  // The device can switch itself off after a duration given with each ON (Tasmota
  // PulseTime, Shelly toggle_after, Zigbee on_time). Without it, a dead controller
  // cannot be covered by the device itself.
  bool auto_off = true;
  std::optional<SensorSpec> sensor;
};

struct ZoneSpec {
  std::string id;             // e.g. "lower_back"
  std::string heat_device;    // empty: the zone has no heat
  std::string cold_device;    // empty: the zone has no cold; may equal heat_device (dual)
  Duration min_rest = 60min;  // between the end of a session and the next start
  Duration daily_cap = 2h;    // heat + cold time ON per local day
};

struct Phase {
  PhaseKind kind = PhaseKind::rest;
  Duration length{};
};

struct Routine {
  std::string id;
  std::vector<Phase> phases;
};

struct SafetySettings {
  // A command not confirmed by the device's reported state within this is retried once,
  // then the zone faults with ack_timeout.
  Duration confirm_timeout = 10s;
  // Auto-off duration sent with every ON, re-armed every `lease_rearm` while the phase
  // runs. Near a phase's end the lease shrinks to the time left plus `lease_margin`, so a
  // device switches itself off close to the phase end even if padtimer is gone.
  Duration lease = 120s;
  Duration lease_rearm = 60s;
  Duration lease_margin = 5s;
  // Minimum rest phase between two therapy phases (heat or cold) of a routine.
  Duration phase_rest = 5min;
  // A session paused longer than this is stopped.
  Duration max_pause = 30min;
  // A session survives a broker outage this long (devices keep their lease), then faults.
  Duration broker_grace = 60s;
  // The zone state is re-published at least this often during a session.
  Duration state_refresh = 60s;
};

struct EngineConfig {
  SafetySettings safety;
  std::vector<DeviceSpec> devices;
  std::vector<ZoneSpec> zones;
  std::vector<Routine> routines;
};

// A device that may still be ON when a life of the engine ends (a restart, a reload): it
// was commanded ON, or commanded OFF without confirming it.
struct DeviceMaybeOn {
  std::string device;
  // It is OFF by then at the latest (its auto-off lease, delivery allowed for); none: it
  // has no auto-off, so only its own confirmation of OFF ends it.
  std::optional<WallTime> until;
};

// What persistence remembers of a zone across restarts and reloads, handed to the Engine at
// construction and again whenever the wall clock moves (see Engine::history_stale()).
// One per zone. One with an empty `zone` speaks for the daemon itself: its recorded_at is
// the last sign of life of the previous one (a clock behind it has not been set yet, even
// when no zone has a record).
struct ZoneHistory {
  std::string zone;
  // The rest interval counts from here: the later of the last session's end and the last
  // moment a device of the zone was, or may have been, ON.
  std::optional<WallTime> last_session_end;
  // The same moment on the monotonic clock, when it was read from the same clock as the
  // engine's (the same boot, or a reload): immune to wall-clock jumps.
  std::optional<MonoTime> last_session_end_mono;
  // Exposure already used on local day `day` (see local_day()): physical ON time where it is
  // known, otherwise the time a device may have been ON.
  LocalDay day = 0;
  Duration exposure{};
  // Devices that may still be ON now: the engine counts them ON (rest, exposure) until they
  // confirm OFF or their `until` passes.
  std::vector<DeviceMaybeOn> maybe_on;
  // A session was running when the previous process died. It is never resumed;
  // last_session_end should then be the last moment it was known to run.
  bool session_interrupted = false;
  // A latched fault: the zone stays latched, across restarts and reloads, until reset.
  Reason fault = Reason::ok;
  std::string fault_message;
  // When the record this comes from was made. A wall clock behind it has not been set yet
  // (a Raspberry Pi without RTC before NTP): starts wait until it is (clock_not_set).
  std::optional<WallTime> recorded_at;
  // The clock has been in doubt since wall minus monotonic time read this (on the same
  // monotonic clock as now): starts wait until it steps past the records.
  std::optional<Duration> clock_doubt;
};

// What the engine asks persistence to keep about a zone (PersistSafety), so that rest
// intervals, daily caps and latched faults hold across a restart, a kill -9 or a power cut.
struct ZoneSafety {
  std::string zone;
  MonoTime at_mono{};  // when this was true
  WallTime at{};
  Reason fault = Reason::ok;
  std::string fault_message;
  // The last moment a device of the zone was, or may have been, ON, or the session ended.
  std::optional<WallTime> rest_from;
  std::optional<MonoTime> rest_from_mono;
  // Devices that may be ON now. `commanded_on`: padtimer keeps re-arming its lease, so after
  // a crash it may run on for a lease past the last sign of life; otherwise `until` holds.
  struct MaybeOn {
    std::string device;
    bool commanded_on = false;
    std::optional<WallTime> until;
    bool operator==(const MaybeOn&) const = default;
  };
  std::vector<MaybeOn> maybe_on;
  // Exposure counted on local day `day` so far.
  LocalDay day = 0;
  Duration exposure{};
  bool session = false;  // a session is running
  // Made while the clock is in doubt: it came up behind a record and has not been set
  // since. Wall minus monotonic time then; its times cannot replace an earlier life's
  // record (see merge_records).
  std::optional<Duration> clock_doubt;

  bool operator==(const ZoneSafety&) const = default;
};

std::string_view to_string(DeviceRole role);
std::string_view to_string(Output output);
std::string_view to_string(PhaseKind kind);

// The output that means "ON" for a single-role device; for dual devices, `heat`.
Output on_output(DeviceRole role);
Output output_for(PhaseKind kind);

// The kind (heat or cold) of the first phase of `routine` that `zone` has no device for, or
// nothing when the zone can run it. The one statement of that rule: the engine refuses such
// a start (routine_unsupported), the config refuses such a schedule, and Home Assistant gets
// no start button for it.
std::optional<PhaseKind> missing_device_kind(const ZoneSpec& zone, const Routine& routine);

}  // namespace padtimer::core
