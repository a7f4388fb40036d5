// The YAML config loader: the example configs load; each kind of mistake is reported at
// its exact file:line:col; several mistakes come out together; durations parse strictly.
#include "config/config.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

namespace padtimer::config {
namespace {

using namespace std::chrono_literals;

std::string all(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors)
    out += "\n  " + e.str();
  return out;
}

// The errors as "line:col: message" (the file name is always "t.yaml").
std::vector<std::string> errors(const std::string& yaml) {
  auto r = parse_config(yaml, "t.yaml");
  std::vector<std::string> out;
  for (const auto& e : r.errors) {
    EXPECT_EQ(e.file, "t.yaml");
    out.push_back(std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message);
  }
  EXPECT_EQ(r.config.has_value(), r.errors.empty());
  return out;
}

// The one error of a config that should have exactly one; its message.
std::string only_error(const std::string& yaml, const std::string& position) {
  auto e = errors(yaml);
  EXPECT_EQ(e.size(), 1u) << ::testing::PrintToString(e);
  if (e.empty()) return {};
  EXPECT_EQ(e[0].substr(0, e[0].find(": ")), position) << e[0];
  return e[0];
}

// A valid config; tests append to or replace parts of it. Line numbers matter below.
const std::string kDevices =
    "devices:\n"              // 1
    "  pad:\n"                // 2
    "    driver: tasmota\n"   // 3
    "    role: heat\n"        // 4
    "    topic: pad_plug\n";  // 5
const std::string kZones =
    "zones:\n"          // 6
    "  back:\n"         // 7
    "    heat: pad\n";  // 8
const std::string kRoutines =
    "routines:\n"         // 9
    "  evening:\n"        // 10
    "    - heat: 20m\n";  // 11
const std::string kValid = kDevices + kZones + kRoutines;

TEST(Examples, EveryExampleInTheConfigDirectoryLoads) {
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(PADTIMER_CONFIG_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    ++examples;
    auto r = load_config(entry.path().string());
    EXPECT_TRUE(r.config && r.errors.empty()) << entry.path() << ":\n" << all(r);
  }
  EXPECT_GE(examples, 3);  // minimal, full, demo
}

TEST(Examples, DemoRunsOneZoneWithHeatThenCold) {
  auto r = load_config(PADTIMER_CONFIG_DIR "/padtimer.demo.yaml");
  ASSERT_TRUE(r.config) << all(r);
  const auto& c = *r.config;
  EXPECT_EQ(c.mqtt.url, "mqtt://127.0.0.1:1884");  // scripts/demo.sh rewrites this port
  ASSERT_EQ(c.engine.zones.size(), 1u);
  ASSERT_EQ(c.engine.routines.size(), 1u);
  const auto& phases = c.engine.routines[0].phases;
  ASSERT_EQ(phases.size(), 3u);
  EXPECT_EQ(phases[0].kind, core::PhaseKind::heat);
  EXPECT_EQ(phases[2].kind, core::PhaseKind::cold);
}

TEST(Examples, MinimalLoads) {
  auto r = load_config(PADTIMER_CONFIG_DIR "/padtimer.minimal.yaml");
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_TRUE(r.errors.empty()) << all(r);
  const auto& c = *r.config;
  ASSERT_EQ(c.engine.devices.size(), 1u);
  EXPECT_EQ(c.engine.devices[0].id, "heat_pad");
  EXPECT_TRUE(c.engine.devices[0].auto_off);
  EXPECT_EQ(c.device_drivers[0].family, "tasmota");
  EXPECT_EQ(c.device_drivers[0].options, (devices::Options{{"topic", "heat_pad_plug"}}));
  ASSERT_EQ(c.engine.zones.size(), 1u);
  EXPECT_EQ(c.engine.zones[0].heat_device, "heat_pad");
  ASSERT_EQ(c.engine.routines.size(), 1u);
  EXPECT_EQ(c.engine.routines[0].phases.size(), 1u);
  EXPECT_EQ(make_drivers(c, "padtimer").size(), 1u);
}

TEST(Examples, FullLoadsWithEveryOption) {
  auto r = load_config(PADTIMER_CONFIG_DIR "/padtimer.full.yaml");
  ASSERT_TRUE(r.config) << all(r);
  const auto& c = *r.config;
  EXPECT_EQ(c.mqtt.url, "mqtts://broker.example.net:8883");
  EXPECT_EQ(c.mqtt.protocol, mqtt::Settings::Protocol::mqtt5);
  EXPECT_EQ(c.mqtt.username, "padtimer");
  EXPECT_EQ(c.mqtt.password, "change me");
  ASSERT_TRUE(c.mqtt.tls);
  EXPECT_EQ(c.mqtt.tls->ca_file, "/etc/padtimer/ca.crt");
  EXPECT_TRUE(c.mqtt.tls->verify_hostname);
  EXPECT_EQ(c.base_topic, "padtimer");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.engine.safety.lease, 2min);
  ASSERT_EQ(c.engine.devices.size(), 5u);
  EXPECT_EQ(c.engine.devices[0].sensor->max_c, 42.0);
  EXPECT_EQ(c.engine.devices[0].sensor->heat_up->within, 3min);
  EXPECT_EQ(c.device_drivers[0].options.at("sensor"), "DS18B20");
  EXPECT_EQ(c.engine.devices[1].sensor->cool_down->min_change_c, 1.5);
  EXPECT_FALSE(c.engine.devices[3].auto_off);  // shelly_gen1
  EXPECT_EQ(c.engine.devices[4].role, core::DeviceRole::dual);
  EXPECT_EQ(c.engine.zones[3].daily_cap, 90min);
  EXPECT_EQ(c.engine.routines[2].phases.size(), 5u);
  ASSERT_EQ(c.schedules.size(), 2u);
  EXPECT_EQ(c.schedules[0].hour, 19);
  EXPECT_EQ(c.schedules[0].minute, 30);
  EXPECT_EQ(c.schedules[0].days,
            (std::array<bool, 7>{true, false, true, false, true, false, false}));
  EXPECT_EQ(c.schedules[0].grace, 15min);
  EXPECT_EQ(c.schedules[1].days, (std::array<bool, 7>{true, true, true, true, true, false, false}));
  EXPECT_EQ(make_drivers(c, "padtimer").size(), 5u);
  EXPECT_TRUE(c.home_assistant.discovery);
  EXPECT_EQ(c.home_assistant.discovery_prefix, "homeassistant");
}

