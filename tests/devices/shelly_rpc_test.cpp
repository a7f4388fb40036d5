// Shelly Gen2/Gen3 RPC: options, exact Switch.Set requests (toggle_after rounding), replies
// matched by src and pending id, NotifyStatus, status topics, online, malformed payloads.
#include "devices/shelly_rpc.h"

#include "driver_testing.h"

namespace padtimer::devices {
namespace {

using namespace testing_support;

constexpr const char* kId = "shellyplus1pm-a8032ab12345";
const std::string kRpc = std::string(kId) + "/rpc";
const std::string kReplies = "padtimerd-test/rpc";
const std::string kEvents = std::string(kId) + "/events/rpc";

std::unique_ptr<Driver> shelly(DeviceRole role = DeviceRole::heat) {
  return make("shelly_rpc", spec("pad", role), {{"id", kId}});
}

std::unique_ptr<Driver> shelly_with_sensor() {
  return make("shelly_rpc", spec("pad", DeviceRole::heat, true),
              {{"id", kId}, {"switch", "1"}, {"temperature", "temperature:100"}});
}

std::string reply(int id, std::string_view body, std::string_view src = kId) {
  return R"({"id":)" + std::to_string(id) + R"(,"src":")" + std::string(src) +
         R"(","dst":"padtimerd-test",)" + std::string(body) + "}";
}

// ---- Options -----------------------------------------------------------------------------

TEST(ShellyRpcOptions, IdIsRequiredAndSwitchIsZeroToThree) {
  auto missing = problems("shelly_rpc", spec("pad"), {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].option, "id");
  for (const char* bad : {"-1", "4", "one"}) {
    auto found = problems("shelly_rpc", spec("pad"), {{"id", kId}, {"switch", bad}});
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].option, "switch");
    EXPECT_TRUE(contains(found[0].message, "from 0 to 3"));
  }
}

TEST(ShellyRpcOptions, TemperatureComponentIffSensor) {
  auto missing = problems("shelly_rpc", spec("pad", DeviceRole::heat, true), {{"id", kId}});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].option, "temperature");
  auto pointless =
      problems("shelly_rpc", spec("pad"), {{"id", kId}, {"temperature", "temperature:100"}});
  ASSERT_EQ(pointless.size(), 1u);
  EXPECT_EQ(pointless[0].option, "temperature");
  for (const char* bad : {"100", "temperature:", "temperature:x", "humidity:100", "temperature:1 ",
                          "temperature:-1", "temperature:1000", "temperature:99999999999"}) {
    auto found = problems("shelly_rpc", spec("pad", DeviceRole::heat, true),
                          {{"id", kId}, {"temperature", bad}});
    ASSERT_EQ(found.size(), 1u) << bad;
    EXPECT_TRUE(contains(found[0].message, "like temperature:100")) << bad;
  }
}

TEST(ShellyRpcOptions, DualRoleAndMissingClientIdAreRefused) {
  auto dual = problems("shelly_rpc", spec("pad", DeviceRole::dual), {{"id", kId}});
  ASSERT_EQ(dual.size(), 1u);
  EXPECT_TRUE(contains(dual[0].message, "cannot be a dual"));
  auto no_client = problems("shelly_rpc", spec("pad"), {{"id", kId}}, Context{""});
  ASSERT_EQ(no_client.size(), 1u);
  EXPECT_TRUE(contains(no_client[0].message, "client id"));
  problems("shelly_rpc", spec("pad"), {{"id", kId}}, Context{"padtimer/#"});
}

// ---- Commands ----------------------------------------------------------------------------

// The messages on <id>/rpc with these payloads.
std::vector<Outgoing> requests(std::initializer_list<std::string> payloads) {
  std::vector<Outgoing> out;
  for (const auto& payload : payloads)
    out.push_back({kRpc, payload});
  return out;
}

const std::string kSet = R"("src":"padtimerd-test","method":"Switch.Set","params":)";

