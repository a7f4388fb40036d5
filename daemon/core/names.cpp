// Text names of the engine's enums. They appear in MQTT payloads: never rename one.
#include "core/io.h"
#include "core/model.h"

namespace padtimer::core {

std::string_view to_string(DeviceRole role) {
  switch (role) {
    case DeviceRole::heat: return "heat";
    case DeviceRole::cold: return "cold";
    case DeviceRole::dual: return "dual";
  }
  return "unknown";
}

std::string_view to_string(Output output) {
  switch (output) {
    case Output::off: return "off";
    case Output::heat: return "heat";
    case Output::cold: return "cold";
  }
  return "unknown";
}

std::string_view to_string(PhaseKind kind) {
  switch (kind) {
    case PhaseKind::heat: return "heat";
    case PhaseKind::cold: return "cold";
    case PhaseKind::rest: return "rest";
  }
  return "unknown";
}

Output on_output(DeviceRole role) {
  return role == DeviceRole::cold ? Output::cold : Output::heat;
}

std::optional<PhaseKind> missing_device_kind(const ZoneSpec& zone, const Routine& routine) {
  for (const Phase& p : routine.phases) {
    if ((p.kind == PhaseKind::heat && zone.heat_device.empty()) ||
        (p.kind == PhaseKind::cold && zone.cold_device.empty()))
      return p.kind;
  }
  return std::nullopt;
}

Output output_for(PhaseKind kind) {
  switch (kind) {
    case PhaseKind::heat: return Output::heat;
    case PhaseKind::cold: return Output::cold;
    case PhaseKind::rest: return Output::off;
  }
  return Output::off;
}

std::string_view to_string(Action action) {
  switch (action) {
    case Action::start: return "start";
    case Action::stop: return "stop";
    case Action::pause: return "pause";
    case Action::resume: return "resume";
    case Action::skip: return "skip";
    case Action::extend: return "extend";
    case Action::reset: return "reset";
    case Action::stop_all: return "stop_all";
  }
  return "unknown";
}

std::string_view to_string(ZoneStatus status) {
  switch (status) {
    case ZoneStatus::idle: return "idle";
    case ZoneStatus::heat: return "heat";
    case ZoneStatus::cold: return "cold";
    case ZoneStatus::rest: return "rest";
    case ZoneStatus::paused: return "paused";
    case ZoneStatus::fault: return "fault";
  }
  return "unknown";
}

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::session_started: return "session_started";
    case EventKind::phase_started: return "phase_started";
    case EventKind::phase_ended: return "phase_ended";
    case EventKind::session_ended: return "session_ended";
    case EventKind::paused: return "paused";
    case EventKind::resumed: return "resumed";
    case EventKind::fault: return "fault";
    case EventKind::fault_reset: return "fault_reset";
    case EventKind::schedule_skipped: return "schedule_skipped";
    case EventKind::session_interrupted: return "session_interrupted";
  }
  return "unknown";
}

std::string_view to_string(SessionOutcome outcome) {
  switch (outcome) {
    case SessionOutcome::completed: return "completed";
    case SessionOutcome::stopped: return "stopped";
    case SessionOutcome::emergency_stop: return "emergency_stop";
    case SessionOutcome::fault: return "fault";
    case SessionOutcome::pause_timeout: return "pause_timeout";
  }
  return "unknown";
}

}  // namespace padtimer::core