TEST(Load, MissingFile) {
  auto r = load_config("/nonexistent/padtimer.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "/nonexistent/padtimer.yaml:1:1: cannot read the config file");
}

TEST(Load, ErrorFormat) {
  ConfigError e{"a.yaml", 3, 7, "boom"};
  EXPECT_EQ(e.str(), "a.yaml:3:7: boom");
}

TEST(Errors, InvalidYaml) {
  auto msg = only_error(kValid + "mqtt: [unclosed\n", "13:1");
  EXPECT_NE(msg.find("not valid YAML"), std::string::npos) << msg;
}

TEST(Errors, UnknownTopLevelKey) {
  auto msg = only_error(kValid + "colour: blue\n", "12:1");
  EXPECT_EQ(msg,
            "12:1: unknown key 'colour' in the top level; allowed: mqtt, state_dir, log_level, "
            "safety, devices, zones, routines, schedules, home_assistant");
}

TEST(Errors, UnknownNestedKey) {
  auto msg = only_error(kValid + "mqtt:\n  urls: mqtt://x:1\n", "13:3");
  EXPECT_NE(msg.find("allowed: url, client_id, username, password, tls, base_topic"),
            std::string::npos)
      << msg;
  only_error(kValid + "mqtt:\n  url: mqtts://b:8883\n  tls:\n    ca_file: x\n    ca: x\n", "16:5");
  only_error(kDevices + "zones:\n  back:\n    heat: pad\n    rest: 1h\n" + kRoutines, "9:5");
}

TEST(Errors, DuplicateKeys) {
  EXPECT_EQ(only_error(kValid + "log_level: info\nlog_level: debug\n", "13:1"),
            "13:1: duplicate key 'log_level' in the top level (first at line 12)");
  // A duplicate device: the second is refused, the first is kept.
  only_error(
      "devices:\n  pad:\n    driver: tasmota\n    role: heat\n    topic: a\n"
      "  pad:\n    driver: tasmota\n    role: heat\n    topic: b\n" +
          kZones + kRoutines,
      "6:3");
  // A duplicate driver option.
  only_error(
      "devices:\n  pad:\n    driver: tasmota\n    role: heat\n    topic: a\n"
      "    topic: b\n" +
          kZones + kRoutines,
      "6:5");
}

TEST(Errors, WrongTypes) {
  EXPECT_EQ(only_error(kValid + "state_dir: [a, b]\n", "12:12"),
            "12:12: state_dir must be a directory path, got a list");
  EXPECT_EQ(only_error(kValid + "safety: 10s\n", "12:9"),
            "12:9: safety must be a map of keys, got a single value");
  EXPECT_EQ(only_error(kValid + "mqtt:\n  url: mqtts://b:8883\n  tls:\n    ca_file: x\n" +
                           "    verify_hostname: yes\n",
                       "16:22"),
            "16:22: verify_hostname must be true or false, got 'yes'");
  EXPECT_EQ(only_error(kValid + "log_level: loud\n", "12:12"),
            "12:12: log_level must be one of trace, debug, info, warn, error, got 'loud'");
  only_error(kValid + "mqtt:\n  url: http://x\n", "13:8");
}

TEST(Errors, MissingSections) {
  EXPECT_EQ(only_error(kDevices + kZones, "1:1"),
            "1:1: the routines section is missing; top-level keys: mqtt, state_dir, log_level, "
            "safety, devices, zones, routines, schedules, home_assistant");
  auto e = errors("");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].substr(0, 4), "1:1:");
}

