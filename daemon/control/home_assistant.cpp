#include "control/home_assistant.h"

#include <algorithm>
#include <utility>

namespace padtimer::control {
namespace {

// The zone statuses of state_json(), in the order a person reads them: the options of the
// phase sensor (an enum sensor's states must all be listed).
const std::vector<std::string_view> kStatuses = {"idle", "heat", "cold", "rest", "paused", "fault"};

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// "lower_back" -> "lower back": the device name Home Assistant shows and derives its
// entity ids from.
std::string words(std::string_view id) {
  std::string out(id);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '_' || c == '-'; }, ' ');
  return out;
}

bool has_sensor(const core::EngineConfig& config, const std::string& device) {
  auto it = std::find_if(config.devices.begin(), config.devices.end(),
                         [&](const core::DeviceSpec& d) { return d.id == device; });
  return it != config.devices.end() && it->sensor.has_value();
}

// A sensor's value from the zone's state document, in minutes with one decimal.
std::string minutes_of(std::string_view seconds_field) {
  return "{{ (value_json." + std::string(seconds_field) + " / 60) | round(1) }}";
}

}  // namespace

HomeAssistantDiscovery::HomeAssistantDiscovery(std::string prefix, std::string base,
                                               std::string version)
    : prefix_(std::move(prefix)), base_(std::move(base)), version_(std::move(version)) {}

std::string HomeAssistantDiscovery::status_topic() const {
  return prefix_ + "/status";
}

bool HomeAssistantDiscovery::is_birth(std::string_view topic, std::string_view payload) const {
  return topic == status_topic() && payload == "online";
}

std::string HomeAssistantDiscovery::device_id(std::string_view zone) const {
  std::string id = base_ + "_" + std::string(zone);
  std::replace_if(
      id.begin(), id.end(), [](char c) { return !id_char(c); }, '_');
  return id;
}

std::string HomeAssistantDiscovery::config_topic(std::string_view zone) const {
  return prefix_ + "/device/" + device_id(zone) + "/config";
}

