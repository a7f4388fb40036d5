// The one place that reads the real clocks and hands the engine a Now.
#pragma once

#include "core/time.h"

namespace padtimer::host {

// Monotonic time from steady_clock, wall time from system_clock, and the local UTC
// offset at that wall time (so daily caps and messages follow DST changes).
core::Now system_now();

}  // namespace padtimer::host