TEST(Errors, DeviceDriverAndRole) {
  auto msg = only_error(
      "devices:\n  pad:\n    driver: tasmoto\n    role: heat\n    topic: a\n" + kZones + kRoutines,
      "3:13");
  EXPECT_EQ(msg,
            "3:13: unknown driver 'tasmoto'; known drivers: tasmota, shelly_rpc, shelly_gen1, "
            "zigbee2mqtt, json_pad");
  EXPECT_EQ(only_error("devices:\n  pad:\n    driver: tasmota\n    role: hot\n    topic: a\n" +
                           kZones + kRoutines,
                       "4:11"),
            "4:11: role must be one of heat, cold, dual, got 'hot'");
  EXPECT_EQ(only_error("devices:\n  pad:\n    driver: tasmota\n    topic: a\n" + kZones + kRoutines,
                       "2:3"),
            "2:3: device 'pad' needs a role: one of heat, cold, dual");
}

TEST(Errors, DriverOptionsAtTheirKey) {
  // Unknown option: at the key, with the family's accepted options.
  EXPECT_EQ(only_error(kDevices + "    colour: red\n" + kZones + kRoutines, "6:5"),
            "6:5: device 'pad' (tasmota): unknown option \"colour\" for tasmota; accepted "
            "options: topic, relay, sensor");
  // Out of range.
  auto msg = only_error(kDevices + "    relay: 9\n" + kZones + kRoutines, "6:5");
  EXPECT_NE(msg.find("relay must be a whole number from 1 to 8"), std::string::npos) << msg;
  // Missing required option: at the device's name.
  msg = only_error("devices:\n  pad:\n    driver: tasmota\n    role: heat\n" + kZones + kRoutines,
                   "2:3");
  EXPECT_NE(msg.find("topic is required"), std::string::npos) << msg;
  // A driver's sensor option inside the sensor block is passed on.
  auto r = parse_config(
      kDevices + "    sensor:\n      sensor: DS18B20\n      max_c: 41\n" + kZones + kRoutines,
      "t.yaml");
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_EQ(r.config->device_drivers[0].options.at("sensor"), "DS18B20");
  // An unknown key in the sensor block names both lists.
  EXPECT_EQ(
      only_error(kDevices +
                     "    sensor:\n      sensor: DS18B20\n      max_c: 41\n      max_C: 41\n" +
                     kZones + kRoutines,
                 "9:7"),
      "9:7: unknown key 'max_C' in device 'pad'.sensor; allowed: max_c, min_c, "
      "telemetry_timeout, heat_up, cool_down; or an option of tasmota: topic relay sensor");
}

TEST(Errors, AutoOffComputedOnce) {
  const std::string z2m =
      "devices:\n  pad:\n    driver: zigbee2mqtt\n    role: heat\n    name: p\n"
      "    on_time: false\n" +
      kZones + kRoutines;
  auto r = parse_config(z2m, "t.yaml");
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_FALSE(r.config->engine.devices[0].auto_off);
  const auto* family = devices::find_family("zigbee2mqtt");
  EXPECT_TRUE(device_auto_off(*family, {{"on_time", "true"}}));
  EXPECT_FALSE(device_auto_off(*family, {{"on_time", "false"}}));
  EXPECT_FALSE(device_auto_off(*devices::find_family("shelly_gen1"), {}));
  EXPECT_TRUE(device_auto_off(*devices::find_family("tasmota"), {}));
}

