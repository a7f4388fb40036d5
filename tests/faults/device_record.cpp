#include "device_record.h"

#include <time.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>

#include "json/json.h"

namespace padtimer::testing::faults {

namespace {

std::string seconds(Nanos d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", std::chrono::duration<double>(d).count());
  return buf;
}

bool is_on(const std::string& output) {
  return output == "heat" || output == "cold";
}

}  // namespace

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::vector<OutputChange> read_record(const std::string& path, std::vector<std::string>& errors) {
  std::vector<OutputChange> out;
  std::ifstream in(path);
  if (!in) {
    errors.push_back("cannot read the device record " + path);
    return out;
  }
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    auto doc = json::parse(line);
    const json::Value* t = doc ? doc.value->find("t_ns") : nullptr;
    const json::Value* device = doc ? doc.value->find("device") : nullptr;
    const json::Value* output = doc ? doc.value->find("output") : nullptr;
    if (!t || !t->as_int() || !device || !device->as_string() || !output || !output->as_string()) {
      errors.push_back(path + ":" + std::to_string(number) + ": not a record: " + line);
      continue;
    }
    out.push_back({*t->as_int(), *device->as_string(), *output->as_string()});
  }
  return out;
}

std::vector<std::string> check_invariants(const std::vector<OutputChange>& changes,
                                          const std::vector<ZoneLayout>& zones,
                                          const Limits& limits, std::int64_t now_ns) {
  std::vector<std::string> violations;
  std::vector<OutputChange> ordered = changes;
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.t_ns < b.t_ns; });

  // 1. How long each device stayed ON in one mode.
  struct OnSpell {
    std::string output;
    std::int64_t since = 0;
  };
  std::map<std::string, OnSpell> spells;
  auto close_spell = [&](const std::string& device, std::int64_t at) {
    auto it = spells.find(device);
    if (it == spells.end()) return;
    const Nanos max = it->second.output == "heat" ? limits.heat_max : limits.cold_max;
    const Nanos length{at - it->second.since};
    if (length > max + limits.lease + limits.tolerance) {
      violations.push_back(device + " was ON (" + it->second.output + ") for " + seconds(length) +
                           ", more than the phase maximum " + seconds(max) + " plus the lease " +
                           seconds(limits.lease));
    }
    spells.erase(it);
  };
  for (const OutputChange& c : ordered) {
    auto it = spells.find(c.device);
    if (it != spells.end() && it->second.output == c.output) continue;
    close_spell(c.device, c.t_ns);
    if (is_on(c.output)) spells[c.device] = {c.output, c.t_ns};
  }
  while (!spells.empty())
    close_spell(spells.begin()->first, now_ns);

  // 2 and 3, zone by zone.
  for (const ZoneLayout& zone : zones) {
    const bool dual = zone.heat_device == zone.cold_device;
    std::map<std::string, std::string> outputs;  // device -> output now
    std::optional<std::int64_t> all_off_since;   // after the zone's last ON
    bool any_on_before = false;
    for (const OutputChange& c : ordered) {
      if (c.device != zone.heat_device && c.device != zone.cold_device) continue;
      const bool was_any_on = std::any_of(outputs.begin(), outputs.end(),
                                          [](const auto& kv) { return is_on(kv.second); });
      const std::string before = outputs[c.device];
      outputs[c.device] = c.output;
      const bool now_any_on = std::any_of(outputs.begin(), outputs.end(),
                                          [](const auto& kv) { return is_on(kv.second); });
      if (!dual && !zone.heat_device.empty() && !zone.cold_device.empty() &&
          is_on(outputs[zone.heat_device]) && is_on(outputs[zone.cold_device])) {
        violations.push_back(zone.zone + ": heat (" + zone.heat_device + ") and cold (" +
                             zone.cold_device + ") both ON at t=" + std::to_string(c.t_ns));
      }
      if (c.output == "heat" && before != "heat") {
        if (any_on_before && all_off_since && !was_any_on) {
          const Nanos rest{c.t_ns - *all_off_since};
          if (rest + limits.tolerance < zone.min_rest) {
            violations.push_back(zone.zone + ": a session started after " + seconds(rest) +
                                 " of rest, less than the rest interval " + seconds(zone.min_rest));
          }
        }
      }
      if (now_any_on) any_on_before = true;
      if (was_any_on && !now_any_on) all_off_since = c.t_ns;
    }
  }
  return violations;
}

}  // namespace padtimer::testing::faults
