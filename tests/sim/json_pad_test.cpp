// The generic JSON pad, device side: modes, auto_off, level, state reports.
#include "sim/json_pad.h"

#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace padtimer::sim {
namespace {

using testing::at;
using testing::has_line;
using testing::make;
using testing::payloads;
using testing::run_until;

using Strings = std::vector<std::string>;

TEST(JsonPad, SetIsAnsweredWithTheState) {
  auto d = make("json_pad:pad,id=lower_back");
  EXPECT_EQ(d->role(), Role::dual);
  EXPECT_EQ(d->subscriptions(),
            (Strings{"padtimer/pads/lower_back/set", "padtimer/pads/lower_back/get"}));
  auto r = d->handle("padtimer/pads/lower_back/set", R"({"mode":"heat"})", at(0));
  EXPECT_EQ(payloads(r, "padtimer/pads/lower_back/state"),
            Strings{R"({"mode":"heat","temperature":22})"});
  r = d->handle("padtimer/pads/lower_back/set", R"({"mode":"cold"})", at(10));
  EXPECT_EQ(payloads(r, "padtimer/pads/lower_back/state"),
            Strings{R"({"mode":"cold","temperature":27})"});
  EXPECT_EQ(r.lines, Strings{"relay ON (cold)"});
  EXPECT_EQ(d->output(), Output::cold);
}

TEST(JsonPad, AutoOffSwitchesTheModeOff) {
  auto d = make("json_pad:p,base=home/pads");
  auto r = d->handle("home/pads/p/set", R"({"mode":"heat","auto_off":150,"level":8})", at(0));
  EXPECT_EQ(r.lines, Strings{"relay ON (heat), auto-off in 150.0 s"});
  run_until(*d, 149.9);
  EXPECT_EQ(d->output(), Output::heat);
  auto fired = run_until(*d, 150);
  EXPECT_EQ(d->output(), Output::off);
  auto states = payloads(fired, "home/pads/p/state");
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states[0], R"({"mode":"off","temperature":37.2})");  // level 8: 22 + 19 * 0.8
  // A command without auto_off cancels a running one.
  d->handle("home/pads/p/set", R"({"mode":"cold","auto_off":10})", at(200));
  d->handle("home/pads/p/set", R"({"mode":"cold"})", at(205));
  run_until(*d, 400);
  EXPECT_EQ(d->output(), Output::cold);
}

TEST(JsonPad, SingleRolePadsRefuseTheOtherMode) {
  auto d = make("json_pad:p,role=heat");
  auto r = d->handle("padtimer/pads/p/set", R"({"mode":"cold"})", at(0));
  EXPECT_TRUE(r.publish.empty());
  EXPECT_TRUE(has_line(r, "a heat pad cannot cold"));
  EXPECT_EQ(d->output(), Output::off);
}

TEST(JsonPad, MalformedCommandsAreIgnoredWhole) {
  auto d = make("json_pad:p");
  d->handle("padtimer/pads/p/set", R"({"mode":"heat","level":3})", at(0));
  for (const char* payload :
       {"", "heat", "{}", "[]", R"({"mode":"warm"})", R"({"mode":1})",
        R"({"mode":"off","auto_off":0})", R"({"mode":"cold","auto_off":"60"})",
        R"({"mode":"cold","auto_off":100000})", R"({"mode":"cold","level":0})",
        R"({"mode":"cold","level":11})", R"({"mode":"cold","level":2.5})",
        R"({"mode":"cold","mode":"off"})", R"({"mode":"cold"} x)"}) {
    auto r = d->handle("padtimer/pads/p/set", payload, at(1));
    EXPECT_TRUE(r.publish.empty()) << payload;
    EXPECT_TRUE(has_line(r, "ignored padtimer/pads/p/set")) << payload;
  }
  EXPECT_EQ(d->output(), Output::heat);
  // The level stayed 3: the target is 22 + 19 * 0.3.
  EXPECT_NEAR(d->temperature(at(1000).mono), 27.7, 1e-9);
}

TEST(JsonPad, StateEveryTelemetryPeriodEvenWithoutASensor) {
  auto d = make("json_pad:p,sensor=none", 5);
  auto r = run_until(*d, 10);
  EXPECT_EQ(payloads(r, "padtimer/pads/p/state"),
            (Strings{R"({"mode":"off"})", R"({"mode":"off"})"}));
}

TEST(JsonPad, GetPublishesTheStateAndChangesNothing) {
  auto d = make("json_pad:p");
  auto r = d->handle("padtimer/pads/p/get", "{}", at(0));
  EXPECT_EQ(payloads(r, "padtimer/pads/p/state"), Strings{R"({"mode":"off","temperature":22})"});
  EXPECT_TRUE(r.lines.empty());
  EXPECT_FALSE(r.physical_changed);

  d->handle("padtimer/pads/p/set", R"({"mode":"cold","auto_off":100})", at(0));
  r = d->handle("padtimer/pads/p/get", "{}", at(10));
  EXPECT_EQ(payloads(r, "padtimer/pads/p/state"), Strings{R"({"mode":"cold","temperature":17})"});
  EXPECT_EQ(r.publish.size(), 1u);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_EQ(d->output(), Output::cold);
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(10).mono)->count(), 90.0);  // not restarted
  // Whatever the payload: the pad ignores it.
  r = d->handle("padtimer/pads/p/get", "", at(20));
  EXPECT_EQ(payloads(r, "padtimer/pads/p/state"), Strings{R"({"mode":"cold","temperature":12})"});
  // Once its auto_off has run out, the query says so.
  run_until(*d, 100);
  r = d->handle("padtimer/pads/p/get", "{}", at(101));
  auto state = testing::parse_json(payloads(r, "padtimer/pads/p/state").at(0));
  EXPECT_EQ(*state.find("mode"), json::Value("off"));
}

TEST(JsonPad, AGetToASilentPadIsNotAnswered) {
  auto d = make("json_pad:p,fault=silent");
  auto r = d->handle("padtimer/pads/p/get", "{}", at(0));
  EXPECT_TRUE(r.publish.empty());
  EXPECT_EQ(r.lines, Strings{"silent, ignored padtimer/pads/p/get"});
}

TEST(JsonPad, AvailabilityIsTheLastWill) {
  auto d = make("json_pad:p");
  Availability av = d->availability();
  EXPECT_EQ(av.topic, "padtimer/pads/p/availability");
  EXPECT_EQ(av.online, "online");
  EXPECT_EQ(av.offline, "offline");
  EXPECT_TRUE(av.is_will);
}

}  // namespace
}  // namespace padtimer::sim
