#include "sim/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "sim/json_pad.h"
#include "sim/shelly_gen1.h"
#include "sim/shelly_rpc.h"
#include "sim/tasmota.h"
#include "sim/text.h"
#include "sim/zigbee2mqtt.h"

namespace padtimer::sim {

namespace {

const char* kTasmota = "tasmota";
const char* kShellyRpc = "shelly_rpc";
const char* kShellyGen1 = "shelly_gen1";
const char* kZigbee2Mqtt = "zigbee2mqtt";
const char* kJsonPad = "json_pad";

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// A topic part: no MQTT wildcards, no control characters, no empty levels; '/' only when
// `slashes` (then not at either end).
bool valid_topic_part(std::string_view text, bool slashes) {
  if (text.empty() || text.size() > 128) return false;
  if (text.front() == '/' || text.back() == '/') return false;
  if (text.find("//") != std::string_view::npos) return false;
  return std::all_of(text.begin(), text.end(), [slashes](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f && c != '+' && c != '#' && (slashes || c != '/');
  });
}

// Reads one device's options, remembering which were used and every problem.
class OptionReader {
 public:
  OptionReader(const DeviceSpec& spec, std::vector<std::string>& problems)
      : spec_(spec), problems_(problems) {
    std::set<std::string> seen;
    for (const auto& opt : spec.options) {
      if (!seen.insert(opt.key).second) {
        problem(opt, "given twice");
      }
    }
  }

  bool ok() const { return ok_; }

  std::optional<std::string> text(std::string_view key) {
    const OptionText* opt = find(key);
    if (!opt) return std::nullopt;
    return opt->value;
  }

  int integer(std::string_view key, int fallback, int min, int max) {
    const OptionText* opt = find(key);
    if (!opt) return fallback;
    auto value = parse_integer(opt->value);
    if (!value || *value < min || *value > max) {
      problem(*opt, "must be an integer " + std::to_string(min) + ".." + std::to_string(max));
      return fallback;
    }
    return static_cast<int>(*value);
  }

  double number(std::string_view key, double fallback, double min, double max) {
    const OptionText* opt = find(key);
    if (!opt) return fallback;
    auto value = parse_number(opt->value);
    if (!value || *value < min || *value > max) {
      problem(*opt, "must be a number from " + trimmed(min) + " to " + trimmed(max));
      return fallback;
    }
    return *value;
  }

  std::optional<double> optional_number(std::string_view key, double min, double max) {
    if (!find(key)) return std::nullopt;
    return number(key, min, min, max);
  }

  std::optional<Seconds> duration(std::string_view key, double max_seconds) {
    const OptionText* opt = find(key);
    if (!opt) return std::nullopt;
    auto value = parse_duration(opt->value);
    if (!value || value->count() > max_seconds) {
      problem(*opt, "must be a duration such as 120, 90s, 1.5s, 500ms, 2m or 1h, at most " +
                        trimmed(max_seconds) + " s");
      return std::nullopt;
    }
    return value;
  }

  bool flag(std::string_view key, bool fallback) {
    const OptionText* opt = find(key);
    if (!opt) return fallback;
    std::string v = lower(opt->value);
    if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
    if (v == "no" || v == "false" || v == "off" || v == "0") return false;
    problem(*opt, "must be yes or no");
    return fallback;
  }

  // Reports options that are neither the family's nor common ones.
  void finish(const std::vector<std::string_view>& family_options) {
    for (const auto& opt : spec_.options) {
      if (used_.count(opt.key)) continue;
      std::vector<std::string_view> all = family_options;
      all.insert(all.end(), common_options().begin(), common_options().end());
      problem(opt, "unknown option for " + spec_.family + " (allowed: " + join(all) + ")");
    }
  }

  void problem(const OptionText& opt, const std::string& message) {
    ok_ = false;
    problems_.push_back((opt.origin.empty() ? spec_.origin : opt.origin) + ": device '" +
                        spec_.name + "': " + opt.key + "=" + opt.value + ": " + message);
  }

  void problem(std::string_view key, const std::string& message) {
    if (const OptionText* opt = find(key)) return problem(*opt, message);
    ok_ = false;
    problems_.push_back(spec_.origin + ": device '" + spec_.name + "': " + message);
  }

