// Time as the engine sees it. The engine never reads a clock: every call carries a Now.
//
// Two clocks, because they fail differently. Durations (phase lengths, timeouts, leases)
// are measured on a monotonic clock that never jumps. Calendar facts (today's exposure,
// "may start again at 14:20", rest across restarts) need wall time, which can jump when
// NTP syncs or a Raspberry Pi without a real-time clock boots at 1970.
#pragma once

#include <chrono>
#include <cstdint>

namespace padtimer::core {

using Duration = std::chrono::milliseconds;

// A clock with no now(): its time points come only from the caller.
struct MonotonicClock {
  using duration = Duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<MonotonicClock, Duration>;
  static constexpr bool is_steady = true;
};

using MonoTime = MonotonicClock::time_point;
using WallTime = std::chrono::sys_time<Duration>;

// Days since 1970-01-01 in local time: the key of the daily exposure cap.
using LocalDay = std::int64_t;

struct Now {
  MonoTime mono{};
  WallTime wall{};
  // Local time minus UTC at `wall` (changes with DST; the caller recomputes it each call).
  std::chrono::minutes utc_offset{0};
};

LocalDay local_day(WallTime wall, std::chrono::minutes utc_offset);

// Wall time of the next local midnight after `wall`.
WallTime next_local_midnight(WallTime wall, std::chrono::minutes utc_offset);

}  // namespace padtimer::core
