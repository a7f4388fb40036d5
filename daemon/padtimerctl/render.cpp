#include "padtimerctl/render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace padtimer::ctl {

namespace {

// ---- Reading fields: absent, null and mistyped all read as "not there" ---------------------

const json::Value* member(const json::Value& doc, std::string_view key) {
  const json::Value* v = doc.find(key);
  return v && !v->is_null() ? v : nullptr;
}

std::optional<std::string> text(const json::Value& doc, std::string_view key) {
  const json::Value* v = member(doc, key);
  if (const std::string* s = v ? v->as_string() : nullptr) return *s;
  return std::nullopt;
}

std::optional<std::int64_t> integer(const json::Value& doc, std::string_view key) {
  const json::Value* v = member(doc, key);
  if (!v || !v->is_number()) return std::nullopt;
  if (auto i = v->as_int()) return i;
  auto d = v->as_number();
  if (!d || !std::isfinite(*d) || std::fabs(*d) > 9e15) return std::nullopt;
  return static_cast<std::int64_t>(std::floor(*d));
}

std::optional<double> number(const json::Value& doc, std::string_view key) {
  const json::Value* v = member(doc, key);
  auto d = v ? v->as_number() : std::nullopt;
  if (d && std::isfinite(*d)) return d;
  return std::nullopt;
}

std::optional<bool> boolean(const json::Value& doc, std::string_view key) {
  const json::Value* v = member(doc, key);
  return v ? v->as_bool() : std::nullopt;
}

const json::Array* array(const json::Value& doc, std::string_view key) {
  const json::Value* v = member(doc, key);
  return v ? v->as_array() : nullptr;
}

template <typename T>
std::string or_dash(const std::optional<T>& v) {
  if (!v) return "-";
  if constexpr (std::is_same_v<T, std::string>) {
    return v->empty() ? "-" : *v;
  } else {
    return std::to_string(*v);
  }
}

std::string yes_no(std::optional<bool> b) {
  if (!b) return "-";
  return *b ? "yes" : "no";
}

// A local calendar time with strftime's `format`.
std::string local_format(SysTime t, const char* format) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  if (!localtime_r(&tt, &tm)) return "?";
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

std::string local_day(SysTime t) {
  return local_format(t, "%Y-%m-%d");
}

std::string phase_position(const ZoneState& s) {
  if (!s.phase) return {};
  return std::to_string(*s.phase) + "/" + or_dash(s.phases);
}

// Width on a terminal: UTF-8 lead bytes only (°, →, …).
std::size_t display_width(std::string_view s) {
  std::size_t chars = 0;
  for (unsigned char c : s)
    chars += (c & 0xC0) != 0x80;
  return chars;
}

std::string pad_right(std::string s, std::size_t width) {
  const std::size_t chars = display_width(s);
  if (chars < width) s.append(width - chars, ' ');
  return s;
}

// "today 15:00 of 2:00:00"
std::string exposure(const ZoneState& s) {
  if (!s.exposure_today_s && !s.daily_cap_s) return "-";
  std::string out = s.exposure_today_s ? clock_duration(*s.exposure_today_s) : "-";
  if (s.daily_cap_s) out += " of " + clock_duration(*s.daily_cap_s) + " cap";
  return out;
}

std::string next_start(const ZoneState& s, SysTime now) {
  if (!s.next_allowed_start) return "now";
  return local_moment(*s.next_allowed_start, now);
}

std::string scale_text(double scale) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", scale);
  return buf;
}

}  // namespace

bool ZoneState::counting_down() const {
  return status == "heat" || status == "cold" || status == "rest";
}

// ---- Readers ------------------------------------------------------------------------------

