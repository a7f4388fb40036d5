// The phone-facing MQTT API: every request form, every malformed variant (each gets exactly
// one bad_request result), loops on our own topics ignored, and exact encoded payloads.
#include "control/control.h"
#include "store/store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace padtimer::control {
namespace {

using namespace std::chrono_literals;
using core::Action;

// 2026-11-24T16:37:33Z
constexpr core::WallTime kNow{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24} + 16h +
                              37min + 33s};

class ControlTest : public ::testing::Test {
 protected:
  ControlCodec codec{"padtimer", {"bed", "sofa"}};

  core::Request request(std::string_view topic, std::string_view payload) {
    Decoded d = codec.decode(topic, payload);
    EXPECT_TRUE(d.request()) << topic << " " << payload;
    return d.request() ? *d.request() : core::Request{};
  }

  // The bad_request result's topic and payload.
  Outgoing rejection(std::string_view topic, std::string_view payload, bool retained = false) {
    Decoded d = codec.decode(topic, payload, retained);
    EXPECT_TRUE(d.rejection()) << topic << " " << payload;
    return d.rejection() ? *d.rejection() : Outgoing{};
  }

  // The message of a bad_request on bed/set with the given id echoed.
  void expect_set_rejected(std::string_view payload, std::string_view message,
                           std::string_view id = "null") {
    Outgoing out = rejection("padtimer/bed/set", payload);
    EXPECT_EQ(out.topic, "padtimer/bed/result");
    EXPECT_EQ(out.payload, "{\"id\":" + std::string(id) +
                               ",\"ok\":false,\"code\":\"bad_request\",\"message\":\"" +
                               std::string(message) + "\"}")
        << payload;
    EXPECT_EQ(out.qos, 1);
    EXPECT_FALSE(out.retained);
  }
};

// ---- Subscriptions and topics ----------------------------------------------------------

TEST_F(ControlTest, SubscribesToEveryCommandTopic) {
  EXPECT_EQ(codec.subscriptions(),
            (std::vector<std::string>{"padtimer/+/set", "padtimer/+/start", "padtimer/+/stop",
                                      "padtimer/+/pause", "padtimer/+/resume", "padtimer/+/reset",
                                      "padtimer/+/skip", "padtimer/stop_all"}));
}

TEST_F(ControlTest, MultiLevelBaseTopic) {
  ControlCodec home{"home/padtimer", {"bed"}};
  EXPECT_EQ(home.subscriptions().front(), "home/padtimer/+/set");
  Decoded d = home.decode("home/padtimer/bed/stop", "");
  ASSERT_TRUE(d.request());
  EXPECT_EQ(d.request()->zone, "bed");
  EXPECT_TRUE(home.decode("padtimer/bed/stop", "").ignored());
  EXPECT_TRUE(home.decode("home/padtimerx/bed/stop", "").ignored());
}

TEST_F(ControlTest, BadBaseTopicThrows) {
  EXPECT_THROW(ControlCodec("", {}), std::invalid_argument);
  EXPECT_THROW(ControlCodec("pad/+", {}), std::invalid_argument);
  EXPECT_THROW(ControlCodec("pad/#", {}), std::invalid_argument);
  EXPECT_THROW(ControlCodec("pad/", {}), std::invalid_argument);
  EXPECT_THROW(ControlCodec("/pad", {}), std::invalid_argument);
  EXPECT_THROW(ControlCodec("a//b", {}), std::invalid_argument);
}

TEST_F(ControlTest, OwnTopicsAndStrangersAreIgnored) {
  for (std::string_view topic :
       {"padtimer/bed/state", "padtimer/bed/result", "padtimer/bed/event", "padtimer/result",
        "padtimer/bed", "padtimer", "padtimer/", "padtimerx/bed/stop", "other/bed/stop",
        "padtimer/bed/set/extra", "padtimer/bed/stop/x", "padtimer/stop_all/x",
        "padtimer/bed/extend", "padtimer/bed/SET", "padtimer/stop_allx", ""}) {
    EXPECT_TRUE(codec.decode(topic, "{\"action\":\"stop\"}").ignored()) << topic;
    EXPECT_TRUE(codec.decode(topic, "").ignored()) << topic;
  }
}

