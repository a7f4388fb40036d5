// Shelly Gen2 RPC, device side: Switch.Set with toggle_after, replies, NotifyStatus, errors.
#include "sim/shelly_rpc.h"

#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace padtimer::sim {
namespace {

using testing::at;
using testing::has_line;
using testing::make;
using testing::parse_json;
using testing::payloads;
using testing::run_until;

using Strings = std::vector<std::string>;

std::string set(bool on, std::optional<double> toggle_after = std::nullopt, int id = 7) {
  json::Value params = json::Value::object({{"id", 0}, {"on", on}});
  if (toggle_after) params.set("toggle_after", *toggle_after);
  return json::Value::object({{"id", id},
                              {"src", "padtimerd"},
                              {"method", "Switch.Set"},
                              {"params", std::move(params)}})
      .dump();
}

TEST(ShellyRpc, SwitchSetRepliesToTheSenderAndNotifiesTheChange) {
  auto d = make("shelly_rpc:lb,id=shellyplus1-abc");
  EXPECT_EQ(d->subscriptions(), Strings{"shellyplus1-abc/rpc"});
  auto r = d->handle("shellyplus1-abc/rpc", set(true), at(0));
  EXPECT_EQ(
      payloads(r, "padtimerd/rpc"),
      Strings{R"({"id":7,"src":"shellyplus1-abc","dst":"padtimerd","result":{"was_on":false}})"});
  auto events = payloads(r, "shellyplus1-abc/events/rpc");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0],
            R"({"src":"shellyplus1-abc","dst":"shellyplus1-abc/events","method":"NotifyStatus",)"
            R"("params":{"ts":1800000000,"switch:0":{"id":0,"output":true}}})");
  EXPECT_EQ(d->output(), Output::heat);

  // Again: was_on true, nothing changed, so no NotifyStatus.
  r = d->handle("shellyplus1-abc/rpc", set(true, std::nullopt, 8), at(1));
  EXPECT_EQ(
      payloads(r, "padtimerd/rpc"),
      Strings{R"({"id":8,"src":"shellyplus1-abc","dst":"padtimerd","result":{"was_on":true}})"});
  EXPECT_TRUE(payloads(r, "shellyplus1-abc/events/rpc").empty());
  EXPECT_EQ(r.lines, Strings{"relay still ON (heat)"});
}

TEST(ShellyRpc, ToggleAfterSwitchesOffAfterThatManySeconds) {
  auto d = make("shelly_rpc:s");
  auto r = d->handle("s/rpc", set(true, 90), at(0));
  EXPECT_EQ(r.lines, Strings{"relay ON (heat), auto-off in 90.0 s"});
  run_until(*d, 89.99);
  EXPECT_EQ(d->output(), Output::heat);
  auto fired = run_until(*d, 90);
  EXPECT_EQ(d->output(), Output::off);
  auto events = payloads(fired, "s/events/rpc");
  ASSERT_FALSE(events.empty());
  auto v = parse_json(events[0]);
  EXPECT_EQ(*v.find("params")->find("switch:0")->find("output"), json::Value(false));
  EXPECT_TRUE(has_line(fired, "auto-off fired, relay OFF"));
}

TEST(ShellyRpc, EverySetReplacesTheTimer) {
  auto d = make("shelly_rpc:s");
  d->handle("s/rpc", set(true, 60), at(0));
  d->handle("s/rpc", set(true, 60), at(50));  // lease re-armed
  run_until(*d, 109.9);
  EXPECT_EQ(d->output(), Output::heat);
  run_until(*d, 110);
  EXPECT_EQ(d->output(), Output::off);

  d->handle("s/rpc", set(true, 60), at(200));
  d->handle("s/rpc", set(true), at(210));  // no toggle_after: the timer is gone
  EXPECT_FALSE(d->timer());
  run_until(*d, 1000);
  EXPECT_EQ(d->output(), Output::heat);
}

TEST(ShellyRpc, OffWithToggleAfterSwitchesBackOn) {
  auto d = make("shelly_rpc:s,role=cold");
  d->handle("s/rpc", set(true), at(0));
  auto r = d->handle("s/rpc", set(false, 5), at(1));
  EXPECT_EQ(r.lines, Strings{"relay OFF, auto-on in 5.0 s"});
  EXPECT_FALSE(d->auto_off_remaining(at(1).mono));
  auto fired = run_until(*d, 6);
  EXPECT_EQ(d->output(), Output::cold);
  EXPECT_TRUE(has_line(fired, "auto-on fired, relay ON (cold)"));
}

TEST(ShellyRpc, ConfiguredAutoOffAppliesWithoutToggleAfter) {
  auto d = make("shelly_rpc:s,auto_off=30s");
  d->handle("s/rpc", set(true), at(0));
  run_until(*d, 30);
  EXPECT_EQ(d->output(), Output::off);
  d->handle("s/rpc", set(true, 10), at(100));  // toggle_after wins
  run_until(*d, 110);
  EXPECT_EQ(d->output(), Output::off);
}

