#include "sim/types.h"

#include <cmath>
#include <cstdio>

#include "json/json.h"
#include "sim/text.h"

namespace padtimer::sim {

std::string_view to_string(Output output) {
  switch (output) {
    case Output::off: return "off";
    case Output::heat: return "heat";
    case Output::cold: return "cold";
  }
  return "off";
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::heat: return "heat";
    case Role::cold: return "cold";
    case Role::dual: return "dual";
  }
  return "heat";
}

std::optional<Role> role_from_string(std::string_view text) {
  if (text == "heat") return Role::heat;
  if (text == "cold") return Role::cold;
  if (text == "dual") return Role::dual;
  return std::nullopt;
}

Output on_output(Role role) {
  return role == Role::cold ? Output::cold : Output::heat;
}

std::string_view to_string(Fault fault) {
  switch (fault) {
    case Fault::silent: return "silent";
    case Fault::offline: return "offline";
    case Fault::sensor_stuck: return "sensor_stuck";
    case Fault::sensor_hot: return "sensor_hot";
    case Fault::sensor_silent: return "sensor_silent";
    case Fault::welded: return "welded";
  }
  return "silent";
}

std::optional<Fault> fault_from_string(std::string_view text) {
  for (Fault f : kAllFaults) {
    if (to_string(f) == text) return f;
  }
  return std::nullopt;
}

bool Faults::any() const {
  for (bool b : flags_) {
    if (b) return true;
  }
  return false;
}

std::vector<std::string> Faults::names() const {
  std::vector<std::string> out;
  for (Fault f : kAllFaults) {
    if (has(f)) out.emplace_back(to_string(f));
  }
  return out;
}

namespace {

const char* kFaultWords =
    "silent, offline, online, sensor_stuck, sensor_hot, sensor_silent, welded, clear";

}  // namespace

FaultParse parse_fault_command(std::string_view payload) {
  std::string_view text = trim(payload);
  FaultParse out;
  if (text.empty()) {
    out.error = std::string("empty fault command (one of: ") + kFaultWords + ")";
    return out;
  }
  if (text.front() != '{') {
    FaultCommand cmd;
    if (text == "clear") {
      cmd.clear = true;
    } else if (text == "online") {
      cmd.changes.emplace_back(Fault::offline, false);
    } else if (auto f = fault_from_string(text)) {
      cmd.changes.emplace_back(*f, true);
    } else {
      out.error = "unknown fault '" + std::string(text) + "' (one of: " + kFaultWords + ")";
      return out;
    }
    out.command = std::move(cmd);
    return out;
  }
  auto parsed = json::parse(text);
  if (!parsed) {
    out.error = "bad JSON: " + parsed.error.message;
    return out;
  }
  const json::Object* flags = parsed.value->as_object();
  if (!flags) {
    out.error = "a fault command is one word or a JSON object of flags";
    return out;
  }
  FaultCommand cmd;
  for (const auto& [key, value] : *flags) {
    auto flag = value.as_bool();
    if (!flag) {
      out.error = "\"" + key + "\" must be true or false";
      return out;
    }
    if (key == "clear") {
      cmd.clear = cmd.clear || *flag;
    } else if (key == "online") {
      cmd.changes.emplace_back(Fault::offline, !*flag);
    } else if (auto f = fault_from_string(key)) {
      cmd.changes.emplace_back(*f, *flag);
    } else {
      out.error = "unknown fault \"" + key + "\" (one of: " + kFaultWords + ")";
      return out;
    }
  }
  out.command = std::move(cmd);
  return out;
}

std::string format_seconds(Seconds s) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f", s.count());
  return buf;
}

double round1(double value) {
  return std::round(value * 10.0) / 10.0;
}

}  // namespace padtimer::sim