TEST_F(ControlTest, OwnResultsFedBackAreIgnored) {
  core::Reply reply{"\"7\"", "bed", false, core::Reason::rest_interval, "too soon"};
  Outgoing result = codec.encode_reply(reply);
  EXPECT_TRUE(codec.decode(result.topic, result.payload).ignored());
  core::ZoneSnapshot snapshot;
  snapshot.zone = "bed";
  Outgoing state = codec.encode_state(snapshot, kNow);
  EXPECT_TRUE(codec.decode(state.topic, state.payload, true).ignored());
  core::ZoneEvent zone_event;
  zone_event.zone = "bed";
  Outgoing event = codec.encode_event(zone_event);
  EXPECT_TRUE(codec.decode(event.topic, event.payload).ignored());
  Outgoing bad = rejection("padtimer/bed/set", "x");
  EXPECT_TRUE(codec.decode(bad.topic, bad.payload).ignored());
}

// ---- JSON requests on <base>/<zone>/set ------------------------------------------------

TEST_F(ControlTest, JsonStart) {
  core::Request r =
      request("padtimer/bed/set", R"({"action":"start","routine":"evening","id":"42"})");
  EXPECT_EQ(r.action, Action::start);
  EXPECT_EQ(r.zone, "bed");
  EXPECT_EQ(r.routine, "evening");
  EXPECT_EQ(r.id, "\"42\"");
  EXPECT_FALSE(r.scheduled);
}

TEST_F(ControlTest, JsonEveryAction) {
  const std::pair<const char*, Action> cases[] = {
      {"stop", Action::stop}, {"pause", Action::pause}, {"resume", Action::resume},
      {"skip", Action::skip}, {"reset", Action::reset},
  };
  for (const auto& [name, action] : cases) {
    core::Request r =
        request("padtimer/sofa/set", std::string(R"({"action":")") + name + R"(","id":7})");
    EXPECT_EQ(r.action, action) << name;
    EXPECT_EQ(r.zone, "sofa");
    EXPECT_EQ(r.id, "7");
    EXPECT_EQ(r.routine, "");
    EXPECT_EQ(r.extend_by, core::Duration{});
  }
}

TEST_F(ControlTest, JsonExtend) {
  core::Request r = request("padtimer/bed/set", R"({"action":"extend","minutes":5})");
  EXPECT_EQ(r.action, Action::extend);
  EXPECT_EQ(r.extend_by, 5min);
  EXPECT_EQ(r.id, "null");
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"extend","minutes":1})").extend_by, 1min);
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"extend","minutes":20})").extend_by, 20min);
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"extend","minutes":2.0})").extend_by, 2min);
}

TEST_F(ControlTest, JsonWhitespaceAndKeyOrder) {
  core::Request r = request("padtimer/bed/set",
                            " \n{ \"routine\" : \"morning\" , \"id\" : \"a b\", \"action\": "
                            "\"start\" }\n");
  EXPECT_EQ(r.action, Action::start);
  EXPECT_EQ(r.routine, "morning");
  EXPECT_EQ(r.id, "\"a b\"");
}

TEST_F(ControlTest, UnknownZoneIsPassedToTheEngine) {
  core::Request r = request("padtimer/garage/set", R"({"action":"stop"})");
  EXPECT_EQ(r.zone, "garage");
  EXPECT_EQ(request("padtimer/garage/stop", "").zone, "garage");
}

TEST_F(ControlTest, UnknownRoutineIsPassedToTheEngine) {
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"start","routine":"nope"})").routine, "nope");
}

TEST_F(ControlTest, IdsKeepTheirType) {
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"stop","id":"42"})").id, "\"42\"");
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"stop","id":42})").id, "42");
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"stop","id":-3})").id, "-3");
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"stop","id":1e3})").id, "1000");
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"stop","id":null})").id, "null");
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"stop","id":""})").id, "\"\"");
  const std::string id64(64, 'x');
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"stop","id":")" + id64 + "\"}").id,
            "\"" + id64 + "\"");
  EXPECT_EQ(request("padtimer/bed/set", R"({"action":"stop","id":"é\"\\"})").id, R"("é\"\\")");
}

TEST_F(ControlTest, IdRoundTripsThroughTheReply) {
  for (std::string_view id : {R"("42")", "42", "-3", "null", R"("a\"b")", R"("")"}) {
    core::Request r =
        request("padtimer/bed/set", R"({"action":"stop","id":)" + std::string(id) + "}");
    core::Reply reply{r.id, r.zone, true, core::Reason::ok, "stopped"};
    EXPECT_EQ(codec.encode_reply(reply).payload,
              R"({"id":)" + std::string(id) + R"(,"ok":true,"message":"stopped"})");
  }
}

