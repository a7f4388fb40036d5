// The YAML configuration: one file becomes a fully validated DaemonConfig, or a list of
// errors as `file:line:col: message`. Nothing is started from a config that has errors.
//
// The schema is documented by example in config/padtimer.full.yaml.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "devices/driver.h"
#include "mqtt/transport.h"
#include "schedule/schedule.h"

namespace padtimer::config {

// A routine started by the config at a local time on chosen weekdays.
using Schedule = schedule::Schedule;

struct DaemonConfig {
  mqtt::Settings mqtt;
  std::string base_topic = "padtimer";
  std::string state_dir = "/var/lib/padtimer";
  std::string log_level = "info";
  core::EngineConfig engine;
  struct Device {
    std::string family;
    devices::Options options;
  };
  std::vector<Device> device_drivers;  // same order as engine.devices
  std::vector<Schedule> schedules;
  // Home Assistant MQTT discovery: one device per zone under <discovery_prefix>/device/.
  struct HomeAssistant {
    bool discovery = true;
    std::string discovery_prefix = "homeassistant";  // empty: no discovery
    bool enabled() const { return discovery && !discovery_prefix.empty(); }
  };
  HomeAssistant home_assistant;
};

struct ConfigError {
  std::string file;
  int line = 1;  // 1-based
  int column = 1;
  std::string message;
  // "file:line:col: message"
  std::string str() const;
};

struct LoadResult {
  std::optional<DaemonConfig> config;  // set exactly when `errors` is empty
  std::vector<ConfigError> errors;     // sorted by position
};

// Reads and validates the file at `path`.
LoadResult load_config(const std::string& path);

// Validates `yaml_text`; `name_for_messages` is the file name errors carry.
LoadResult parse_config(std::string_view yaml_text, const std::string& name_for_messages);

// "20m", "90s", "1h30m", "500ms", "1h5m30s": one or more <number><unit> with units h, m,
// s, ms from largest to smallest, each at most once. Bare numbers are refused (no unit
// guessing). Returns nothing and sets `error` when the text is not a duration.
std::optional<core::Duration> parse_duration(std::string_view text, std::string& error);

// Whether the device can switch itself off after a time sent with each ON: the family can,
// and the options do not turn that off (zigbee2mqtt `on_time: false`). The one place
// DeviceSpec::auto_off is decided.
bool device_auto_off(const devices::Family& family, const devices::Options& options);

// One driver per device of a loaded config, in engine.devices order. Throws
// std::runtime_error if a driver cannot be built (never for a config load_config accepted).
std::vector<std::unique_ptr<devices::Driver>> make_drivers(const DaemonConfig& config,
                                                           const std::string& client_id);

}  // namespace padtimer::config
