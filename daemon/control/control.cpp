#include "control/control.h"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <utility>

#include "core/reasons.h"
#include "core/validate.h"
#include "store/store.h"

namespace padtimer::control {
namespace {

using core::Action;

constexpr std::string_view kAllowedKeys = "action, id, routine, minutes";
constexpr std::string_view kActions = "start, stop, pause, resume, skip, extend, reset";

// Verbs of <base>/<zone>/<verb> and what they mean; "set" carries a JSON request.
struct Verb {
  std::string_view name;
  std::optional<Action> action;  // nullopt: set
};
constexpr std::array<Verb, 7> kVerbs{{
    {"set", std::nullopt},
    {"start", Action::start},
    {"stop", Action::stop},
    {"pause", Action::pause},
    {"resume", Action::resume},
    {"reset", Action::reset},
    {"skip", Action::skip},
}};

constexpr std::array<std::pair<std::string_view, Action>, 7> kJsonActions{{
    {"start", Action::start},
    {"stop", Action::stop},
    {"pause", Action::pause},
    {"resume", Action::resume},
    {"skip", Action::skip},
    {"extend", Action::extend},
    {"reset", Action::reset},
}};

bool is_valid_id(std::string_view text) {
  return core::is_valid_id(std::string(text));
}

// A publishable single topic level: no wildcard, no separator, no NUL.
bool is_topic_level(std::string_view level) {
  return level.find_first_of(std::string_view("+#/\0", 4)) == std::string_view::npos;
}

// User text quoted in a message, shortened so a result stays small.
std::string in_quotes(std::string_view text) {
  constexpr std::size_t kMax = 64;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMax)) + "…'";
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

std::string too_large(std::size_t size) {
  return "payload is " + std::to_string(size) + " bytes; the limit is " +
         std::to_string(kMaxPayloadBytes);
}

long long whole_seconds_down(core::Duration d) {
  return std::chrono::floor<std::chrono::seconds>(d).count();
}

long long whole_seconds_up(core::Duration d) {
  return std::chrono::ceil<std::chrono::seconds>(d).count();
}

json::Value or_null(const std::string& s) {
  return s.empty() ? json::Value() : json::Value(s);
}

json::Value phase_number(int index) {
  return index < 0 ? json::Value() : json::Value(index + 1);
}

json::Value reason_or_null(core::Reason reason) {
  return reason == core::Reason::ok ? json::Value() : json::Value(core::reason_code(reason));
}

}  // namespace

// ---- Ids and times -----------------------------------------------------------------------

std::string id_to_text(const json::Value& id) {
  return id.dump();
}

json::Value id_from_text(std::string_view text) {
  if (text.empty()) return json::Value();
  auto parsed = json::parse(text, json::Limits{kMaxPayloadBytes, 1});
  if (parsed) {
    if (auto i = parsed.value->as_int()) return json::Value(*i);
    if (parsed.value->is_null() || parsed.value->is_string()) return std::move(*parsed.value);
  }
  return json::Value(text);  // not written by id_to_text: an id made by the host
}

std::string iso8601_utc(core::WallTime t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<seconds>(t - day)};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// ---- JSON documents ------------------------------------------------------------------------

json::Value reply_json(const core::Reply& reply) {
  json::Value v = json::Value::object({{"id", id_from_text(reply.request_id)}, {"ok", reply.ok}});
  if (!reply.ok || reply.code != core::Reason::ok) v.set("code", core::reason_code(reply.code));
  v.set("message", reply.message);
  return v;
}

json::Value devices_json(const std::vector<core::DeviceSnapshot>& devices) {
  json::Value list = json::Value::array();
  for (const auto& d : devices) {
    // One decimal: sensors are not more precise, and the payload stays stable.
    json::Value temperature;
    if (d.temperature_c) temperature = std::round(*d.temperature_c * 10.0) / 10.0;
    list.push_back(json::Value::object({
        {"id", d.id},
        {"role", core::to_string(d.role)},
        {"output", core::to_string(d.output)},
        {"confirmed", d.confirmed},
        {"online", d.online},
        {"temperature_c", std::move(temperature)},
    }));
  }
  return list;
}