json::Value HomeAssistantDiscovery::device_config(const core::EngineConfig& config,
                                                  const core::ZoneSpec& zone) const {
  const std::string id = device_id(zone.id);
  const std::string zone_topic = base_ + "/" + zone.id;
  const std::string state_topic = zone_topic + "/state";

  json::Value components = json::Value::object();
  auto add = [&](const std::string& key, const std::string& platform, const std::string& name,
                 json::Value options) {
    json::Value c =
        json::Value::object({{"p", platform}, {"unique_id", id + "_" + key}, {"name", name}});
    for (const auto& [k, v] : *options.as_object())
      c.set(k, v);
    components.set(key, std::move(c));
  };
  auto button = [&](const std::string& key, const std::string& name, const std::string& action,
                    const std::string& icon) {
    add(key, "button", name,
        json::Value::object({{"command_topic", zone_topic + "/" + action}, {"icon", icon}}));
  };

  for (const auto& r : config.routines) {
    if (core::missing_device_kind(zone, r)) continue;  // refused as routine_unsupported
    add("start_" + r.id, "button", "Start " + words(r.id),
        json::Value::object({{"command_topic", zone_topic + "/start"},
                             {"payload_press", r.id},
                             {"icon", "mdi:play"}}));
  }
  button("stop", "Stop", "stop", "mdi:stop");
  button("pause", "Pause", "pause", "mdi:pause");
  button("resume", "Resume", "resume", "mdi:play-pause");
  button("reset", "Reset fault", "reset", "mdi:restore-alert");

  json::Value statuses = json::Value::array();
  for (auto s : kStatuses)
    statuses.push_back(s);
  add("phase", "sensor", "Phase",
      json::Value::object({{"state_topic", state_topic},
                           {"value_template", "{{ value_json.status }}"},
                           {"device_class", "enum"},
                           {"options", std::move(statuses)},
                           {"icon", "mdi:heat-wave"}}));
  add("remaining", "sensor", "Phase remaining",
      json::Value::object({{"state_topic", state_topic},
                           {"value_template", minutes_of("remaining_s")},
                           {"device_class", "duration"},
                           {"unit_of_measurement", "min"},
                           {"state_class", "measurement"},
                           {"suggested_display_precision", 1}}));
  add("exposure_today", "sensor", "Exposure today",
      json::Value::object({{"state_topic", state_topic},
                           {"value_template", minutes_of("exposure_today_s")},
                           {"device_class", "duration"},
                           {"unit_of_measurement", "min"},
                           {"state_class", "total_increasing"},
                           {"suggested_display_precision", 0}}));
  // Null (a start is allowed now) renders as "None": Home Assistant shows "unknown".
  add("next_start", "sensor", "Next allowed start",
      json::Value::object({{"state_topic", state_topic},
                           {"value_template", "{{ value_json.next_allowed_start }}"},
                           {"device_class", "timestamp"}}));
  add("fault", "binary_sensor", "Fault",
      json::Value::object(
          {{"state_topic", state_topic},
           {"value_template", "{{ 'ON' if value_json.fault else 'OFF' }}"},
           {"device_class", "problem"},
           {"json_attributes_topic", state_topic},
           {"json_attributes_template",
            "{{ {'code': value_json.fault, 'message': value_json.fault_message} | tojson }}"}}));

  std::vector<std::string> devices;
  for (const std::string& d : {zone.heat_device, zone.cold_device}) {
    if (!d.empty() && has_sensor(config, d) &&
        std::find(devices.begin(), devices.end(), d) == devices.end())
      devices.push_back(d);
  }
  for (const std::string& d : devices) {
    // The device's reading in the zone's state; null (no reading yet) renders "None".
    add("temperature_" + d, "sensor", words(d) + " temperature",
        json::Value::object({{"state_topic", state_topic},
                             {"value_template", "{% for d in value_json.devices if d.id == '" + d +
                                                    "' %}{{ d.temperature_c }}{% endfor %}"},
                             {"device_class", "temperature"},
                             {"unit_of_measurement", "°C"},
                             {"state_class", "measurement"},
                             {"suggested_display_precision", 1}}));
  }

  return json::Value::object({
      {"dev", json::Value::object({{"ids", json::Value::array({id})},
                                   {"name", "padtimer " + words(zone.id)},
                                   {"mf", "padtimer"},
                                   {"mdl", "Heat/cold therapy zone"},
                                   {"sw", version_}})},
      {"o", json::Value::object({{"name", "padtimer"},
                                 {"sw", version_},
                                 {"url", "https://github.com/padtimer/padtimer"}})},
      {"availability_topic", base_ + "/status"},
      {"payload_available", "online"},
      {"payload_not_available", "offline"},
      {"qos", 1},
      {"cmps", std::move(components)},
  });
}

DiscoveryPlan HomeAssistantDiscovery::publish(const core::EngineConfig& config,
                                              const DiscoveryPublished& before) const {
  DiscoveryPlan plan;
  for (const auto& zone : config.zones) {
    const std::string topic = config_topic(zone.id);
    json::Value doc = device_config(config, zone);
    auto& now_published = plan.published[topic];
    for (const auto& [key, component] : *doc.find("cmps")->as_object())
      now_published[key] = *component.find("p")->as_string();
    if (auto old = before.find(topic); old != before.end()) {
      json::Value cmps = *doc.find("cmps");
      for (const auto& [key, platform] : old->second) {
        if (!now_published.contains(key)) cmps.set(key, json::Value::object({{"p", platform}}));
      }
      doc.set("cmps", std::move(cmps));
    }
    plan.messages.push_back({topic, doc.dump(), 1, true});
  }
  for (const auto& [topic, components] : before) {
    if (!plan.published.contains(topic)) plan.messages.push_back({topic, "", 1, true});
  }
  return plan;
}

DiscoveryPlan HomeAssistantDiscovery::remove_all(const DiscoveryPublished& before) {
  DiscoveryPlan plan;
  for (const auto& [topic, components] : before)
    plan.messages.push_back({topic, "", 1, true});
  return plan;
}

}  // namespace padtimer::control
