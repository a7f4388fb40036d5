// Shelly Gen1, device side: relay commands, its own auto_off setting, telemetry.
#include "sim/shelly_gen1.h"

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

TEST(ShellyGen1, CommandsAreAnsweredWithTheRelayState) {
  auto d = make("shelly_gen1:g,id=shelly1-AABB,relay=1");
  EXPECT_EQ(d->subscriptions(),
            (Strings{"shellies/shelly1-AABB/relay/1/command", "shellies/shelly1-AABB/command"}));
  auto r = d->handle("shellies/shelly1-AABB/relay/1/command", "on", at(0));
  EXPECT_EQ(payloads(r, "shellies/shelly1-AABB/relay/1"), Strings{"on"});
  EXPECT_EQ(d->output(), Output::heat);
  r = d->handle("shellies/shelly1-AABB/relay/1/command", "toggle", at(1));
  EXPECT_EQ(payloads(r, "shellies/shelly1-AABB/relay/1"), Strings{"off"});
  r = d->handle("shellies/shelly1-AABB/relay/1/command", "off", at(2));
  EXPECT_EQ(payloads(r, "shellies/shelly1-AABB/relay/1"), Strings{"off"});
  EXPECT_EQ(r.lines, Strings{"relay still OFF"});
}

TEST(ShellyGen1, OnlyLowerCaseWordsAreCommands) {
  auto d = make("shelly_gen1:g");
  for (const char* payload : {"ON", "On", "1", "", "on ", "{\"turn\":\"on\"}"}) {
    auto r = d->handle("shellies/g/relay/0/command", payload, at(0));
    EXPECT_TRUE(r.publish.empty()) << payload;
    EXPECT_TRUE(has_line(r, "ignored shellies/g/relay/0/command")) << payload;
  }
  EXPECT_EQ(d->output(), Output::off);
}

TEST(ShellyGen1, NoAutoOffUnlessTheDeviceHasItsOwnSetting) {
  auto d = make("shelly_gen1:g");
  d->handle("shellies/g/relay/0/command", "on", at(0));
  EXPECT_FALSE(d->timer());
  run_until(*d, 7200);
  EXPECT_EQ(d->output(), Output::heat);
}

TEST(ShellyGen1, AutoOffSettingSwitchesOffAfterEveryOn) {
  auto d = make("shelly_gen1:g,auto_off=20m");
  auto r = d->handle("shellies/g/relay/0/command", "on", at(0));
  EXPECT_EQ(r.lines, Strings{"relay ON (heat), auto-off in 1200.0 s"});
  d->handle("shellies/g/relay/0/command", "on", at(600));  // restarts it
  run_until(*d, 1799.9);
  EXPECT_EQ(d->output(), Output::heat);
  auto fired = run_until(*d, 1800);
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_EQ(payloads(fired, "shellies/g/relay/0").front(), "off");
}

TEST(ShellyGen1, TelemetryHasTheRelayAndTheExternalSensor) {
  auto d = make("shelly_gen1:g,sensor=1");
  auto r = run_until(*d, 10);
  EXPECT_EQ(payloads(r, "shellies/g/relay/0"), Strings{"off"});
  EXPECT_EQ(payloads(r, "shellies/g/ext_temperature/1"), Strings{"22"});
  auto none = make("shelly_gen1:n,sensor=none");
  r = run_until(*none, 10);
  EXPECT_EQ(payloads(r, "shellies/n/relay/0"), Strings{"off"});
  EXPECT_EQ(r.publish.size(), 1u);
}

TEST(ShellyGen1, UpdatePublishesTheStateAndChangesNothing) {
  auto d = make("shelly_gen1:g,id=shelly1-AABB,sensor=2,auto_off=20m");
  auto r = d->handle("shellies/shelly1-AABB/command", "update", at(0));
  EXPECT_EQ(payloads(r, "shellies/shelly1-AABB/relay/0"), Strings{"off"});
  EXPECT_EQ(payloads(r, "shellies/shelly1-AABB/ext_temperature/2"), Strings{"22"});
  EXPECT_EQ(r.publish.size(), 2u);
  EXPECT_TRUE(r.lines.empty());

  d->handle("shellies/shelly1-AABB/relay/0/command", "on", at(0));
  r = d->handle("shellies/shelly1-AABB/command", "update", at(600));
  EXPECT_EQ(payloads(r, "shellies/shelly1-AABB/relay/0"), Strings{"on"});
  EXPECT_TRUE(r.lines.empty());
  EXPECT_EQ(d->output(), Output::heat);
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(600).mono)->count(), 600.0);  // not restarted
  run_until(*d, 1200);
  r = d->handle("shellies/shelly1-AABB/command", "update", at(1201));
  EXPECT_EQ(payloads(r, "shellies/shelly1-AABB/relay/0"), Strings{"off"});
}

TEST(ShellyGen1, OnlyUpdateIsSimulatedOnTheDeviceCommandTopic) {
  auto d = make("shelly_gen1:g");
  for (const char* payload : {"announce", "update_fw", "UPDATE", "", "on"}) {
    auto r = d->handle("shellies/g/command", payload, at(0));
    EXPECT_TRUE(r.publish.empty()) << payload;
    EXPECT_TRUE(has_line(r, "ignored shellies/g/command: only update is simulated")) << payload;
  }
  EXPECT_EQ(d->output(), Output::off);
}

TEST(ShellyGen1, AvailabilityIsOnlineTrueFalse) {
  auto d = make("shelly_gen1:g");
  Availability av = d->availability();
  EXPECT_EQ(av.topic, "shellies/g/online");
  EXPECT_EQ(av.online, "true");
  EXPECT_EQ(av.offline, "false");
  EXPECT_TRUE(av.is_will);
}

}  // namespace
}  // namespace padtimer::sim