// ---- Malformed JSON requests -------------------------------------------------------------

TEST_F(ControlTest, EmptyPayload) {
  const char* msg = R"(empty payload; expected a JSON object such as {\"action\":\"stop\"})";
  expect_set_rejected("", msg);
  expect_set_rejected(" \r\n\t", msg);
}

TEST_F(ControlTest, BadJson) {
  expect_set_rejected("{",
                      "invalid JSON: unexpected end of input: expected a string key at offset 1");
  expect_set_rejected("stop",
                      "invalid JSON: expected a value (object, array, string, number, true, false "
                      "or null) but found 's' at offset 0");
}

TEST_F(ControlTest, BadJsonVariantsAllRejected) {
  const std::string_view payloads[] = {R"({"action":"stop",})",
                                       R"({'action':'stop'})",
                                       R"({"action":"stop"} x)",
                                       R"({"action":"stop","action":"start"})",
                                       "{\"action\":\"st\xff\"}",
                                       R"({"id":NaN})",
                                       std::string_view("{\"action\":\"stop\"}\0", 18),
                                       "[[[[[[[[[[[[]]]]]]]]]]]]"};
  for (std::string_view payload : payloads) {
    Outgoing out = rejection("padtimer/bed/set", payload);
    EXPECT_EQ(out.topic, "padtimer/bed/result");
    EXPECT_NE(out.payload.find("\"ok\":false,\"code\":\"bad_request\""), std::string::npos)
        << payload;
  }
}

TEST_F(ControlTest, NotAnObject) {
  const char* msg = R"(expected a JSON object such as {\"action\":\"stop\"})";
  for (std::string_view payload : {"[]", "\"stop\"", "42", "null", "true"}) {
    expect_set_rejected(payload, msg);
  }
}

TEST_F(ControlTest, BadIds) {
  const char* msg = R"(\"id\" must be a string of at most 64 characters or an integer)";
  expect_set_rejected(R"({"action":"stop","id":1.5})", msg);
  expect_set_rejected(R"({"action":"stop","id":true})", msg);
  expect_set_rejected(R"({"action":"stop","id":[1]})", msg);
  expect_set_rejected(R"({"action":"stop","id":{}})", msg);
  expect_set_rejected(R"({"action":"stop","id":1e30})", msg);
  expect_set_rejected(R"({"action":"stop","id":")" + std::string(65, 'x') + "\"}", msg);
}

TEST_F(ControlTest, UnknownKeys) {
  expect_set_rejected(R"({"action":"stop","id":"9","force":true})",
                      "unknown key 'force'; allowed: action, id, routine, minutes", "\"9\"");
  expect_set_rejected(R"({"Action":"stop"})",
                      "unknown key 'Action'; allowed: action, id, routine, minutes");
  expect_set_rejected(R"({"action":"stop","":1})",
                      "unknown key ''; allowed: action, id, routine, minutes");
  // A long key is shortened in the message.
  Outgoing out =
      rejection("padtimer/bed/set", R"({"action":"stop",")" + std::string(200, 'k') + "\":1}");
  EXPECT_EQ(out.payload.find(std::string(65, 'k')), std::string::npos);
}

TEST_F(ControlTest, BadAction) {
  const char* list = "start, stop, pause, resume, skip, extend, reset";
  expect_set_rejected(R"({"id":1})", std::string("missing \\\"action\\\"; one of ") + list, "1");
  expect_set_rejected(R"({"action":3})",
                      std::string("\\\"action\\\" must be a string: one of ") + list);
  expect_set_rejected(R"({"action":null})",
                      std::string("\\\"action\\\" must be a string: one of ") + list);
  expect_set_rejected(R"({"action":"STOP"})", std::string("unknown action 'STOP'; one of ") + list);
  expect_set_rejected(R"({"action":"stop_all"})",
                      std::string("unknown action 'stop_all'; one of ") + list);
  expect_set_rejected(R"({"action":""})", std::string("unknown action ''; one of ") + list);
}