std::optional<ZoneState> read_state(const json::Value& doc) {
  if (!doc.is_object()) return std::nullopt;
  ZoneState s;
  auto zone = text(doc, "zone");
  auto status = text(doc, "status");
  if (!zone || !status) return std::nullopt;
  s.zone = *zone;
  s.status = *status;
  s.routine = text(doc, "routine");
  s.phase = integer(doc, "phase");
  s.phases = integer(doc, "phases");
  s.phase_kind = text(doc, "phase_kind");
  s.remaining_s = integer(doc, "remaining_s");
  s.next_allowed_start = text(doc, "next_allowed_start");
  s.exposure_today_s = integer(doc, "exposure_today_s");
  s.daily_cap_s = integer(doc, "daily_cap_s");
  s.fault = text(doc, "fault");
  s.fault_message = text(doc, "fault_message");
  s.updated_at = text(doc, "updated_at");
  s.ready = boolean(doc, "ready");
  s.time_scale = number(doc, "time_scale");
  if (const json::Array* devices = array(doc, "devices")) {
    s.devices.emplace();
    for (const json::Value& d : *devices) {
      auto id = text(d, "id");
      if (!d.is_object() || !id) continue;
      s.devices->push_back(Device{*id, text(d, "role"), text(d, "output"), boolean(d, "online"),
                                  number(d, "temperature_c")});
    }
  }
  return s;
}

std::optional<Info> read_info(const json::Value& doc) {
  if (!doc.is_object()) return std::nullopt;
  Info info;
  info.version = text(doc, "version");
  info.time_scale = number(doc, "time_scale");
  info.started_at = text(doc, "started_at");
  if (const json::Array* zones = array(doc, "zones")) {
    info.zones.emplace();
    for (const json::Value& z : *zones) {
      if (const std::string* name = z.as_string()) info.zones->push_back(*name);
    }
  }
  return info;
}

std::optional<Event> read_event(const json::Value& doc) {
  if (!doc.is_object()) return std::nullopt;
  auto event = text(doc, "event");
  auto zone = text(doc, "zone");
  if (!event || !zone) return std::nullopt;
  return Event{*event,
               *zone,
               text(doc, "routine"),
               integer(doc, "phase"),
               text(doc, "phase_kind"),
               integer(doc, "on_s"),
               text(doc, "outcome"),
               text(doc, "reason"),
               text(doc, "message"),
               text(doc, "at")};
}

std::optional<History> read_history(const json::Value& doc) {
  if (!doc.is_object()) return std::nullopt;
  auto zone = text(doc, "zone");
  const json::Array* sessions = array(doc, "sessions");
  if (!zone || !sessions) return std::nullopt;
  History h{*zone, {}};
  for (const json::Value& s : *sessions) {
    if (!s.is_object()) continue;
    HistorySession session{text(s, "routine"), text(s, "started_at"),    text(s, "ended_at"),
                           text(s, "outcome"), integer(s, "exposure_s"), {}};
    if (const json::Array* phases = array(s, "phases")) {
      for (const json::Value& p : *phases) {
        if (!p.is_object()) continue;
        session.phases.push_back(HistoryPhase{integer(p, "index"), text(p, "kind"),
                                              text(p, "started_at"), text(p, "ended_at"),
                                              integer(p, "on_s")});
      }
    }
    h.sessions.push_back(std::move(session));
  }
  return h;
}

// ---- Times --------------------------------------------------------------------------------

std::optional<std::chrono::sys_seconds> parse_utc(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SSZ
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (t.size() != kShape.size()) return std::nullopt;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool digit = t[i] >= '0' && t[i] <= '9';
    if (kShape[i] == 'd' ? !digit : t[i] != kShape[i]) return std::nullopt;
  }
  auto num = [&t](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i)
      v = v * 10 + (t[i] - '0');
    return v;
  };
  using namespace std::chrono;
  const year_month_day ymd{year{num(0, 4)}, month{static_cast<unsigned>(num(5, 2))},
                           day{static_cast<unsigned>(num(8, 2))}};
  const int h = num(11, 2), m = num(14, 2), s = num(17, 2);
  if (!ymd.ok() || h > 23 || m > 59 || s > 60) return std::nullopt;
  return sys_days{ymd} + hours{h} + minutes{m} + seconds{s};
}

std::string local_clock(SysTime t) {
  return local_format(t, "%H:%M:%S");
}

std::string local_moment(SysTime t, SysTime now) {
  if (local_day(t) == local_day(now)) return local_clock(t);
  return local_format(t, "%Y-%m-%d %H:%M:%S");
}

std::string local_moment(std::string_view iso_utc, SysTime now) {
  auto t = parse_utc(iso_utc);
  if (!t) return std::string(iso_utc);
  return local_moment(SysTime{*t}, now);
}

std::string clock_duration(std::int64_t seconds) {
  seconds = std::max<std::int64_t>(seconds, 0);
  const long long h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
  char buf[48];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", m, s);
  }
  return buf;
}

