// The one place that reads the real clocks and hands the engine a Now.
#pragma once

#include <optional>
#include <string>

#include "core/time.h"

namespace padtimer::host {

// Monotonic time from CLOCK_BOOTTIME (it runs on through a suspend, as the pads' own
// timers do, so a lease that ran out while the machine slept counts as run out), wall time
// from system_clock, and the local UTC offset at that wall time (so daily caps and messages
// follow DST changes).
core::Now system_now();

// The local UTC offset at a wall time (localtime_r and the system's zone rules).
std::chrono::minutes utc_offset_at(core::WallTime wall);

// The daemon's clock: the system clocks, or — for demos and tests (--time-scale) — both
// running `scale` times faster. The scaled wall clock runs from `wall_origin`, a real wall
// time kept in the state database, so it goes on where it was across restarts (time while
// padtimerd was down passes `scale` times faster too); without one it runs from now. The
// scaled monotonic clock runs from the moment the Clock was made (it is only ever compared
// within one process). Timers wait real time, so they convert with real_delay().
class Clock {
 public:
  // Throws std::invalid_argument unless 1 <= scale <= kMaxScale.
  explicit Clock(double scale = 1.0, std::optional<core::WallTime> wall_origin = std::nullopt);

  static constexpr double kMaxScale = 1000.0;

  core::Now now() const;
  double scale() const { return scale_; }
  bool scaled() const { return scale_ != 1.0; }
  // The real wall time the scaled wall clock runs from.
  core::WallTime wall_origin() const { return origin_.wall; }
  // Real time to wait for `clock_time` of this clock to pass (rounded up).
  core::Duration real_delay(core::Duration clock_time) const;
  // Names this clock's monotonic time for the state database: the boot (CLOCK_BOOTTIME
  // counts from it, so another process of the same boot reads the same time); a scaled
  // clock is its own process's only.
  const std::string& id() const { return id_; }

 private:
  double scale_;
  core::Now origin_;  // real time when made; wall: the given origin, if any
  std::string id_;
};

}  // namespace padtimer::host