TEST_F(ControlTest, StartNeedsARoutine) {
  expect_set_rejected(R"({"action":"start","id":"s1"})",
                      R"(start needs \"routine\": the name of a configured routine)", "\"s1\"");
  expect_set_rejected(R"({"action":"start","routine":5})", R"(\"routine\" must be a string)");
  expect_set_rejected(R"({"action":"start","routine":null})", R"(\"routine\" must be a string)");
  expect_set_rejected(R"({"action":"start","routine":""})",
                      "routine '' is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -");
  expect_set_rejected(R"({"action":"start","routine":"even ing"})",
                      "routine 'even ing' is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -");
  expect_set_rejected(R"({"action":"start","routine":")" + std::string(65, 'r') + "\"}",
                      "routine '" + std::string(64, 'r') +
                          "…' is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -");
}

TEST_F(ControlTest, KeysOnlyForTheirAction) {
  expect_set_rejected(R"({"action":"stop","routine":"evening"})",
                      R"(\"routine\" is only allowed with action start)");
  expect_set_rejected(R"({"action":"start","routine":"evening","minutes":5})",
                      R"(\"minutes\" is only allowed with action extend)");
  expect_set_rejected(R"({"action":"pause","minutes":5})",
                      R"(\"minutes\" is only allowed with action extend)");
}

TEST_F(ControlTest, ExtendOutOfRange) {
  const char* msg = R"(\"minutes\" must be an integer from 1 to 20)";
  expect_set_rejected(R"({"action":"extend","id":2})",
                      R"(extend needs \"minutes\": an integer from 1 to 20)", "2");
  for (std::string_view minutes :
       {"0", "21", "-1", "1.5", "\"5\"", "true", "null", "1e100", "9223372036854775808", "[5]"}) {
    expect_set_rejected(R"({"action":"extend","minutes":)" + std::string(minutes) + "}", msg);
  }
}

TEST_F(ControlTest, Oversized) {
  std::string big = R"({"action":"stop","id":")" + std::string(5000, 'x') + "\"}";
  expect_set_rejected(big,
                      "payload is " + std::to_string(big.size()) + " bytes; the limit is 4096");
  // Exactly at the limit is accepted (padded with whitespace).
  std::string at_limit = R"({"action":"stop"})";
  at_limit += std::string(4096 - at_limit.size(), ' ');
  EXPECT_TRUE(codec.decode("padtimer/bed/set", at_limit).request());
  expect_set_rejected(at_limit + " ", "payload is 4097 bytes; the limit is 4096");
}

TEST_F(ControlTest, BadZoneText) {
  Outgoing out = rejection("padtimer/b d/set", R"({"action":"stop","id":"z"})");
  EXPECT_EQ(out.topic, "padtimer/b d/result");
  EXPECT_EQ(out.payload,
            R"({"id":"z","ok":false,"code":"bad_request","message":"zone 'b d' is not a valid )"
            R"(name: 1-64 characters of A-Z a-z 0-9 _ -"})");
  // An empty zone level answers on <base>/result.
  out = rejection("padtimer//set", R"({"action":"stop"})");
  EXPECT_EQ(out.topic, "padtimer/result");
  out = rejection("padtimer//stop", "");
  EXPECT_EQ(out.topic, "padtimer/result");
  EXPECT_EQ(out.payload,
            R"({"id":"plain-1","ok":false,"code":"bad_request","message":"zone '' is not a )"
            R"(valid name: 1-64 characters of A-Z a-z 0-9 _ -"})");
  // A level a broker would never deliver still gets an answer, on <base>/result.
  EXPECT_EQ(rejection("padtimer/+/stop", "").topic, "padtimer/result");
  EXPECT_EQ(rejection("padtimer/#/set", "{}").topic, "padtimer/result");
  EXPECT_EQ(rejection("padtimer/" + std::string(65, 'z') + "/stop", "").topic,
            "padtimer/" + std::string(65, 'z') + "/result");
  EXPECT_EQ(rejection("padtimer/bé/start", "evening").topic, "padtimer/bé/result");
}

TEST_F(ControlTest, RetainedCommandsAreRefused) {
  Outgoing out = rejection("padtimer/bed/start", "evening", true);
  EXPECT_EQ(out.payload,
            R"({"id":"plain-1","ok":false,"code":"bad_request","message":"retained commands )"
            R"(are refused; publish without -r"})");
  EXPECT_TRUE(rejection("padtimer/bed/set", R"({"action":"stop"})", true).topic ==
              "padtimer/bed/result");
  EXPECT_EQ(rejection("padtimer/stop_all", "", true).topic, "padtimer/result");
}

// ---- Plain topics ------------------------------------------------------------------------

