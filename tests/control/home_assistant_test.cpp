// Home Assistant discovery documents, checked field by field against Home Assistant's
// documented MQTT discovery schema (https://www.home-assistant.io/integrations/mqtt/ and the
// button, sensor and binary_sensor MQTT platform pages), written down below as tables; and
// against padtimer itself: every button's topic and payload decodes to the request it is
// named for, and every template reads fields the zone's state document has.
#include "control/home_assistant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace padtimer::control {
namespace {

using namespace std::chrono_literals;

// ---- Home Assistant's schema, as documented ---------------------------------------------

// Device-based discovery: the root may hold these (full names or their abbreviations);
// dev, o and cmps are required.
const std::set<std::string> kRootKeys = {"dev",
                                         "device",
                                         "o",
                                         "origin",
                                         "cmps",
                                         "components",
                                         "availability",
                                         "avty",
                                         "availability_topic",
                                         "avty_t",
                                         "availability_mode",
                                         "avty_mode",
                                         "availability_template",
                                         "avty_tpl",
                                         "payload_available",
                                         "pl_avail",
                                         "payload_not_available",
                                         "pl_not_avail",
                                         "state_topic",
                                         "stat_t",
                                         "command_topic",
                                         "cmd_t",
                                         "qos",
                                         "encoding",
                                         "e",
                                         "~"};
const std::set<std::string> kDeviceKeys = {"ids",
                                           "identifiers",
                                           "cns",
                                           "connections",
                                           "name",
                                           "mf",
                                           "manufacturer",
                                           "mdl",
                                           "model",
                                           "mdl_id",
                                           "model_id",
                                           "sw",
                                           "sw_version",
                                           "hw",
                                           "hw_version",
                                           "sn",
                                           "serial_number",
                                           "sa",
                                           "suggested_area",
                                           "cu",
                                           "configuration_url",
                                           "via_device"};
const std::set<std::string> kOriginKeys = {"name", "sw", "sw_version", "url", "support_url"};

// Options every entity platform shares.
const std::set<std::string> kEntityKeys = {"p",
                                           "platform",
                                           "unique_id",
                                           "name",
                                           "icon",
                                           "object_id",
                                           "enabled_by_default",
                                           "entity_category",
                                           "entity_picture",
                                           "json_attributes_topic",
                                           "json_attributes_template",
                                           "availability_topic",
                                           "availability_mode",
                                           "availability_template",
                                           "payload_available",
                                           "payload_not_available",
                                           "qos",
                                           "encoding"};

struct Platform {
  std::set<std::string> keys;      // besides kEntityKeys
  std::set<std::string> required;  // besides p and unique_id
  std::set<std::string> device_classes;
};

const std::map<std::string, Platform> kPlatforms = {
    {"button",
     {{"command_topic", "command_template", "payload_press", "retain", "device_class"},
      {"command_topic"},
      {"identify", "restart", "update"}}},
    {"sensor",
     {{"state_topic", "value_template", "device_class", "unit_of_measurement", "state_class",
       "options", "suggested_display_precision", "expire_after", "force_update",
       "last_reset_value_template"},
      {"state_topic"},
      {"apparent_power",
       "aqi",
       "battery",
       "carbon_dioxide",
       "current",
       "date",
       "duration",
       "energy",
       "enum",
       "frequency",
       "humidity",
       "illuminance",
       "monetary",
       "power",
       "power_factor",
       "pressure",
       "signal_strength",
       "temperature",
       "timestamp",
       "voltage"}}},
    {"binary_sensor",
     {{"state_topic", "value_template", "device_class", "payload_on", "payload_off", "off_delay",
       "expire_after", "force_update"},
      {"state_topic"},
      {"battery", "cold", "connectivity", "heat", "lock", "motion", "occupancy", "power", "problem",
       "running", "safety", "tamper", "update"}}},
};

const std::set<std::string> kStateClasses = {"measurement", "total", "total_increasing"};
// Units Home Assistant accepts for a sensor's device class.
const std::map<std::string, std::set<std::string>> kUnits = {
    {"duration", {"d", "h", "min", "s", "ms"}},
    {"temperature", {"°C", "°F", "K"}},
};
// Device classes whose sensors must have neither a unit nor a state class.
const std::set<std::string> kNoUnitClasses = {"enum", "timestamp", "date"};

// [a-zA-Z0-9_-]: the characters of a discovery topic's object id and of a component id.
bool is_object_id(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

bool is_publish_topic(const std::string& t) {
  return !t.empty() && t.find_first_of("+#") == std::string::npos && t.front() != '/' &&
         t.back() != '/';
}

std::string text(const json::Value& v, std::string_view key) {
  const json::Value* m = v.find(key);
  return m && m->as_string() ? *m->as_string() : std::string();
}

std::set<std::string> keys_of(const json::Value& v) {
  std::set<std::string> out;
  if (const auto* o = v.as_object())
    for (const auto& [k, _] : *o)
      out.insert(k);
  return out;
}

// Every problem with one discovery document, in words; empty when it follows the schema.
std::vector<std::string> schema_problems(const json::Value& doc) {
  std::vector<std::string> problems;
  auto problem = [&](std::string p) { problems.push_back(std::move(p)); };
  for (const auto& k : keys_of(doc))
    if (!kRootKeys.contains(k)) problem("unknown root key " + k);
  for (const char* k : {"dev", "o", "cmps"})
    if (!doc.find(k) || !doc.find(k)->is_object()) problem(std::string("missing object ") + k);
  if (problems.size()) return problems;

  const json::Value& dev = *doc.find("dev");
  for (const auto& k : keys_of(dev))
    if (!kDeviceKeys.contains(k)) problem("unknown device key " + k);
  const json::Value* ids = dev.find("ids");
  if (!ids || !ids->as_array() || ids->as_array()->empty()) problem("device without ids");
  const json::Value& origin = *doc.find("o");
  for (const auto& k : keys_of(origin))
    if (!kOriginKeys.contains(k)) problem("unknown origin key " + k);
  if (text(origin, "name").empty()) problem("origin without a name");
  if (const json::Value* qos = doc.find("qos"); qos && !(qos->as_int() && *qos->as_int() <= 2))
    problem("qos must be 0, 1 or 2");

  for (const auto& [key, c] : *doc.find("cmps")->as_object()) {
    const std::string& id = key;  // clang 14 lambdas cannot capture structured bindings
    auto bad = [&](const std::string& what) { problem(id + ": " + what); };
    if (!is_object_id(id)) bad("component id is not [a-zA-Z0-9_-]");
    auto platform = kPlatforms.find(text(c, "p"));
    if (platform == kPlatforms.end()) {
      bad("unknown platform " + text(c, "p"));
      continue;
    }
    const Platform& schema = platform->second;
    if (text(c, "unique_id").empty()) bad("no unique_id");
    for (const auto& k : keys_of(c))
      if (!kEntityKeys.contains(k) && !schema.keys.contains(k)) bad("unknown key " + k);
    for (const auto& k : schema.required)
      if (text(c, k).empty()) bad("missing " + k);
    for (const auto& k : keys_of(c)) {
      if (k.ends_with("_topic") && !is_publish_topic(text(c, k))) bad(k + " is not a topic");
    }
    std::string device_class = text(c, "device_class");
    if (c.find("device_class") && !schema.device_classes.contains(device_class))
      bad("device_class " + device_class + " is not one of the platform's");
    std::string unit = text(c, "unit_of_measurement");
    if (auto units = kUnits.find(device_class); units != kUnits.end() && !unit.empty())
      if (!units->second.contains(unit)) bad("unit " + unit + " is not one for " + device_class);
    if (kNoUnitClasses.contains(device_class) &&
        (c.find("unit_of_measurement") || c.find("state_class")))
      bad(device_class + " sensor with a unit or state class");
    if (c.find("state_class") && !kStateClasses.contains(text(c, "state_class")))
      bad("unknown state_class " + text(c, "state_class"));
    const json::Value* options = c.find("options");
    bool listed = options && options->as_array() && !options->as_array()->empty();
    if ((device_class == "enum") != listed || (options && !listed))
      bad("options go with device_class enum, and only with it");
    if (const json::Value* p = c.find("suggested_display_precision"); p && !p->as_int())
      bad("suggested_display_precision must be an integer");
  }
  return problems;
}

// ---- The zones under test ----------------------------------------------------------------

core::EngineConfig engine_config() {
  core::EngineConfig c;
  core::SensorSpec heat_sensor;
  heat_sensor.max_c = 45;
  core::SensorSpec dual_sensor;
  dual_sensor.max_c = 45;
  dual_sensor.min_c = 5;
  c.devices = {{"bed_pad", core::DeviceRole::heat, true, heat_sensor},
               {"bed_cold", core::DeviceRole::cold, true, std::nullopt},
               {"sofa_pad", core::DeviceRole::dual, true, dual_sensor},
               {"neck_pad", core::DeviceRole::heat, true, std::nullopt}};
  c.zones = {{"bed", "bed_pad", "bed_cold", 60min, 2h},
             {"sofa", "sofa_pad", "sofa_pad", 60min, 2h},
             {"neck", "neck_pad", "", 60min, 2h}};
  using core::PhaseKind;
  c.routines = {
      {"evening", {{PhaseKind::heat, 20min}, {PhaseKind::rest, 5min}, {PhaseKind::cold, 10min}}},
      {"heat_only", {{PhaseKind::heat, 15min}}},
      {"cold_only", {{PhaseKind::cold, 10min}}}};
  return c;
}

// The zone's state document as padtimerd publishes it, with every device reporting.
json::Value state_document(const core::EngineConfig& config, const core::ZoneSpec& zone) {
  core::ZoneSnapshot s;
  s.zone = zone.id;
  for (const auto& d : config.devices) {
    if (d.id != zone.heat_device && d.id != zone.cold_device) continue;
    core::DeviceSnapshot ds;
    ds.id = d.id;
    ds.role = d.role;
    if (d.sensor) ds.temperature_c = 30.5;
    s.devices.push_back(ds);
  }
  return state_json(s, core::WallTime{} + 1000h);
}

class HomeAssistantTest : public ::testing::Test {
 protected:
  core::EngineConfig config = engine_config();
  HomeAssistantDiscovery discovery{"homeassistant", "padtimer", "1.2.3"};

  json::Value document(std::string_view zone) {
    for (const auto& z : config.zones)
      if (z.id == zone) return discovery.device_config(config, z);
    ADD_FAILURE() << "no zone " << zone;
    return {};
  }

  const json::Value& component(const json::Value& doc, std::string_view id) {
    static const json::Value none;
    const json::Value* c = doc.find("cmps")->find(id);
    EXPECT_TRUE(c) << "no component " << id << " in " << doc.dump();
    return c ? *c : none;
  }
};

// ---- The documents follow the schema -----------------------------------------------------

TEST_F(HomeAssistantTest, EveryZoneDocumentFollowsTheSchema) {
  for (const auto& z : config.zones) {
    json::Value doc = document(z.id);
    EXPECT_EQ(schema_problems(doc), std::vector<std::string>{}) << doc.dump();
  }
}

TEST_F(HomeAssistantTest, TheSchemaCheckCatchesMistakes) {
  // The checker must fail documents Home Assistant would reject, or the test above proves
  // nothing: one mistake of each kind.
  json::Value doc = document("bed");
  auto broken = [&](auto change) {
    json::Value d = doc;
    change(d);
    return !schema_problems(d).empty();
  };
  auto in_component = [](std::string id, std::string key, json::Value v) {
    return [=](json::Value& d) {
      json::Value cmps = *d.find("cmps");
      json::Value c = *cmps.find(id);
      c.set(key, v);
      cmps.set(id, c);
      d.set("cmps", cmps);
    };
  };
  EXPECT_TRUE(broken([](json::Value& d) { d.set("origin_name", "x"); }));
  EXPECT_TRUE(broken([](json::Value& d) { d.set("o", json::Value::object({{"sw", "1"}})); }));
  EXPECT_TRUE(broken([](json::Value& d) { d.set("dev", json::Value::object({{"name", "x"}})); }));
  EXPECT_TRUE(broken(in_component("remaining", "unit_of_measurement", "minutes")));
  EXPECT_TRUE(broken(in_component("phase", "state_class", "measurement")));
  EXPECT_TRUE(broken(in_component("phase", "options", nullptr)));
  EXPECT_TRUE(broken(in_component("fault", "device_class", "fault")));
  EXPECT_TRUE(broken(in_component("stop", "p", "switch")));
  EXPECT_TRUE(broken(in_component("stop", "unique_id", "")));
  EXPECT_TRUE(broken(in_component("stop", "command_topic", "padtimer/+/stop")));
  EXPECT_TRUE(broken(in_component("stop", "state_topic", "padtimer/bed/state")));
  EXPECT_TRUE(broken(in_component("temperature_bed_pad", "unit_of_measurement", "C")));
  EXPECT_FALSE(broken([](json::Value&) {}));
}

TEST_F(HomeAssistantTest, DeviceOriginAndAvailability) {
  json::Value doc = document("bed");
  EXPECT_EQ(doc.find("dev")->dump(),
            R"({"ids":["padtimer_bed"],"name":"padtimer bed","mf":"padtimer",)"
            R"("mdl":"Heat/cold therapy zone","sw":"1.2.3"})");
  EXPECT_EQ(text(*doc.find("o"), "name"), "padtimer");
  EXPECT_EQ(text(*doc.find("o"), "sw"), "1.2.3");
  // Tied to padtimerd's own status topic and the payloads its birth and will carry.
  EXPECT_EQ(text(doc, "availability_topic"), "padtimer/status");
  EXPECT_EQ(text(doc, "payload_available"), "online");
  EXPECT_EQ(text(doc, "payload_not_available"), "offline");
  EXPECT_EQ(doc.find("qos")->as_int(), 1);
  EXPECT_EQ(discovery.config_topic("bed"), "homeassistant/device/padtimer_bed/config");
}

TEST_F(HomeAssistantTest, ComponentsPerZone) {
  // A start button per routine the zone can run (no cold routine without a cold device),
  // four control buttons, five zone sensors and a temperature per device with a sensor.
  EXPECT_EQ(
      keys_of(*document("bed").find("cmps")),
      (std::set<std::string>{"start_evening", "start_heat_only", "start_cold_only", "stop", "pause",
                             "resume", "reset", "phase", "remaining", "exposure_today",
                             "next_start", "fault", "temperature_bed_pad"}));
  // A dual pad is one device: one temperature.
  EXPECT_EQ(
      keys_of(*document("sofa").find("cmps")),
      (std::set<std::string>{"start_evening", "start_heat_only", "start_cold_only", "stop", "pause",
                             "resume", "reset", "phase", "remaining", "exposure_today",
                             "next_start", "fault", "temperature_sofa_pad"}));
  EXPECT_EQ(keys_of(*document("neck").find("cmps")),
            (std::set<std::string>{"start_heat_only", "stop", "pause", "resume", "reset", "phase",
                                   "remaining", "exposure_today", "next_start", "fault"}));
}

TEST_F(HomeAssistantTest, UniqueIdsAreUniqueAcrossZones) {
  std::set<std::string> seen;
  for (const auto& z : config.zones) {
    const json::Value doc = document(z.id);
    for (const auto& [id, c] : *doc.find("cmps")->as_object()) {
      std::string uid = text(c, "unique_id");
      EXPECT_TRUE(seen.insert(uid).second) << uid;
      EXPECT_EQ(uid, "padtimer_" + z.id + "_" + id);
    }
  }
}

TEST_F(HomeAssistantTest, SensorsFieldByField) {
  json::Value doc = document("bed");
  const json::Value& phase = component(doc, "phase");
  EXPECT_EQ(text(phase, "p"), "sensor");
  EXPECT_EQ(text(phase, "state_topic"), "padtimer/bed/state");
  EXPECT_EQ(text(phase, "device_class"), "enum");
  EXPECT_EQ(phase.find("options")->dump(), R"(["idle","heat","cold","rest","paused","fault"])");

  const json::Value& remaining = component(doc, "remaining");
  EXPECT_EQ(text(remaining, "device_class"), "duration");
  EXPECT_EQ(text(remaining, "unit_of_measurement"), "min");
  EXPECT_EQ(text(remaining, "state_class"), "measurement");

  const json::Value& exposure = component(doc, "exposure_today");
  EXPECT_EQ(text(exposure, "device_class"), "duration");
  EXPECT_EQ(text(exposure, "unit_of_measurement"), "min");
  // It falls back to 0 at midnight: total_increasing takes that as a reset.
  EXPECT_EQ(text(exposure, "state_class"), "total_increasing");

  const json::Value& temperature = component(doc, "temperature_bed_pad");
  EXPECT_EQ(text(temperature, "device_class"), "temperature");
  EXPECT_EQ(text(temperature, "unit_of_measurement"), "°C");

  const json::Value& fault = component(doc, "fault");
  EXPECT_EQ(text(fault, "p"), "binary_sensor");
  EXPECT_EQ(text(fault, "device_class"), "problem");
  EXPECT_EQ(fault.find("payload_on"), nullptr);  // Home Assistant's default ON/OFF
  EXPECT_EQ(text(fault, "value_template"), "{{ 'ON' if value_json.fault else 'OFF' }}");

  EXPECT_EQ(text(component(doc, "next_start"), "device_class"), "timestamp");
}

TEST_F(HomeAssistantTest, EveryTemplateReadsFieldsOfTheStateDocument) {
  // value_json.<field> and, inside the devices loop, d.<field> and d.id == '<device>'.
  const std::regex zone_field(R"(value_json\.([a-z_]+))");
  const std::regex device_field(R"(\bd\.([a-z_]+))");
  const std::regex device_id(R"(d\.id == '([A-Za-z0-9_-]+)')");
  for (const auto& z : config.zones) {
    json::Value state = state_document(config, z);
    const json::Array& devices = *state.find("devices")->as_array();
    int templates = 0;
    const json::Value doc = document(z.id);
    for (const auto& [id, c] : *doc.find("cmps")->as_object()) {
      for (const char* key : {"value_template", "json_attributes_template"}) {
        std::string t = text(c, key);
        if (t.empty()) continue;
        ++templates;
        for (std::sregex_iterator m(t.begin(), t.end(), zone_field), end; m != end; ++m)
          EXPECT_TRUE(state.find((*m)[1].str())) << z.id << " " << id << ": " << t;
        for (std::sregex_iterator m(t.begin(), t.end(), device_field), end; m != end; ++m)
          for (const auto& d : devices)
            EXPECT_TRUE(d.find((*m)[1].str())) << z.id << " " << id << ": " << t;
        for (std::sregex_iterator m(t.begin(), t.end(), device_id), end; m != end; ++m) {
          EXPECT_TRUE(std::any_of(devices.begin(), devices.end(),
                                  [&](const json::Value& d) { return text(d, "id") == (*m)[1]; }))
              << z.id << " " << id << ": " << t;
        }
      }
    }
    EXPECT_GE(templates, 6) << z.id;
  }
}

TEST_F(HomeAssistantTest, EveryButtonPressIsTheRequestItIsNamedFor) {
  // What Home Assistant publishes on a press goes through the control API's decoder.
  ControlCodec codec{"padtimer", {"bed", "sofa", "neck"}};
  const std::map<std::string, core::Action> actions = {{"stop", core::Action::stop},
                                                       {"pause", core::Action::pause},
                                                       {"resume", core::Action::resume},
                                                       {"reset", core::Action::reset}};
  for (const auto& z : config.zones) {
    int buttons = 0;
    const json::Value doc = document(z.id);
    for (const auto& [id, c] : *doc.find("cmps")->as_object()) {
      if (text(c, "p") != "button") continue;
      ++buttons;
      // Without payload_press Home Assistant sends "PRESS".
      std::string payload = c.find("payload_press") ? text(c, "payload_press") : "PRESS";
      Decoded d = codec.decode(text(c, "command_topic"), payload);
      ASSERT_TRUE(d.request()) << id << " " << text(c, "command_topic");
      EXPECT_EQ(d.request()->zone, z.id);
      if (id.starts_with("start_")) {
        EXPECT_EQ(d.request()->action, core::Action::start) << id;
        EXPECT_EQ(d.request()->routine, id.substr(6));
      } else {
        ASSERT_TRUE(actions.contains(id)) << id;
        EXPECT_EQ(d.request()->action, actions.at(id)) << id;
      }
    }
    EXPECT_GE(buttons, 5) << z.id;
  }
}

// ---- Publishing and removing -------------------------------------------------------------

TEST_F(HomeAssistantTest, PublishesEveryZoneRetainedAndRecordsIt) {
  DiscoveryPlan plan = discovery.publish(config, {});
  ASSERT_EQ(plan.messages.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const Outgoing& m = plan.messages[i];
    EXPECT_EQ(m.topic, discovery.config_topic(config.zones[i].id));
    EXPECT_TRUE(m.retained);
    EXPECT_EQ(m.qos, 1);
    EXPECT_EQ(m.payload, discovery.device_config(config, config.zones[i]).dump());
  }
  EXPECT_EQ(plan.published.size(), 3u);
  EXPECT_EQ(plan.published.at("homeassistant/device/padtimer_neck/config").at("phase"), "sensor");
  EXPECT_EQ(plan.published.at("homeassistant/device/padtimer_neck/config").at("stop"), "button");
  // The same again, as after Home Assistant restarts: nothing to remove.
  DiscoveryPlan again = discovery.publish(config, plan.published);
  EXPECT_EQ(again.messages, plan.messages);
  EXPECT_EQ(again.published, plan.published);
}

TEST_F(HomeAssistantTest, AZoneGoneFromTheConfigIsRemovedWithAnEmptyRetainedPayload) {
  DiscoveryPublished before = discovery.publish(config, {}).published;
  config.zones.pop_back();  // neck
  DiscoveryPlan plan = discovery.publish(config, before);
  ASSERT_EQ(plan.messages.size(), 3u);
  EXPECT_EQ(plan.messages.back(),
            (Outgoing{"homeassistant/device/padtimer_neck/config", "", 1, true}));
  EXPECT_FALSE(plan.published.contains("homeassistant/device/padtimer_neck/config"));
  EXPECT_EQ(plan.published.size(), 2u);
}

TEST_F(HomeAssistantTest, AComponentGoneFromAZoneIsSentOnceWithOnlyItsPlatform) {
  DiscoveryPublished before = discovery.publish(config, {}).published;
  config.routines.pop_back();        // cold_only: a start button fewer
  config.devices[0].sensor.reset();  // bed_pad: no temperature any more
  DiscoveryPlan plan = discovery.publish(config, before);
  auto doc = json::parse(plan.messages[0].payload);
  ASSERT_TRUE(doc.value);
  const json::Value& cmps = *doc.value->find("cmps");
  EXPECT_EQ(cmps.find("start_cold_only")->dump(), R"({"p":"button"})");
  EXPECT_EQ(cmps.find("temperature_bed_pad")->dump(), R"({"p":"sensor"})");
  EXPECT_FALSE(plan.published.at(plan.messages[0].topic).contains("start_cold_only"));
  // Once removed, they are gone from the next document.
  DiscoveryPlan next = discovery.publish(config, plan.published);
  auto again = json::parse(next.messages[0].payload);
  EXPECT_FALSE(again.value->find("cmps")->find("start_cold_only"));
}

TEST_F(HomeAssistantTest, TurnedOffRemovesEverythingPublished) {
  DiscoveryPublished before = discovery.publish(config, {}).published;
  DiscoveryPlan plan = HomeAssistantDiscovery::remove_all(before);
  ASSERT_EQ(plan.messages.size(), 3u);
  for (const auto& m : plan.messages) {
    EXPECT_TRUE(before.contains(m.topic));
    EXPECT_EQ(m.payload, "");
    EXPECT_TRUE(m.retained);
  }
  EXPECT_TRUE(plan.published.empty());
}

TEST_F(HomeAssistantTest, BirthAndIdsFromAnyBaseTopic) {
  HomeAssistantDiscovery nested{"ha", "home/pads", "1"};
  EXPECT_EQ(nested.status_topic(), "ha/status");
  EXPECT_TRUE(nested.is_birth("ha/status", "online"));
  EXPECT_FALSE(nested.is_birth("ha/status", "offline"));
  EXPECT_FALSE(nested.is_birth("homeassistant/status", "online"));
  EXPECT_EQ(nested.device_id("bed"), "home_pads_bed");
  EXPECT_EQ(nested.config_topic("bed"), "ha/device/home_pads_bed/config");
  json::Value doc = nested.device_config(config, config.zones[0]);
  EXPECT_EQ(text(doc, "availability_topic"), "home/pads/status");
  EXPECT_EQ(text(*doc.find("cmps")->find("stop"), "command_topic"), "home/pads/bed/stop");
  EXPECT_EQ(schema_problems(doc), std::vector<std::string>{});
}

}  // namespace
}  // namespace padtimer::control