 private:
  static std::string trimmed(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  const OptionText* find(std::string_view key) {
    for (const auto& opt : spec_.options) {
      if (opt.key == key) {
        used_.insert(opt.key);
        return &opt;
      }
    }
    return nullptr;
  }

  const DeviceSpec& spec_;
  std::vector<std::string>& problems_;
  std::set<std::string> used_;
  bool ok_ = true;
};

std::string topic_option(OptionReader& o, std::string_view key, const std::string& fallback,
                         bool slashes) {
  std::string value = o.text(key).value_or(fallback);
  if (!valid_topic_part(value, slashes)) {
    o.problem(key, std::string(key) + " '" + value +
                       "' must be a non-empty topic part without +, # or control characters" +
                       (slashes ? " (and no empty levels)" : " or '/'"));
  }
  return value;
}

// sensor=none|no disables; anything else is family-specific.
bool sensor_off(OptionReader& o) {
  auto v = o.text("sensor");
  return v && (*v == "none" || *v == "no" || *v == "false");
}

CommonSettings common_settings(const DeviceSpec& spec, OptionReader& o, Seconds telemetry) {
  CommonSettings c;
  c.name = spec.name;
  Role fallback = spec.family == kJsonPad ? Role::dual : Role::heat;
  c.role = fallback;
  if (auto r = o.text("role")) {
    if (auto role = role_from_string(*r)) {
      c.role = *role;
    } else {
      o.problem("role", "must be heat, cold or dual");
    }
  }
  c.thermal.room = o.number("room", c.thermal.room, -20, 45);
  c.thermal.heat_target = o.number("heat_target", c.thermal.heat_target, -20, 100);
  c.thermal.cold_target = o.number("cold_target", c.thermal.cold_target, -20, 100);
  c.thermal.heat_rate = o.number("heat_rate", c.thermal.heat_rate, 0.0001, 100);
  c.thermal.cold_rate = o.number("cold_rate", c.thermal.cold_rate, 0.0001, 100);
  c.thermal.drift_rate = o.number("drift_rate", c.thermal.drift_rate, 0.0001, 100);
  c.initial_temperature = o.optional_number("temperature", -20, 100);
  c.telemetry_period = o.duration("telemetry", 86400).value_or(telemetry);
  c.has_sensor = !sensor_off(o);
  return c;
}

}  // namespace

const std::vector<FamilyInfo>& sim_families() {
  static const std::vector<FamilyInfo> all = {
      {kTasmota, {"topic", "relay", "relays", "pulsetime"}},
      {kShellyRpc, {"id", "switch", "auto_off"}},
      {kShellyGen1, {"id", "relay", "auto_off"}},
      {kZigbee2Mqtt, {"base", "name", "legacy_availability", "on_time"}},
      {kJsonPad, {"base", "id"}},
  };
  return all;
}

const std::vector<std::string_view>& common_options() {
  static const std::vector<std::string_view> all = {
      "role",      "sensor",    "room",       "heat_target", "cold_target",
      "heat_rate", "cold_rate", "drift_rate", "temperature", "telemetry"};
  return all;
}

std::optional<Seconds> parse_duration(std::string_view text) {
  text = trim(text);
  double scale = 1.0;
  std::string_view number = text;
  auto ends = [&](std::string_view suffix) {
    if (text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
      number = text.substr(0, text.size() - suffix.size());
      return true;
    }
    return false;
  };
  if (ends("ms")) {
    scale = 0.001;
  } else if (ends("s")) {
    scale = 1.0;
  } else if (ends("m") || ends("min")) {
    scale = 60.0;
  } else if (ends("h")) {
    scale = 3600.0;
  }
  auto value = parse_number(number);
  if (!value || !(*value > 0.0)) return std::nullopt;
  return Seconds{*value * scale};
}

std::optional<DeviceSpec> parse_device_arg(std::string_view arg, std::string& error) {
  DeviceSpec spec;
  spec.origin = "--device '" + std::string(arg) + "'";
  std::size_t colon = arg.find(':');
  if (colon == std::string_view::npos) {
    error = spec.origin + ": expected FAMILY:NAME[,key=value...]";
    return std::nullopt;
  }
  spec.family = std::string(trim(arg.substr(0, colon)));
  std::string_view rest = arg.substr(colon + 1);
  bool first = true;
  while (true) {
    std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    if (first) {
      spec.name = std::string(item);
      first = false;
    } else {
      std::size_t eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        error = spec.origin + ": '" + std::string(item) + "' is not key=value";
        return std::nullopt;
      }
      std::string key(trim(item.substr(0, eq)));
      std::string value(trim(item.substr(eq + 1)));
      if (key == "fault" || key == "faults") {
        spec.faults.push_back(value);
      } else {
        spec.options.push_back({key, value, ""});
      }
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return spec;
}

namespace {

std::string mark_text(const std::string& path, const YAML::Mark& mark) {
  if (mark.line < 0) return path;
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

}  // namespace

bool load_config_file(const std::string& path, SimConfig& config, bool keep_broker,
                      bool keep_telemetry, std::vector<std::string>& errors) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    errors.push_back(path + ": cannot read the file");
    return false;
  } catch (const YAML::Exception& e) {
    errors.push_back(mark_text(path, e.mark) + ": " + e.msg);
    return false;
  }
  std::size_t before = errors.size();
  auto at = [&](const YAML::Node& node) { return mark_text(path, node.Mark()); };
  if (!root.IsMap()) {
    errors.push_back(at(root) + ": expected a mapping with a 'devices:' list");
    return false;
  }
  std::set<std::string> top_keys;
  for (const auto& item : root) {
    const std::string key = item.first.Scalar();
    const YAML::Node& value = item.second;
    if (!top_keys.insert(key).second) {
      errors.push_back(at(item.first) + ": '" + key + "' given twice");
      continue;
    }
    if (key == "broker") {
      if (!value.IsScalar()) {
        errors.push_back(at(value) + ": broker must be a URL such as mqtt://127.0.0.1:1883");
      } else if (!keep_broker) {
        config.broker = value.Scalar();
      }
    } else if (key == "telemetry_period") {
      auto d = value.IsScalar() ? parse_duration(value.Scalar()) : std::nullopt;
      if (!d) {
        errors.push_back(at(value) + ": telemetry_period must be a duration such as 10s");
      } else if (!keep_telemetry) {
        config.telemetry_period = *d;
      }
    } else if (key == "devices") {
      if (!value.IsSequence()) {
        errors.push_back(at(value) + ": devices must be a list of devices");
        continue;
      }
      for (const auto& dev : value) {
        if (!dev.IsMap()) {
          errors.push_back(at(dev) + ": a device is a mapping with family, name and options");
          continue;
        }
        DeviceSpec spec;
        spec.origin = at(dev);
        std::set<std::string> keys;
        for (const auto& field : dev) {
          const std::string k = field.first.Scalar();
          const YAML::Node& v = field.second;
          if (!keys.insert(k).second) {
            errors.push_back(at(field.first) + ": '" + k + "' given twice");
            continue;
          }
          if (k == "faults" || k == "fault") {
            if (v.IsScalar()) {
              spec.faults.push_back(v.Scalar());
            } else if (v.IsSequence()) {
              for (const auto& f : v) {
                if (f.IsScalar()) {
                  spec.faults.push_back(f.Scalar());
                } else {
                  errors.push_back(at(f) + ": a fault is one word such as welded");
                }
              }
            } else {
              errors.push_back(at(v) + ": faults must be a word or a list of words");
            }
            continue;
          }
          if (!v.IsScalar()) {
            errors.push_back(at(v) + ": '" + k + "' must be a single value");
            continue;
          }
          if (k == "family") {
            spec.family = v.Scalar();
          } else if (k == "name") {
            spec.name = v.Scalar();
          } else {
            spec.options.push_back({k, v.Scalar(), at(v)});
          }
        }
        if (spec.family.empty()) errors.push_back(spec.origin + ": device has no 'family'");
        if (spec.name.empty()) errors.push_back(spec.origin + ": device has no 'name'");
        config.devices.push_back(std::move(spec));
      }
    } else {
      errors.push_back(at(item.first) + ": unknown key '" + key +
                       "' (allowed: broker, telemetry_period, devices)");
    }
  }
  if (!top_keys.count("devices")) errors.push_back(path + ": no 'devices:' list");
  return errors.size() == before;
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
  CommandLine out;
  auto fail = [&](std::string message) {
    out.action = CommandLine::Action::error;
    out.error = std::move(message);
    return out;
  };
  bool broker_given = false;
  bool telemetry_given = false;
  std::vector<std::string> config_files;
  std::vector<DeviceSpec> cli_devices;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      if (auto eq = arg.find('='); eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value) return inline_value;
      if (i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      out.action = CommandLine::Action::help;
      return out;
    } else if (arg == "--verbose" || arg == "-v") {
      out.config.verbose = true;
    } else if (arg == "--broker") {
      auto v = value();
      if (!v || v->empty())
        return fail("--broker needs a URL, e.g. --broker mqtt://127.0.0.1:1884");
      out.config.broker = *v;
      broker_given = true;
    } else if (arg == "--config") {
      auto v = value();
      if (!v || v->empty()) return fail("--config needs a YAML file");
      config_files.push_back(*v);
    } else if (arg == "--device") {
      auto v = value();
      if (!v) return fail("--device needs FAMILY:NAME[,key=value...]");
      std::string error;
      auto spec = parse_device_arg(*v, error);
      if (!spec) return fail(error);
      cli_devices.push_back(std::move(*spec));
    } else if (arg == "--fault") {
      auto v = value();
      std::size_t eq = v ? v->find('=') : std::string::npos;
      if (!v || eq == std::string::npos || eq == 0 || eq + 1 == v->size()) {
        return fail("--fault needs NAME=FAULT, e.g. --fault lb_heat=welded");
      }
      out.config.faults.emplace_back(v->substr(0, eq), v->substr(eq + 1));
    } else if (arg == "--record") {
      auto v = value();
      if (!v || v->empty()) return fail("--record needs a file to append output changes to");
      out.config.record_path = *v;
    } else if (arg == "--telemetry-period") {
      auto v = value();
      auto d = v ? parse_duration(*v) : std::nullopt;
      if (!d) {
        return fail("--telemetry-period needs a positive duration such as 10s, 500ms or 2m" +
                    (v ? " (got '" + *v + "')" : std::string()));
      }
      out.config.telemetry_period = *d;
      telemetry_given = true;
    } else {
      return fail("unknown argument '" + args[i] + "' (see --help)");
    }
  }
  std::vector<std::string> errors;
  for (const auto& file : config_files) {
    load_config_file(file, out.config, broker_given, telemetry_given, errors);
  }
  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors)
      message += (message.empty() ? "" : "\n") + e;
    return fail(message);
  }
  for (auto& spec : cli_devices)
    out.config.devices.push_back(std::move(spec));
  if (out.config.broker.empty()) {
    return fail(
        "no broker: give --broker URL (e.g. mqtt://127.0.0.1:1884) or 'broker:' in the "
        "config file");
  }
  if (out.config.devices.empty()) {
    return fail("no devices: give --device FAMILY:NAME or a --config file with 'devices:'");
  }
  return out;
}