TEST_F(ControlTest, PlainStart) {
  core::Request r = request("padtimer/bed/start", "evening");
  EXPECT_EQ(r.action, Action::start);
  EXPECT_EQ(r.zone, "bed");
  EXPECT_EQ(r.routine, "evening");
  EXPECT_EQ(r.id, "\"plain-1\"");
  EXPECT_EQ(request("padtimer/bed/start", "  evening\r\n").routine, "evening");
  EXPECT_EQ(request("padtimer/bed/start", std::string(64, 'r')).routine, std::string(64, 'r'));
}

TEST_F(ControlTest, PlainActionsIgnoreThePayload) {
  const std::pair<const char*, Action> cases[] = {
      {"stop", Action::stop},   {"pause", Action::pause}, {"resume", Action::resume},
      {"reset", Action::reset}, {"skip", Action::skip},
  };
  int n = 0;
  for (const auto& [verb, action] : cases) {
    for (std::string_view payload : {"", "1", "whatever {not json"}) {
      core::Request r = request(std::string("padtimer/sofa/") + verb, payload);
      EXPECT_EQ(r.action, action);
      EXPECT_EQ(r.zone, "sofa");
      EXPECT_EQ(r.routine, "");
      EXPECT_EQ(r.id, "\"plain-" + std::to_string(++n) + "\"");
    }
  }
}

TEST_F(ControlTest, StopAll) {
  core::Request r = request("padtimer/stop_all", "");
  EXPECT_EQ(r.action, Action::stop_all);
  EXPECT_EQ(r.zone, "");
  EXPECT_EQ(r.id, "\"plain-1\"");
  EXPECT_EQ(request("padtimer/stop_all", "anything").action, Action::stop_all);
  core::Reply reply{r.id, r.zone, true, core::Reason::ok, "every zone stopped"};
  Outgoing out = codec.encode_reply(reply);
  EXPECT_EQ(out.topic, "padtimer/result");
  EXPECT_EQ(out.payload, R"({"id":"plain-1","ok":true,"message":"every zone stopped"})");
}

TEST_F(ControlTest, PlainStartMalformed) {
  const auto expect = [&](std::string_view payload, const std::string& message) {
    Outgoing out = rejection("padtimer/bed/start", payload);
    EXPECT_EQ(out.topic, "padtimer/bed/result");
    EXPECT_NE(out.payload.find(R"("ok":false,"code":"bad_request","message":")" + message + "\""),
              std::string::npos)
        << payload << " -> " << out.payload;
  };
  expect("", "the payload must be the routine name, e.g. 'evening'; it is empty");
  expect(" \n", "the payload must be the routine name, e.g. 'evening'; it is empty");
  expect("even ing", "routine 'even ing' is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -");
  expect("\"evening\"",
         R"(routine '\"evening\"' is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -)");
  expect(std::string(65, 'r'), "routine '" + std::string(64, 'r') +
                                   "…' is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -");
  expect(std::string(4097, 'r'), "payload is 4097 bytes; the limit is 4096");
}

TEST_F(ControlTest, PlainOversized) {
  for (std::string_view verb : {"stop", "pause", "resume", "reset", "skip"}) {
    Outgoing out = rejection("padtimer/bed/" + std::string(verb), std::string(4097, 'x'));
    EXPECT_NE(out.payload.find("payload is 4097 bytes; the limit is 4096"), std::string::npos);
  }
  EXPECT_TRUE(codec.decode("padtimer/bed/stop", std::string(4096, 'x')).request());
  Outgoing out = rejection("padtimer/stop_all", std::string(4097, 'x'));
  EXPECT_EQ(out.topic, "padtimer/result");
  EXPECT_EQ(out.payload,
            R"({"id":"plain-7","ok":false,"code":"bad_request","message":"payload is 4097 )"
            R"(bytes; the limit is 4096"})");
}

TEST_F(ControlTest, EveryMalformedInputGetsExactlyOneResult) {
  // Random bytes on every command topic: each decode is a request or one rejection, and the
  // codec never throws.
  std::uint32_t seed = 12345;
  const auto next = [&] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 24;
  };
  for (std::string_view topic : {"padtimer/bed/set", "padtimer/bed/start", "padtimer/stop_all"}) {
    for (int i = 0; i < 300; ++i) {
      std::string payload(next() % 40, '\0');
      for (char& c : payload)
        c = static_cast<char>(next());
      Decoded d;
      EXPECT_NO_THROW(d = codec.decode(topic, payload));
      EXPECT_FALSE(d.ignored());
      if (const Outgoing* out = d.rejection()) {
        EXPECT_TRUE(json::parse(out->payload)) << out->payload;
      }
    }
  }
}