TEST(ShellyRpcEncode, SwitchSetWithToggleAfterForTheLease) {
  auto d = shelly();
  EXPECT_EQ(d->encode(on(120s)),
            requests({R"({"id":1,)" + kSet + R"({"id":0,"on":true,"toggle_after":120}})"}));
  EXPECT_EQ(d->encode(kOff), requests({R"({"id":2,)" + kSet + R"({"id":0,"on":false}})"}));
  EXPECT_EQ(d->encode(on(std::nullopt)),
            requests({R"({"id":3,)" + kSet + R"({"id":0,"on":true}})"}));
  // The whole text once, to be sure of the field order.
  EXPECT_EQ(
      d->encode(kOff)[0].payload,
      R"({"id":4,"src":"padtimerd-test","method":"Switch.Set","params":{"id":0,"on":false}})");
}

TEST(ShellyRpcEncode, ToggleAfterIsRoundedUpToATenth) {
  auto d = shelly_with_sensor();
  const auto toggle = [&](core::Duration lease) {
    std::string payload = d->encode(on(lease))[0].payload;
    auto from = payload.find("\"toggle_after\":");
    return payload.substr(from + 15, payload.size() - from - 15 - 2);
  };
  EXPECT_EQ(toggle(90'050ms), "90.1");
  EXPECT_EQ(toggle(90'100ms), "90.1");
  EXPECT_EQ(toggle(90'101ms), "90.2");
  EXPECT_EQ(toggle(1ms), "0.1");
  EXPECT_EQ(toggle(0ms), "0.1");
  EXPECT_EQ(toggle(11'100ms), "11.1");
  EXPECT_EQ(toggle(64'800s), "64800");
  EXPECT_TRUE(
      contains(d->encode(on(5s))[0].payload, R"("params":{"id":1,"on":true,"toggle_after":5})"));
}

TEST(ShellyRpcEncode, WithASensorEveryOnAlsoAsksForATemperature) {
  auto d = shelly_with_sensor();
  EXPECT_EQ(
      d->encode(on(120s)),
      requests(
          {R"({"id":1,)" + kSet + R"({"id":1,"on":true,"toggle_after":120}})",
           R"({"id":2,"src":"padtimerd-test","method":"Temperature.GetStatus","params":{"id":100}})"}));
  EXPECT_EQ(d->encode(kOff), requests({R"({"id":3,)" + kSet + R"({"id":1,"on":false}})"}));
}

TEST(ShellyRpcEncode, ColdPlugNeverSwitchesOnForHeat) {
  auto d = shelly(DeviceRole::cold);
  EXPECT_TRUE(contains(d->encode(SetOutput{"pad", Output::cold, 60s})[0].payload,
                       R"("on":true,"toggle_after":60)"));
  EXPECT_TRUE(
      contains(d->encode(SetOutput{"pad", Output::heat, 60s})[0].payload, R"("on":false})"));
}

// ---- Replies -----------------------------------------------------------------------------

TEST(ShellyRpcReplies, AResultConfirmsTheRequestedOutput) {
  auto d = shelly();
  d->encode(on(120s));  // id 1
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, R"("result":{"was_on":false})"))), "report heat");
  expect_device(d->decode(kReplies, reply(1, R"("result":{})")), "pad");
  // Answered once: a second reply with the same id is ignored.
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, R"("result":{"was_on":true})"))), "");
  d->encode(kOff);  // id 2
  EXPECT_EQ(describe(d->decode(kReplies, reply(2, R"("result":{"was_on":true})"))), "report off");
}

TEST(ShellyRpcReplies, ColdPlugReportsCold) {
  auto d = shelly(DeviceRole::cold);
  d->encode(SetOutput{"pad", Output::cold, 60s});
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, R"("result":{"was_on":false})"))), "report cold");
}