TEST(ShellyRpc, ToggleAndStatusMethods) {
  auto d = make("shelly_rpc:s");
  auto r =
      d->handle("s/rpc", R"({"id":1,"src":"c","method":"Switch.Toggle","params":{"id":0}})", at(0));
  EXPECT_EQ(payloads(r, "c/rpc"),
            Strings{R"({"id":1,"src":"s","dst":"c","result":{"was_on":false}})"});
  EXPECT_EQ(d->output(), Output::heat);

  d->handle("s/rpc", set(true, 100), at(10));
  r = d->handle("s/rpc", R"({"id":2,"src":"c","method":"Switch.GetStatus","params":{"id":0}})",
                at(30));
  EXPECT_EQ(payloads(r, "c/rpc"),
            Strings{R"({"id":2,"src":"s","dst":"c","result":{"id":0,"source":"MQTT","output":true,)"
                    R"("timer_started_at":1800000010,"timer_duration":100}})"});
  EXPECT_TRUE(r.lines.empty());

  r = d->handle("s/rpc",
                R"({"id":3,"src":"c","method":"Temperature.GetStatus","params":{"id":100}})",
                at(30));
  auto v = parse_json(payloads(r, "c/rpc").at(0));
  EXPECT_EQ(*v.find("result")->find("tC"), json::Value(37.0));  // 22 + 0.5 * 30
  EXPECT_EQ(*v.find("result")->find("tF"), json::Value(98.6));

  r = d->handle("s/rpc", R"({"id":"x","src":"c","method":"Shelly.GetStatus"})", at(30));
  v = parse_json(payloads(r, "c/rpc").at(0));
  EXPECT_EQ(*v.find("id"), json::Value("x"));  // a string id is echoed
  EXPECT_TRUE(v.find("result")->find("switch:0"));
  EXPECT_TRUE(v.find("result")->find("temperature:100"));
}

std::string get_status(int switch_id = 0, int id = 5) {
  return json::Value::object({{"id", id},
                              {"src", "padtimerd"},
                              {"method", "Switch.GetStatus"},
                              {"params", json::Value::object({{"id", switch_id}})}})
      .dump();
}

TEST(ShellyRpc, SwitchGetStatusAnswersTheOutputAndChangesNothing) {
  auto d = make("shelly_rpc:s,id=plus");
  auto r = d->handle("plus/rpc", get_status(), at(0));
  EXPECT_EQ(payloads(r, "padtimerd/rpc"),
            Strings{R"({"id":5,"src":"plus","dst":"padtimerd",)"
                    R"("result":{"id":0,"source":"MQTT","output":false}})"});
  EXPECT_EQ(r.publish.size(), 1u);  // no NotifyStatus: nothing changed
  EXPECT_TRUE(r.lines.empty());

  d->handle("plus/rpc", set(true, 60), at(10));
  r = d->handle("plus/rpc", get_status(0, 6), at(40));
  EXPECT_EQ(payloads(r, "padtimerd/rpc"),
            Strings{R"({"id":6,"src":"plus","dst":"padtimerd","result":{"id":0,"source":"MQTT",)"
                    R"("output":true,"timer_started_at":1800000010,"timer_duration":60}})"});
  EXPECT_EQ(r.publish.size(), 1u);
  EXPECT_EQ(d->output(), Output::heat);
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(40).mono)->count(), 30.0);  // not restarted

  run_until(*d, 70);
  r = d->handle("plus/rpc", get_status(0, 7), at(71));
  EXPECT_EQ(*parse_json(payloads(r, "padtimerd/rpc").at(0)).find("result")->find("output"),
            json::Value(false));
}

TEST(ShellyRpc, SwitchGetStatusForAnotherSwitchIsAnError) {
  auto d = make("shelly_rpc:s,switch=1");
  auto r = d->handle("s/rpc", get_status(0), at(0));
  EXPECT_EQ(payloads(r, "padtimerd/rpc"),
            Strings{R"({"id":5,"src":"s","dst":"padtimerd","error":{"code":-105,)"
                    R"("message":"Argument 'id', value 0 not found!"}})"});
  r = d->handle("s/rpc", get_status(1), at(0));
  EXPECT_EQ(*parse_json(payloads(r, "padtimerd/rpc").at(0)).find("result")->find("id"),
            json::Value(1));
}

