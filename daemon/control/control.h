// The phone-facing MQTT API: decoding control requests and encoding results, zone state and
// zone events. Pure: no I/O, no clock; the host passes every message and the current time.
//
// Topics (<base> is the configured base topic, e.g. "padtimer"; README.md has the full API):
//   <base>/<zone>/set      JSON request {"action":…, "id":…, "routine":…, "minutes":…}
//   <base>/<zone>/start    payload = routine name
//   <base>/<zone>/stop     payload ignored (also pause, resume, reset, skip)
//   <base>/stop_all        payload ignored: emergency stop of every zone
//   <base>/<zone>/result   one result per request (not retained); stop_all: <base>/result
//   <base>/<zone>/state    retained zone state
//   <base>/<zone>/event    zone events for notifications (not retained)
//   <base>/<zone>/history  retained: the zone's latest sessions from the state database
//   <base>/info            retained: version, time scale, zones and routines
//
// Request ids. A phone's "id" may be a string or an integer and is echoed back with the same
// type, so core::Request::id carries it as JSON text: "\"42\"" for the string "42", "42" for
// the integer 42, "null" when the request had none. encode_reply() turns it back into JSON;
// an id that is not such JSON text (e.g. "schedule-3" from the scheduler) is sent as a string.
// Plain topics get generated ids "plain-1", "plain-2", … (as strings).
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/io.h"
#include "core/time.h"
#include "json/json.h"

namespace padtimer::store {
struct SessionRecord;
}

namespace padtimer::control {

// Largest accepted request payload, in bytes.
inline constexpr std::size_t kMaxPayloadBytes = 4096;
// Longest accepted request id (string ids, in bytes) and routine name.
inline constexpr std::size_t kMaxIdLength = 64;
// The range of "minutes" for extend.
inline constexpr int kMinExtendMinutes = 1;
inline constexpr int kMaxExtendMinutes = 20;

// A message ready to publish.
struct Outgoing {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = false;

  friend bool operator==(const Outgoing&, const Outgoing&) = default;
};

// What an incoming message means.
struct Decoded {
  // monostate: not a control topic (our own state/result/event, or anything else): ignore.
  // Request: hand it to the engine; its Reply goes out through encode_reply().
  // Outgoing: a malformed request; publish this bad_request result and do nothing else.
  std::variant<std::monostate, core::Request, Outgoing> result;

  bool ignored() const noexcept { return std::holds_alternative<std::monostate>(result); }
  const core::Request* request() const noexcept { return std::get_if<core::Request>(&result); }
  const Outgoing* rejection() const noexcept { return std::get_if<Outgoing>(&result); }
};

class ControlCodec {
 public:
  // `base` is the base topic without a trailing '/', e.g. "padtimer" or "home/padtimer".
  // Throws std::invalid_argument when it is empty or has '+', '#', a NUL or an empty level.
  ControlCodec(std::string base, std::set<std::string> zones);

  const std::string& base() const noexcept { return base_; }
  const std::set<std::string>& zones() const noexcept { return zones_; }

  // The topic filters to subscribe to (QoS 1).
  std::vector<std::string> subscriptions() const;

  // Decodes one incoming message. Never throws. `retained`: the message's retain flag;
  // a retained command would be replayed on every reconnect, so it is refused.
  Decoded decode(std::string_view topic, std::string_view payload, bool retained = false);

  // <base>/<zone>/result (<base>/result when the zone is empty, as for stop_all).
  Outgoing encode_reply(const core::Reply& reply) const;
  // Retained <base>/<zone>/state.
  Outgoing encode_state(const core::ZoneSnapshot& snapshot, core::WallTime now) const;
  // <base>/<zone>/event, not retained.
  Outgoing encode_event(const core::ZoneEvent& event) const;

  std::string info_topic() const;
  std::string history_topic(std::string_view zone) const;
  std::string result_topic(std::string_view zone) const;
  std::string state_topic(std::string_view zone) const;
  std::string event_topic(std::string_view zone) const;

 private:
  Outgoing bad_request(std::string_view zone, const json::Value& id, std::string message) const;
  std::string next_plain_id();

  std::string base_;
  std::set<std::string> zones_;
  unsigned long long plain_counter_ = 0;
};

// The JSON documents behind the encoders, for a host that wants to add fields (e.g. the
// time scale) before publishing.
json::Value reply_json(const core::Reply& reply);
json::Value state_json(const core::ZoneSnapshot& snapshot, core::WallTime now);
json::Value event_json(const core::ZoneEvent& event);
// <base>/info: what this padtimerd runs (zones, routines with their phases).
json::Value info_json(const core::EngineConfig& config, std::string_view version, double time_scale,
                      core::WallTime started_at);
// <base>/<zone>/history: `sessions` as Store::recent_sessions() returns them, newest first.
json::Value history_json(std::string_view zone, const std::vector<store::SessionRecord>& sessions);

// Request::id text for a JSON id value (string, integer or null), and back.
std::string id_to_text(const json::Value& id);
json::Value id_from_text(std::string_view text);

// "2026-11-24T16:37:33Z": UTC, whole seconds, rounded down.
std::string iso8601_utc(core::WallTime t);

}  // namespace padtimer::control