TEST(ShellyRpcReplies, OnlyThisDevicesRepliesToPendingRequests) {
  auto d = shelly();
  d->encode(on(120s));  // id 1
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, R"("result":{})", "shellyplus1-other"))),
            "not mine");
  EXPECT_EQ(describe(d->decode(kReplies, reply(9, R"("result":{})"))), "");  // never sent
  EXPECT_EQ(describe(d->decode("someone-else/rpc", reply(1, R"("result":{})"))), "not mine");
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, R"("result":{})"))), "report heat");
}

TEST(ShellyRpcReplies, AnOvertakenRequestReportsNothing) {
  auto d = shelly();
  d->encode(on(120s));  // id 1
  d->encode(kOff);      // id 2
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, R"("result":{"was_on":false})"))), "");
  EXPECT_EQ(describe(d->decode(kReplies, reply(2, R"("result":{"was_on":true})"))), "report off");
}

TEST(ShellyRpcReplies, AnErrorIsAProblem) {
  auto d = shelly();
  d->encode(on(120s));
  EXPECT_EQ(describe(d->decode(
                kReplies,
                reply(1, R"("error":{"code":-103,"message":"Invalid argument 'toggle_after'"})"))),
            "problem: Switch.Set failed: Invalid argument 'toggle_after' (code -103)");
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, R"("result":{})"))), "");  // no longer pending
  d->encode(on(120s));
  EXPECT_EQ(describe(d->decode(kReplies, reply(2, R"("error":"busy")"))),
            R"(problem: Switch.Set failed: "busy")");
}

TEST(ShellyRpcReplies, TemperatureRepliesAreReadings) {
  auto d = shelly_with_sensor();
  d->encode(on(120s));  // Switch.Set 1, Temperature.GetStatus 2
  expect_decoded(*d, kReplies,
                 {{reply(2, R"("result":{"id":100,"tC":33.2,"tF":91.8})"), "33.2 C"},
                  {reply(1, R"("result":{"was_on":false})"), "report heat"}});  // still latest
  d->encode(on(120s));                                                          // 3, 4
  d->encode(on(120s));                                                          // 5, 6
  expect_decoded(
      *d, kReplies,
      {{reply(4, R"("result":{"id":100,"tC":null,"errors":["read"]})"),
        "problem: temperature:100 tC is null: the sensor has no reading (disconnected or failed)"},
       {reply(6, R"("error":{"code":-105,"message":"Argument 'id', value 100 not found!"})"),
        "problem: Temperature.GetStatus failed: Argument 'id', value 100 not found! (code -105)"},
       {reply(5, R"("result":{"was_on":true})"), "report heat"}});
}

TEST(ShellyRpcReplies, PendingRequestsAreBounded) {
  auto d = shelly();
  for (int i = 0; i < 40; ++i)
    d->encode(on(120s));  // ids 1..40, none answered
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, R"("result":{})"))), "");  // forgotten
  EXPECT_EQ(describe(d->decode(kReplies, reply(40, R"("result":{})"))), "report heat");
}

TEST(ShellyRpcReplies, MalformedReplies) {
  auto d = shelly();
  d->encode(on(120s));
  expect_bad_json_rejected(*d, kReplies);
  expect_truncations_rejected(*d, kReplies, reply(1, R"("result":{})"));
  for (const std::string& payload :
       {std::string(R"({"id":1,"result":{}})"), std::string(R"({"id":1,"src":7,"result":{}})"),
        reply(1, R"("nothing":0)"),
        std::string(R"({"src":"shellyplus1pm-a8032ab12345","result":{}})"),
        std::string(R"({"id":"1","src":"shellyplus1pm-a8032ab12345","result":{}})"),
        std::string(R"({"id":1.5,"src":"shellyplus1pm-a8032ab12345","result":{}})"),
        std::string(R"(["shellyplus1pm-a8032ab12345"])")}) {
    expect_rejected(*d, kReplies, payload);
  }
  d->encode(on(120s));  // id 2
  std::string big = reply(2, R"("result":{})");
  big.resize(kMaxPayloadBytes + 1, ' ');
  expect_rejected(*d, kReplies, big);
}

// ---- State query -------------------------------------------------------------------------

