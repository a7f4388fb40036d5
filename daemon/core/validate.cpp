#include "core/validate.h"

#include <map>
#include <set>

#include "core/checks.h"
#include "core/time_format.h"

namespace padtimer::core {

namespace {

class Collector {
 public:
  explicit Collector(std::vector<ConfigProblem>& out) : out_(out) {}
  void add(std::string section, std::size_t index, std::string field, std::string message) {
    out_.push_back({std::move(section), index, std::move(field), std::move(message)});
  }
  void range(const std::string& section, std::size_t index, const std::string& field,
             Duration value, Duration min, Duration max) {
    if (value >= min && value <= max) return;
    add(section, index, field,
        "must be between " + describe_duration(min) + " and " + describe_duration(max) + ", got " +
            describe_duration(value));
  }

 private:
  std::vector<ConfigProblem>& out_;
};

void validate_safety(const SafetySettings& s, Collector& c) {
  c.range("safety", 0, "confirm_timeout", s.confirm_timeout, 1s, 60s);
  c.range("safety", 0, "lease", s.lease, 10s, 10min);
  c.range("safety", 0, "lease_rearm", s.lease_rearm, 1s, 10min);
  c.range("safety", 0, "lease_margin", s.lease_margin, 1s, s.confirm_timeout);
  if (s.lease_rearm + 2 * s.confirm_timeout > s.lease) {
    c.add("safety", 0, "lease_rearm",
          "lease_rearm plus two confirm_timeouts (" +
              describe_duration(s.lease_rearm + 2 * s.confirm_timeout) +
              ") must fit inside the lease (" + describe_duration(s.lease) +
              "), or a device could switch itself off while a re-arm is retried");
  }
  c.range("safety", 0, "phase_rest", s.phase_rest, kPhaseRestFloor, kRestPhaseMax);
  c.range("safety", 0, "max_pause", s.max_pause, 1min, kRestPhaseMax);
  c.range("safety", 0, "broker_grace", s.broker_grace, 1s, 10min);
  c.range("safety", 0, "state_refresh", s.state_refresh, 1s, 10min);
}

void validate_sensor(const DeviceSpec& d, std::size_t i, Collector& c) {
  const SensorSpec& s = *d.sensor;
  bool heats = d.role != DeviceRole::cold;
  bool cools = d.role != DeviceRole::heat;
  if (heats && !s.max_c)
    c.add("devices", i, "sensor.max_c", "a heating device's sensor needs max_c");
  if (cools && !s.min_c)
    c.add("devices", i, "sensor.min_c", "a cooling device's sensor needs min_c");
  // Written so that NaN fails too: a NaN limit would silently disable the cutoff.
  if (s.max_c && !(*s.max_c >= kHeatCutoffFloorC && *s.max_c <= kHeatCutoffCeilingC)) {
    c.add("devices", i, "sensor.max_c",
          "must be between " + std::to_string(static_cast<int>(kHeatCutoffFloorC)) + " and " +
              std::to_string(static_cast<int>(kHeatCutoffCeilingC)) + " °C");
  }
  if (s.min_c && !(*s.min_c >= kColdCutoffFloorC && *s.min_c <= kColdCutoffCeilingC)) {
    c.add("devices", i, "sensor.min_c",
          "must be between " + std::to_string(static_cast<int>(kColdCutoffFloorC)) + " and " +
              std::to_string(static_cast<int>(kColdCutoffCeilingC)) + " °C");
  }
  c.range("devices", i, "sensor.telemetry_timeout", s.telemetry_timeout, 5s, 10min);
  auto watch = [&](const std::optional<ResponseWatch>& w, const char* name, bool applies) {
    if (!w) return;
    std::string field = std::string("sensor.") + name;
    if (!applies)
      c.add("devices", i, field,
            "does not apply to a device with role " + std::string(to_string(d.role)));
    if (!(w->min_change_c > 0.0 && w->min_change_c <= 20.0)) {
      c.add("devices", i, field + ".min_change_c", "must be above 0 and at most 20 °C");
    }
    c.range("devices", i, field + ".within", w->within, 10s, 15min);
  };
  watch(s.heat_up, "heat_up", heats);
  watch(s.cool_down, "cool_down", cools);
}

void validate_devices(const EngineConfig& config, Collector& c) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < config.devices.size(); ++i) {
    const DeviceSpec& d = config.devices[i];
    if (!is_valid_id(d.id)) c.add("devices", i, "id", "must be 1-64 characters of A-Z a-z 0-9 _ -");
    if (!seen.insert(d.id).second) c.add("devices", i, "id", "duplicate device id '" + d.id + "'");
    if (d.sensor) validate_sensor(d, i, c);
  }
}

