// A Zigbee plug behind Zigbee2MQTT: set/get, on_time, availability published by the bridge.
#include "sim/zigbee2mqtt.h"

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

TEST(Zigbee2Mqtt, SetIsEchoedAsTheDeviceState) {
  auto d = make("zigbee2mqtt:z,name=lb_plug");
  EXPECT_EQ(d->subscriptions(), (Strings{"zigbee2mqtt/lb_plug/set", "zigbee2mqtt/lb_plug/get"}));
  auto r = d->handle("zigbee2mqtt/lb_plug/set", R"({"state":"ON"})", at(0));
  EXPECT_EQ(payloads(r, "zigbee2mqtt/lb_plug"),
            Strings{R"({"state":"ON","linkquality":120,"temperature":22})"});
  EXPECT_EQ(d->output(), Output::heat);
  r = d->handle("zigbee2mqtt/lb_plug/set", R"({"state":"toggle"})", at(4));
  EXPECT_EQ(payloads(r, "zigbee2mqtt/lb_plug"),
            Strings{R"({"state":"OFF","linkquality":120,"temperature":24})"});
  r = d->handle("zigbee2mqtt/lb_plug/set", "ON", at(5));  // a bare state works too
  EXPECT_EQ(d->output(), Output::heat);
  r = d->handle("zigbee2mqtt/lb_plug/get", R"({"state":""})", at(6));
  EXPECT_EQ(payloads(r, "zigbee2mqtt/lb_plug").size(), 1u);
  EXPECT_TRUE(r.lines.empty());
}

TEST(Zigbee2Mqtt, GetPublishesTheStateAndChangesNothing) {
  auto d = make("zigbee2mqtt:z,name=lb_plug");
  auto r = d->handle("zigbee2mqtt/lb_plug/get", R"({"state":""})", at(0));
  EXPECT_EQ(payloads(r, "zigbee2mqtt/lb_plug"),
            Strings{R"({"state":"OFF","linkquality":120,"temperature":22})"});
  EXPECT_TRUE(r.lines.empty());
  d->handle("zigbee2mqtt/lb_plug/set", R"({"state":"ON","on_time":300})", at(0));
  r = d->handle("zigbee2mqtt/lb_plug/get", R"({"state":""})", at(100));
  EXPECT_EQ(payloads(r, "zigbee2mqtt/lb_plug"),
            Strings{R"({"state":"ON","linkquality":120,"temperature":41})"});
  EXPECT_EQ(r.publish.size(), 1u);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_DOUBLE_EQ(d->auto_off_remaining(at(100).mono)->count(), 200.0);  // not restarted
}

TEST(Zigbee2Mqtt, OnTimeSwitchesOffAfterThatManySeconds) {
  auto d = make("zigbee2mqtt:z,base=z2m");
  auto r = d->handle("z2m/z/set", R"({"state":"ON","on_time":300})", at(0));
  EXPECT_EQ(r.lines, Strings{"relay ON (heat), auto-off in 300.0 s"});
  d->handle("z2m/z/set", R"({"state":"ON","on_time":300})", at(200));  // re-armed
  run_until(*d, 499.9);
  EXPECT_EQ(d->output(), Output::heat);
  auto fired = run_until(*d, 500);
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_EQ(payloads(fired, "z2m/z").front(),
            R"({"state":"OFF","linkquality":120,"temperature":41})");
}

TEST(Zigbee2Mqtt, OnWithoutOnTimeCancelsIt) {
  auto d = make("zigbee2mqtt:z");
  d->handle("zigbee2mqtt/z/set", R"({"state":"ON","on_time":10})", at(0));
  d->handle("zigbee2mqtt/z/set", R"({"state":"ON"})", at(5));
  run_until(*d, 100);
  EXPECT_EQ(d->output(), Output::heat);
}

TEST(Zigbee2Mqtt, FirmwareWithoutOnTimeStaysOn) {
  auto d = make("zigbee2mqtt:z,on_time=no");
  auto r = d->handle("zigbee2mqtt/z/set", R"({"state":"ON","on_time":10})", at(0));
  EXPECT_TRUE(has_line(r, "on_time not supported by this plug, ignored"));
  run_until(*d, 100);
  EXPECT_EQ(d->output(), Output::heat);
}