json::Value state_json(const core::ZoneSnapshot& s, core::WallTime now) {
  const bool in_session = s.phase_index >= 0;
  json::Value next;
  if (s.next_allowed_start) {
    next = iso8601_utc(std::chrono::ceil<std::chrono::seconds>(*s.next_allowed_start));
  }
  return json::Value::object({
      {"zone", s.zone},
      {"status", core::to_string(s.status)},
      {"routine", or_null(s.routine)},
      {"phase", phase_number(s.phase_index)},
      {"phases", s.phase_count},
      {"phase_kind", in_session ? json::Value(core::to_string(s.phase_kind)) : json::Value()},
      {"remaining_s", in_session ? whole_seconds_up(s.phase_remaining) : 0},
      {"next_allowed_start", std::move(next)},
      {"exposure_today_s", whole_seconds_down(s.exposure_today)},
      {"daily_cap_s", whole_seconds_down(s.daily_cap)},
      {"fault", reason_or_null(s.fault)},
      {"fault_message", or_null(s.fault_message)},
      {"ready", s.ready},
      {"devices", devices_json(s.devices)},
      {"updated_at", iso8601_utc(now)},
  });
}

json::Value event_json(const core::ZoneEvent& e) {
  json::Value v = json::Value::object({
      {"event", core::to_string(e.kind)},
      {"zone", e.zone},
      {"routine", or_null(e.routine)},
      {"phase", phase_number(e.phase_index)},
      {"phase_kind",
       e.phase_index >= 0 ? json::Value(core::to_string(e.phase_kind)) : json::Value()},
  });
  if (e.kind == core::EventKind::phase_ended) v.set("on_s", whole_seconds_down(e.on_time));
  if (e.outcome) v.set("outcome", core::to_string(*e.outcome));
  v.set("reason", reason_or_null(e.reason));
  v.set("message", e.message);
  v.set("at", iso8601_utc(e.at));
  return v;
}

json::Value info_json(const core::EngineConfig& config, std::string_view version, double time_scale,
                      core::WallTime started_at) {
  json::Value zones = json::Value::array();
  for (const auto& z : config.zones)
    zones.push_back(z.id);
  json::Value routines = json::Value::array();
  for (const auto& r : config.routines) {
    json::Value phases = json::Value::array();
    for (const auto& p : r.phases) {
      phases.push_back(json::Value::object(
          {{"kind", core::to_string(p.kind)}, {"duration_s", whole_seconds_down(p.length)}}));
    }
    routines.push_back(json::Value::object({{"id", r.id}, {"phases", std::move(phases)}}));
  }
  return json::Value::object({
      {"version", std::string(version)},
      {"time_scale", time_scale},
      {"zones", std::move(zones)},
      {"routines", std::move(routines)},
      {"started_at", iso8601_utc(started_at)},
  });
}

json::Value history_json(std::string_view zone, const std::vector<store::SessionRecord>& sessions) {
  auto time_or_null = [](const std::optional<core::WallTime>& t) {
    return t ? json::Value(iso8601_utc(*t)) : json::Value();
  };
  json::Value list = json::Value::array();
  for (const auto& s : sessions) {
    json::Value phases = json::Value::array();
    for (const auto& p : s.phases) {
      phases.push_back(json::Value::object({
          {"index", p.index + 1},
          {"kind", core::to_string(p.kind)},
          {"started_at", iso8601_utc(p.started_at)},
          {"ended_at", time_or_null(p.ended_at)},
          {"on_s", whole_seconds_down(p.on_time)},
      }));
    }
    list.push_back(json::Value::object({
        {"routine", s.routine},
        {"started_at", iso8601_utc(s.started_at)},
        {"ended_at", time_or_null(s.ended_at)},
        {"outcome", or_null(s.outcome)},
        {"exposure_s", whole_seconds_down(s.exposure)},
        {"phases", std::move(phases)},
    }));
  }
  return json::Value::object({{"zone", std::string(zone)}, {"sessions", std::move(list)}});
}

// ---- ControlCodec ------------------------------------------------------------------------

