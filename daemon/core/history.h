// From what persistence kept of a zone (the engine's last PersistSafety) to what a new
// engine starts from (ZoneHistory). One function, used by the state database and by the
// property test's stand-in for it, so that both restart from the same reading.
#pragma once

#include "core/model.h"
#include "core/time.h"

namespace padtimer::core {

// How the previous life of the engine ended.
struct LifeEnd {
  // Its last sign of life: the daemon's last heartbeat (a crash, a power cut), or now (a
  // reload, a clean stop).
  WallTime alive_at{};
  // How long a pad that was commanded ON may have run on past that: the heartbeat period
  // (it may have died just before the next) plus the lease and its delivery allowance.
  Duration run_on{};
  // The record's monotonic times come from the same clock as now's (the same boot with
  // CLOCK_BOOTTIME, or a reload in the same process): they survive wall-clock jumps.
  bool same_clock = false;
};

// The rest counts from the record's rest_from, or later from when a pad that may have been
// ON at the end stopped (its lease, at the latest); a pad that may still be ON now (without
// auto-off, or a lease not yet run out) is handed over as maybe_on. Exposure adds the time
// such pads may have run on since the record.
ZoneHistory history_from(const ZoneSafety& record, const LifeEnd& end, const Now& now);

// What persistence keeps when `next` follows `stored`. Normally `next`. But a record made
// with the wall clock behind the stored one (a clock not set yet after a reboot) cannot say
// how long the pads of the earlier life ran on: the earlier record's time, day, exposure and
// pads that may be ON stay (with `next`'s added), until a record made with the clock past
// it replaces them; `next`'s fault and session state, and the later rest, are taken.
ZoneSafety merge_records(const ZoneSafety& stored, const ZoneSafety& next);

}  // namespace padtimer::core
