#include "core/reasons.h"

namespace padtimer::core {

std::string_view reason_code(Reason reason) {
  switch (reason) {
    case Reason::ok: return "ok";
    case Reason::bad_request: return "bad_request";
    case Reason::unknown_zone: return "unknown_zone";
    case Reason::unknown_routine: return "unknown_routine";
    case Reason::routine_unsupported: return "routine_unsupported";
    case Reason::session_running: return "session_running";
    case Reason::not_running: return "not_running";
    case Reason::not_paused: return "not_paused";
    case Reason::already_paused: return "already_paused";
    case Reason::fault_latched: return "fault_latched";
    case Reason::not_faulted: return "not_faulted";
    case Reason::rest_interval: return "rest_interval";
    case Reason::daily_limit: return "daily_limit";
    case Reason::phase_max: return "phase_max";
    case Reason::device_offline: return "device_offline";
    case Reason::device_not_ready: return "device_not_ready";
    case Reason::start_missed: return "start_missed";
    case Reason::clock_not_set: return "clock_not_set";
    case Reason::broker_offline: return "broker_offline";
    case Reason::overtemp: return "overtemp";
    case Reason::undertemp: return "undertemp";
    case Reason::telemetry_stale: return "telemetry_stale";
    case Reason::heatup_failed: return "heatup_failed";
    case Reason::cooldown_failed: return "cooldown_failed";
    case Reason::ack_timeout: return "ack_timeout";
    case Reason::unexpected_state: return "unexpected_state";
  }
  return "unknown";
}

std::optional<Reason> reason_from_code(std::string_view code) {
  for (int i = 0; i <= static_cast<int>(Reason::unexpected_state); ++i) {
    if (reason_code(static_cast<Reason>(i)) == code) return static_cast<Reason>(i);
  }
  return std::nullopt;
}

bool is_fault_reason(Reason reason) {
  switch (reason) {
    case Reason::overtemp:
    case Reason::undertemp:
    case Reason::telemetry_stale:
    case Reason::heatup_failed:
    case Reason::cooldown_failed:
    case Reason::ack_timeout:
    case Reason::unexpected_state:
    case Reason::device_offline:
    case Reason::broker_offline: return true;
    default: return false;
  }
}

}  // namespace padtimer::core