// ---- Encoders -------------------------------------------------------------------------------

TEST_F(ControlTest, EncodeReplyOk) {
  Outgoing out =
      codec.encode_reply(core::Reply{"\"42\"", "bed", true, core::Reason::ok, "evening started"});
  EXPECT_EQ(out, (Outgoing{"padtimer/bed/result",
                           R"({"id":"42","ok":true,"message":"evening started"})", 1, false}));
}

TEST_F(ControlTest, EncodeReplyRefused) {
  Outgoing out = codec.encode_reply(
      core::Reply{"7", "bed", false, core::Reason::rest_interval, "rest until 14:20"});
  EXPECT_EQ(out,
            (Outgoing{"padtimer/bed/result",
                      R"({"id":7,"ok":false,"code":"rest_interval","message":"rest until 14:20"})",
                      1, false}));
  out = codec.encode_reply(
      core::Reply{"null", "garage", false, core::Reason::unknown_zone, "no zone"});
  EXPECT_EQ(out.topic, "padtimer/garage/result");
  EXPECT_EQ(out.payload, R"({"id":null,"ok":false,"code":"unknown_zone","message":"no zone"})");
}

TEST_F(ControlTest, EncodeReplyForeignIdsAreStrings) {
  // Ids made by the host (a schedule) rather than by decode().
  EXPECT_EQ(
      codec.encode_reply(core::Reply{"schedule-3", "bed", true, core::Reason::ok, ""}).payload,
      R"({"id":"schedule-3","ok":true,"message":""})");
  EXPECT_EQ(codec.encode_reply(core::Reply{"", "bed", true, core::Reason::ok, ""}).payload,
            R"({"id":null,"ok":true,"message":""})");
  EXPECT_EQ(codec.encode_reply(core::Reply{"[1]", "bed", true, core::Reason::ok, ""}).payload,
            R"({"id":"[1]","ok":true,"message":""})");
}

TEST_F(ControlTest, EncodeStateIdle) {
  core::ZoneSnapshot s;
  s.zone = "bed";
  s.exposure_today = 1500s + 400ms;
  s.daily_cap = 7200s;
  s.next_allowed_start = kNow + 20min + 1ms;  // rounded up to the second
  Outgoing out = codec.encode_state(s, kNow);
  EXPECT_EQ(out.topic, "padtimer/bed/state");
  EXPECT_TRUE(out.retained);
  EXPECT_EQ(out.qos, 1);
  EXPECT_EQ(out.payload,
            R"({"zone":"bed","status":"idle","routine":null,"phase":null,"phases":0,)"
            R"("phase_kind":null,"remaining_s":0,"next_allowed_start":"2026-11-24T16:57:34Z",)"
            R"("exposure_today_s":1500,"daily_cap_s":7200,"fault":null,"fault_message":null,)"
            R"("ready":false,"devices":[],"updated_at":"2026-11-24T16:37:33Z"})");
}

TEST_F(ControlTest, EncodeStateRunning) {
  core::ZoneSnapshot s;
  s.zone = "sofa";
  s.status = core::ZoneStatus::heat;
  s.routine = "evening";
  s.phase_index = 0;
  s.phase_count = 3;
  s.phase_kind = core::PhaseKind::heat;
  s.phase_remaining = 1199s + 1ms;
  s.exposure_today = 61s;
  s.daily_cap = 3600s;
  s.ready = true;
  s.devices = {{"sofa_pad", core::DeviceRole::dual, core::Output::heat, true, true, 38.46},
               {"sofa_cold", core::DeviceRole::cold, core::Output::off, false, false, {}}};
  EXPECT_EQ(codec.encode_state(s, kNow + 999ms).payload,
            R"({"zone":"sofa","status":"heat","routine":"evening","phase":1,"phases":3,)"
            R"("phase_kind":"heat","remaining_s":1200,"next_allowed_start":null,)"
            R"("exposure_today_s":61,"daily_cap_s":3600,"fault":null,"fault_message":null,)"
            R"("ready":true,"devices":[)"
            R"({"id":"sofa_pad","role":"dual","output":"heat","confirmed":true,"online":true,)"
            R"("temperature_c":38.5},)"
            R"({"id":"sofa_cold","role":"cold","output":"off","confirmed":false,"online":false,)"
            R"("temperature_c":null}],)"
            R"("updated_at":"2026-11-24T16:37:33Z"})");
  s.status = core::ZoneStatus::paused;
  s.phase_index = 2;
  s.phase_kind = core::PhaseKind::cold;
  EXPECT_NE(
      codec.encode_state(s, kNow).payload.find(
          R"("status":"paused","routine":"evening","phase":3,"phases":3,"phase_kind":"cold")"),
      std::string::npos);
}