TEST(ShellyRpc, BadRequestsGetErrorRepliesAndChangeNothing) {
  auto d = make("shelly_rpc:s");
  auto error_of = [&](const std::string& frame) {
    auto r = d->handle("s/rpc", frame, at(0));
    auto replies = payloads(r, "c/rpc");
    EXPECT_EQ(replies.size(), 1u) << frame;
    if (replies.empty()) return json::Value{};
    auto v = parse_json(replies[0]);
    EXPECT_FALSE(v.find("result")) << frame;
    return v.find("error") ? *v.find("error")->find("code") : json::Value{};
  };
  EXPECT_EQ(error_of(R"({"id":1,"src":"c","method":"Switch.Set","params":{"id":1,"on":true}})"),
            json::Value(kRpcNotFound));
  EXPECT_EQ(error_of(R"({"id":1,"src":"c","method":"Switch.Set","params":{"id":0}})"),
            json::Value(kRpcInvalidArgument));
  EXPECT_EQ(error_of(R"({"id":1,"src":"c","method":"Switch.Set","params":{"id":0,"on":"yes"}})"),
            json::Value(kRpcInvalidArgument));
  EXPECT_EQ(error_of(R"({"id":1,"src":"c","method":"Switch.Set","params":{"on":true}})"),
            json::Value(kRpcInvalidArgument));
  EXPECT_EQ(error_of(R"({"id":1,"src":"c","method":"Switch.Set",)"
                     R"("params":{"id":0,"on":true,"toggle_after":-5}})"),
            json::Value(kRpcInvalidArgument));
  EXPECT_EQ(error_of(R"({"id":1,"src":"c","method":"Switch.Set",)"
                     R"("params":{"id":0,"on":true,"toggle_after":"60"}})"),
            json::Value(kRpcInvalidArgument));
  EXPECT_EQ(error_of(R"({"id":1,"src":"c","method":"Switch.Set","params":[1]})"),
            json::Value(kRpcInvalidArgument));
  EXPECT_EQ(error_of(R"({"id":1,"src":"c","method":"Script.Eval"})"), json::Value(kRpcNoHandler));
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_FALSE(d->timer());
}

TEST(ShellyRpc, FramesWithNoOneToAnswerAreIgnored) {
  auto d = make("shelly_rpc:s");
  for (const char* frame :
       {"", "not json", "[]", "{", R"({"id":1,"method":"Switch.Set","params":{"id":0,"on":true}})",
        R"({"id":1,"src":"","method":"Switch.Set","params":{"id":0,"on":true}})",
        R"({"src":"c","method":"Switch.Set","params":{"id":0,"on":true}})",
        R"({"id":true,"src":"c","method":"Switch.Set","params":{"id":0,"on":true}})",
        R"({"id":1,"src":"c","params":{"id":0,"on":true}})",
        R"({"id":1,"src":"c","method":"Switch.Set","params":{"id":0,"on":true},"id":2})"}) {
    auto r = d->handle("s/rpc", frame, at(0));
    EXPECT_TRUE(r.publish.empty()) << frame;
    EXPECT_TRUE(has_line(r, "ignored s/rpc")) << frame;
  }
  EXPECT_EQ(d->output(), Output::off);
}

TEST(ShellyRpc, TemperatureComponentEveryTelemetryPeriod) {
  auto d = make("shelly_rpc:s,sensor=101");
  auto r = run_until(*d, 20);
  auto events = payloads(r, "s/events/rpc");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0],
            R"({"src":"s","dst":"s/events","method":"NotifyStatus","params":{"ts":1800000010,)"
            R"("temperature:101":{"id":101,"tC":22,"tF":71.6}}})");

  auto none = make("shelly_rpc:n,sensor=none");
  EXPECT_TRUE(run_until(*none, 60).publish.empty());
  r = none->handle("n/rpc",
                   R"({"id":1,"src":"c","method":"Temperature.GetStatus","params":{"id":100}})",
                   at(61));
  EXPECT_EQ(*parse_json(payloads(r, "c/rpc").at(0)).find("error")->find("code"),
            json::Value(kRpcNoHandler));
}

TEST(ShellyRpc, WeldedRelayReportsWasOnAndStaysOn) {
  auto d = make("shelly_rpc:s,fault=welded");
  d->handle("s/rpc", set(true, 60), at(0));
  auto r = d->handle("s/rpc", set(false), at(10));
  EXPECT_EQ(payloads(r, "padtimerd/rpc"),
            Strings{R"({"id":7,"src":"s","dst":"padtimerd","result":{"was_on":true}})"});
  EXPECT_TRUE(payloads(r, "s/events/rpc").empty());
  EXPECT_EQ(r.lines, Strings{"relay welded, stays ON (heat), told OFF"});
  EXPECT_EQ(d->output(), Output::heat);
  // Asked, it tells the truth: still ON.
  r = d->handle("s/rpc", get_status(), at(11));
  EXPECT_EQ(*parse_json(payloads(r, "padtimerd/rpc").at(0)).find("result")->find("output"),
            json::Value(true));
}

TEST(ShellyRpc, AvailabilityIsOnlineTrueFalse) {
  auto d = make("shelly_rpc:s,id=plus");
  Availability av = d->availability();
  EXPECT_EQ(av.topic, "plus/online");
  EXPECT_EQ(av.online, "true");
  EXPECT_EQ(av.offline, "false");
  EXPECT_TRUE(av.is_will);
}

}  // namespace
}  // namespace padtimer::sim
