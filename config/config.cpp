#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "core/validate.h"

namespace padtimer::config {

namespace {

using core::Duration;

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

std::string quoted(const std::string& text) {
  return "'" + text + "'";
}

const char* kind_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "a single value";
    default: return "nothing";
  }
}

// 0-based yaml-cpp mark -> 1-based position.
struct Pos {
  int line = 1;
  int column = 1;
};

Pos pos_of(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

Pos pos_of(const YAML::Node& node) {
  return pos_of(node.Mark());
}

// One key: value of a map, with both nodes for their positions.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  Pos key_pos;
  Pos value_pos;
};

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  void error(Pos at, std::string message, bool secondary = false) {
    errors_.push_back({file_, at.line, at.column, std::move(message)});
    secondary_.push_back(secondary);
  }

  // The entries of a map, each key once. `allowed` empty: any key. `where` names the map
  // in messages ("the mqtt section"). Null counts as an empty map.
  std::vector<Entry> entries(const YAML::Node& node, Pos at, const std::string& where,
                             const std::vector<std::string>& allowed) {
    std::vector<Entry> out;
    if (node.IsNull()) return out;
    if (!node.IsMap()) {
      error(at, where + " must be a map of keys, got " + kind_name(node));
      return out;
    }
    std::map<std::string, Pos> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      Entry e{"", it->first, it->second, pos_of(it->first), pos_of(it->second)};
      if (!e.key_node.IsScalar()) {
        error(e.key_pos, "keys in " + where + " must be plain names, got " + kind_name(e.key_node));
        continue;
      }
      e.key = e.key_node.Scalar();
      // An empty value's mark is wherever the parser went next: point at its key.
      if (e.value.IsNull()) e.value_pos = e.key_pos;
      auto [prev, fresh] = seen.emplace(e.key, e.key_pos);
      if (!fresh) {
        error(e.key_pos, "duplicate key " + quoted(e.key) + " in " + where + " (first at line " +
                             std::to_string(prev->second.line) + ")");
        continue;
      }
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), e.key) == allowed.end()) {
        error(e.key_pos,
              "unknown key " + quoted(e.key) + " in " + where + "; allowed: " + join(allowed));
        continue;
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  std::optional<std::string> text(const Entry& e, const std::string& what) {
    if (!e.value.IsScalar()) {
      error(e.value_pos, e.key + " must be " + what + ", got " + kind_name(e.value));
      return std::nullopt;
    }
    return e.value.Scalar();
  }

  // Non-empty text without control characters.
  std::optional<std::string> name_text(const Entry& e, const std::string& what) {
    auto t = text(e, what);
    if (!t) return t;
    bool control = std::any_of(t->begin(), t->end(),
                               [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    if (t->empty() || control) {
      error(e.value_pos, e.key + " must be " + what + " (not empty, no control characters)");
      return std::nullopt;
    }
    return t;
  }

  std::optional<bool> boolean(const Entry& e) {
    auto t = text(e, "true or false");
    if (!t) return std::nullopt;
    if (*t == "true") return true;
    if (*t == "false") return false;
    error(e.value_pos, e.key + " must be true or false, got " + quoted(*t));
    return std::nullopt;
  }

  std::optional<Duration> duration(const Entry& e) {
    auto t = text(e, "a duration like 20m, 90s, 1h30m or 500ms");
    if (!t) return std::nullopt;
    std::string why;
    auto d = parse_duration(*t, why);
    if (!d) error(e.value_pos, e.key + ": " + why);
    return d;
  }

  std::optional<double> number(const Entry& e, const std::string& range) {
    auto t = text(e, "a number " + range);
    if (!t) return std::nullopt;
    double value = 0;
    const char* end = t->data() + t->size();
    auto [ptr, ec] = std::from_chars(t->data(), end, value);
    if (t->empty() || ec != std::errc{} || ptr != end || !std::isfinite(value)) {
      error(e.value_pos, e.key + " must be a number " + range + ", got " + quoted(*t));
      return std::nullopt;
    }
    return value;
  }

  // One of `allowed`.
  std::optional<std::string> choice(const Entry& e, const std::vector<std::string>& allowed) {
    auto t = text(e, "one of " + join(allowed));
    if (!t) return std::nullopt;
    if (std::find(allowed.begin(), allowed.end(), *t) != allowed.end()) return t;
    error(e.value_pos, e.key + " must be one of " + join(allowed) + ", got " + quoted(*t));
    return std::nullopt;
  }

  LoadResult finish(std::optional<DaemonConfig> config) {
    // Engine-validation problems at a position already reported are the same mistake seen
    // twice (a zone naming a device that failed to parse): keep the first report only.
    std::set<std::pair<int, int>> primary;
    for (std::size_t i = 0; i < errors_.size(); ++i)
      if (!secondary_[i]) primary.insert({errors_[i].line, errors_[i].column});
    LoadResult result;
    for (std::size_t i = 0; i < errors_.size(); ++i) {
      if (secondary_[i] && primary.count({errors_[i].line, errors_[i].column})) continue;
      result.errors.push_back(errors_[i]);
    }
    std::stable_sort(result.errors.begin(), result.errors.end(),
                     [](const ConfigError& a, const ConfigError& b) {
                       return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                     });
    if (result.errors.empty()) result.config = std::move(config);
    return result;
  }

  bool ok() const { return errors_.empty(); }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
  std::vector<bool> secondary_;
};

// Where each engine item and its fields are written, for core::validate()'s problems.
struct Marks {
  Pos item;                       // the item's key (its name)
  std::map<std::string, Pos> at;  // field path ("sensor.max_c", "phases[2]") -> value
  Pos find(const std::string& field) const {
    std::string f = field;
    while (!f.empty()) {
      if (auto it = at.find(f); it != at.end()) return it->second;
      auto dot = f.find_last_of(".[");
      if (dot == std::string::npos) break;
      f.resize(dot);
    }
    return item;
  }
};

const std::vector<std::string> kTopKeys = {"mqtt",     "state_dir", "log_level",
                                           "safety",   "devices",   "zones",
                                           "routines", "schedules", "home_assistant"};
const std::vector<std::string> kHomeAssistantKeys = {"discovery", "discovery_prefix"};
const std::vector<std::string> kMqttKeys = {"url", "client_id",  "username", "password",
                                            "tls", "base_topic", "protocol"};
const std::vector<std::string> kMqttProtocols = {"5", "3.1.1"};
const std::vector<std::string> kTlsKeys = {"ca_file", "cert_file", "key_file", "key_password",
                                           "verify_hostname"};
const std::vector<std::string> kLogLevels = {"trace", "debug", "info", "warn", "error"};
const std::vector<std::string> kSafetyKeys = {"confirm_timeout", "lease",        "lease_rearm",
                                              "lease_margin",    "phase_rest",   "max_pause",
                                              "broker_grace",    "state_refresh"};
const std::vector<std::string> kRoles = {"heat", "cold", "dual"};
const std::vector<std::string> kSensorKeys = {"max_c", "min_c", "telemetry_timeout", "heat_up",
                                              "cool_down"};
const std::vector<std::string> kWatchKeys = {"min_change_c", "within"};
const std::vector<std::string> kZoneKeys = {"heat", "cold", "min_rest", "daily_cap"};
const std::vector<std::string> kPhaseKinds = {"heat", "cold", "rest"};
const std::vector<std::string> kScheduleKeys = {"zone", "routine", "at", "days", "grace"};
const std::vector<std::string> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string topic_problem(const std::string& t) {
  if (t.empty()) return "must not be empty";
  if (t.find_first_of("+#") != std::string::npos) return "must not contain MQTT wildcards + or #";
  if (t.front() == '/' || t.back() == '/') return "must not start or end with '/'";
  if (t.find("//") != std::string::npos) return "must not contain an empty level (//)";
  return {};
}

bool empty(const YAML::Node& node) {
  return node.IsNull() || ((node.IsMap() || node.IsSequence()) && node.size() == 0);
}

// A validate() problem's place in the words of the file: "zone 'back' min_rest",
// "safety.lease", "routine 'evening' phase 2".
std::string where(const core::ConfigProblem& p, const core::EngineConfig& c) {
  if (p.section == "safety") return "safety." + p.field;
  std::string out;
  if (p.section == "devices" && p.index < c.devices.size())
    out = "device '" + c.devices[p.index].id + "'";
  else if (p.section == "zones" && p.index < c.zones.size())
    out = "zone '" + c.zones[p.index].id + "'";
  else if (p.section == "routines" && p.index < c.routines.size())
    out = "routine '" + c.routines[p.index].id + "'";
  else
    return p.section + "[" + std::to_string(p.index) + "]" + (p.field.empty() ? "" : "." + p.field);
  std::string field = p.field;
  if (field == "heat_device") field = "heat";
  if (field == "cold_device") field = "cold";
  if (field.rfind("phases[", 0) == 0 && field.back() == ']') {
    field = "phase " + std::to_string(std::stoul(field.substr(7)) + 1);
  }
  return field.empty() ? out : out + " " + field;
}

class Parser {
 public:
  explicit Parser(Loader& loader) : l_(loader) {}

  DaemonConfig run(const YAML::Node& root) {
    auto top = l_.entries(root, {}, "the top level", kTopKeys);
    std::map<std::string, const Entry*> by_key;
    for (const auto& e : top)
      by_key[e.key] = &e;
    auto section = [&](const char* key) -> const Entry* {
      auto it = by_key.find(key);
      return it == by_key.end() ? nullptr : it->second;
    };
    for (const char* required : {"devices", "zones", "routines"}) {
      if (!section(required))
        l_.error({}, std::string("the ") + required +
                         " section is missing; top-level keys: " + join(kTopKeys));
    }
    if (auto e = section("mqtt")) mqtt(*e);
    if (auto e = section("state_dir")) {
      if (auto t = l_.name_text(*e, "a directory path")) c_.state_dir = *t;
    }
    if (auto e = section("log_level")) {
      if (auto t = l_.choice(*e, kLogLevels)) c_.log_level = *t;
    }
    if (auto e = section("safety")) safety(*e);
    if (auto e = section("devices")) devices(*e);
    if (auto e = section("routines")) routines(*e);  // before zones' schedules need them
    if (auto e = section("zones")) zones(*e);
    if (auto e = section("schedules")) schedules(*e);
    if (auto e = section("home_assistant")) home_assistant(*e);
    validate_engine();
    check_driver_options();
    return std::move(c_);
  }

 private:
  void home_assistant(const Entry& section) {
    auto& ha = c_.home_assistant;
    for (const auto& e :
         l_.entries(section.value, section.value_pos, "home_assistant", kHomeAssistantKeys)) {
      if (e.key == "discovery") {
        if (auto b = l_.boolean(e)) ha.discovery = *b;
      } else if (auto t = l_.text(e, "an MQTT topic like homeassistant, or \"\" for none")) {
        if (auto why = topic_problem(*t); !t->empty() && !why.empty())
          l_.error(e.value_pos, "discovery_prefix " + why + ", got " + quoted(*t));
        else
          ha.discovery_prefix = *t;
      }
    }
  }

  void mqtt(const Entry& section) {
    Pos url_pos = section.key_pos, tls_pos = section.key_pos;
    for (const auto& e : l_.entries(section.value, section.value_pos, "mqtt", kMqttKeys)) {
      if (e.key == "url") {
        url_pos = e.value_pos;
        if (auto t = l_.name_text(e, "a broker URL like mqtt://host:1883")) {
          if (mqtt::Transport::paho_uri(*t).empty()) {
            l_.error(e.value_pos,
                     "url must start with mqtt://, mqtts://, tcp:// or ssl://, got " + quoted(*t));
          } else {
            c_.mqtt.url = *t;
          }
        }
      } else if (e.key == "client_id") {
        if (auto t = l_.name_text(e, "an MQTT client id")) c_.mqtt.client_id = *t;
      } else if (e.key == "protocol") {
        if (auto t = l_.choice(e, kMqttProtocols))
          c_.mqtt.protocol =
              *t == "5" ? mqtt::Settings::Protocol::mqtt5 : mqtt::Settings::Protocol::mqtt311;
      } else if (e.key == "username") {
        if (auto t = l_.text(e, "text")) c_.mqtt.username = *t;
      } else if (e.key == "password") {
        if (auto t = l_.text(e, "text")) c_.mqtt.password = *t;
      } else if (e.key == "base_topic") {
        if (auto t = l_.text(e, "an MQTT topic like padtimer")) {
          if (auto why = topic_problem(*t); !why.empty())
            l_.error(e.value_pos, "base_topic " + why + ", got " + quoted(*t));
          else
            c_.base_topic = *t;
        }
      } else if (e.key == "tls") {
        mqtt::TlsSettings tls;
        for (const auto& t : l_.entries(e.value, e.value_pos, "mqtt.tls", kTlsKeys)) {
          if (t.key == "verify_hostname") {
            if (auto b = l_.boolean(t)) tls.verify_hostname = *b;
            continue;
          }
          auto v = t.key == "key_password" ? l_.text(t, "text") : l_.name_text(t, "a file path");
          if (!v) continue;
          if (t.key == "ca_file") tls.ca_file = *v;
          if (t.key == "cert_file") tls.cert_file = *v;
          if (t.key == "key_file") tls.key_file = *v;
          if (t.key == "key_password") tls.key_password = *v;
        }
        if (tls.cert_file.empty() != tls.key_file.empty())
          l_.error(e.key_pos, "tls: cert_file and key_file go together: give both or neither");
        if (tls.ca_file.empty())
          l_.error(e.key_pos,
                   "tls needs ca_file: the broker's CA certificate, or "
                   "/etc/ssl/certs/ca-certificates.crt for a broker with a public certificate");
        c_.mqtt.tls = tls;
        tls_pos = e.key_pos;
      }
    }
    // TLS is on exactly when the URL says so: neither can be silently ignored.
    std::string uri = mqtt::Transport::paho_uri(c_.mqtt.url);
    bool secure = uri.rfind("ssl://", 0) == 0;
    if (secure && !c_.mqtt.tls) {
      l_.error(url_pos, "an mqtts:// or ssl:// url needs a tls section with ca_file");
    } else if (!secure && c_.mqtt.tls) {
      l_.error(tls_pos, "tls is set but the url is not mqtts:// or ssl://: use mqtts://");
    }
  }

  void safety(const Entry& section) {
    safety_marks_.item = section.key_pos;
    auto& s = c_.engine.safety;
    std::map<std::string, Duration*> fields = {
        {"confirm_timeout", &s.confirm_timeout}, {"lease", &s.lease},
        {"lease_rearm", &s.lease_rearm},         {"lease_margin", &s.lease_margin},
        {"phase_rest", &s.phase_rest},           {"max_pause", &s.max_pause},
        {"broker_grace", &s.broker_grace},       {"state_refresh", &s.state_refresh}};
    for (const auto& e : l_.entries(section.value, section.value_pos, "safety", kSafetyKeys)) {
      safety_marks_.at[e.key] = e.value_pos;
      if (auto d = l_.duration(e)) *fields.at(e.key) = *d;
    }
  }

  std::optional<core::ResponseWatch> watch(const Entry& section, const std::string& path,
                                           Marks& marks) {
    core::ResponseWatch w;
    marks.at[path] = section.key_pos;
    for (const auto& e : l_.entries(section.value, section.value_pos, path, kWatchKeys)) {
      marks.at[path + "." + e.key] = e.value_pos;
      if (e.key == "min_change_c") {
        if (auto n = l_.number(e, "of °C above 0 and at most 20")) w.min_change_c = *n;
      } else if (auto d = l_.duration(e)) {
        w.within = *d;
      }
    }
    return w;
  }

  // The sensor block: limits and watches, plus the driver's own sensor options (e.g.
  // tasmota's `sensor: DS18B20`, shelly_rpc's `temperature: temperature:100`), which are
  // passed on to the driver like the device's other options.
  void sensor(const Entry& section, core::DeviceSpec& spec, Marks& marks, const std::string& where,
              const devices::Family* family, DaemonConfig::Device& driver,
              std::map<std::string, Pos>& option_pos) {
    core::SensorSpec s;
    marks.at["sensor"] = section.key_pos;
    for (const auto& e : l_.entries(section.value, section.value_pos, where + ".sensor", {})) {
      if (std::find(kSensorKeys.begin(), kSensorKeys.end(), e.key) == kSensorKeys.end()) {
        bool driver_option = family && std::find(family->options.begin(), family->options.end(),
                                                 e.key) != family->options.end();
        if (!driver_option) {
          std::string allowed = join(kSensorKeys);
          if (family) {
            allowed += "; or an option of " + std::string(family->name) + ":";
            for (auto o : family->options)
              allowed += " " + std::string(o);
          }
          l_.error(e.key_pos, "unknown key " + quoted(e.key) + " in " + where +
                                  ".sensor; allowed: " + allowed);
        } else if (option_pos.count(e.key)) {
          l_.error(e.key_pos, "option " + quoted(e.key) + " of " + where + " is given twice");
        } else {
          option_pos[e.key] = e.key_pos;
          if (auto t = l_.text(e, "a single value (a driver option)")) driver.options[e.key] = *t;
        }
        continue;
      }
      std::string path = "sensor." + e.key;
      marks.at[path] = e.value_pos;
      if (e.key == "max_c") {
        s.max_c = l_.number(e, "of °C from 30 to 45");
      } else if (e.key == "min_c") {
        s.min_c = l_.number(e, "of °C from -10 to 20");
      } else if (e.key == "telemetry_timeout") {
        if (auto d = l_.duration(e)) s.telemetry_timeout = *d;
      } else if (e.key == "heat_up") {
        s.heat_up = watch(e, path, marks);
      } else {
        s.cool_down = watch(e, path, marks);
      }
    }
    spec.sensor = s;
  }

  void devices(const Entry& section) {
    auto items = l_.entries(section.value, section.value_pos, "devices", {});
    if (empty(section.value)) l_.error(section.key_pos, "devices: at least one is needed");
    for (const auto& item : items) {
      core::DeviceSpec spec;
      spec.id = item.key;
      Marks marks;
      marks.item = item.key_pos;
      DaemonConfig::Device driver;
      std::map<std::string, Pos> option_pos;
      const std::string where = "device " + quoted(item.key);
      bool role_ok = false, driver_ok = false;
      bool have_role = false, have_driver = false;
      auto items_of_device = l_.entries(item.value, item.value_pos, where, {});
      // The driver first: the sensor block needs to know its family's options. (Entries
      // are never reordered: assigning a YAML::Node writes into the document.)
      std::vector<const Entry*> order;
      for (const auto& e : items_of_device)
        if (e.key == "driver") order.push_back(&e);
      for (const auto& e : items_of_device)
        if (e.key != "driver") order.push_back(&e);
      for (const Entry* entry : order) {
        const Entry& e = *entry;
        if (e.key == "driver") {
          have_driver = true;
          auto t = l_.text(e, "a device family");
          if (!t) continue;
          if (!devices::find_family(*t)) {
            std::vector<std::string> names;
            for (const auto& f : devices::families())
              names.emplace_back(f.name);
            l_.error(e.value_pos,
                     "unknown driver " + quoted(*t) + "; known drivers: " + join(names));
            continue;
          }
          driver.family = *t;
          driver_ok = true;
        } else if (e.key == "role") {
          have_role = true;
          marks.at["role"] = e.value_pos;
          if (auto t = l_.choice(e, kRoles)) {
            spec.role = *t == "heat"   ? core::DeviceRole::heat
                        : *t == "cold" ? core::DeviceRole::cold
                                       : core::DeviceRole::dual;
            role_ok = true;
          }
        } else if (e.key == "sensor") {
          sensor(e, spec, marks, where, driver_ok ? devices::find_family(driver.family) : nullptr,
                 driver, option_pos);
        } else {
          // Everything else is the driver's: passed on as text, checked by its family.
          if (option_pos.count(e.key)) {
            l_.error(e.key_pos, "option " + quoted(e.key) + " of " + where + " is given twice");
            continue;
          }
          option_pos[e.key] = e.key_pos;
          if (auto t = l_.text(e, "a single value (a driver option)")) driver.options[e.key] = *t;
        }
      }
      if (!have_driver) {
        std::vector<std::string> names;
        for (const auto& f : devices::families())
          names.emplace_back(f.name);
        l_.error(item.key_pos, where + " needs a driver: one of " + join(names));
      }
      if (!have_role) l_.error(item.key_pos, where + " needs a role: one of " + join(kRoles));
      if (driver_ok) {
        spec.auto_off = device_auto_off(*devices::find_family(driver.family), driver.options);
      }
      if (have_role && !role_ok) role_broken_.insert(spec.id);
      pending_.push_back({driver_ok && role_ok, option_pos});
      c_.engine.devices.push_back(std::move(spec));
      c_.device_drivers.push_back(std::move(driver));
      device_marks_.push_back(std::move(marks));
    }
  }

  void routines(const Entry& section) {
    auto items = l_.entries(section.value, section.value_pos, "routines", {});
    if (empty(section.value)) l_.error(section.key_pos, "routines: at least one is needed");
    for (const auto& item : items) {
      core::Routine r;
      r.id = item.key;
      Marks marks;
      marks.item = item.key_pos;
      marks.at["phases"] = item.key_pos;
      bool broken = false;
      if (!item.value.IsSequence()) {
        broken = true;
        l_.error(item.value_pos, "routine " + quoted(item.key) +
                                     " must be a list of phases like '- heat: 20m', got " +
                                     kind_name(item.value));
      } else {
        for (const auto& p : item.value) {
          const std::string where = "a phase of routine " + quoted(item.key);
          if (!p.IsMap() || p.size() != 1) {
            l_.error(pos_of(p), where +
                                    " must be one 'kind: duration' pair like 'heat: 20m', "
                                    "with kind one of " +
                                    join(kPhaseKinds));
            {
              broken = true;
              continue;
            }
          }
          auto entries = l_.entries(p, pos_of(p), where, kPhaseKinds);
          if (entries.empty()) {
            broken = true;
            continue;
          }
          const Entry& e = entries.front();
          auto d = l_.duration(e);
          if (!d) {
            broken = true;
            continue;
          }
          core::Phase phase;
          phase.kind = e.key == "heat"   ? core::PhaseKind::heat
                       : e.key == "cold" ? core::PhaseKind::cold
                                         : core::PhaseKind::rest;
          phase.length = *d;
          marks.at["phases[" + std::to_string(r.phases.size()) + "]"] = e.value_pos;
          r.phases.push_back(phase);
        }
      }
      routine_broken_.push_back(broken);
      routine_names_.push_back(r.id);
      c_.engine.routines.push_back(std::move(r));
      routine_marks_.push_back(std::move(marks));
    }
  }

  void zones(const Entry& section) {
    auto items = l_.entries(section.value, section.value_pos, "zones", {});
    if (empty(section.value)) l_.error(section.key_pos, "zones: at least one is needed");
    std::vector<std::string> device_names;
    for (const auto& d : c_.engine.devices)
      device_names.push_back(d.id);
    for (const auto& item : items) {
      core::ZoneSpec z;
      z.id = item.key;
      Marks marks;
      marks.item = item.key_pos;
      const std::string where = "zone " + quoted(item.key);
      for (const auto& e : l_.entries(item.value, item.value_pos, where, kZoneKeys)) {
        if (e.key == "heat" || e.key == "cold") {
          marks.at[e.key + "_device"] = e.value_pos;
          auto t = l_.text(e, "a device name");
          if (!t) continue;
          if (std::find(device_names.begin(), device_names.end(), *t) == device_names.end()) {
            l_.error(e.value_pos, where + ": unknown device " + quoted(*t) + "; devices: " +
                                      (device_names.empty() ? "none" : join(device_names)));
          }
          (e.key == "heat" ? z.heat_device : z.cold_device) = *t;
        } else {
          marks.at[e.key] = e.value_pos;
          if (auto d = l_.duration(e)) (e.key == "min_rest" ? z.min_rest : z.daily_cap) = *d;
        }
      }
      zone_names_.push_back(z.id);
      c_.engine.zones.push_back(std::move(z));
      zone_marks_.push_back(std::move(marks));
    }
  }

  void schedules(const Entry& section) {
    if (section.value.IsNull()) return;
    if (!section.value.IsSequence()) {
      l_.error(section.value_pos,
               "schedules must be a list of {zone, routine, at, days, grace}, got " +
                   std::string(kind_name(section.value)));
      return;
    }
    for (const auto& node : section.value) {
      Pos at = pos_of(node);
      Schedule s;
      s.days.fill(true);
      bool have_zone = false, have_routine = false, have_at = false, ok = true;
      Pos routine_pos = at;
      for (const auto& e : l_.entries(node, at, "a schedule", kScheduleKeys)) {
        if (e.key == "zone" || e.key == "routine") {
          bool zone = e.key == "zone";
          (zone ? have_zone : have_routine) = true;
          auto t = l_.text(e, zone ? "a zone name" : "a routine name");
          if (!t) {
            ok = false;
            continue;
          }
          const auto& names = zone ? zone_names_ : routine_names_;
          if (std::find(names.begin(), names.end(), *t) == names.end()) {
            l_.error(e.value_pos, std::string("unknown ") + e.key + " " + quoted(*t) + "; " +
                                      (zone ? "zones: " : "routines: ") +
                                      (names.empty() ? "none" : join(names)));
            ok = false;
          }
          (zone ? s.zone : s.routine) = *t;
          if (!zone) routine_pos = e.value_pos;
        } else if (e.key == "at") {
          have_at = true;
          ok = time_of_day(e, s) && ok;
        } else if (e.key == "days") {
          ok = days(e, s) && ok;
        } else if (auto d = l_.duration(e)) {
          if (*d < Duration{0} || *d > std::chrono::hours{12} ||
              *d % std::chrono::minutes{1} != Duration{0}) {
            l_.error(e.value_pos, "grace must be whole minutes from 0m to 12h");
            ok = false;
          } else {
            s.grace = std::chrono::duration_cast<std::chrono::minutes>(*d);
          }
        } else {
          ok = false;
        }
      }
      if (!node.IsMap()) continue;
      if (!have_zone) l_.error(at, "a schedule needs a zone");
      if (!have_routine) l_.error(at, "a schedule needs a routine");
      if (!have_at) l_.error(at, "a schedule needs a time: at: \"07:30\"");
      if (ok && have_zone && have_routine && have_at) {
        if (auto why = unfit(s.zone, s.routine); !why.empty()) {
          l_.error(routine_pos, why);
        } else {
          c_.schedules.push_back(s);
        }
      }
    }
  }

  // Why the zone can never run the routine (a cold phase in a zone without a cold
  // device): such a schedule would be refused every time.
  std::string unfit(const std::string& zone, const std::string& routine) const {
    const auto& zones = c_.engine.zones;
    const auto& routines = c_.engine.routines;
    auto z = std::find_if(zones.begin(), zones.end(), [&](const auto& x) { return x.id == zone; });
    auto r = std::find_if(routines.begin(), routines.end(),
                          [&](const auto& x) { return x.id == routine; });
    if (z == zones.end() || r == routines.end()) return {};
    auto kind = core::missing_device_kind(*z, *r);
    if (!kind) return {};
    const std::string name(core::to_string(*kind));
    return "routine " + quoted(routine) + " has a " + name + " phase but zone " + quoted(zone) +
           " has no " + name + " device";
  }

  bool time_of_day(const Entry& e, Schedule& s) {
    auto t = l_.text(e, "a local time like \"07:30\"");
    if (!t) return false;
    auto digits = [&](std::size_t from, std::size_t n, int& out) {
      out = 0;
      for (std::size_t i = from; i < from + n; ++i) {
        if ((*t)[i] < '0' || (*t)[i] > '9') return false;
        out = out * 10 + ((*t)[i] - '0');
      }
      return true;
    };
    int h = 0, m = 0;
    bool ok = (t->size() == 5 && (*t)[2] == ':' && digits(0, 2, h) && digits(3, 2, m)) ||
              (t->size() == 4 && (*t)[1] == ':' && digits(0, 1, h) && digits(2, 2, m));
    if (!ok || h > 23 || m > 59) {
      l_.error(e.value_pos, "at must be a local time HH:MM from 00:00 to 23:59, got " + quoted(*t));
      return false;
    }
    s.hour = h;
    s.minute = m;
    return true;
  }

  bool days(const Entry& e, Schedule& s) {
    const std::string allowed = "daily, weekdays, weekends or a list of " + join(kDays);
    if (e.value.IsScalar()) {
      const std::string& t = e.value.Scalar();
      if (t == "daily") {
        s.days.fill(true);
      } else if (t == "weekdays") {
        s.days = {true, true, true, true, true, false, false};
      } else if (t == "weekends") {
        s.days = {false, false, false, false, false, true, true};
      } else {
        l_.error(e.value_pos, "days must be " + allowed + ", got " + quoted(t));
        return false;
      }
      return true;
    }
    if (!e.value.IsSequence() || e.value.size() == 0) {
      l_.error(e.value_pos, "days must be " + allowed + ", got " + kind_name(e.value));
      return false;
    }
    s.days.fill(false);
    bool ok = true;
    for (const auto& d : e.value) {
      auto it = d.IsScalar() ? std::find(kDays.begin(), kDays.end(), d.Scalar()) : kDays.end();
      if (it == kDays.end()) {
        l_.error(pos_of(d), "a day must be one of " + join(kDays) + ", got " +
                                (d.IsScalar() ? quoted(d.Scalar()) : kind_name(d)));
        ok = false;
        continue;
      }
      auto i = static_cast<std::size_t>(it - kDays.begin());
      if (s.days[i]) {
        l_.error(pos_of(d), "day " + quoted(d.Scalar()) + " is listed twice");
        ok = false;
      }
      s.days[i] = true;
    }
    return ok;
  }

  void validate_engine() {
    for (const auto& p : core::validate(c_.engine)) {
      const Marks* marks = nullptr;
      if (p.section == "safety") marks = &safety_marks_;
      if (p.section == "devices" && p.index < device_marks_.size()) marks = &device_marks_[p.index];
      if (p.section == "zones" && p.index < zone_marks_.size()) marks = &zone_marks_[p.index];
      if (p.section == "routines" && p.index < routine_marks_.size())
        marks = &routine_marks_[p.index];
      // A routine with a phase that did not parse is missing it: what validate() says
      // about the order of its phases would be about a routine nobody wrote.
      if (p.section == "routines" && p.field == "phases" && p.index < routine_broken_.size() &&
          routine_broken_[p.index])
        continue;
      // A zone using a device whose role did not parse: the role check saw a default.
      if (p.section == "zones" && p.index < c_.engine.zones.size()) {
        const auto& z = c_.engine.zones[p.index];
        const std::string& device = p.field == "heat_device"   ? z.heat_device
                                    : p.field == "cold_device" ? z.cold_device
                                                               : std::string();
        if (role_broken_.count(device)) continue;
      }
      Pos at = marks ? marks->find(p.field) : Pos{};
      // An item's own problem already names it ("device 'pad' is not used by any zone").
      std::string prefix = p.field.empty() ? std::string() : where(p, c_.engine) + ": ";
      l_.error(at, prefix + p.message, true);
    }
  }

  // Each driver checks its own options, exactly as it will when padtimerd builds it.
  void check_driver_options() {
    devices::Context context{c_.mqtt.client_id};
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (!pending_[i].buildable) continue;
      const auto& driver = c_.device_drivers[i];
      const auto* family = devices::find_family(driver.family);
      std::vector<devices::OptionProblem> problems;
      auto built = family->make(c_.engine.devices[i], driver.options, context, problems);
      if (built && problems.empty()) continue;
      if (problems.empty()) problems.push_back({"", "the driver could not be built"});
      for (const auto& p : problems) {
        auto it = pending_[i].option_pos.find(p.option);
        Pos at = it != pending_[i].option_pos.end() ? it->second : device_marks_[i].item;
        l_.error(at, "device " + quoted(c_.engine.devices[i].id) + " (" + driver.family +
                         "): " + p.message);
      }
    }
  }

  struct PendingDevice {
    bool buildable = false;
    std::map<std::string, Pos> option_pos;
  };

  Loader& l_;
  DaemonConfig c_;
  Marks safety_marks_;
  std::vector<Marks> device_marks_, zone_marks_, routine_marks_;
  std::vector<PendingDevice> pending_;
  std::vector<std::string> zone_names_, routine_names_;
  std::vector<bool> routine_broken_;   // a phase of the routine did not parse
  std::set<std::string> role_broken_;  // devices whose role did not parse
};

}  // namespace