std::unique_ptr<Device> make_device(const DeviceSpec& spec, Seconds telemetry_period, Now start,
                                    std::vector<std::string>& problems) {
  auto family = std::find_if(sim_families().begin(), sim_families().end(),
                             [&](const FamilyInfo& f) { return f.name == spec.family; });
  if (family == sim_families().end()) {
    std::vector<std::string_view> names;
    for (const auto& f : sim_families())
      names.push_back(f.name);
    problems.push_back(spec.origin + ": unknown device family '" + spec.family +
                       "' (one of: " + join(names) + ")");
    return nullptr;
  }
  if (!valid_name(spec.name)) {
    problems.push_back(spec.origin + ": device name '" + spec.name +
                       "' must be 1-64 letters, digits, '_', '-' or '.'");
    return nullptr;
  }
  OptionReader o(spec, problems);
  CommonSettings common = common_settings(spec, o, telemetry_period);
  std::unique_ptr<Device> device;

  if (spec.family == kTasmota) {
    TasmotaSettings s;
    s.topic = topic_option(o, "topic", spec.name, false);
    s.relay = o.integer("relay", 1, 1, kTasmotaMaxRelays);
    s.relays = o.integer("relays", s.relay, 1, kTasmotaMaxRelays);
    if (s.relays < s.relay) o.problem("relays", "relays must be at least relay");
    s.pulse_time = o.integer("pulsetime", 0, 0, kPulseTimeMax);
    if (auto v = o.text("sensor"); v && common.has_sensor) {
      if (!valid_name(*v)) o.problem("sensor", "sensor name must be letters, digits or '_'");
      s.sensor = *v;
    }
    device = std::make_unique<Tasmota>(common, s, start);
  } else if (spec.family == kShellyRpc) {
    ShellyRpcSettings s;
    s.id = topic_option(o, "id", spec.name, false);
    s.switch_id = o.integer("switch", 0, 0, 99);
    if (common.has_sensor && o.text("sensor")) {
      s.sensor_id = o.integer("sensor", 100, 0, 65535);
    }
    s.auto_off = o.duration("auto_off", 86400);
    device = std::make_unique<ShellyRpc>(common, s, start);
  } else if (spec.family == kShellyGen1) {
    ShellyGen1Settings s;
    s.id = topic_option(o, "id", spec.name, false);
    s.relay = o.integer("relay", 0, 0, 3);
    if (common.has_sensor && o.text("sensor")) s.sensor_index = o.integer("sensor", 0, 0, 2);
    s.auto_off = o.duration("auto_off", 86400);
    device = std::make_unique<ShellyGen1>(common, s, start);
  } else if (spec.family == kZigbee2Mqtt) {
    Zigbee2MqttSettings s;
    s.base = topic_option(o, "base", s.base, true);
    s.friendly_name = topic_option(o, "name", spec.name, true);
    s.legacy_availability = o.flag("legacy_availability", false);
    s.on_time_supported = o.flag("on_time", true);
    if (common.has_sensor) common.has_sensor = o.flag("sensor", true);
    device = std::make_unique<Zigbee2Mqtt>(common, s, start);
  } else {
    JsonPadSettings s;
    s.base = topic_option(o, "base", s.base, true);
    s.id = topic_option(o, "id", spec.name, false);
    if (common.has_sensor) common.has_sensor = o.flag("sensor", true);
    device = std::make_unique<JsonPad>(common, s, start);
  }
  o.finish(family->options);
  if (!o.ok()) return nullptr;
  return device;
}