// ---- Text ---------------------------------------------------------------------------------

std::optional<std::int64_t> remaining_at(const ZoneState& state,
                                         std::chrono::milliseconds elapsed) {
  if (!state.remaining_s || !state.counting_down()) return state.remaining_s;
  const double scale = state.time_scale.value_or(1.0) > 0 ? state.time_scale.value_or(1.0) : 1.0;
  const double gone = std::max(0.0, static_cast<double>(elapsed.count()) / 1000.0 * scale);
  const auto left = *state.remaining_s - static_cast<std::int64_t>(std::floor(gone));
  return std::max<std::int64_t>(left, 0);
}

std::string summary(const ZoneState& s, std::optional<std::int64_t> remaining) {
  std::string out = s.status;
  if (s.status == "fault" && s.fault) out += " " + *s.fault;
  if (s.phase) {
    out += " " + phase_position(s);
    if (s.phase_kind && *s.phase_kind != s.status) out += " (" + *s.phase_kind + ")";
  }
  if (s.routine) out += " " + *s.routine;
  if (s.phase && remaining) out += " " + clock_duration(*remaining) + " left";
  return out;
}

std::string temperature(std::optional<double> celsius) {
  if (!celsius) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f°C", *celsius);
  return buf;
}

std::string device_brief(const ZoneState& s) {
  std::string out;
  if (!s.devices) return out;
  for (const Device& d : *s.devices) {
    std::string part;
    if (d.online == false) {
      part = d.id + " offline";
    } else if (d.temperature_c) {
      part = d.id + " " + temperature(d.temperature_c);
    }
    if (part.empty()) continue;
    if (!out.empty()) out += ", ";
    out += part;
  }
  return out;
}

std::string state_line(const ZoneState& s, std::optional<std::int64_t> remaining, SysTime now) {
  std::string out = s.zone + " " + summary(s, remaining);
  if (std::string devices = device_brief(s); !devices.empty()) out += " " + devices;
  std::vector<std::string> notes;
  if (s.ready == false) notes.push_back("not ready");
  if (s.next_allowed_start && !s.phase) {
    notes.push_back("next start " + local_moment(*s.next_allowed_start, now));
  }
  if (s.fault_message) notes.push_back(*s.fault_message);
  for (std::size_t i = 0; i < notes.size(); ++i)
    out += (i == 0 ? " — " : ", ") + notes[i];
  return out;
}

std::string event_line(const Event& e) {
  std::string out = e.zone + " event " + e.event;
  if (e.reason) out += " (" + *e.reason + ")";
  std::string words = e.message.value_or("");
  if (words.empty()) {
    // phase_ended carries no words: say what ended.
    if (e.phase) {
      words = "phase " + std::to_string(*e.phase);
      if (e.phase_kind) words += " (" + *e.phase_kind + ")";
    }
    if (e.on_s) words += (words.empty() ? "on " : ", on ") + clock_duration(*e.on_s);
    if (e.outcome) words += (words.empty() ? "" : ", ") + *e.outcome;
  }
  if (!words.empty()) out += ": " + words;
  return out;
}

std::string daemon_line(const std::optional<std::string>& status, const std::optional<Info>& info,
                        SysTime now) {
  std::string out = "padtimerd";
  if (info && info->version) out += " " + *info->version;
  if (!status) {
    out += ": no status published";
  } else {
    out += " " + *status;
  }
  if (info && info->started_at) out += ", started " + local_moment(*info->started_at, now);
  if (info && info->time_scale && *info->time_scale != 1.0) {
    out += ", time scale " + scale_text(*info->time_scale) + " (simulated time)";
  }
  return out;
}

std::string info_line(const Info& info, SysTime now) {
  std::string out = "padtimerd " + or_dash(info.version);
  if (info.started_at) out += ", started " + local_moment(*info.started_at, now);
  if (info.zones) {
    std::string zones;
    for (const auto& z : *info.zones)
      zones += (zones.empty() ? "" : ", ") + z;
    out += ", zones " + (zones.empty() ? std::string("none") : zones);
  }
  if (info.time_scale && *info.time_scale != 1.0) {
    out += ", time scale " + scale_text(*info.time_scale) + " (simulated time)";
  }
  return out;
}

