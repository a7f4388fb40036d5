// Stable reason codes: why a request was refused or a zone faulted. Their text form
// (reason_code) is part of the MQTT API, so existing codes must never be renamed.
#pragma once

#include <optional>
#include <string_view>

namespace padtimer::core {

enum class Reason {
  ok,
  // Refusals of a request.
  bad_request,          // malformed or incomplete request
  unknown_zone,         // no zone of that name
  unknown_routine,      // no routine of that name
  routine_unsupported,  // the routine needs a heat or cold device the zone lacks
  session_running,      // start while a session runs
  not_running,          // stop/pause/skip/extend with no session
  not_paused,           // resume while not paused
  already_paused,       // pause while paused
  fault_latched,        // start/resume while the zone is faulted: reset first
  not_faulted,          // reset while nothing is latched
  rest_interval,        // too soon after the last session, or skipping a rest too early
  daily_limit,          // the zone's daily exposure cap would be exceeded
  phase_max,            // extend beyond the phase's maximum length
  device_not_ready,     // a device has not confirmed it is OFF yet
  start_missed,         // a scheduled start passed while padtimerd was down (or the clock
                        // jumped over it) and its grace window is over: not run late
  clock_not_set,        // the wall clock is behind padtimer's own last record of the zone:
                        // not set yet (no RTC, no NTP yet), so rest and caps can't be judged
  // Faults that latch a zone; the first two also refuse a start without latching.
  device_offline,    // a device is offline (latches only during a session)
  broker_offline,    // the MQTT broker is unreachable (latches after broker_grace)
  overtemp,          // a heat device's sensor read above its maximum
  undertemp,         // a cold device's sensor read below its minimum
  telemetry_stale,   // no temperature reading within the timeout while ON
  heatup_failed,     // a heat device did not warm up by the watch amount in time
  cooldown_failed,   // a cold device did not cool down by the watch amount in time
  ack_timeout,       // a device did not confirm a command, even after one retry
  unexpected_state,  // a device turned ON (or to the wrong mode) on its own
};

// The stable snake_case code, e.g. "rest_interval".
std::string_view reason_code(Reason reason);

// The reason whose code is `code`, or nothing for text that is no code.
std::optional<Reason> reason_from_code(std::string_view code);

// True for reasons that latch a zone in fault.
bool is_fault_reason(Reason reason);

}  // namespace padtimer::core
