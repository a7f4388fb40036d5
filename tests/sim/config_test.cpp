// The command line and the YAML config: what is accepted, and that every mistake is named.
#include "sim/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "sim/tasmota.h"
#include "sim_test_util.h"

namespace padtimer::sim {
namespace {

using testing::at;

using Strings = std::vector<std::string>;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

std::string all(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += p + "\n";
  return out;
}

// A YAML file that lives as long as the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/padtimer-sim-test-XXXXXX";
    int fd = ::mkstemp(name);
    EXPECT_GE(fd, 0);
    ::close(fd);
    path_ = name;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Duration, Units) {
  EXPECT_DOUBLE_EQ(parse_duration("10s")->count(), 10.0);
  EXPECT_DOUBLE_EQ(parse_duration("1.5s")->count(), 1.5);
  EXPECT_DOUBLE_EQ(parse_duration("500ms")->count(), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration("2m")->count(), 120.0);
  EXPECT_DOUBLE_EQ(parse_duration("3min")->count(), 180.0);
  EXPECT_DOUBLE_EQ(parse_duration("1h")->count(), 3600.0);
  EXPECT_DOUBLE_EQ(parse_duration("42")->count(), 42.0);
  for (const char* bad : {"", "s", "0", "0s", "-1s", "ten", "10 x", "10sec", "nan", "inf"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

TEST(DeviceArg, FamilyNameAndOptions) {
  std::string error;
  auto spec = parse_device_arg("tasmota:lb_heat,topic=plug, relay = 2 ,fault=welded", error);
  ASSERT_TRUE(spec) << error;
  EXPECT_EQ(spec->family, "tasmota");
  EXPECT_EQ(spec->name, "lb_heat");
  ASSERT_EQ(spec->options.size(), 2u);
  EXPECT_EQ(spec->options[0].key, "topic");
  EXPECT_EQ(spec->options[0].value, "plug");
  EXPECT_EQ(spec->options[1].key, "relay");
  EXPECT_EQ(spec->options[1].value, "2");
  EXPECT_EQ(spec->faults, Strings{"welded"});
  EXPECT_FALSE(parse_device_arg("tasmota", error));
  EXPECT_TRUE(contains(error, "expected FAMILY:NAME"));
  EXPECT_FALSE(parse_device_arg("tasmota:t,relay", error));
  EXPECT_TRUE(contains(error, "'relay' is not key=value"));
}

TEST(MakeDevice, DefaultsComeFromTheName) {
  auto t = testing::make("tasmota:lb");
  EXPECT_EQ(t->subscriptions(), Strings{"cmnd/lb/+"});
  EXPECT_EQ(t->role(), Role::heat);
  auto s = testing::make("shelly_rpc:lb_cold,role=cold");
  EXPECT_EQ(s->subscriptions(), Strings{"lb_cold/rpc"});
  EXPECT_EQ(s->role(), Role::cold);
  auto g = testing::make("shelly_gen1:g1");
  EXPECT_EQ(g->subscriptions(), (Strings{"shellies/g1/relay/0/command", "shellies/g1/command"}));
  auto z = testing::make("zigbee2mqtt:z");
  EXPECT_EQ(z->subscriptions(), (Strings{"zigbee2mqtt/z/set", "zigbee2mqtt/z/get"}));
  auto p = testing::make("json_pad:p");
  EXPECT_EQ(p->subscriptions(), (Strings{"padtimer/pads/p/set", "padtimer/pads/p/get"}));
  EXPECT_EQ(p->family(), "json_pad");
}

std::string problems_of(const std::string& arg) {
  std::string error;
  auto spec = parse_device_arg(arg, error);
  if (!spec) return error;
  std::vector<std::string> problems;
  auto device = make_device(*spec, Seconds{10}, at(0), problems);
  EXPECT_FALSE(device) << arg;
  EXPECT_FALSE(problems.empty()) << arg;
  return all(problems);
}

TEST(MakeDevice, EveryBadOptionIsNamed) {
  EXPECT_TRUE(contains(problems_of("toaster:t"),
                       "unknown device family 'toaster' (one of: tasmota, shelly_rpc, "
                       "shelly_gen1, zigbee2mqtt, json_pad)"));
  EXPECT_TRUE(contains(problems_of("tasmota:bad/name"), "device name 'bad/name' must be"));
  EXPECT_TRUE(contains(problems_of("tasmota:t,relay=9"), "relay=9: must be an integer 1..8"));
  EXPECT_TRUE(contains(problems_of("tasmota:t,relay=2,relays=1"), "relays must be at least relay"));
  EXPECT_TRUE(contains(problems_of("tasmota:t,pulsetime=65000"), "must be an integer 0..64900"));
  EXPECT_TRUE(contains(problems_of("tasmota:t,topic=a/b"), "topic 'a/b' must be"));
  EXPECT_TRUE(contains(problems_of("tasmota:t,topic=a+"), "topic 'a+' must be"));
  EXPECT_TRUE(contains(problems_of("tasmota:t,id=x"),
                       "id=x: unknown option for tasmota (allowed: topic, relay, relays, "
                       "pulsetime, role, sensor"));
  EXPECT_TRUE(
      contains(problems_of("shelly_rpc:s,auto_off=soon"), "auto_off=soon: must be a duration"));
  EXPECT_TRUE(contains(problems_of("shelly_gen1:s,relay=x"), "relay=x: must be an integer 0..3"));
  EXPECT_TRUE(
      contains(problems_of("zigbee2mqtt:z,legacy_availability=maybe"), "must be yes or no"));
  EXPECT_TRUE(contains(problems_of("json_pad:p,role=warm"), "must be heat, cold or dual"));
  EXPECT_TRUE(contains(problems_of("json_pad:p,heat_rate=0"), "heat_rate=0: must be a number"));
  EXPECT_TRUE(contains(problems_of("json_pad:p,base=a//b"), "base 'a//b' must be"));
  EXPECT_TRUE(contains(problems_of("json_pad:p,id=1,id=2"), "id=2: given twice"));
}

SimConfig config_with(std::vector<std::string> device_args) {
  SimConfig config;
  config.broker = "mqtt://127.0.0.1:1884";
  for (const auto& arg : device_args) {
    std::string error;
    auto spec = parse_device_arg(arg, error);
    EXPECT_TRUE(spec) << error;
    if (spec) config.devices.push_back(*spec);
  }
  return config;
}

TEST(MakeDevices, StartFaultsAreApplied) {
  SimConfig config = config_with({"tasmota:a,fault=silent", "zigbee2mqtt:b"});
  config.faults = {{"b", "welded,sensor_hot"}};
  std::vector<std::string> problems;
  auto devices = make_devices(config, at(0), problems);
  ASSERT_EQ(devices.size(), 2u) << all(problems);
  EXPECT_EQ(devices[0]->faults().names(), Strings{"silent"});
  EXPECT_EQ(devices[1]->faults().names(), (Strings{"sensor_hot", "welded"}));
}

TEST(MakeDevices, DuplicatesAndUnknownNamesAreRefused) {
  std::vector<std::string> problems;
  EXPECT_TRUE(make_devices(config_with({"tasmota:a", "json_pad:a"}), at(0), problems).empty());
  EXPECT_TRUE(contains(all(problems), "device name 'a' is already used"));

  problems.clear();
  EXPECT_TRUE(
      make_devices(config_with({"tasmota:a", "tasmota:b,topic=a"}), at(0), problems).empty());
  EXPECT_TRUE(contains(all(problems), "would answer the same commands as 'a'"));

  problems.clear();  // two relays of one plug are fine
  EXPECT_EQ(make_devices(config_with({"tasmota:a,relays=2", "tasmota:b,topic=a,relay=2"}), at(0),
                         problems)
                .size(),
            2u)
      << all(problems);

  problems.clear();
  SimConfig config = config_with({"tasmota:a"});
  config.faults = {{"nobody", "welded"}, {"a", "melted"}};
  EXPECT_TRUE(make_devices(config, at(0), problems).empty());
  EXPECT_TRUE(contains(all(problems), "--fault nobody=welded: no device named 'nobody'"));
  EXPECT_TRUE(contains(all(problems), "--fault a=melted: unknown fault 'melted'"));
}

TEST(CommandLine, FullRun) {
  auto cli = parse_command_line({"--broker", "mqtt://127.0.0.1:1884", "--device",
                                 "tasmota:lb_heat,pulsetime=220", "--device=json_pad:lb_cold",
                                 "--fault", "lb_heat=silent", "--telemetry-period", "2s", "-v",
                                 "--record", "/tmp/relays.jsonl"});
  ASSERT_EQ(cli.action, CommandLine::Action::run) << cli.error;
  EXPECT_EQ(cli.config.broker, "mqtt://127.0.0.1:1884");
  EXPECT_EQ(cli.config.devices.size(), 2u);
  EXPECT_EQ(cli.config.faults.size(), 1u);
  EXPECT_DOUBLE_EQ(cli.config.telemetry_period.count(), 2.0);
  EXPECT_TRUE(cli.config.verbose);
  EXPECT_EQ(cli.config.record_path, "/tmp/relays.jsonl");
}

TEST(CommandLine, HelpAndErrors) {
  EXPECT_EQ(parse_command_line({"--help"}).action, CommandLine::Action::help);
  EXPECT_EQ(parse_command_line({"--broker", "x", "-h"}).action, CommandLine::Action::help);
  auto error_of = [](std::vector<std::string> args) {
    auto cli = parse_command_line(args);
    EXPECT_EQ(cli.action, CommandLine::Action::error);
    return cli.error;
  };
  EXPECT_TRUE(contains(error_of({}), "no broker"));
  EXPECT_TRUE(contains(error_of({"--broker", "mqtt://h:1"}), "no devices"));
  EXPECT_TRUE(contains(error_of({"--broker"}), "--broker needs a URL"));
  EXPECT_TRUE(contains(error_of({"--bogus"}), "unknown argument '--bogus'"));
  EXPECT_TRUE(contains(error_of({"--device", "tasmota"}), "expected FAMILY:NAME"));
  EXPECT_TRUE(contains(error_of({"--fault", "welded"}), "--fault needs NAME=FAULT"));
  EXPECT_TRUE(contains(error_of({"--telemetry-period", "0"}), "got '0'"));
  EXPECT_TRUE(contains(error_of({"--record"}), "--record needs a file"));
  EXPECT_TRUE(contains(error_of({"--config", "/nonexistent/sim.yaml", "--broker", "mqtt://h:1"}),
                       "/nonexistent/sim.yaml: cannot read the file"));
}

TEST(ConfigFile, DevicesBrokerAndPeriod) {
  TempFile file(R"(broker: mqtt://127.0.0.1:1999
telemetry_period: 5s
devices:
  - family: tasmota
    name: lb_heat
    topic: plug
    pulsetime: 220
  - family: zigbee2mqtt
    name: lb_cold
    role: cold
    legacy_availability: true
    faults: [sensor_silent, welded]
)");
  auto cli = parse_command_line({"--config", file.path(), "--device", "json_pad:p"});
  ASSERT_EQ(cli.action, CommandLine::Action::run) << cli.error;
  EXPECT_EQ(cli.config.broker, "mqtt://127.0.0.1:1999");
  EXPECT_DOUBLE_EQ(cli.config.telemetry_period.count(), 5.0);
  ASSERT_EQ(cli.config.devices.size(), 3u);
  std::vector<std::string> problems;
  auto devices = make_devices(cli.config, at(0), problems);
  ASSERT_EQ(devices.size(), 3u) << all(problems);
  EXPECT_EQ(static_cast<Tasmota&>(*devices[0]).pulse_time(1), 220);
  EXPECT_EQ(devices[1]->faults().names(), (Strings{"sensor_silent", "welded"}));
  EXPECT_EQ(devices[1]->availability().online, "online");
  EXPECT_EQ(devices[2]->name(), "p");

  // The command line wins over the file.
  cli = parse_command_line(
      {"--broker", "mqtt://other:1", "--telemetry-period", "1s", "--config", file.path()});
  EXPECT_EQ(cli.config.broker, "mqtt://other:1");
  EXPECT_DOUBLE_EQ(cli.config.telemetry_period.count(), 1.0);
}

TEST(ConfigFile, ErrorsSayFileLineAndColumn) {
  TempFile file(R"(devices:
  - family: tasmota
    name: a
    relay: 12
  - family: tasmota
    family: shelly_rpc
    name: b
  - name: c
  - family: json_pad
    name: d
    options: {x: 1}
colour: blue
)");
  auto cli = parse_command_line({"--config", file.path(), "--broker", "mqtt://h:1"});
  ASSERT_EQ(cli.action, CommandLine::Action::error);
  EXPECT_TRUE(contains(cli.error, file.path() + ":6:5: 'family' given twice")) << cli.error;
  EXPECT_TRUE(contains(cli.error, file.path() + ":8:5: device has no 'family'")) << cli.error;
  EXPECT_TRUE(contains(cli.error, file.path() + ":11:14: 'options' must be a single value"))
      << cli.error;
  EXPECT_TRUE(contains(cli.error, file.path() + ":12:1: unknown key 'colour'")) << cli.error;

  // Option values are checked when the devices are built, with the value's position.
  TempFile values("devices:\n  - family: tasmota\n    name: a\n    relay: 12\n");
  cli = parse_command_line({"--config", values.path(), "--broker", "mqtt://h:1"});
  ASSERT_EQ(cli.action, CommandLine::Action::run) << cli.error;
  std::vector<std::string> problems;
  EXPECT_TRUE(make_devices(cli.config, at(0), problems).empty());
  EXPECT_TRUE(contains(all(problems), values.path() + ":4:12: device 'a': relay=12: must be an "
                                                      "integer 1..8"))
      << all(problems);

  TempFile broken("devices: [\n");
  cli = parse_command_line({"--config", broken.path(), "--broker", "mqtt://h:1"});
  ASSERT_EQ(cli.action, CommandLine::Action::error);
  EXPECT_TRUE(contains(cli.error, broken.path() + ":")) << cli.error;

  TempFile empty("telemetry_period: 5s\n");
  cli = parse_command_line({"--config", empty.path(), "--broker", "mqtt://h:1"});
  EXPECT_TRUE(contains(cli.error, "no 'devices:' list")) << cli.error;
}

TEST(Usage, DocumentsEveryFamilyOptionAndFault) {
  std::string text = usage_text();
  for (const auto& family : sim_families()) {
    EXPECT_TRUE(contains(text, std::string(family.name))) << family.name;
    for (auto option : family.options) {
      EXPECT_TRUE(contains(text, std::string(option) + "=")) << family.name << " " << option;
    }
  }
  for (auto option : common_options())
    EXPECT_TRUE(contains(text, std::string(option))) << option;
  for (Fault f : kAllFaults)
    EXPECT_TRUE(contains(text, std::string(to_string(f)))) << to_string(f);
}

}  // namespace
}  // namespace padtimer::sim