void validate_zones(const EngineConfig& config, Collector& c) {
  std::map<std::string, const DeviceSpec*> devices;
  for (const auto& d : config.devices)
    devices.emplace(d.id, &d);
  std::map<std::string, std::string> owner;  // device id -> zone id
  std::set<std::string> seen;
  for (std::size_t i = 0; i < config.zones.size(); ++i) {
    const ZoneSpec& z = config.zones[i];
    if (!is_valid_id(z.id)) c.add("zones", i, "id", "must be 1-64 characters of A-Z a-z 0-9 _ -");
    if (!seen.insert(z.id).second) c.add("zones", i, "id", "duplicate zone id '" + z.id + "'");
    if (z.heat_device.empty() && z.cold_device.empty()) {
      c.add("zones", i, "", "zone '" + z.id + "' needs a heat_device, a cold_device or both");
    }
    auto use = [&](const std::string& id, const char* field, DeviceRole wanted) {
      if (id.empty()) return;
      auto it = devices.find(id);
      if (it == devices.end()) {
        c.add("zones", i, field, "unknown device '" + id + "'");
        return;
      }
      DeviceRole role = it->second->role;
      if (role != wanted && role != DeviceRole::dual) {
        c.add("zones", i, field,
              "device '" + id + "' has role " + std::string(to_string(role)) + "; a " + field +
                  " needs role " + std::string(to_string(wanted)) + " or dual");
      }
      auto [pos, inserted] = owner.emplace(id, z.id);
      if (!inserted && pos->second != z.id) {
        c.add("zones", i, field,
              "device '" + id + "' already belongs to zone '" + pos->second + "'");
      }
    };
    use(z.heat_device, "heat_device", DeviceRole::heat);
    use(z.cold_device, "cold_device", DeviceRole::cold);
    if (!z.heat_device.empty() && z.heat_device == z.cold_device) {
      auto it = devices.find(z.heat_device);
      if (it != devices.end() && it->second->role != DeviceRole::dual) {
        c.add("zones", i, "cold_device", "only a dual device can be both heat and cold device");
      }
    }
    c.range("zones", i, "min_rest", z.min_rest, kSessionRestFloor, std::chrono::hours{24});
    c.range("zones", i, "daily_cap", z.daily_cap, kColdPhaseMin, std::chrono::hours{8});
  }
  for (std::size_t i = 0; i < config.devices.size(); ++i) {
    if (!owner.contains(config.devices[i].id)) {
      c.add("devices", i, "", "device '" + config.devices[i].id + "' is not used by any zone");
    }
  }
}

void validate_routines(const EngineConfig& config, Collector& c) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < config.routines.size(); ++i) {
    const Routine& r = config.routines[i];
    if (!is_valid_id(r.id))
      c.add("routines", i, "id", "must be 1-64 characters of A-Z a-z 0-9 _ -");
    if (!seen.insert(r.id).second)
      c.add("routines", i, "id", "duplicate routine id '" + r.id + "'");
    bool therapy = false;
    for (std::size_t p = 0; p < r.phases.size(); ++p) {
      therapy = therapy || r.phases[p].kind != PhaseKind::rest;
      if (auto bad = check_phase_length(r.phases[p])) {
        c.add("routines", i, "phases[" + std::to_string(p) + "]", bad->message);
      }
    }
    if (!therapy) c.add("routines", i, "phases", "a routine needs at least one heat or cold phase");
    if (auto bad = check_routine_rests(r, config.safety.phase_rest)) {
      c.add("routines", i, "phases", bad->message);
    }
  }
}

}  // namespace

std::string describe(const ConfigProblem& p) {
  // Appended piece by piece: GCC 12 at -O3 (CMake's Release) reports a false -Wrestrict
  // for `"[" + std::to_string(...) + "]"` here.
  std::string where = p.section;
  if (p.section != "safety") {
    where += '[';
    where += std::to_string(p.index);
    where += ']';
  }
  if (!p.field.empty()) {
    where += '.';
    where += p.field;
  }
  where += ": ";
  where += p.message;
  return where;
}

bool is_valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char ch : id) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

std::vector<ConfigProblem> validate(const EngineConfig& config) {
  std::vector<ConfigProblem> problems;
  Collector c(problems);
  validate_safety(config.safety, c);
  validate_devices(config, c);
  validate_zones(config, c);
  validate_routines(config, c);
  return problems;
}

}  // namespace padtimer::core
