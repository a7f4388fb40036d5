// What every simulated device shares: fault knobs, the physical report, telemetry timing.
#include "sim/device.h"

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

TEST(FaultCommand, OneWord) {
  auto f = parse_fault_command(" welded\n");
  ASSERT_TRUE(f.command);
  EXPECT_FALSE(f.command->clear);
  ASSERT_EQ(f.command->changes.size(), 1u);
  EXPECT_EQ(f.command->changes[0], std::pair(Fault::welded, true));
  f = parse_fault_command("online");
  ASSERT_TRUE(f.command);
  EXPECT_EQ(f.command->changes[0], std::pair(Fault::offline, false));
  f = parse_fault_command("clear");
  ASSERT_TRUE(f.command);
  EXPECT_TRUE(f.command->clear);
  for (Fault fault : kAllFaults) {
    auto parsed = parse_fault_command(to_string(fault));
    ASSERT_TRUE(parsed.command) << to_string(fault);
    EXPECT_EQ(parsed.command->changes[0].first, fault);
  }
}

TEST(FaultCommand, JsonFlags) {
  auto f = parse_fault_command(R"({"silent":true,"welded":false,"online":true,"clear":true})");
  ASSERT_TRUE(f.command);
  EXPECT_TRUE(f.command->clear);
  EXPECT_EQ(f.command->changes,
            (std::vector<std::pair<Fault, bool>>{
                {Fault::silent, true}, {Fault::welded, false}, {Fault::offline, false}}));
}

TEST(FaultCommand, RejectsWhatItDoesNotKnow) {
  for (const char* bad :
       {"", "  ", "melted", "Silent", "silent welded", "{", "[]", R"({"silent":1})",
        R"({"melted":true})", R"({"silent":true,"silent":false})", "\"silent\""}) {
    auto f = parse_fault_command(bad);
    EXPECT_FALSE(f.command) << bad;
    EXPECT_FALSE(f.error.empty()) << bad;
  }
  EXPECT_NE(parse_fault_command("melted").error.find("one of: silent, offline"), std::string::npos);
}

TEST(Faults, SilentReceivesButNeitherAppliesNorReplies) {
  auto d = make("tasmota:t,pulsetime=130");
  d->handle("cmnd/t/Power1", "ON", at(0));
  auto r = d->fault_command("silent", at(1));
  EXPECT_EQ(r.lines, Strings{"fault silent set"});
  r = d->handle("cmnd/t/Power1", "OFF", at(2));
  EXPECT_TRUE(r.publish.empty());
  EXPECT_EQ(r.lines, Strings{"silent, ignored cmnd/t/Power1"});
  EXPECT_EQ(d->output(), Output::heat);
  // The device's own auto-off and its telemetry go on.
  auto later = run_until(*d, 30);
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_EQ(payloads(later, "stat/t/POWER"), Strings{"OFF"});
  EXPECT_EQ(payloads(later, "tele/t/SENSOR").size(), 3u);
  d->fault_command("clear", at(31));
  r = d->handle("cmnd/t/Power1", "ON", at(32));
  EXPECT_EQ(payloads(r, "stat/t/POWER"), Strings{"ON"});
}

TEST(Faults, OfflineDeviceWithAWillLeavesTheBrokerAndComesBack) {
  auto d = make("shelly_rpc:s");
  EXPECT_TRUE(d->link_wanted());
  auto r = d->fault_command("offline", at(0));
  EXPECT_EQ(r.link, Link::go_offline);  // the transport publishes "false" and disconnects
  EXPECT_FALSE(d->link_wanted());
  EXPECT_TRUE(d->shutdown_messages().empty());
  r = d->handle("s/rpc", R"({"id":1,"src":"c","method":"Switch.Set","params":{"id":0,"on":true}})",
                at(1));
  EXPECT_TRUE(r.publish.empty());
  EXPECT_EQ(d->output(), Output::off);
  r = d->fault_command("online", at(2));
  EXPECT_EQ(r.link, Link::go_online);
  EXPECT_TRUE(d->link_wanted());
  EXPECT_EQ(r.lines, Strings{"fault offline cleared"});
}