std::vector<std::unique_ptr<Device>> make_devices(const SimConfig& config, Now start,
                                                  std::vector<std::string>& problems) {
  std::vector<std::unique_ptr<Device>> devices;
  std::size_t before = problems.size();
  std::map<std::string, std::string> names;     // name -> origin
  std::map<std::string, std::string> commands;  // command topic (+ relay) -> device name
  for (const auto& spec : config.devices) {
    auto device = make_device(spec, config.telemetry_period, start, problems);
    if (!device) continue;
    if (auto [it, fresh] = names.emplace(spec.name, spec.origin); !fresh) {
      problems.push_back(spec.origin + ": device name '" + spec.name + "' is already used at " +
                         it->second);
      continue;
    }
    // Two devices must not answer the same commands (a multi-relay Tasmota shares its topic
    // between relays, so the relay is part of the key).
    std::string key;
    for (const auto& s : device->subscriptions())
      key += s + " ";
    if (spec.family == kTasmota) {
      auto relay = std::find_if(spec.options.begin(), spec.options.end(),
                                [](const OptionText& o) { return o.key == "relay"; });
      key += "relay " + (relay == spec.options.end() ? std::string("1") : relay->value);
    }
    if (auto [it, fresh] = commands.emplace(key, spec.name); !fresh) {
      problems.push_back(spec.origin + ": device '" + spec.name +
                         "' would answer the same commands as '" + it->second + "'");
      continue;
    }
    for (const auto& word : spec.faults) {
      FaultParse f = parse_fault_command(word);
      if (!f.command) {
        problems.push_back(spec.origin + ": device '" + spec.name + "': " + f.error);
        continue;
      }
      device->apply_faults(*f.command, start);
    }
    devices.push_back(std::move(device));
  }
  for (const auto& [name, words] : config.faults) {
    // clang 14 cannot capture a structured binding in a lambda: capture a plain reference.
    const std::string& wanted = name;
    auto it = std::find_if(devices.begin(), devices.end(),
                           [&](const auto& d) { return d->name() == wanted; });
    if (it == devices.end()) {
      if (!names.count(name)) {
        problems.push_back("--fault " + name + "=" + words + ": no device named '" + name + "'");
      }
      continue;
    }
    std::string_view rest = words;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string word(trim(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      FaultParse f = parse_fault_command(word);
      if (!f.command) {
        problems.push_back("--fault " + name + "=" + words + ": " + f.error);
        continue;
      }
      (*it)->apply_faults(*f.command, start);
    }
  }
  if (problems.size() != before) devices.clear();
  return devices;
}

std::string usage_text() {
  return R"(NAME
    padtimer-sim - play smart plugs and heat/cold pads on an MQTT broker

SYNOPSIS
    padtimer-sim --broker URL [--config FILE.yaml] [--device FAMILY:NAME[,key=value...]]...
                 [--fault NAME=FAULT[,FAULT...]]... [--telemetry-period DURATION]
                 [--record FILE] [--verbose] [--help]

DESCRIPTION
    padtimer-sim connects to an MQTT broker and plays any number of devices, each speaking
    the device side of one protocol (Tasmota, Shelly Gen2 RPC, Shelly Gen1, Zigbee2MQTT,
    padtimer's generic JSON pad). It is an independent implementation, written from the
    protocols and not from padtimer's drivers, so the two can be tested against each other.
    It is what padtimer's demo and integration tests drive.

    Each device has its own MQTT client, so its last will is its own, as on real hardware
    (Tasmota tele/T/LWT Offline, Shelly <id>/online false, JSON pad availability offline).
    Each has a thermal model: the temperature moves toward 41 C at 0.5 C/s while heating,
    toward 8 C at 0.5 C/s while cooling, and back toward room temperature (22 C) at
    0.1 C/s when off, computed from elapsed time. Each honours its protocol's device-side
    auto-off exactly: Tasmota PulseTime, Shelly toggle_after, Shelly Gen1's own auto_off
    setting, Zigbee on_time, the JSON pad's auto_off.

OPTIONS
    --broker URL
        mqtt://HOST:PORT (or tcp://). Required unless the config file has 'broker:'.
    --config FILE.yaml
        Devices (and optionally broker and telemetry_period) from a YAML file; see
        CONFIG FILE. May be given more than once; --device adds to its devices.
    --device FAMILY:NAME[,key=value...]
        One device. FAMILY is tasmota, shelly_rpc, shelly_gen1, zigbee2mqtt or json_pad;
        NAME (letters, digits, '_', '-', '.') names it in the sim's own topics and output
        and is the default for its protocol id. key=value pairs are the options below;
        fault=FAULT sets a fault at start.
    --fault NAME=FAULT[,FAULT...]
        Sets faults on device NAME at start (see FAULTS).
    --telemetry-period DURATION
        How often devices report temperature and the sim reports physical state
        (default 10s). DURATION: 10s, 1.5s, 500ms, 2m, 1h, or a number of seconds.
    --record FILE
        Appends one JSON line to FILE for each device at start and at every change of a
        device's physical output, stamped by the sim's own monotonic clock (CLOCK_MONOTONIC,
        the same clock for every process on the machine):
          {"t_ns":123456789,"device":"heat_pad","role":"heat","output":"heat"}
        What the devices really did, for tests that check safety from the device side.
    -v, --verbose
        Also log MQTT connection details on stderr.
    -h, --help
        This text.

DEVICE FAMILIES
    tasmota      topic=T (default NAME), relay=N (1..8, default 1), relays=M (relays on
                 the plug, default N; more than 1 uses "POWER<n>" keys), sensor=NAME|none
                 (default DS18B20), pulsetime=P (PulseTime setting at start, default 0)
        subscribes cmnd/T/Power<n>, cmnd/T/Power (relay 1), cmnd/T/PulseTime<n>,
        cmnd/T/SetOption34, cmnd/T/Backlog ("PulseTime1 220; Power1 ON"); Power takes ON,
        OFF, TOGGLE, 1, 0, 2, or nothing (a state query: answered the same way, changing
        nothing, the PulseTime countdown included). Replies stat/T/RESULT {"POWER":"ON"}
        and stat/T/POWER ON; tele/T/LWT Online/Offline (retained, the will);
        tele/T/SENSOR {"Time":"...","DS18B20":{"Temperature":38.2},"TempUnit":"C"} every
        period. PulseTime: 0 off, 1..111 tenths of a second, 112..64900 seconds+100
        (220 = 120 s); it persists, setting it starts the countdown (also while OFF), every
        Power ON restarts it and Power OFF cancels it; when it runs out the relay switches
        OFF and says so. Backlog, as on Tasmota: the commands are queued and run one at a
        time, the first at once and each next one SetOption34 ms later (0..255, default
        200; Backlog0: no wait), never sooner than 50 ms (one pass of Tasmota's main
        loop). A plain command runs at once and sets the next one back to SetOption34
        from then, so it overtakes what a Backlog still has queued. An empty Backlog
        clears the queue.
    shelly_rpc   id=I (default NAME), switch=N (default 0), sensor=ID|none (temperature
                 component id, default 100), auto_off=DURATION (the switch's own
                 auto-off setting, used for an ON without toggle_after)
        subscribes I/rpc: Switch.Set {"id":0,"on":bool,"toggle_after":s}, Switch.Toggle,
        Switch.GetStatus, Temperature.GetStatus, Shelly.GetStatus. Replies on <src>/rpc
        {"id":N,"src":"I","dst":"<src>","result":{"was_on":bool}}; Switch.GetStatus (the
        state query) with "result":{"id":0,"source":"MQTT","output":bool} plus
        timer_started_at/timer_duration while a timer runs (errors as
        {"error":{"code":-103,"message":...}}); I/events/rpc NotifyStatus with
        "switch:0":{"id":0,"output":bool} on every change and "temperature:100":
        {"id":100,"tC":x,"tF":y} every period; I/online true/false (retained, the will).
        toggle_after flips the output after s seconds.
    shelly_gen1  id=I (default NAME), relay=N (default 0), sensor=K|none (ext_temperature
                 index, default 0), auto_off=DURATION (the device's own "Auto OFF")
        subscribes shellies/I/relay/N/command on|off|toggle and shellies/I/command update
        (the state query: publish the state now, changing nothing); publishes
        shellies/I/relay/N on|off after every command, change and update and every period,
        shellies/I/online true/false (retained, the will), shellies/I/ext_temperature/K
        every period and on update.
    zigbee2mqtt  base=B (default zigbee2mqtt), name=N (friendly name, default NAME),
                 legacy_availability=yes|no (plain online/offline instead of JSON),
                 on_time=yes|no (does the firmware honour on_time; default yes),
                 sensor=yes|none
        subscribes B/N/set {"state":"ON"|"OFF"|"TOGGLE","on_time":s} and B/N/get (the state
        query, e.g. {"state":""}; any payload); publishes B/N
        {"state":"ON","linkquality":120,"temperature":x} after every set, get and change
        (and every period with a sensor); B/N/availability {"state":"online"} retained,
        published by the sim (the bridge is the MQTT client, not the plug, so there is no
        per-plug will). on_time is at most 6553 s.
    json_pad     base=B (default padtimer/pads), id=I (default NAME), sensor=yes|none;
                 role defaults to dual
        subscribes B/I/set {"mode":"heat"|"cold"|"off","auto_off":s,"level":1-10} and B/I/get
        (the state query, {}; any payload); publishes B/I/state
        {"mode":"heat","temperature":x} after every command, get and change and every
        period; B/I/availability online/offline (retained, the will).

    Options every family takes:
        role=heat|cold|dual   what ON means: heat (default; dual plugs switch heat) or
                              cold; a dual JSON pad takes both modes
        sensor=none           no temperature sensor
        room=22 heat_target=41 cold_target=8   degrees C (targets are for level 10)
        heat_rate=0.5 cold_rate=0.5 drift_rate=0.1   degrees C per second
        temperature=C         the temperature at start (default room)
        telemetry=DURATION    this device's telemetry period

FAULTS
    Set at start with --fault or fault=, and at run time by publishing to
    padtimer-sim/<NAME>/fault one word, or a JSON object of flags such as
    {"silent":true,"welded":false}:
        silent         commands are received but neither applied nor answered
                       (telemetry and the device's own auto-off go on)
        offline        the device publishes its offline availability and ignores
                       everything; a device with a will disconnects (its transport
                       publishes the offline word); a Zigbee plug is announced offline
        online         back from offline (the device reconnects and reports its state)
        sensor_stuck   keeps reporting the last temperature
        sensor_hot     reports 50 C
        sensor_silent  stops temperature telemetry
        welded         the relay stays ON whatever it is told and reports ON (if it is OFF
                       it welds at the next ON); clearing it lets the relay follow what it
                       was last told
        clear          all faults off

SIM TOPICS
    padtimer-sim/<NAME>/fault      (subscribed) fault commands, as above
    padtimer-sim/<NAME>/physical   the true state, not retained, on every change and every
                                   telemetry period: {"output":"heat"|"cold"|"off",
                                   "temperature":x,"auto_off_remaining":s|null,
                                   "faults":[...]}
    padtimer-sim/status            online/offline, retained (the sim's control client will)

OUTPUT
    One line per notable event on stdout, stable for tests to wait for:
        padtimer-sim: starting, N devices, broker URL
        padtimer-sim: connected, N devices[ (K offline)]   all clients connected (once)
        padtimer-sim: reconnected, N devices               all back after a broker loss
        padtimer-sim: control client disconnected: CAUSE
        padtimer-sim: ignored fault for unknown device 'NAME'
        padtimer-sim: stopping (SIGTERM)                   then: padtimer-sim: stopped
        NAME: connected | NAME: disconnected: CAUSE        (after 'online', wait for
                                                            NAME: connected: ~1-2 s)
        NAME: relay ON (heat)[, auto-off in 120.0 s]       switched on by a command
        NAME: relay OFF[, auto-on in 5.0 s]                switched off by a command
        NAME: relay still ON (heat)[, auto-off in 120.0 s] a command that changed nothing
        NAME: relay welded, stays ON (heat), told OFF
        NAME: auto-off fired, relay OFF                    (also: relay welded, stays ON
        NAME: auto-on fired, relay ON (heat)                (heat); relay already OFF)
        NAME: PulseTime1 set to 220 (120.0 s)[, auto-off in 120.0 s]
        NAME: Backlog queued 2 commands | NAME: Backlog aborted
        NAME: SetOption34 set to 100 (Backlog delay in ms)
        NAME: rpc METHOD from SRC: error CODE MESSAGE
        NAME: ignored TOPIC: REASON                        malformed or unsupported input
        NAME: silent, ignored TOPIC | NAME: offline, ignored TOPIC
        NAME: fault FAULT set | NAME: fault FAULT cleared | NAME: faults cleared
        NAME: weld released, relay OFF
        NAME: on_time not supported by this plug, ignored
        NAME: ignored fault command: REASON
    Errors and MQTT logs go to stderr.

CONFIG FILE
    broker: mqtt://127.0.0.1:1884      # optional; --broker wins
    telemetry_period: 5s               # optional; --telemetry-period wins
    devices:
      - family: tasmota
        name: lb_heat
        topic: lb_heat_plug
        sensor: DS18B20
      - family: json_pad
        name: lb_cold
        role: cold
        faults: [sensor_silent]

EXIT STATUS
    0 after SIGINT or SIGTERM (offline availabilities published first); 1 when the
    simulator cannot run; 2 for bad arguments or configuration.

EXAMPLES
    padtimer-sim --broker mqtt://127.0.0.1:1884 --device tasmota:lb_heat,pulsetime=220 \
                 --device shelly_rpc:lb_cold,id=shellyplus1-lbcold,role=cold
    mosquitto_pub -p 1884 -t padtimer-sim/lb_heat/fault -m welded
    mosquitto_sub -p 1884 -t 'padtimer-sim/+/physical' -v
)";
}

}  // namespace padtimer::sim