const std::string kGetStatus = R"("src":"padtimerd-test","method":"Switch.GetStatus","params":)";

// A Switch.GetStatus result as a Plus 1PM sends it (Shelly Gen2+ API, Switch status).
std::string status_result(bool output, int id = 0) {
  return R"("result":{"id":)" + std::to_string(id) + R"(,"source":"init","output":)" +
         (output ? "true" : "false") +
         R"(,"apower":0,"voltage":231.2,"current":0,"aenergy":{"total":0},)"
         R"("temperature":{"tC":41.2,"tF":106.2}})";
}

TEST(ShellyRpcQuery, SwitchGetStatusForTheConfiguredSwitch) {
  auto d = shelly();
  EXPECT_EQ(d->encode(kQuery), requests({R"({"id":1,)" + kGetStatus + R"({"id":0}})"}));
  EXPECT_EQ(d->encode(kQuery)[0].payload,
            R"({"id":2,"src":"padtimerd-test","method":"Switch.GetStatus","params":{"id":0}})");
  // Only the switch: no Temperature.GetStatus, even with a sensor.
  EXPECT_EQ(shelly_with_sensor()->encode(kQuery),
            requests({R"({"id":1,)" + kGetStatus + R"({"id":1}})"}));
}

TEST(ShellyRpcQuery, TheReplysOutputIsAnAnswer) {
  auto d = shelly();
  d->encode(kQuery);  // id 1
  const auto on_reply = d->decode(kReplies, reply(1, status_result(true)));
  EXPECT_EQ(describe(on_reply), "report heat");
  ASSERT_TRUE(on_reply && on_reply->events.size() == 1u);
  const auto& report = std::get<core::DeviceReport>(on_reply->events[0]);
  EXPECT_EQ(report.device, "pad");
  EXPECT_TRUE(report.answer);
  // Answered once: the same id again is ignored.
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, status_result(false)))), "");
  d->encode(kQuery);  // id 2
  EXPECT_EQ(describe(d->decode(kReplies, reply(2, status_result(false)))), "report off");

  auto cold = make("shelly_rpc", spec("pad", DeviceRole::cold), {{"id", kId}, {"switch", "2"}});
  cold->encode(kQuery);
  cold->encode(kQuery);
  EXPECT_EQ(describe(cold->decode(kReplies, reply(1, status_result(true, 2)))), "report cold");
  EXPECT_EQ(describe(cold->decode(kReplies, reply(2, status_result(false, 2)))), "report off");
}

TEST(ShellyRpcQuery, ASwitchSetSentAfterTheQueryOvertakesItsReply) {
  auto d = shelly();
  d->encode(kQuery);    // id 1
  d->encode(on(120s));  // id 2: the device runs it after answering the query
  EXPECT_EQ(describe(d->decode(kReplies, reply(1, status_result(false)))), "");
  EXPECT_EQ(describe(d->decode(kReplies, reply(2, R"("result":{"was_on":false})"))), "report heat");
  // A query after a Switch.Set is answered with the state that Set left, and the Set's own
  // reply still counts: a query does not overtake it.
  d->encode(kOff);    // id 3
  d->encode(kQuery);  // id 4
  EXPECT_EQ(describe(d->decode(kReplies, reply(4, status_result(false)))), "report off");
  EXPECT_EQ(describe(d->decode(kReplies, reply(3, R"("result":{"was_on":true})"))), "report off");
}

TEST(ShellyRpcQuery, RepliesAreToldApartByRequestId) {
  // A Switch.Set reply has was_on, a GetStatus reply has output: each is read as its own
  // method's, whatever the other fields say.
  auto d = shelly_with_sensor();
  d->encode(on(120s));  // Switch.Set 1, Temperature.GetStatus 2
  d->encode(kQuery);    // Switch.GetStatus 3
  expect_decoded(*d, kReplies,
                 {{reply(3, status_result(false, 1)), "report off"},
                  {reply(2, R"("result":{"id":100,"tC":33.2,"tF":91.8})"), "33.2 C"},
                  {reply(1, R"("result":{"was_on":false,"output":false})"), "report heat"}});
  d->encode(kQuery);  // 4
  EXPECT_EQ(describe(d->decode(kReplies, reply(4, R"("result":{"was_on":true})"))),
            R"(problem: switch:1 without "output")");
}