std::string ConfigError::str() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::optional<core::Duration> parse_duration(std::string_view text, std::string& error) {
  const std::string form = "a duration like 20m, 90s, 1h30m or 500ms (units h, m, s, ms)";
  auto fail = [&](const std::string& why) -> std::optional<core::Duration> {
    error = why + ": expected " + form + ", got '" + std::string(text) + "'";
    return std::nullopt;
  };
  if (text.empty()) return fail("empty duration");
  struct Unit {
    std::string_view name;
    std::int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
  constexpr std::int64_t kMaxMs = 7LL * 24 * 3'600'000;  // a week is plenty for any setting
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // units must come largest first, each once
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
      ++i;
    if (i == start) return fail("a number must come before each unit");
    if (i - start > 9) return fail("number too large");
    std::int64_t value = 0;
    std::from_chars(text.data() + start, text.data() + i, value);
    std::size_t ustart = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z')
      ++i;
    std::string_view unit = text.substr(ustart, i - ustart);
    if (unit.empty()) {
      return fail(ustart == text.size() && start == 0 ? "a bare number has no unit"
                                                      : "missing unit after a number");
    }
    std::size_t u = 0;
    while (u < std::size(kUnits) && kUnits[u].name != unit)
      ++u;
    if (u == std::size(kUnits)) return fail("unknown unit '" + std::string(unit) + "'");
    if (u < next_unit) return fail("units must go from largest to smallest, each at most once");
    next_unit = u + 1;
    total += value * kUnits[u].ms;
    if (total > kMaxMs) return fail("longer than a week");
  }
  return core::Duration{total};
}

