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
  // The record's clock_doubt was had on now's monotonic clock: the doubt goes on. From
  // another boot it says the record's wall times are behind by an unknown amount.
  bool doubt_same_clock = false;
};

// The rest counts from the record's rest_from, or later from when a pad that may have been
// ON at the end stopped (its lease, at the latest); a pad that may still be ON now (without
// auto-off, or a lease not yet run out) is handed over as maybe_on. The exposure is that of
// the local day of `now`: the record's, if it is that day's, and the part of the time such
// pads may have run on since the record that falls on it. A record made while the clock
// was in doubt on another boot is taken as late as it can be: its last sign of life now.
ZoneHistory history_from(const ZoneSafety& record, const LifeEnd& end, const Now& now);

// What persistence keeps when `next` follows `stored`. Normally `next`. But a record made
// with the wall clock behind the stored one, or while it is in doubt (`clock_doubt`: it
// came up behind a record and has not been set since), a clock not set yet, cannot say
// how long the pads of the earlier life ran on: the earlier record's time, day, exposure and
// pads that may be ON stay (with `next`'s added), until a record made with the clock past
// it replaces them; `next`'s fault and session state, and the later rest, are taken.
// Records made on the same monotonic clock (`same_clock`) follow each other in that order:
// `next`, even when the wall clock was set back between them.
ZoneSafety merge_records(const ZoneSafety& stored, const ZoneSafety& next, bool same_clock);

}  // namespace padtimer::core