TEST(ShellyRpcQuery, ErrorsAndMalformedResults) {
  auto d = shelly();
  d->encode(kQuery);  // 1
  EXPECT_EQ(
      describe(d->decode(
          kReplies,
          reply(1, R"("error":{"code":-105,"message":"Argument 'id', value 0 not found!"})"))),
      "problem: Switch.GetStatus failed: Argument 'id', value 0 not found! (code -105)");
  std::int64_t id = 1;
  for (const std::string& result :
       {std::string(R"("result":{"id":0,"source":"init"})"),
        std::string(R"("result":{"id":0,"output":"on"})"),
        std::string(R"("result":{"id":0,"output":1})"), std::string(R"("result":{"output":null})"),
        std::string(R"("result":{"id":1,"output":true})"),
        std::string(R"("result":{"id":"0","output":true})"), std::string(R"("result":[true])"),
        std::string(R"("result":true)")}) {
    d->encode(kQuery);
    expect_rejected(*d, kReplies, reply(static_cast<int>(++id), result));
  }
  d->encode(kQuery);  // 10
  EXPECT_EQ(describe(d->decode(kReplies, reply(10, R"("result":{"id":3,"output":true})"))),
            "problem: Switch.GetStatus answered for switch 3, not 0");
  d->encode(kQuery);  // 11
  expect_truncations_rejected(*d, kReplies, reply(11, status_result(true)));
  EXPECT_EQ(describe(d->decode(kReplies, reply(11, status_result(true)))), "report heat");
}

// ---- Notifications and status ------------------------------------------------------------

TEST(ShellyRpcDecode, Subscriptions) {
  EXPECT_EQ(shelly()->subscriptions(),
            (std::vector<std::string>{kReplies, kEvents, std::string(kId) + "/status/switch:0",
                                      std::string(kId) + "/online"}));
  EXPECT_EQ(shelly_with_sensor()->subscriptions(),
            (std::vector<std::string>{kReplies, kEvents, std::string(kId) + "/status/switch:1",
                                      std::string(kId) + "/online",
                                      std::string(kId) + "/status/temperature:100"}));
}

TEST(ShellyRpcDecode, NotifyStatus) {
  auto d = shelly_with_sensor();
  const std::string n = R"({"method":"NotifyStatus","params":)";
  expect_decoded(
      *d, kEvents,
      {
          {R"({"src":"x","dst":"x/events","method":"NotifyStatus","params":{"ts":1.5,)"
           R"("switch:1":{"id":1,"output":true,"source":"button"}}})",
           "status heat"},
          {n + R"({"switch:1":{"output":false}}})", "status off"},
          {n + R"({"temperature:100":{"id":100,"tC":31.5,"tF":88.7}}})", "31.5 C"},
          {R"({"method":"NotifyFullStatus","params":{"switch:1":{"output":true},)"
           R"("temperature:100":{"tC":30}}})",
           "status heat, 30 C"},
          // Other switches, fields without output, other methods: nothing to report.
          {n + R"({"switch:0":{"output":true}}})", ""},
          {n + R"({"switch:1":{"apower":12.5}}})", ""},
          {n + R"({"temperature:100":{"tF":80}}})", ""},
          {R"({"method":"NotifyEvent","params":{"events":[{"event":"single_push"}]}})", ""},
      });
}