TEST_F(ControlTest, EncodeStateFault) {
  core::ZoneSnapshot s;
  s.zone = "bed";
  s.status = core::ZoneStatus::fault;
  s.fault = core::Reason::overtemp;
  s.fault_message = "pad read 46.0 °C";
  EXPECT_EQ(codec.encode_state(s, core::WallTime{}).payload,
            R"({"zone":"bed","status":"fault","routine":null,"phase":null,"phases":0,)"
            R"("phase_kind":null,"remaining_s":0,"next_allowed_start":null,)"
            R"("exposure_today_s":0,"daily_cap_s":0,"fault":"overtemp",)"
            R"("fault_message":"pad read 46.0 °C","ready":false,"devices":[],)"
            R"("updated_at":"1970-01-01T00:00:00Z"})");
}

TEST_F(ControlTest, EveryStatusName) {
  const std::pair<core::ZoneStatus, const char*> cases[] = {
      {core::ZoneStatus::idle, "idle"},     {core::ZoneStatus::heat, "heat"},
      {core::ZoneStatus::cold, "cold"},     {core::ZoneStatus::rest, "rest"},
      {core::ZoneStatus::paused, "paused"}, {core::ZoneStatus::fault, "fault"}};
  for (const auto& [status, name] : cases) {
    core::ZoneSnapshot s;
    s.zone = "bed";
    s.status = status;
    EXPECT_NE(codec.encode_state(s, kNow).payload.find(std::string("\"status\":\"") + name + "\""),
              std::string::npos);
  }
}

TEST_F(ControlTest, EncodeEventPhaseStarted) {
  core::ZoneEvent e;
  e.zone = "bed";
  e.kind = core::EventKind::phase_started;
  e.at = kNow;
  e.routine = "evening";
  e.phase_index = 1;
  e.phase_kind = core::PhaseKind::rest;
  e.message = "rest for 10 min";
  Outgoing out = codec.encode_event(e);
  EXPECT_EQ(out.topic, "padtimer/bed/event");
  EXPECT_FALSE(out.retained);
  EXPECT_EQ(out.qos, 1);
  EXPECT_EQ(out.payload, R"({"event":"phase_started","zone":"bed","routine":"evening","phase":2,)"
                         R"("phase_kind":"rest","reason":null,"message":"rest for 10 min",)"
                         R"("at":"2026-11-24T16:37:33Z"})");
}

TEST_F(ControlTest, EncodeEventPhaseEnded) {
  core::ZoneEvent e;
  e.zone = "bed";
  e.kind = core::EventKind::phase_ended;
  e.at = kNow;
  e.routine = "evening";
  e.phase_index = 0;
  e.phase_kind = core::PhaseKind::heat;
  e.on_time = 1199s + 900ms;
  EXPECT_EQ(codec.encode_event(e).payload,
            R"({"event":"phase_ended","zone":"bed","routine":"evening","phase":1,)"
            R"("phase_kind":"heat","on_s":1199,"reason":null,"message":"",)"
            R"("at":"2026-11-24T16:37:33Z"})");
}

TEST_F(ControlTest, EncodeEventSessionEnded) {
  core::ZoneEvent e;
  e.zone = "bed";
  e.kind = core::EventKind::session_ended;
  e.at = kNow;
  e.routine = "evening";
  e.outcome = core::SessionOutcome::emergency_stop;
  e.message = "stopped by stop_all";
  EXPECT_EQ(codec.encode_event(e).payload,
            R"({"event":"session_ended","zone":"bed","routine":"evening","phase":null,)"
            R"("phase_kind":null,"outcome":"emergency_stop","reason":null,)"
            R"("message":"stopped by stop_all","at":"2026-11-24T16:37:33Z"})");
}