std::string status_block(const ZoneState& s, std::optional<std::int64_t> remaining, SysTime now) {
  std::string out = s.zone + ": " + summary(s, remaining) + "\n";
  auto row = [&out](std::string_view key, const std::string& value) {
    out += "  " + pad_right(std::string(key), 12) + value + "\n";
  };
  row("ready", yes_no(s.ready));
  row("today", exposure(s));
  row("next start", next_start(s, now));
  if (s.fault || s.fault_message) {
    row("fault", or_dash(s.fault) + (s.fault_message ? ": " + *s.fault_message : ""));
  }
  if (!s.devices) {
    row("devices", "-");
  } else if (s.devices->empty()) {
    row("devices", "none");
  } else {
    bool first = true;
    for (const Device& d : *s.devices) {
      std::string line = d.id + " (" + or_dash(d.role) + "): " + or_dash(d.output) + ", " +
                         temperature(d.temperature_c);
      if (d.online) line += *d.online ? ", online" : ", OFFLINE";
      row(first ? "devices" : "", line);
      first = false;
    }
  }
  if (s.time_scale && *s.time_scale != 1.0) row("time scale", scale_text(*s.time_scale));
  if (s.updated_at) row("updated", local_moment(*s.updated_at, now));
  return out;
}

std::string history_block(const History& h, std::optional<std::size_t> limit, SysTime now) {
  std::size_t shown = h.sessions.size();
  if (limit) shown = std::min(shown, *limit);
  std::string out = h.zone + ": ";
  if (h.sessions.empty()) return out + "no sessions\n";
  out += std::to_string(shown) + (shown == 1 ? " session" : " sessions");
  if (shown < h.sessions.size()) out += " of " + std::to_string(h.sessions.size());
  out += ", newest first\n";
  for (std::size_t i = 0; i < shown; ++i) {
    const HistorySession& s = h.sessions[i];
    std::string outcome = s.outcome ? *s.outcome : (s.ended_at ? "-" : "running");
    out += "  " + (s.started_at ? local_moment(*s.started_at, now) : std::string("-"));
    out += " → " + (s.ended_at ? local_moment(*s.ended_at, now) : std::string("…"));
    out += "  " + or_dash(s.routine) + "  " + outcome;
    if (s.exposure_s) out += "  exposure " + clock_duration(*s.exposure_s);
    out += "\n";
    for (const HistoryPhase& p : s.phases) {
      out += "    phase " + or_dash(p.index) + " " + pad_right(or_dash(p.kind), 5) + " ";
      out += p.started_at ? local_moment(*p.started_at, now) : std::string("-");
      out += " → " + (p.ended_at ? local_moment(*p.ended_at, now) : std::string("…"));
      if (p.on_s && p.kind != "rest") out += "  on " + clock_duration(*p.on_s);
      out += "\n";
    }
  }
  return out;
}

std::string zone_table(const std::vector<TableRow>& rows) {
  const std::vector<std::string> header{"ZONE",  "STATUS", "PHASE", "ROUTINE", "LEFT",
                                        "READY", "TODAY",  "CAP",   "DEVICES"};
  std::vector<std::vector<std::string>> lines{header};
  for (const TableRow& r : rows) {
    if (!r.state) {
      lines.push_back({r.zone, "-", "-", "-", "-", "-", "-", "-", "(no state yet)"});
      continue;
    }
    const ZoneState& s = *r.state;
    std::string status = s.status == "fault" && s.fault ? "fault " + *s.fault : s.status;
    std::string phase = s.phase ? phase_position(s) + " " + or_dash(s.phase_kind) : "-";
    std::string left = s.phase && r.remaining ? clock_duration(*r.remaining) : "-";
    std::string devices = device_brief(s);
    lines.push_back({s.zone, status, phase, or_dash(s.routine), left, yes_no(s.ready),
                     s.exposure_today_s ? clock_duration(*s.exposure_today_s) : "-",
                     s.daily_cap_s ? clock_duration(*s.daily_cap_s) : "-",
                     devices.empty() ? "-" : devices});
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& line : lines) {
    for (std::size_t i = 0; i < line.size(); ++i)
      widths[i] = std::max(widths[i], display_width(line[i]));
  }
  std::string out;
  for (const auto& line : lines) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += i + 1 < line.size() ? pad_right(line[i], widths[i] + 2) : line[i];
    }
    out += text + "\n";
  }
  return out;
}

}  // namespace padtimer::ctl