TEST(ShellyRpcDecode, StatusTopics) {
  auto d = shelly_with_sensor();
  const std::string prefix = std::string(kId) + "/status/";
  expect_decoded(*d, prefix + "switch:1",
                 {{R"({"id":1,"source":"init","output":true,"apower":0})", "status heat"},
                  {R"({"id":1,"output":false})", "status off"}});
  expect_decoded(*d, prefix + "temperature:100", {{R"({"id":100,"tC":22.4,"tF":72.3})", "22.4 C"}});
  expect_decoded(*d, prefix + "switch:0", {{R"({"output":true})", "not mine"}});
  expect_decoded(*shelly(), prefix + "temperature:100", {{R"({"tC":22})", "not mine"}});
}

TEST(ShellyRpcDecode, Online) {
  auto d = shelly();
  EXPECT_EQ(describe(d->decode(std::string(kId) + "/online", "true")), "online");
  EXPECT_EQ(describe(d->decode(std::string(kId) + "/online", "false")), "offline");
  expect_device(d->decode(std::string(kId) + "/online", "false"), "pad");
}

TEST(ShellyRpcDecode, OtherTopicsAreNotMine) {
  auto d = shelly();
  for (const std::string& topic : {kRpc, std::string(kId) + "/events", std::string(kId),
                                   std::string("other/online"), std::string(kId) + "/online/x"}) {
    EXPECT_FALSE(d->decode(topic, "true").has_value()) << topic;
  }
}

TEST(ShellyRpcMalformed, NotificationsStatusAndOnline) {
  auto d = shelly_with_sensor();
  const std::string prefix = std::string(kId) + "/status/";
  for (const std::string& topic : {kEvents, prefix + "switch:1", prefix + "temperature:100"})
    expect_bad_json_rejected(*d, topic);
  const std::string good = R"({"method":"NotifyStatus","params":{"switch:1":{"output":true}}})";
  expect_truncations_rejected(*d, kEvents, good);
  expect_size_limit(*d, kEvents, good);
  for (const char* payload :
       {R"({"params":{}})", R"({"method":7})", R"({"method":"NotifyStatus"})",
        R"({"method":"NotifyStatus","params":[]})",
        R"({"method":"NotifyStatus","params":{"switch:1":true}})",
        R"({"method":"NotifyStatus","params":{"switch:1":{"output":"on"}}})",
        R"({"method":"NotifyStatus","params":{"switch:1":{"output":1}}})",
        R"({"method":"NotifyStatus","params":{"temperature:100":{"tC":null}}})",
        R"({"method":"NotifyStatus","params":{"temperature:100":{"tC":"22"}}})",
        R"({"method":"NotifyStatus","params":{"temperature:100":{"tC":200}}})",
        R"({"method":"NotifyStatus","params":{"temperature:100":22}})", "[]"}) {
    expect_rejected(*d, kEvents, payload);
  }
  for (const char* payload : {R"({"id":1})", R"({"output":"true"})", "[]", "true"})
    expect_rejected(*d, prefix + "switch:1", payload);
  for (const char* payload : {R"({"id":100})", R"({"tC":null,"errors":["read"]})", R"({"tC":-60})"})
    expect_rejected(*d, prefix + "temperature:100", payload);
  expect_truncations_rejected(*d, prefix + "switch:1", R"({"output":true})");
  expect_size_limit(*d, prefix + "switch:1", R"({"output":true})");
  expect_size_limit(*d, prefix + "temperature:100", R"({"tC":22})");
  for (const char* payload : {"", "yes", "online", "1", "{\"online\":true}"})
    expect_rejected(*d, std::string(kId) + "/online", payload);
  expect_truncations_rejected(*d, std::string(kId) + "/online", "false");
  expect_size_limit(*d, std::string(kId) + "/online", "true");
}

TEST(ShellyRpcMalformed, AGoodSwitchStillCountsBesideABrokenSensor) {
  auto d = shelly_with_sensor();
  EXPECT_EQ(
      describe(d->decode(
          kEvents,
          R"({"method":"NotifyStatus","params":{"switch:1":{"output":true},"temperature:100":{"tC":null}}})")),
      "status heat, problem: temperature:100 tC is null: the sensor has no reading "
      "(disconnected or failed)");
}

}  // namespace
}  // namespace padtimer::devices