TEST(Errors, UnknownReferences) {
  // The device is then also unused: both are reported.
  EXPECT_EQ(errors(kDevices + "zones:\n  back:\n    heat: pda\n" + kRoutines),
            (std::vector<std::string>{"2:3: device 'pad' is not used by any zone",
                                      "8:11: zone 'back': unknown device 'pda'; devices: pad"}));
  const std::string sched = kValid +
                            "schedules:\n"            // 12
                            "  - zone: front\n"       // 13
                            "    routine: morning\n"  // 14
                            "    at: \"07:30\"\n";    // 15
  auto e = errors(sched);
  ASSERT_EQ(e.size(), 2u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0], "13:11: unknown zone 'front'; zones: back");
  EXPECT_EQ(e[1], "14:14: unknown routine 'morning'; routines: evening");
}

TEST(Errors, PhasesOutOfRangeViaValidate) {
  EXPECT_EQ(only_error(kDevices + kZones + "routines:\n  evening:\n    - heat: 25m\n", "11:13"),
            "11:13: routine 'evening' phase 1: heat phase of 25 min is outside the allowed 15 min "
            "to 20 min");
  // A phase that is not heat/cold/rest.
  auto msg = only_error(kDevices + kZones + "routines:\n  evening:\n    - warm: 20m\n", "11:7");
  EXPECT_NE(msg.find("allowed: heat, cold, rest"), std::string::npos) << msg;
  // Heat straight after cold without rest: reported on the routine.
  msg = only_error("devices:\n  pad:\n    driver: json_pad\n    role: dual\n    id: p\n" +
                       std::string("zones:\n  back:\n    heat: pad\n    cold: pad\n") +
                       "routines:\n  evening:\n    - heat: 20m\n    - cold: 10m\n",
                   "11:3");
  EXPECT_NE(msg.find("routine 'evening' phases: "), std::string::npos) << msg;
}

TEST(Errors, EngineRangesAtTheirValue) {
  EXPECT_EQ(only_error(kDevices + "zones:\n  back:\n    heat: pad\n    min_rest: 5m\n" + kRoutines,
                       "9:15"),
            "9:15: zone 'back' min_rest: must be between 20 min and 24 h, got 5 min");
  // Two problems with one lease, each at its own place (lease_rearm is not written: the
  // safety section).
  auto e = errors(kValid + "safety:\n  lease: 5s\n");
  ASSERT_EQ(e.size(), 2u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0].substr(0, 26), "12:1: safety.lease_rearm: ");
  EXPECT_EQ(e[1], "13:10: safety.lease: must be between 10 s and 10 min, got 5 s");
  auto msg = only_error(
      kDevices + "    sensor:\n      sensor: DS18B20\n      max_c: 50\n" + kZones + kRoutines,
      "8:14");
  EXPECT_NE(msg.find("device 'pad' sensor.max_c: "), std::string::npos) << msg;
  // A heat device's sensor without max_c: at the sensor key.
  msg = only_error(kDevices + "    sensor:\n      sensor: DS18B20\n      telemetry_timeout: 1m\n" +
                       kZones + kRoutines,
                   "6:5");
  EXPECT_NE(msg.find("needs max_c"), std::string::npos) << msg;
}

TEST(Errors, Schedules) {
  auto sched = [](const std::string& body) {
    return kValid + "schedules:\n  - zone: back\n    routine: evening\n" + body;
  };
  EXPECT_EQ(only_error(sched("    at: \"24:00\"\n"), "15:9"),
            "15:9: at must be a local time HH:MM from 00:00 to 23:59, got '24:00'");
  EXPECT_EQ(only_error(sched("    at: \"07:30\"\n    days: [mon, mon]\n"), "16:17"),
            "16:17: day 'mon' is listed twice");
  auto msg = only_error(sched("    at: \"07:30\"\n    days: [mon, fry]\n"), "16:17");
  EXPECT_NE(msg.find("mon, tue, wed, thu, fri, sat, sun"), std::string::npos) << msg;
  EXPECT_EQ(only_error(sched(""), "13:5"), "13:5: a schedule needs a time: at: \"07:30\"");
  only_error(sched("    at: \"07:30\"\n    grace: 30s\n"), "16:12");
  auto r = parse_config(sched("    at: \"7:05\"\n    days: weekends\n    grace: 1h\n"), "t");
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_EQ(r.config->schedules[0].hour, 7);
  EXPECT_EQ(r.config->schedules[0].minute, 5);
  EXPECT_EQ(r.config->schedules[0].grace, 60min);
  EXPECT_TRUE(r.config->schedules[0].days[6]);
  EXPECT_FALSE(r.config->schedules[0].days[0]);
}

