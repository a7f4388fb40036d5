// padtimerctl's view of what padtimerd publishes: the JSON documents read into plain structs
// (every field optional, so an older or newer padtimerd still shows what it has), and the
// text made from them. Pure: no I/O; "now" is always a parameter; local time comes from the
// C library (TZ).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace padtimer::ctl {

using SysTime = std::chrono::system_clock::time_point;

// ---- Documents ----------------------------------------------------------------------------

struct Device {
  std::string id;
  std::optional<std::string> role;    // heat, cold, dual
  std::optional<std::string> output;  // off, heat, cold
  std::optional<bool> online;
  std::optional<double> temperature_c;
};

// <base>/<zone>/state
struct ZoneState {
  std::string zone;
  std::string status;  // idle, heat, cold, rest, paused, fault
  std::optional<std::string> routine;
  std::optional<std::int64_t> phase;  // 1-based
  std::optional<std::int64_t> phases;
  std::optional<std::string> phase_kind;
  std::optional<std::int64_t> remaining_s;
  std::optional<std::string> next_allowed_start;  // ISO 8601 UTC
  std::optional<std::int64_t> exposure_today_s;
  std::optional<std::int64_t> daily_cap_s;
  std::optional<std::string> fault;
  std::optional<std::string> fault_message;
  std::optional<std::string> updated_at;
  std::optional<bool> ready;
  std::optional<double> time_scale;
  std::optional<std::vector<Device>> devices;

  // heat, cold or rest: the phase clock is running.
  bool counting_down() const;
};

// <base>/info
struct Info {
  std::optional<std::string> version;
  std::optional<double> time_scale;
  std::optional<std::vector<std::string>> zones;
  std::optional<std::string> started_at;
};

// <base>/<zone>/event
struct Event {
  std::string event;
  std::string zone;
  std::optional<std::string> routine;
  std::optional<std::int64_t> phase;
  std::optional<std::string> phase_kind;
  std::optional<std::int64_t> on_s;
  std::optional<std::string> outcome;
  std::optional<std::string> reason;
  std::optional<std::string> message;
  std::optional<std::string> at;
};

struct HistoryPhase {
  std::optional<std::int64_t> index;
  std::optional<std::string> kind;
  std::optional<std::string> started_at;
  std::optional<std::string> ended_at;
  std::optional<std::int64_t> on_s;
};

struct HistorySession {
  std::optional<std::string> routine;
  std::optional<std::string> started_at;
  std::optional<std::string> ended_at;
  std::optional<std::string> outcome;
  std::optional<std::int64_t> exposure_s;
  std::vector<HistoryPhase> phases;
};

// <base>/<zone>/history, sessions newest first.
struct History {
  std::string zone;
  std::vector<HistorySession> sessions;
};

// Each reader returns nothing when the document is not an object with the fields that
// identify it (state: zone and status; event: event and zone; history: zone and sessions).
std::optional<ZoneState> read_state(const json::Value& doc);
std::optional<Info> read_info(const json::Value& doc);
std::optional<Event> read_event(const json::Value& doc);
std::optional<History> read_history(const json::Value& doc);

// ---- Times --------------------------------------------------------------------------------

// "2026-11-24T16:37:33Z" (whole seconds, UTC); nothing for any other text.
std::optional<std::chrono::sys_seconds> parse_utc(std::string_view text);
// "17:37:33" in local time.
std::string local_clock(SysTime t);
// "17:37:33" when `t` is on the same local day as `now`, else "2026-11-25 07:30:00".
std::string local_moment(SysTime t, SysTime now);
// An ISO UTC text as local_moment; the text itself when it is not one.
std::string local_moment(std::string_view iso_utc, SysTime now);
// "00:30", "14:59", "2:00:00" (hours only from one hour on); negatives count as 0.
std::string clock_duration(std::int64_t seconds);

// ---- Text ---------------------------------------------------------------------------------

// Seconds left in the phase `elapsed` after `state` was true (time_scale speeds the count);
// remaining_s unchanged when the phase clock is not running. Never below 0.
std::optional<std::int64_t> remaining_at(const ZoneState& state, std::chrono::milliseconds elapsed);

// "heat 1/3 evening 14:59 left", "paused 2/3 (heat) evening 10:00 left", "idle",
// "fault overtemp".
std::string summary(const ZoneState& state, std::optional<std::int64_t> remaining);

// "38.2°C"; "-" when unknown.
std::string temperature(std::optional<double> celsius);

// The devices with something to say, for one line: "pad 38.2°C", "cold_pack offline".
std::string device_brief(const ZoneState& state);

// One line of `watch` without a terminal (no time stamp): "lower_back heat 1/3 evening
// 14:59 left pad 38.2°C", then after " — " any of "not ready", the next allowed start and
// the fault's message.
std::string state_line(const ZoneState& state, std::optional<std::int64_t> remaining, SysTime now);

// "lower_back event phase_ended: phase 1 (heat) ended, on 19:59".
std::string event_line(const Event& event);

// "padtimerd 0.1.0, started 16:37:33, zones lower_back, neck" (+ time scale when not 1).
std::string info_line(const Info& info, SysTime now);

// `status`: the daemon line, then one block per zone.
// "padtimerd 0.1.0 online, started 2026-11-24 17:37:33" (+ time scale when not 1).
std::string daemon_line(const std::optional<std::string>& status, const std::optional<Info>& info,
                        SysTime now);
std::string status_block(const ZoneState& state, std::optional<std::int64_t> remaining,
                         SysTime now);

// `history`: one block per zone; `limit` keeps the newest sessions only.
std::string history_block(const History& history, std::optional<std::size_t> limit, SysTime now);

// `watch` on a terminal: the zone table (zones without a state yet show "-").
struct TableRow {
  std::string zone;
  std::optional<ZoneState> state;
  std::optional<std::int64_t> remaining;
};
std::string zone_table(const std::vector<TableRow>& rows);

}  // namespace padtimer::ctl
