#include "core/checks.h"

#include <cstdio>

#include "core/time_format.h"

namespace padtimer::core {

namespace {

std::string celsius(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f °C", value);
  return buf;
}

}  // namespace

Duration phase_max(PhaseKind kind) {
  switch (kind) {
    case PhaseKind::heat: return kHeatPhaseMax;
    case PhaseKind::cold: return kColdPhaseMax;
    case PhaseKind::rest: return kRestPhaseMax;
  }
  return Duration::zero();
}

CheckResult check_phase_length(const Phase& phase) {
  Duration min = phase.kind == PhaseKind::heat   ? kHeatPhaseMin
                 : phase.kind == PhaseKind::cold ? kColdPhaseMin
                                                 : Duration{1000};
  Duration max = phase_max(phase.kind);
  if (phase.length >= min && phase.length <= max) return std::nullopt;
  return Verdict{Reason::bad_request,
                 std::string(to_string(phase.kind)) + " phase of " +
                     describe_duration(phase.length) + " is outside the allowed " +
                     describe_duration(min) + " to " + describe_duration(max),
                 std::nullopt};
}

CheckResult check_routine_rests(const Routine& routine, Duration min_rest) {
  std::optional<std::size_t> last_therapy;
  Duration rest_since{};
  for (std::size_t i = 0; i < routine.phases.size(); ++i) {
    const Phase& phase = routine.phases[i];
    if (phase.kind == PhaseKind::rest) {
      rest_since += phase.length;
      continue;
    }
    if (last_therapy && rest_since < min_rest) {
      return Verdict{Reason::bad_request,
                     "phase " + std::to_string(i + 1) + " (" + std::string(to_string(phase.kind)) +
                         ") follows phase " + std::to_string(*last_therapy + 1) + " with " +
                         describe_duration(rest_since) + " of rest; at least " +
                         describe_duration(min_rest) + " of rest must separate therapy phases",
                     std::nullopt};
    }
    last_therapy = i;
    rest_since = Duration::zero();
  }
  return std::nullopt;
}

CheckResult check_session_rest(const std::string& zone, Duration min_rest,
                               const LastSessionEnd& last_end, const Now& now) {
  std::optional<WallTime> allowed;
  auto later = [&allowed](WallTime t) {
    if (!allowed || t > *allowed) allowed = t;
  };
  if (last_end.mono && now.mono < *last_end.mono + min_rest) {
    later(now.wall + (*last_end.mono + min_rest - now.mono));
  }
  if (last_end.wall && now.wall < *last_end.wall + min_rest) {
    later(*last_end.wall + min_rest);
  }
  if (!allowed) return std::nullopt;
  return Verdict{Reason::rest_interval,
                 "rest interval: " + zone + " may start again " + describe_moment(*allowed, now) +
                     " (" + describe_duration(min_rest) + " of rest between sessions)",
                 allowed};
}

CheckResult check_daily_cap(const std::string& zone, Duration cap, Duration used_today,
                            Duration needed, const Now& now) {
  if (used_today + needed <= cap) return std::nullopt;
  Duration left = cap > used_today ? cap - used_today : Duration::zero();
  std::optional<WallTime> allowed;
  std::string when = "; it is longer than the whole daily limit";
  if (needed <= cap) {
    allowed = next_local_midnight(now.wall, now.utc_offset);
    when = "; allowed again " + describe_moment(*allowed, now);
  }
  return Verdict{Reason::daily_limit,
                 "daily limit: " + zone + " has " + describe_duration(left) + " of its " +
                     describe_duration(cap) + " left today and this needs " +
                     describe_duration(needed) + when,
                 allowed};
}

ExtendDecision check_extend(PhaseKind kind, Duration planned, Duration requested) {
  Duration max = phase_max(kind);
  if (requested <= Duration::zero()) {
    return {Duration::zero(),
            Verdict{Reason::bad_request, "extend needs a positive duration", std::nullopt}};
  }
  if (planned >= max) {
    return {Duration::zero(),
            Verdict{Reason::phase_max,
                    std::string(to_string(kind)) + " phases are limited to " +
                        describe_duration(max) + " and this one is already at its maximum",
                    std::nullopt}};
  }
  return {std::min(requested, max - planned), std::nullopt};
}

CheckResult check_temperature(const DeviceSpec& device, double celsius_now) {
  if (!device.sensor) return std::nullopt;
  const SensorSpec& s = *device.sensor;
  if (s.max_c && celsius_now > *s.max_c) {
    return Verdict{Reason::overtemp,
                   device.id + " reads " + celsius(celsius_now) + ", above its limit of " +
                       celsius(*s.max_c) +
                       "; it was switched off. Let it cool, check it, then reset",
                   std::nullopt};
  }
  if (s.min_c && celsius_now < *s.min_c) {
    return Verdict{Reason::undertemp,
                   device.id + " reads " + celsius(celsius_now) + ", below its limit of " +
                       celsius(*s.min_c) + "; it was switched off. Check it, then reset",
                   std::nullopt};
  }
  return std::nullopt;
}

CheckResult check_telemetry_fresh(const DeviceSpec& device, std::optional<MonoTime> last_reading,
                                  MonoTime on_since, MonoTime now) {
  if (!device.sensor) return std::nullopt;
  MonoTime from = last_reading && *last_reading > on_since ? *last_reading : on_since;
  if (now - from < device.sensor->telemetry_timeout) return std::nullopt;
  return Verdict{Reason::telemetry_stale,
                 device.id + " sent no temperature for " + describe_duration(now - from) +
                     " while ON (limit " + describe_duration(device.sensor->telemetry_timeout) +
                     "); it was switched off. Check its sensor and connection, then reset",
                 std::nullopt};
}

CheckResult check_response(const DeviceSpec& device, Output mode, double baseline_c,
                           double best_c) {
  if (!device.sensor || mode == Output::off) return std::nullopt;
  bool heating = mode == Output::heat;
  const auto& watch = heating ? device.sensor->heat_up : device.sensor->cool_down;
  if (!watch) return std::nullopt;
  double change = heating ? best_c - baseline_c : baseline_c - best_c;
  if (change >= watch->min_change_c) return std::nullopt;
  return Verdict{heating ? Reason::heatup_failed : Reason::cooldown_failed,
                 device.id + (heating ? " warmed by " : " cooled by ") + celsius(change) + " in " +
                     describe_duration(watch->within) + " (expected at least " +
                     celsius(watch->min_change_c) +
                     "); the pad, its relay or its sensor may be broken. Check it, then reset",
                 std::nullopt};
}

}  // namespace padtimer::core