TEST(Zigbee2Mqtt, MalformedSetsAreIgnored) {
  auto d = make("zigbee2mqtt:z");
  for (const char* payload :
       {"", "{", "{}", "[]", R"({"state":1})", R"({"state":"DIM"})", "BLINK",
        R"({"state":"ON","on_time":0})", R"({"state":"ON","on_time":-1})",
        R"({"state":"ON","on_time":"60"})", R"({"state":"ON","on_time":7000})",
        R"({"state":"ON","state":"OFF"})"}) {
    auto r = d->handle("zigbee2mqtt/z/set", payload, at(0));
    EXPECT_TRUE(r.publish.empty()) << payload;
    EXPECT_TRUE(has_line(r, "ignored zigbee2mqtt/z/set")) << payload;
  }
  EXPECT_EQ(d->output(), Output::off);
}

TEST(Zigbee2Mqtt, AvailabilityIsPublishedByTheBridgeNotAWill) {
  auto d = make("zigbee2mqtt:z");
  Availability av = d->availability();
  EXPECT_FALSE(av.is_will);
  EXPECT_EQ(av.topic, "zigbee2mqtt/z/availability");
  auto r = d->connected(at(0));
  auto avail = testing::on_topic(r, "zigbee2mqtt/z/availability");
  ASSERT_EQ(avail.size(), 1u);
  EXPECT_EQ(avail[0].payload, R"({"state":"online"})");
  EXPECT_TRUE(avail[0].retained);
  EXPECT_EQ(payloads(r, "zigbee2mqtt/z").size(), 1u);
  auto bye = d->shutdown_messages();
  ASSERT_EQ(bye.size(), 1u);
  EXPECT_EQ(bye[0].payload, R"({"state":"offline"})");
  EXPECT_TRUE(bye[0].retained);

  auto legacy = make("zigbee2mqtt:l,legacy_availability=yes");
  r = legacy->connected(at(0));
  EXPECT_EQ(payloads(r, "zigbee2mqtt/l/availability"), Strings{"online"});
  EXPECT_EQ(legacy->shutdown_messages().at(0).payload, "offline");
}

TEST(Zigbee2Mqtt, OfflineIsAnnouncedWhileTheBridgeStaysConnected) {
  auto d = make("zigbee2mqtt:z");
  auto r = d->fault_command("offline", at(0));
  EXPECT_EQ(r.link, Link::keep);
  EXPECT_EQ(payloads(r, "zigbee2mqtt/z/availability"), Strings{R"({"state":"offline"})"});
  EXPECT_TRUE(d->link_wanted());
  r = d->handle("zigbee2mqtt/z/set", R"({"state":"ON"})", at(1));
  EXPECT_TRUE(r.publish.empty());
  EXPECT_EQ(r.lines, Strings{"offline, ignored zigbee2mqtt/z/set"});
  EXPECT_TRUE(run_until(*d, 60).publish.empty());
  EXPECT_TRUE(d->shutdown_messages().empty());  // already said
  r = d->fault_command("online", at(61));
  EXPECT_EQ(payloads(r, "zigbee2mqtt/z/availability"), Strings{R"({"state":"online"})"});
  EXPECT_EQ(payloads(r, "zigbee2mqtt/z").size(), 1u);
}

TEST(Zigbee2Mqtt, TelemetryOnlyWithASensor) {
  auto d = make("zigbee2mqtt:z");
  EXPECT_EQ(payloads(run_until(*d, 20), "zigbee2mqtt/z").size(), 2u);
  auto none = make("zigbee2mqtt:n,sensor=none");
  EXPECT_TRUE(run_until(*none, 20).publish.empty());
  auto r = none->handle("zigbee2mqtt/n/set", "ON", at(21));
  EXPECT_EQ(payloads(r, "zigbee2mqtt/n"), Strings{R"({"state":"ON","linkquality":120})"});
}

}  // namespace
}  // namespace padtimer::sim