ControlCodec::ControlCodec(std::string base, std::set<std::string> zones)
    : base_(std::move(base)), zones_(std::move(zones)) {
  if (base_.empty()) throw std::invalid_argument("the MQTT base topic is empty");
  std::string_view rest = base_;
  for (;;) {
    const auto slash = rest.find('/');
    const std::string_view level = rest.substr(0, slash);
    if (level.empty() || !is_topic_level(level)) {
      throw std::invalid_argument("the MQTT base topic '" + base_ +
                                  "' must be levels separated by '/', none empty, without "
                                  "'+', '#' or NUL");
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
}

std::vector<std::string> ControlCodec::subscriptions() const {
  std::vector<std::string> topics;
  for (const Verb& verb : kVerbs)
    topics.push_back(base_ + "/+/" + std::string(verb.name));
  topics.push_back(base_ + "/stop_all");
  return topics;
}

std::string ControlCodec::result_topic(std::string_view zone) const {
  if (zone.empty() || !is_topic_level(zone)) return base_ + "/result";
  return base_ + "/" + std::string(zone) + "/result";
}

std::string ControlCodec::info_topic() const {
  return base_ + "/info";
}

std::string ControlCodec::history_topic(std::string_view zone) const {
  return base_ + "/" + std::string(zone) + "/history";
}

std::string ControlCodec::state_topic(std::string_view zone) const {
  return base_ + "/" + std::string(zone) + "/state";
}

std::string ControlCodec::event_topic(std::string_view zone) const {
  return base_ + "/" + std::string(zone) + "/event";
}

std::string ControlCodec::next_plain_id() {
  return id_to_text(json::Value("plain-" + std::to_string(++plain_counter_)));
}

Outgoing ControlCodec::bad_request(std::string_view zone, const json::Value& id,
                                   std::string message) const {
  json::Value v = json::Value::object({{"id", id},
                                       {"ok", false},
                                       {"code", core::reason_code(core::Reason::bad_request)},
                                       {"message", std::move(message)}});
  return Outgoing{result_topic(zone), v.dump(), 1, false};
}

Decoded ControlCodec::decode(std::string_view topic, std::string_view payload, bool retained) {
  try {
    if (topic.size() <= base_.size() + 1 || topic.substr(0, base_.size()) != base_ ||
        topic[base_.size()] != '/') {
      return {};
    }
    const std::string_view rest = topic.substr(base_.size() + 1);

    // <base>/stop_all
    if (rest == "stop_all") {
      const std::string id = next_plain_id();
      const json::Value id_value = id_from_text(id);
      if (retained) {
        return {bad_request({}, id_value, "retained commands are refused; publish without -r")};
      }
      if (payload.size() > kMaxPayloadBytes) {
        return {bad_request({}, id_value, too_large(payload.size()))};
      }
      core::Request request;
      request.id = id;
      request.action = Action::stop_all;
      return {std::move(request)};
    }

    // <base>/<zone>/<verb>
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) return {};
    const std::string_view zone = rest.substr(0, slash);
    const std::string_view verb_text = rest.substr(slash + 1);
    const Verb* verb = nullptr;
    for (const Verb& v : kVerbs) {
      if (v.name == verb_text) verb = &v;
    }
    if (!verb) return {};  // state, result, event, or anything else: not ours to answer

    core::Request request;
    request.zone = std::string(zone);

    if (verb->action) {
      // A plain topic: the payload is a routine name (start) or ignored.
      request.id = next_plain_id();
      request.action = *verb->action;
      const json::Value id_value = id_from_text(request.id);
      if (retained) {
        return {bad_request(zone, id_value, "retained commands are refused; publish without -r")};
      }
      if (!is_valid_id(zone)) {
        return {bad_request(zone, id_value,
                            "zone " + in_quotes(zone) +
                                " is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -")};
      }
      if (payload.size() > kMaxPayloadBytes) {
        return {bad_request(zone, id_value, too_large(payload.size()))};
      }
      if (request.action == Action::start) {
        const std::string_view routine = trim(payload);
        if (routine.empty()) {
          return {bad_request(zone, id_value,
                              "the payload must be the routine name, e.g. 'evening'; it is empty")};
        }
        if (!is_valid_id(routine)) {
          return {bad_request(zone, id_value,
                              "routine " + in_quotes(routine) +
                                  " is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -")};
        }
        request.routine = std::string(routine);
      }
      return {std::move(request)};
    }

    // <base>/<zone>/set: a JSON request.
    json::Value id_value;
    const auto reject = [&](std::string message) -> Decoded {
      return {bad_request(zone, id_value, std::move(message))};
    };
    if (retained) return reject("retained commands are refused; publish without -r");
    if (payload.size() > kMaxPayloadBytes) return reject(too_large(payload.size()));
    if (trim(payload).empty()) {
      return reject("empty payload; expected a JSON object such as {\"action\":\"stop\"}");
    }
    auto parsed = json::parse(payload, json::Limits{kMaxPayloadBytes, 8});
    if (!parsed) return reject("invalid JSON: " + parsed.error.message);
    const json::Value& doc = *parsed.value;
    if (!doc.is_object()) {
      return reject("expected a JSON object such as {\"action\":\"stop\"}");
    }

    // The id first, so every later refusal can echo it.
    if (const json::Value* id = doc.find("id")) {
      const std::string* s = id->as_string();
      const bool ok =
          id->is_null() || (s && s->size() <= kMaxIdLength) || (id->is_number() && id->as_int());
      if (!ok) {
        return reject("\"id\" must be a string of at most 64 characters or an integer");
      }
      if (auto i = id->as_int()) {
        id_value = json::Value(*i);  // 1e3 is echoed as 1000
      } else {
        id_value = *id;
      }
    }
    request.id = id_to_text(id_value);

    if (!is_valid_id(zone)) {
      return reject("zone " + in_quotes(zone) +
                    " is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -");
    }
    for (const auto& [key, value] : *doc.as_object()) {
      if (key != "action" && key != "id" && key != "routine" && key != "minutes") {
        return reject("unknown key " + in_quotes(key) + "; allowed: " + std::string(kAllowedKeys));
      }
    }

    const json::Value* action = doc.find("action");
    if (!action) return reject("missing \"action\"; one of " + std::string(kActions));
    const std::string* action_text = action->as_string();
    if (!action_text) return reject("\"action\" must be a string: one of " + std::string(kActions));
    bool known = false;
    for (const auto& [name, value] : kJsonActions) {
      if (name == *action_text) {
        request.action = value;
        known = true;
      }
    }
    if (!known) {
      return reject("unknown action " + in_quotes(*action_text) + "; one of " +
                    std::string(kActions));
    }

    const json::Value* routine = doc.find("routine");
    if (request.action == Action::start) {
      if (!routine) return reject("start needs \"routine\": the name of a configured routine");
      const std::string* name = routine->as_string();
      if (!name) return reject("\"routine\" must be a string");
      if (!is_valid_id(*name)) {
        return reject("routine " + in_quotes(*name) +
                      " is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -");
      }
      request.routine = *name;
    } else if (routine) {
      return reject("\"routine\" is only allowed with action start");
    }

    const json::Value* minutes = doc.find("minutes");
    if (request.action == Action::extend) {
      const std::string range =
          std::to_string(kMinExtendMinutes) + " to " + std::to_string(kMaxExtendMinutes);
      if (!minutes) return reject("extend needs \"minutes\": an integer from " + range);
      const auto m = minutes->is_number() ? minutes->as_int() : std::nullopt;
      if (!m || *m < kMinExtendMinutes || *m > kMaxExtendMinutes) {
        return reject("\"minutes\" must be an integer from " + range);
      }
      request.extend_by = std::chrono::minutes(*m);
    } else if (minutes) {
      return reject("\"minutes\" is only allowed with action extend");
    }
    return {std::move(request)};
  } catch (...) {
    // Only an allocation failure can get here; still try to answer.
    try {
      return {bad_request({}, json::Value(), "the request could not be processed")};
    } catch (...) {
      return {};
    }
  }
}

Outgoing ControlCodec::encode_reply(const core::Reply& reply) const {
  return Outgoing{result_topic(reply.zone), reply_json(reply).dump(), 1, false};
}

Outgoing ControlCodec::encode_state(const core::ZoneSnapshot& snapshot, core::WallTime now) const {
  return Outgoing{state_topic(snapshot.zone), state_json(snapshot, now).dump(), 1, true};
}

Outgoing ControlCodec::encode_event(const core::ZoneEvent& event) const {
  return Outgoing{event_topic(event.zone), event_json(event).dump(), 1, false};
}

}  // namespace padtimer::control
