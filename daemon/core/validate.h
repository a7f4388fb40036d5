// Complete validation of an EngineConfig, before anything runs. Each problem names where
// it is (section, index, field), so the YAML loader can point at file:line:col.
#pragma once

#include <string>
#include <vector>

#include "core/model.h"

namespace padtimer::core {

// Hard bounds on sensor limits, whatever the config says (GUIDE §4: contact burns start
// around 44 °C over hours, and each extra degree halves the time).
inline constexpr double kHeatCutoffCeilingC = 45.0;
inline constexpr double kHeatCutoffFloorC = 30.0;
inline constexpr double kColdCutoffFloorC = -10.0;
inline constexpr double kColdCutoffCeilingC = 20.0;

struct ConfigProblem {
  std::string section;    // "safety", "devices", "zones", "routines"
  std::size_t index = 0;  // position in the section's list (0 for "safety")
  std::string field;      // e.g. "min_rest", "phases[2]"; empty for the item itself
  std::string message;
};

// "zones[1].min_rest: ..." — for logs and exception texts.
std::string describe(const ConfigProblem& problem);

std::vector<ConfigProblem> validate(const EngineConfig& config);

// A valid id: 1-64 characters of [A-Za-z0-9_-]. Ids become MQTT topic levels.
bool is_valid_id(const std::string& id);

}  // namespace padtimer::core