TEST(Faults, AnOfflineDeviceStillSwitchesItselfOffButSaysNothing) {
  auto d = make("shelly_rpc:s");
  d->handle(
      "s/rpc",
      R"({"id":1,"src":"c","method":"Switch.Set","params":{"id":0,"on":true,"toggle_after":30}})",
      at(0));
  d->fault_command("offline", at(1));
  auto r = run_until(*d, 60);
  EXPECT_EQ(d->output(), Output::off);
  EXPECT_TRUE(r.publish.empty());
  EXPECT_TRUE(has_line(r, "auto-off fired, relay OFF"));
  // Back online, it reports its state again once its client has reconnected.
  EXPECT_EQ(d->fault_command("online", at(61)).link, Link::go_online);
  r = d->connected(at(62));
  EXPECT_EQ(payloads(r, "s/events/rpc").size(), 1u);
}

TEST(Faults, SensorStuckKeepsReportingTheLastTemperature) {
  auto d = make("zigbee2mqtt:z");
  d->handle("zigbee2mqtt/z/set", "ON", at(0));
  auto r = d->fault_command("sensor_stuck", at(10));
  EXPECT_EQ(payloads(r, "zigbee2mqtt/z"),
            Strings{R"({"state":"ON","linkquality":120,"temperature":27})"});
  r = run_until(*d, 40);
  EXPECT_EQ(payloads(r, "zigbee2mqtt/z").back(),
            R"({"state":"ON","linkquality":120,"temperature":27})");
  EXPECT_DOUBLE_EQ(d->temperature(at(40).mono), 41.0);  // the pad itself is hot
  d->fault_command(R"({"sensor_stuck":false})", at(41));
  EXPECT_EQ(d->sensor_reading(at(41).mono), 41.0);
}

TEST(Faults, SensorHotReportsFiftyDegreesAtOnce) {
  auto d = make("tasmota:t");
  auto r = d->fault_command("sensor_hot", at(1));
  auto sensor = payloads(r, "tele/t/SENSOR");
  ASSERT_EQ(sensor.size(), 1u);
  EXPECT_NE(sensor[0].find(R"("DS18B20":{"Temperature":50})"), std::string::npos);
  EXPECT_DOUBLE_EQ(d->temperature(at(1).mono), 22.0);
  EXPECT_EQ(
      d->physical_json(at(1).mono),
      R"({"output":"off","temperature":22,"auto_off_remaining":null,"faults":["sensor_hot"]})");
}

TEST(Faults, SensorSilentStopsTemperatureTelemetry) {
  auto d = make("json_pad:p");
  d->fault_command("sensor_silent", at(0));
  auto r = run_until(*d, 30);
  EXPECT_TRUE(r.publish.empty());
  r = d->handle("padtimer/pads/p/set", R"({"mode":"heat"})", at(31));
  EXPECT_EQ(payloads(r, "padtimer/pads/p/state"), Strings{R"({"mode":"heat"})"});
  auto t = make("tasmota:t,fault=sensor_silent");
  EXPECT_TRUE(payloads(run_until(*t, 60), "tele/t/SENSOR").empty());
}