bool device_auto_off(const devices::Family& family, const devices::Options& options) {
  if (!family.supports_auto_off) return false;
  if (family.name == "zigbee2mqtt") {
    auto it = options.find("on_time");
    if (it != options.end() && it->second == "false") return false;
  }
  return true;
}

LoadResult parse_config(std::string_view yaml_text, const std::string& name_for_messages) {
  Loader loader(name_for_messages);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    loader.error(pos_of(e.mark), "not valid YAML: " + e.msg);
    return loader.finish(std::nullopt);
  }
  if (root.IsNull()) {
    loader.error({}, "the config is empty; it needs at least devices, zones and routines");
    return loader.finish(std::nullopt);
  }
  try {
    Parser parser(loader);
    DaemonConfig config = parser.run(root);
    return loader.finish(std::move(config));
  } catch (const YAML::Exception& e) {  // not expected: every access is type-checked first
    loader.error(pos_of(e.mark), "cannot read this part of the config: " + e.msg);
    return loader.finish(std::nullopt);
  }
}

LoadResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back({path, 1, 1, "cannot read the config file"});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

std::vector<std::unique_ptr<devices::Driver>> make_drivers(const DaemonConfig& config,
                                                           const std::string& client_id) {
  std::vector<std::unique_ptr<devices::Driver>> out;
  devices::Context context{client_id};
  for (std::size_t i = 0; i < config.engine.devices.size(); ++i) {
    const auto& spec = config.engine.devices[i];
    const auto& driver = config.device_drivers.at(i);
    const auto* family = devices::find_family(driver.family);
    if (!family)
      throw std::runtime_error("device '" + spec.id + "': unknown driver " + driver.family);
    std::vector<devices::OptionProblem> problems;
    auto built = family->make(spec, driver.options, context, problems);
    if (!built) {
      std::string why = problems.empty() ? "unknown problem" : problems.front().message;
      throw std::runtime_error("device '" + spec.id + "': " + why);
    }
    out.push_back(std::move(built));
  }
  return out;
}

}  // namespace padtimer::config
