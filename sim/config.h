// The simulator's configuration: command line, YAML file, and the typed devices built from
// them. Every problem is found before anything connects, and each message says where the
// bad value came from (`--device 'tasmota:lb,relay=x'` or `sim.yaml:4:12`) and what is
// allowed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/device.h"

namespace padtimer::sim {

struct OptionText {
  std::string key;
  std::string value;
  std::string origin;  // where it was written (empty: the device's origin)
};

// One device as written, before its options are checked.
struct DeviceSpec {
  std::string family;
  std::string name;
  std::vector<OptionText> options;  // in the order written
  std::vector<std::string> faults;  // fault words set at start
  std::string origin;               // where it was written, for messages
};

struct SimConfig {
  std::string broker;
  Seconds telemetry_period{10};
  std::vector<DeviceSpec> devices;
  std::vector<std::pair<std::string, std::string>> faults;  // --fault NAME=FAULT
  bool verbose = false;
  // --record FILE: every change of a device's physical output, one JSON line each.
  std::string record_path;
};

struct FamilyInfo {
  std::string_view name;
  std::vector<std::string_view> options;  // the family's own (the common ones come on top)
};
const std::vector<FamilyInfo>& sim_families();
// Options every family accepts.
const std::vector<std::string_view>& common_options();

// "10s", "1.5s", "500ms", "2m", "1h", or a bare number of seconds. Must be positive.
std::optional<Seconds> parse_duration(std::string_view text);

// "FAMILY:NAME[,key=value...]".
std::optional<DeviceSpec> parse_device_arg(std::string_view arg, std::string& error);

// Reads a YAML config into `config` (its devices are appended; broker and telemetry_period
// are taken unless `keep_*` says the command line already set them). Errors read
// "file:line:col: message".
bool load_config_file(const std::string& path, SimConfig& config, bool keep_broker,
                      bool keep_telemetry, std::vector<std::string>& errors);

// The command line. help: print usage_text() and exit 0; error: print it and exit 2.
struct CommandLine {
  enum class Action { run, help, error } action = Action::run;
  SimConfig config;
  std::string error;
};
CommandLine parse_command_line(const std::vector<std::string>& args);
std::string usage_text();

// Builds a checked device from its spec; on problems returns nullptr and appends messages.
std::unique_ptr<Device> make_device(const DeviceSpec& spec, Seconds telemetry_period, Now start,
                                    std::vector<std::string>& problems);

// Builds every device and applies the start faults; empty on any problem (all reported).
// Also rejects duplicate names and two devices answering on the same topic.
std::vector<std::unique_ptr<Device>> make_devices(const SimConfig& config, Now start,
                                                  std::vector<std::string>& problems);

}  // namespace padtimer::sim
