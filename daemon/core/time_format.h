// Human wording of times and durations for replies and events.
#pragma once

#include <string>

#include "core/time.h"

namespace padtimer::core {

// "at 14:20", "tomorrow at 07:05" or "on 2026-11-30 at 07:05", relative to `now`, in local
// time. Seconds round up: a start refused until 14:19:30 is allowed "at 14:20".
std::string describe_moment(WallTime when, const Now& now);

// "20 min", "1 h 5 min", "45 s", "2 min 30 s".
std::string describe_duration(Duration d);

}  // namespace padtimer::core
