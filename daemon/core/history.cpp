#include "core/history.h"

#include <algorithm>

namespace padtimer::core {

ZoneHistory history_from(const ZoneSafety& record, const LifeEnd& end, const Now& now) {
  ZoneHistory h;
  h.zone = record.zone;
  h.fault = record.fault;
  h.fault_message = record.fault_message;
  h.last_session_end = record.rest_from;
  if (end.same_clock) h.last_session_end_mono = record.rest_from_mono;
  h.day = record.day;
  h.exposure = record.exposure;
  Duration run_on{};
  for (const ZoneSafety::MaybeOn& on : record.maybe_on) {
    std::optional<WallTime> until = on.until;
    // Still re-armed when the record was written: its lease went on being renewed until
    // the last sign of life, and may have run for a whole lease after it.
    if (until && on.commanded_on) until = std::max(*until, end.alive_at + end.run_on);
    const WallTime stopped = until ? std::min(*until, now.wall) : now.wall;
    run_on = std::max(run_on, stopped - record.at);
    if (until && *until <= now.wall) {
      if (!h.last_session_end || *until > *h.last_session_end) h.last_session_end = until;
      if (end.same_clock) {
        MonoTime mono = record.at_mono + (*until - record.at);
        if (!h.last_session_end_mono || mono > *h.last_session_end_mono)
          h.last_session_end_mono = mono;
      }
    } else {
      h.maybe_on.push_back({on.device, until});
    }
  }
  h.exposure += run_on;
  return h;
}

}  // namespace padtimer::core
