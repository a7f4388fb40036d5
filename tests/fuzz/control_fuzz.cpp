// Fuzz target: the control API's request decoder (ControlCodec::decode), as padtimerd runs
// it for every message a phone, dashboard or padtimerctl publishes.
//
// Input: messages as in fuzz_support.h. A topic line starting with "retained:" is decoded
// with the retain flag set (the rest of the line is the topic). Topics outside the codec's
// subscriptions are fed too: the codec must ignore them.
#include <set>
#include <string>

#include "control/control.h"
#include "core/validate.h"
#include "fuzz_support.h"
#include "json/json.h"

namespace {

using namespace padtimer;
using fuzz::check;

// The reply the codec would publish for this request must be valid JSON carrying its id.
void check_reply(const control::ControlCodec& codec, const core::Request& request) {
  core::Reply reply{request.id, request.zone, false, core::Reason::bad_request, "refused"};
  const control::Outgoing out = codec.encode_reply(reply);
  check(out.topic == codec.result_topic(request.zone), "reply on the zone's result topic");
  auto doc = json::parse(out.payload);
  check(doc && doc.value->is_object(), "reply is a JSON object");
  const json::Value* id = doc.value->find("id");
  check(id && *id == control::id_from_text(request.id), "reply echoes the request id");
}

void check_request(const core::Request& request, std::string_view payload) {
  check(payload.size() <= control::kMaxPayloadBytes, "oversized payload accepted");
  check(control::id_to_text(control::id_from_text(request.id)) == request.id,
        "request id does not round-trip through id_from_text/id_to_text");
  if (request.action == core::Action::stop_all) return;
  check(core::is_valid_id(request.zone), "request for an invalid zone name");
  if (request.action == core::Action::start) {
    check(core::is_valid_id(request.routine), "start with an invalid routine name");
  } else {
    check(request.routine.empty(), "routine set on a request other than start");
  }
  if (request.action == core::Action::extend) {
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(request.extend_by);
    check(minutes.count() >= control::kMinExtendMinutes &&
              minutes.count() <= control::kMaxExtendMinutes &&
              request.extend_by == std::chrono::duration_cast<core::Duration>(minutes),
          "extend by a time outside 1-20 whole minutes");
  } else {
    check(request.extend_by == core::Duration{}, "extend_by set on a request other than extend");
  }
}

void check_rejection(const control::ControlCodec& codec, const control::Outgoing& out) {
  check(out.qos == 1 && !out.retained, "bad_request result must be QoS 1, not retained");
  const std::string prefix = codec.base() + "/";
  check(out.topic.starts_with(prefix) && out.topic.ends_with("result"),
        "bad_request result on a result topic");
  auto doc = json::parse(out.payload);
  check(doc.value.has_value(), "bad_request payload is valid JSON");
  const json::Value& v = *doc.value;
  const json::Value* ok = v.find("ok");
  const json::Value* code = v.find("code");
  const json::Value* message = v.find("message");
  check(ok && ok->as_bool() == false, "bad_request has \"ok\":false");
  check(code && code->as_string() && *code->as_string() == "bad_request",
        "bad_request has \"code\":\"bad_request\"");
  check(message && message->as_string() && !message->as_string()->empty(),
        "bad_request has a message");
  check(v.find("id") != nullptr, "bad_request echoes an id (null when none)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run_guarded([&] {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    control::ControlCodec codec("padtimer", {"lower_back", "neck"});
    const auto filters = codec.subscriptions();
    for (auto [topic, payload] : fuzz::split_messages(input)) {
      bool retained = false;
      if (topic.starts_with("retained:")) {
        retained = true;
        topic.remove_prefix(9);
      }
      const control::Decoded decoded = codec.decode(topic, payload, retained);
      if (!fuzz::matches_any(filters, topic)) {
        check(decoded.ignored(), "decoded a topic outside the codec's subscriptions");
        continue;
      }
      if (const core::Request* request = decoded.request()) {
        check(!retained, "a retained request was accepted");
        check_request(*request, payload);
        check_reply(codec, *request);
      } else if (const control::Outgoing* rejection = decoded.rejection()) {
        check_rejection(codec, *rejection);
      }
    }
  });
}