TEST(Faults, WeldedRelayStaysOnWhateverItIsToldAndReportsOn) {
  auto d = make("tasmota:t,pulsetime=130");
  auto r = d->fault_command("welded", at(0));
  EXPECT_EQ(d->output(), Output::off);  // welds at the next ON
  d->handle("cmnd/t/Power1", "ON", at(1));
  r = d->handle("cmnd/t/Power1", "OFF", at(2));
  EXPECT_EQ(payloads(r, "stat/t/RESULT"), Strings{R"({"POWER":"ON"})"});
  EXPECT_EQ(payloads(r, "stat/t/POWER"), Strings{"ON"});
  EXPECT_EQ(r.lines, Strings{"relay welded, stays ON (heat), told OFF"});
  EXPECT_EQ(d->output(), Output::heat);
  EXPECT_EQ(d->commanded(), Output::off);

  d->handle("cmnd/t/Power1", "ON", at(3));
  r = run_until(*d, 33);  // PulseTime runs out: the relay cannot open
  EXPECT_TRUE(has_line(r, "auto-off fired, relay welded, stays ON (heat)"));
  EXPECT_TRUE(payloads(r, "stat/t/POWER").empty());
  EXPECT_EQ(d->output(), Output::heat);
  EXPECT_DOUBLE_EQ(d->temperature(at(100).mono), 41.0);

  // The weld gives way: the relay does what it was last told.
  r = d->fault_command("clear", at(100));
  EXPECT_EQ(r.lines, (Strings{"faults cleared", "weld released, relay OFF"}));
  EXPECT_EQ(payloads(r, "stat/t/POWER"), Strings{"OFF"});
  EXPECT_EQ(d->output(), Output::off);
}

TEST(Faults, WeldedDualPadKeepsItsMode) {
  auto d = make("json_pad:p,fault=welded");
  d->handle("padtimer/pads/p/set", R"({"mode":"heat"})", at(0));
  auto r = d->handle("padtimer/pads/p/set", R"({"mode":"cold"})", at(1));
  EXPECT_EQ(r.lines, Strings{"relay welded, stays ON (heat), told ON (cold)"});
  EXPECT_EQ(payloads(r, "padtimer/pads/p/state"), Strings{R"({"mode":"heat","temperature":22.5})"});
}

TEST(Device, PhysicalReportHasTheTruth) {
  auto d = make("tasmota:t,pulsetime=220");
  d->handle("cmnd/t/Power1", "ON", at(0));
  d->fault_command("silent", at(0));
  d->fault_command("sensor_hot", at(0));
  EXPECT_EQ(d->physical_json(at(20).mono),
            R"({"output":"heat","temperature":32,"auto_off_remaining":100,)"
            R"("faults":["silent","sensor_hot"]})");
  EXPECT_EQ(d->physical_json(at(20.25).mono),
            R"({"output":"heat","temperature":32.1,"auto_off_remaining":99.8,)"
            R"("faults":["silent","sensor_hot"]})");
}

TEST(Device, TelemetryKeepsItsPeriodWithoutDrift) {
  auto d = make("tasmota:t", 10);
  EXPECT_DOUBLE_EQ(testing::seconds_of(d->next_deadline()), 10.0);
  // Handled late: the next one is still on the 10 s grid, and missed ones are skipped.
  d->handle_timeout(at(10.7));
  EXPECT_DOUBLE_EQ(testing::seconds_of(d->next_deadline()), 20.0);
  d->handle_timeout(at(55));
  EXPECT_DOUBLE_EQ(testing::seconds_of(d->next_deadline()), 60.0);
  // A timer that comes first is the deadline.
  d->handle("cmnd/t/PulseTime1", "30", at(56));
  d->handle("cmnd/t/Power1", "ON", at(56));
  EXPECT_DOUBLE_EQ(testing::seconds_of(d->next_deadline()), 59.0);
  // Early: nothing to do.
  auto r = d->handle_timeout(at(57));
  EXPECT_TRUE(r.publish.empty());
  EXPECT_FALSE(r.physical_changed);
}

TEST(Device, PerDeviceTelemetryPeriodAndThermalOptions) {
  auto d = make("json_pad:p,telemetry=2s,heat_rate=1,heat_target=30,temperature=25");
  EXPECT_DOUBLE_EQ(testing::seconds_of(d->next_deadline()), 2.0);
  d->handle("padtimer/pads/p/set", R"({"mode":"heat"})", at(0));
  EXPECT_DOUBLE_EQ(d->temperature(at(3).mono), 28.0);
  EXPECT_DOUBLE_EQ(d->temperature(at(30).mono), 30.0);
}

}  // namespace
}  // namespace padtimer::sim