TEST(Errors, ScheduleRoutineTheZoneCannotRun) {
  const std::string yaml = kDevices + kZones +
                           "routines:\n  evening:\n    - cold: 10m\n"  // 9-11
                           "schedules:\n"                              // 12
                           "  - zone: back\n"                          // 13
                           "    routine: evening\n"                    // 14
                           "    at: \"07:30\"\n";                      // 15
  EXPECT_EQ(only_error(yaml, "14:14"),
            "14:14: routine 'evening' has a cold phase but zone 'back' has no cold device");
}

TEST(Errors, SeveralAtOnceInFileOrder) {
  const std::string yaml =
      "devices:\n"             // 1
      "  pad:\n"               // 2
      "    driver: tasmota\n"  // 3
      "    role: warm\n"       // 4
      "    topic: pad_plug\n"  // 5
      "zones:\n"               // 6
      "  back:\n"              // 7
      "    heat: pda\n"        // 8
      "    daily_cap: 2\n"     // 9
      "routines:\n"            // 10
      "  evening:\n"           // 11
      "    - heat: 30m\n"      // 12
      "log_level: chatty\n"    // 13
      "safety:\n"              // 14
      "  lease: 1h30\n";       // 15
  auto e = errors(yaml);
  std::vector<std::string> positions;
  for (const auto& m : e)
    positions.push_back(m.substr(0, m.find(": ")));
  EXPECT_EQ(positions,
            (std::vector<std::string>{"2:3", "4:11", "8:11", "9:16", "12:13", "13:12", "15:10"}))
      << ::testing::PrintToString(e);
}

TEST(Errors, BooleansOnlyTrueFalse) {
  for (const char* word : {"yes", "on", "True", "1"}) {
    only_error(kValid + "mqtt:\n  url: mqtts://b:8883\n  tls:\n    ca_file: x\n" +
                   "    verify_hostname: " + word + "\n",
               "16:22");
  }
}

TEST(Duration, Accepts) {
  std::string why;
  EXPECT_EQ(parse_duration("20m", why), 20min);
  EXPECT_EQ(parse_duration("90s", why), 90s);
  EXPECT_EQ(parse_duration("1h30m", why), 90min);
  EXPECT_EQ(parse_duration("500ms", why), 500ms);
  EXPECT_EQ(parse_duration("1h5m30s250ms", why), 1h + 5min + 30s + 250ms);
  EXPECT_EQ(parse_duration("0s", why), 0ms);
  EXPECT_EQ(parse_duration("168h", why), 168h);
}

TEST(Duration, Refuses) {
  for (const char* bad : {"", "20", "m", "20 m", "1.5h", "-5m", "20min", "30m1h", "1m1m", "5d",
                          "1h 30m", "169h", "9999999999s", "20M"}) {
    std::string why;
    EXPECT_FALSE(parse_duration(bad, why).has_value()) << bad;
    EXPECT_NE(why.find("expected a duration like 20m, 90s, 1h30m or 500ms"), std::string::npos)
        << bad << ": " << why;
  }
  std::string why;
  parse_duration("20", why);
  EXPECT_EQ(why,
            "a bare number has no unit: expected a duration like 20m, 90s, 1h30m or 500ms (units "
            "h, m, s, ms), got '20'");
  parse_duration("30m1h", why);
  EXPECT_NE(why.find("largest to smallest"), std::string::npos) << why;
}

TEST(Duration, InConfigWithPosition) {
  EXPECT_EQ(only_error(kDevices + "zones:\n  back:\n    heat: pad\n    min_rest: 60\n" + kRoutines,
                       "9:15"),
            "9:15: min_rest: a bare number has no unit: expected a duration like 20m, 90s, 1h30m "
            "or 500ms (units h, m, s, ms), got '60'");
}