TEST_F(ControlTest, EncodeEventScheduleSkipped) {
  core::ZoneEvent e;
  e.zone = "sofa";
  e.kind = core::EventKind::schedule_skipped;
  e.at = kNow;
  e.routine = "morning";
  e.reason = core::Reason::rest_interval;
  e.message = "scheduled morning skipped: rest until 17:00";
  EXPECT_EQ(codec.encode_event(e).payload,
            R"({"event":"schedule_skipped","zone":"sofa","routine":"morning","phase":null,)"
            R"("phase_kind":null,"reason":"rest_interval",)"
            R"("message":"scheduled morning skipped: rest until 17:00",)"
            R"("at":"2026-11-24T16:37:33Z"})");
}

TEST_F(ControlTest, Iso8601) {
  EXPECT_EQ(iso8601_utc(core::WallTime{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(iso8601_utc(kNow + 999ms), "2026-11-24T16:37:33Z");
  EXPECT_EQ(iso8601_utc(core::WallTime{std::chrono::sys_days{std::chrono::year{2028} / 2 / 29}} +
                        23h + 59min + 59s),
            "2028-02-29T23:59:59Z");
  EXPECT_EQ(iso8601_utc(core::WallTime{} - 1ms), "1969-12-31T23:59:59Z");
}

TEST(Info, ListsZonesAndRoutinesWithTheirPhases) {
  core::EngineConfig c;
  c.zones = {{"bed", "bed_pad", "", 30min, 2h}, {"sofa", "sofa_pad", "", 30min, 2h}};
  c.routines = {{"evening",
                 {{core::PhaseKind::heat, 20min},
                  {core::PhaseKind::rest, 5min},
                  {core::PhaseKind::cold, 10min}}},
                {"quick", {{core::PhaseKind::heat, 15min}}}};
  EXPECT_EQ(control::info_json(c, "0.1.0", 10, kNow).dump(),
            R"({"version":"0.1.0","time_scale":10,"zones":["bed","sofa"],"routines":[)"
            R"({"id":"evening","phases":[{"kind":"heat","duration_s":1200},)"
            R"({"kind":"rest","duration_s":300},{"kind":"cold","duration_s":600}]},)"
            R"({"id":"quick","phases":[{"kind":"heat","duration_s":900}]}],)"
            R"("started_at":"2026-11-24T16:37:33Z"})");
}

TEST(History, SessionsWithTheirPhasesNewestFirstAsGiven) {
  store::SessionRecord done;
  done.routine = "evening";
  done.started_at = kNow;
  done.ended_at = kNow + 35min;
  done.outcome = "completed";
  done.exposure = 30min + 500ms;
  done.phases = {{0, core::PhaseKind::heat, kNow, kNow + 20min, 20min},
                 {1, core::PhaseKind::rest, kNow + 20min, kNow + 25min, 0min}};
  store::SessionRecord running;
  running.routine = "quick";
  running.started_at = kNow + 2h;
  running.phases = {{0, core::PhaseKind::heat, kNow + 2h, std::nullopt, 61s}};
  EXPECT_EQ(
      control::history_json("bed", {running, done}).dump(),
      R"({"zone":"bed","sessions":[)"
      R"({"routine":"quick","started_at":"2026-11-24T18:37:33Z","ended_at":null,)"
      R"("outcome":null,"exposure_s":0,"phases":[{"index":1,"kind":"heat",)"
      R"("started_at":"2026-11-24T18:37:33Z","ended_at":null,"on_s":61}]},)"
      R"({"routine":"evening","started_at":"2026-11-24T16:37:33Z",)"
      R"("ended_at":"2026-11-24T17:12:33Z","outcome":"completed","exposure_s":1800,)"
      R"("phases":[{"index":1,"kind":"heat","started_at":"2026-11-24T16:37:33Z",)"
      R"("ended_at":"2026-11-24T16:57:33Z","on_s":1200},{"index":2,"kind":"rest",)"
      R"("started_at":"2026-11-24T16:57:33Z","ended_at":"2026-11-24T17:02:33Z","on_s":0}]}]})");
  EXPECT_EQ(control::history_json("sofa", {}).dump(), R"({"zone":"sofa","sessions":[]})");
}

TEST_F(ControlTest, InfoAndHistoryTopics) {
  EXPECT_EQ(codec.info_topic(), "padtimer/info");
  EXPECT_EQ(codec.history_topic("bed"), "padtimer/bed/history");
}
}  // namespace
}  // namespace padtimer::control
