// The named safety checks. Each is a small pure function with its own tests; the engine
// calls them at the points its state machine needs them. A check returns nothing when
// all is well, or a Verdict: a stable reason code plus words a person can act on.
#pragma once

#include <optional>
#include <string>

#include "core/model.h"
#include "core/reasons.h"

namespace padtimer::core {

struct Verdict {
  Reason reason = Reason::ok;
  std::string message;
  std::optional<WallTime> allowed_at;  // when the refusal stops applying, if it will
};

using CheckResult = std::optional<Verdict>;

// phase_length: heat 15-20 min, cold 10-15 min, rest 1 s - 4 h.
CheckResult check_phase_length(const Phase& phase);

// phase_rest: two therapy phases (heat or cold) must be separated by a rest phase of at
// least `min_rest`, so skin recovers between a heat and a cold application.
CheckResult check_routine_rests(const Routine& routine, Duration min_rest);

// Longest a phase of this kind may last (its ON time for heat and cold).
Duration phase_max(PhaseKind kind);

// rest_interval: the zone may not start again until `min_rest` after its last session.
// The end is known on the monotonic clock when it happened in this process and on the
// wall clock when it comes from history; the later of the two wins.
struct LastSessionEnd {
  std::optional<MonoTime> mono;
  std::optional<WallTime> wall;
};
CheckResult check_session_rest(const std::string& zone, Duration min_rest,
                               const LastSessionEnd& last_end, const Now& now);

// daily_limit: exposure already used today plus what the routine needs must fit the cap.
CheckResult check_daily_cap(const std::string& zone, Duration cap, Duration used_today,
                            Duration needed, const Now& now);

// phase_max: how much of `requested` may be added to a phase planned at `planned`.
// Refuses when nothing may be added; otherwise returns the amount that fits.
struct ExtendDecision {
  Duration granted{};
  CheckResult refusal;
};
ExtendDecision check_extend(PhaseKind kind, Duration planned, Duration requested);

// overtemp / undertemp: a reading beyond the device's limits. Checked at all times, not
// only during phases: a pad at 50 °C while "off" has a welded relay.
CheckResult check_temperature(const DeviceSpec& device, double celsius);

// telemetry_stale: while ON, a sensor must have reported within its timeout. The clock
// starts at the later of the last reading and the moment the device went ON.
CheckResult check_telemetry_fresh(const DeviceSpec& device, std::optional<MonoTime> last_reading,
                                  MonoTime on_since, MonoTime now);

// heatup_failed / cooldown_failed: after `within` of ON, the reading must have moved by
// `min_change_c` in the right direction from the baseline taken at the first reading.
CheckResult check_response(const DeviceSpec& device, Output mode, double baseline_c, double best_c);

}  // namespace padtimer::core