// Damaged copies of the full example never crash, and always either load or say why.
TEST(Robustness, DamagedExamples) {
  std::ifstream in(PADTIMER_CONFIG_DIR "/padtimer.full.yaml");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string full = buffer.str();
  ASSERT_FALSE(full.empty());
  std::mt19937 random(4);
  const std::string junk = " :-[]{}#\"'\n\t&*!|>%@`,?0m";
  for (int round = 0; round < 2000; ++round) {
    std::string text = full;
    int edits = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < edits && !text.empty(); ++i) {
      std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0: text.erase(at, 1 + random() % 8); break;
        case 1: text.insert(at, 1, junk[random() % junk.size()]); break;
        default: text[at] = junk[random() % junk.size()]; break;
      }
    }
    auto r = parse_config(text, "damaged.yaml");
    ASSERT_EQ(r.config.has_value(), r.errors.empty()) << text;
    for (const auto& e : r.errors) {
      ASSERT_GE(e.line, 1);
      ASSERT_GE(e.column, 1);
      ASSERT_FALSE(e.message.empty());
    }
  }
}

TEST(Drivers, MakeDriversInOrder) {
  auto r = parse_config(kValid, "t.yaml");
  ASSERT_TRUE(r.config) << all(r);
  auto drivers = make_drivers(*r.config, "me");
  ASSERT_EQ(drivers.size(), 1u);
  EXPECT_EQ(drivers[0]->device().id, "pad");
  EXPECT_TRUE(drivers[0]->device().auto_off);
}

TEST(Errors, EmptySections) {
  EXPECT_EQ(errors("devices:\n" + kZones + kRoutines),
            (std::vector<std::string>{"1:1: devices: at least one is needed",
                                      "4:11: zone 'back': unknown device 'pad'; devices: none"}));
  EXPECT_EQ(errors(kDevices + "zones: {}\n" + kRoutines),
            (std::vector<std::string>{"2:3: device 'pad' is not used by any zone",
                                      "6:1: zones: at least one is needed"}));
  EXPECT_EQ(only_error(kDevices + kZones + "routines:\n  evening: []\n", "10:3"),
            "10:3: routine 'evening' phases: a routine needs at least one heat or cold phase");
}

TEST(Errors, BadRoleDoesNotCascade) {
  // The zone check would otherwise see the default role.
  const std::string yaml =
      "devices:\n  pad:\n    driver: tasmota\n    role: col\n    topic: a\n"
      "zones:\n  back:\n    cold: pad\n" +
      kRoutines;
  EXPECT_EQ(only_error(yaml, "4:11"), "4:11: role must be one of heat, cold, dual, got 'col'");
}

TEST(Errors, RoleMismatchAtTheZoneValue) {
  const std::string yaml = kDevices + "zones:\n  back:\n    cold: pad\n" + kRoutines;
  auto msg = only_error(yaml, "8:11");
  EXPECT_NE(msg.find("zone 'back' cold: device 'pad' has role heat"), std::string::npos) << msg;
}

TEST(Errors, TlsMatchesTheUrl) {
  EXPECT_EQ(only_error(kValid + "mqtt:\n  url: mqtts://b:8883\n", "13:8"),
            "13:8: an mqtts:// or ssl:// url needs a tls section with ca_file");
  EXPECT_EQ(only_error(kValid + "mqtt:\n  tls:\n    ca_file: x\n", "13:3"),
            "13:3: tls is set but the url is not mqtts:// or ssl://: use mqtts://");
  auto msg = only_error(
      kValid + "mqtt:\n  url: mqtts://b:8883\n  tls:\n    cert_file: c\n" + "    ca_file: x\n",
      "14:3");
  EXPECT_NE(msg.find("cert_file and key_file go together"), std::string::npos) << msg;
}

