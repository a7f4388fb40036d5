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
    // A bounded pad ran on until its bound (or until padtimer switches it off now, which a
    // clock not yet set cannot tell apart); one without auto-off until now.
    const WallTime stopped = until ? *until : now.wall;
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
  // The clock must be past both the record and the last sign of life to be believable.
  h.recorded_at = std::max(record.at, end.alive_at);
  return h;
}

ZoneSafety merge_records(const ZoneSafety& stored, const ZoneSafety& next) {
  if (next.at >= stored.at) return next;
  ZoneSafety merged = stored;
  merged.fault = next.fault;
  merged.fault_message = next.fault_message;
  merged.session = next.session;
  if (next.rest_from && (!merged.rest_from || *next.rest_from > *merged.rest_from)) {
    merged.rest_from = next.rest_from;
  }
  for (const ZoneSafety::MaybeOn& on : next.maybe_on) {
    auto same = std::find_if(merged.maybe_on.begin(), merged.maybe_on.end(),
                             [&](const ZoneSafety::MaybeOn& m) { return m.device == on.device; });
    if (same == merged.maybe_on.end()) merged.maybe_on.push_back(on);
  }
  return merged;
}

}  // namespace padtimer::core
