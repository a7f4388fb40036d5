#include "core/history.h"

#include <algorithm>

namespace padtimer::core {

ZoneHistory history_from(const ZoneSafety& record, const LifeEnd& end, const Now& now) {
  ZoneHistory h;
  h.zone = record.zone;
  h.fault = record.fault;
  h.fault_message = record.fault_message;
  // The record's wall times in today's frame: on the record's own monotonic clock the time
  // since it is known whatever the wall clock did meanwhile; across a reboot, as they read;
  // but dated by a clock not set (in doubt) on another boot, they are behind by as much as
  // it was, unknown: as late as they can be, the last sign of life being now.
  const bool undated = record.clock_doubt && !end.doubt_same_clock;
  if (!undated) h.clock_doubt = record.clock_doubt;
  Duration shift{};
  if (undated) {
    shift = now.wall - std::max(record.at, end.alive_at);
  } else if (end.same_clock) {
    shift = (now.wall - record.at) - (now.mono - record.at_mono);
  }
  if (record.rest_from) h.last_session_end = *record.rest_from + shift;
  if (end.same_clock) h.last_session_end_mono = record.rest_from_mono;
  const LocalDay today = local_day(now.wall, now.utc_offset);
  const WallTime today_start = next_local_midnight(now.wall, now.utc_offset) - 24h;
  const WallTime from = record.at + shift;
  WallTime ran_until = from;  // the pads ran on until here, by today's clock
  for (const ZoneSafety::MaybeOn& on : record.maybe_on) {
    std::optional<WallTime> until = on.until;
    // Still re-armed when the record was written: its lease went on being renewed until
    // the last sign of life, and may have run for a whole lease after it.
    if (until && on.commanded_on) until = std::max(*until, end.alive_at + end.run_on);
    const std::optional<MonoTime> until_mono =
        until ? std::optional(record.at_mono + (*until - record.at)) : std::nullopt;
    if (until) *until += shift;
    // A bounded pad ran on until its bound (or until padtimer switches it off now, which a
    // clock not yet set cannot tell apart); one without auto-off until now. The engine counts
    // what is still to come.
    ran_until = std::max(ran_until, std::min(until.value_or(now.wall), now.wall));
    if (until && *until <= now.wall) {
      if (!h.last_session_end || *until > *h.last_session_end) h.last_session_end = until;
      if (end.same_clock) {
        MonoTime mono = *until_mono;
        if (!h.last_session_end_mono || mono > *h.last_session_end_mono)
          h.last_session_end_mono = mono;
      }
    } else {
      h.maybe_on.push_back({on.device, until});
    }
  }
  // Exposure of today: the record's, if it is today's, and the part of the run-on today.
  h.day = today;
  if (record.day == today || undated) h.exposure = record.exposure;
  if (undated && !record.maybe_on.empty()) {
    // When it was really made is unknown, not before it says: the run-on as long as it can
    // be, all of it today.
    h.exposure += ran_until - std::min(from, record.at);
  } else if (ran_until > today_start) {
    h.exposure += ran_until - std::max(from, today_start);
  }
  // The clock must be past both the record and the last sign of life to be believable
  // (on the record's own clock, it is by construction).
  h.recorded_at = std::max(record.at, end.alive_at) + shift;
  return h;
}

ZoneSafety merge_records(const ZoneSafety& stored, const ZoneSafety& next, bool same_clock) {
  // On one monotonic clock the later record is the newer, whatever the wall clock says.
  if (same_clock || (next.at >= stored.at && !next.clock_doubt)) return next;
  ZoneSafety merged = stored;
  merged.clock_doubt = next.clock_doubt;
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