TEST(Errors, MqttTexts) {
  EXPECT_EQ(only_error(kValid + "mqtt:\n  base_topic: home/#\n", "13:15"),
            "13:15: base_topic must not contain MQTT wildcards + or #, got 'home/#'");
  EXPECT_EQ(only_error(kValid + "mqtt:\n  base_topic: /padtimer\n", "13:15"),
            "13:15: base_topic must not start or end with '/', got '/padtimer'");
  auto r = parse_config(kValid +
                            "mqtt:\n  url: tcp://10.0.0.2:1884\n  client_id: pt\n"
                            "  username: u\n  password: p\n  base_topic: home/pads\n"
                            "state_dir: /tmp/pt\nlog_level: debug\n",
                        "t.yaml");
  ASSERT_TRUE(r.config) << all(r);
  EXPECT_EQ(r.config->mqtt.url, "tcp://10.0.0.2:1884");
  EXPECT_EQ(r.config->mqtt.client_id, "pt");
  EXPECT_EQ(r.config->mqtt.username, "u");
  EXPECT_EQ(r.config->mqtt.password, "p");
  EXPECT_FALSE(r.config->mqtt.tls);
  EXPECT_EQ(r.config->base_topic, "home/pads");
  EXPECT_EQ(r.config->state_dir, "/tmp/pt");
  EXPECT_EQ(r.config->log_level, "debug");
}

TEST(Errors, MqttProtocol) {
  using Protocol = mqtt::Settings::Protocol;
  auto protocol = [](const std::string& extra) {
    auto r = parse_config(kValid + extra, "t.yaml");
    EXPECT_TRUE(r.config) << all(r);
    return r.config ? r.config->mqtt.protocol : Protocol{};
  };
  EXPECT_EQ(protocol(""), Protocol::mqtt5);  // the default
  EXPECT_EQ(protocol("mqtt:\n  protocol: \"5\"\n"), Protocol::mqtt5);
  EXPECT_EQ(protocol("mqtt:\n  protocol: 5\n"), Protocol::mqtt5);
  EXPECT_EQ(protocol("mqtt:\n  protocol: \"3.1.1\"\n"), Protocol::mqtt311);
  EXPECT_EQ(protocol("mqtt:\n  protocol: 3.1.1\n"), Protocol::mqtt311);
  EXPECT_EQ(only_error(kValid + "mqtt:\n  protocol: 3.1\n", "13:13"),
            "13:13: protocol must be one of 5, 3.1.1, got '3.1'");
  EXPECT_EQ(only_error(kValid + "mqtt:\n  url: mqtt://b:1883\n  protocol: v5\n", "14:13"),
            "14:13: protocol must be one of 5, 3.1.1, got 'v5'");
}

TEST(Errors, HomeAssistant) {
  auto ha = [](const std::string& extra) {
    auto r = parse_config(kValid + extra, "t.yaml");
    EXPECT_TRUE(r.config) << all(r);
    return r.config ? r.config->home_assistant : DaemonConfig::HomeAssistant{};
  };
  // On by default, under Home Assistant's own default prefix.
  EXPECT_TRUE(ha("").enabled());
  EXPECT_EQ(ha("").discovery_prefix, "homeassistant");
  EXPECT_FALSE(ha("home_assistant:\n  discovery: false\n").enabled());
  EXPECT_FALSE(ha("home_assistant:\n  discovery_prefix: \"\"\n").enabled());
  auto custom = ha("home_assistant:\n  discovery: true\n  discovery_prefix: hass/disc\n");
  EXPECT_TRUE(custom.enabled());
  EXPECT_EQ(custom.discovery_prefix, "hass/disc");
  EXPECT_EQ(only_error(kValid + "home_assistant:\n  discovery_prefix: ha/#\n", "13:21"),
            "13:21: discovery_prefix must not contain MQTT wildcards + or #, got 'ha/#'");
  EXPECT_EQ(only_error(kValid + "home_assistant:\n  discovery: yes\n", "13:14"),
            "13:14: discovery must be true or false, got 'yes'");
  auto unknown = errors(kValid + "home_assistant:\n  prefix: ha\n");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_NE(unknown[0].find("13:3: unknown key 'prefix' in home_assistant; allowed: discovery, "
                            "discovery_prefix"),
            std::string::npos)
      << unknown[0];
}

TEST(Errors, EmptyValueAtItsKey) {
  EXPECT_EQ(only_error(kValid + "mqtt:\n  url:\n  client_id: x\n", "13:3"),
            "13:3: url must be a broker URL like mqtt://host:1883, got nothing");
  EXPECT_EQ(only_error(kValid + "state_dir:\nlog_level: info\n", "12:1"),
            "12:1: state_dir must be a directory path, got nothing");
}

TEST(Errors, NotAMapAtAll) {
  auto e = errors("just text\n");
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e[0], "1:1: the top level must be a map of keys, got a single value");
}

}  // namespace
}  // namespace padtimer::config
