#include "devices/common.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace padtimer::devices {
namespace {

// A payload or option value quoted for a message: JSON string syntax (so control bytes and
// invalid UTF-8 stay readable), cut after 40 bytes.
std::string quote(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string quoted = json::Value(text.substr(0, kMax)).dump();
  if (text.size() > kMax) quoted += "...";
  return quoted;
}

std::string_view trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && space(text.back()))
    text.remove_suffix(1);
  return text;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names)
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

// ---- Payloads -------------------------------------------------------------------------

Decoded problem(std::string message) {
  return Decoded{{}, std::move(message)};
}

void add_problem(Decoded& out, std::string message) {
  out.problem += (out.problem.empty() ? "" : "; ") + message;
}

std::string size_problem(std::string_view payload) {
  if (payload.size() <= kMaxPayloadBytes) return {};
  return "payload larger than " + std::to_string(kMaxPayloadBytes) + " bytes";
}

std::optional<json::Value> parse_json(std::string_view payload, std::string& problem) {
  problem = size_problem(payload);
  if (!problem.empty()) return std::nullopt;
  json::ParseResult result = json::parse(payload);
  if (!result) {
    problem = "not valid JSON: " + result.error.message;
    return std::nullopt;
  }
  return std::move(result.value);
}

std::optional<json::Value> parse_json_object(std::string_view payload, std::string& problem) {
  auto value = parse_json(payload, problem);
  if (value && !value->is_object()) {
    problem = "not a JSON object";
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parse_word(std::string_view text, std::string_view yes, std::string_view no) {
  text = trim(text);
  if (equal_ignoring_case(text, yes)) return true;
  if (equal_ignoring_case(text, no)) return false;
  return std::nullopt;
}

namespace {
std::string expected_words(std::string_view a, std::string_view b, std::string_view payload) {
  std::string message = "expected \"";
  message.append(a).append("\" or \"").append(b).append("\", got ").append(quote(payload));
  return message;
}
}  // namespace

Decoded availability(const std::string& device, std::string_view payload,
                     std::string_view online_word, std::string_view offline_word) {
  auto online = parse_word(payload, online_word, offline_word);
  if (!online) return problem(expected_words(online_word, offline_word, payload));
  return Decoded{{core::DeviceAvailability{device, *online}}, {}};
}

void mark_unprompted(Decoded& decoded) {
  for (auto& event : decoded.events) {
    if (auto* report = std::get_if<core::DeviceReport>(&event)) report->answer = false;
  }
}

Decoded switch_state(const std::string& device, std::string_view payload, core::Output on,
                     std::string_view on_word, std::string_view off_word) {
  auto is_on = parse_word(payload, on_word, off_word);
  if (!is_on) return problem(expected_words(on_word, off_word, payload));
  return Decoded{{core::DeviceReport{device, *is_on ? on : core::Output::off}}, {}};
}

void add_temperature(Decoded& out, const std::string& device, const json::Value* value,
                     std::string_view what, bool fahrenheit) {
  const std::string name(what);
  if (!value) return add_problem(out, "no " + name);
  if (value->is_null())
    return add_problem(out, name + " is null: the sensor has no reading (disconnected or failed)");
  auto number = value->as_number();
  if (!number) return add_problem(out, name + " is not a number");
  double celsius = fahrenheit ? (*number - 32.0) * 5.0 / 9.0 : *number;
  if (!std::isfinite(celsius) || celsius < kMinCelsius || celsius > kMaxCelsius) {
    return add_problem(out, name + " " + value->dump() + (fahrenheit ? " °F" : " °C") +
                                " is outside -50..150 °C: the sensor is broken or missing");
  }
  out.events.push_back(core::TemperatureReading{device, celsius});
}

// ---- Commands -------------------------------------------------------------------------

std::int64_t ceil_units(core::Duration duration, core::Duration unit) {
  const auto count = duration.count();
  const auto size = unit.count();
  if (count <= 0 || size <= 0) return 1;
  return count / size + (count % size != 0 ? 1 : 0);
}

bool wants_on(const core::SetOutput& command, core::Output on) {
  return command.output == on;
}

// ---- Options --------------------------------------------------------------------------

std::string topic_problem(std::string_view text) {
  if (text.empty()) return "must not be empty";
  if (text.find_first_of("+#") != std::string_view::npos)
    return "must not contain the MQTT wildcards + or #";
  if (has_control(text)) return "must not contain control characters";
  if (text.front() == '/' || text.back() == '/') return "must not start or end with '/'";
  if (text.find("//") != std::string_view::npos) return "must not contain an empty level (//)";
  return {};
}

OptionReader::OptionReader(std::string_view family, const Options& options,
                           std::vector<OptionProblem>& problems)
    : family_(family), options_(options), problems_(problems), first_problem_(problems.size()) {}

const std::string* OptionReader::find(std::string_view name) {
  if (std::find(accepted_.begin(), accepted_.end(), name) == accepted_.end())
    accepted_.emplace_back(name);
  auto it = options_.find(std::string(name));
  return it == options_.end() ? nullptr : &it->second;
}

const std::string* OptionReader::find(std::string_view name, bool required, std::string_view hint) {
  const std::string* value = find(name);
  if (!value && required) report(name, std::string(name) + " is required: " + std::string(hint));
  return value;
}

void OptionReader::report(std::string_view option, std::string message) {
  problems_.push_back(OptionProblem{std::string(option), std::move(message)});
}

std::optional<std::string> OptionReader::topic(std::string_view name, bool required,
                                               std::string_view hint) {
  const std::string* value = find(name, required, hint);
  if (!value) return std::nullopt;
  if (auto why = topic_problem(*value); !why.empty()) {
    report(name,
           std::string(name) + " " + why + ", got " + quote(*value) + ": " + std::string(hint));
    return std::nullopt;
  }
  return *value;
}

std::string OptionReader::topic(std::string_view name, std::string_view fallback) {
  auto value = topic(name, false, "one or more MQTT topic levels");
  return value ? *value : std::string(fallback);
}

std::optional<std::string> OptionReader::text(std::string_view name, bool required,
                                              std::string_view hint) {
  const std::string* value = find(name, required, hint);
  if (!value) return std::nullopt;
  if (value->empty() || has_control(*value)) {
    report(name, std::string(name) + " must be non-empty text without control characters, got " +
                     quote(*value) + ": " + std::string(hint));
    return std::nullopt;
  }
  return *value;
}

std::string OptionReader::text(std::string_view name, std::string_view fallback) {
  auto value = text(name, false, "a JSON property name");
  return value ? *value : std::string(fallback);
}

std::optional<int> OptionReader::integer(std::string_view name, int min, int max, bool required,
                                         std::string_view hint) {
  const std::string* value = find(name, required, hint);
  if (!value) return std::nullopt;
  int parsed = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
  if (value->empty() || (*value)[0] == '-' || ec != std::errc{} || ptr != end || parsed < min ||
      parsed > max) {
    report(name, std::string(name) + " must be a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", got " + quote(*value));
    return std::nullopt;
  }
  return parsed;
}

int OptionReader::integer(std::string_view name, int min, int max, int fallback) {
  return integer(name, min, max, false, {}).value_or(fallback);
}

bool OptionReader::boolean(std::string_view name, bool fallback) {
  const std::string* value = find(name);
  if (!value) return fallback;
  if (*value == "true") return true;
  if (*value == "false") return false;
  report(name, std::string(name) + " must be true or false, got " + quote(*value));
  return fallback;
}

bool OptionReader::sensor_option(std::string_view name, bool has_sensor) {
  if (has_sensor) return true;
  if (find(name)) {
    report(name, std::string(name) +
                     " is set but the device has no sensor block, so padtimer would never use it: "
                     "remove it, or add a sensor block to the device");
  }
  return false;
}

void OptionReader::unsupported(std::string_view name, std::string_view reason) {
  handled_.emplace_back(name);
  if (options_.count(std::string(name)))
    report(name,
           std::string(name) + " is not supported by " + family_ + ": " + std::string(reason));
}

bool OptionReader::finish() {
  for (const auto& [name, value] : options_) {
    bool known = std::find(accepted_.begin(), accepted_.end(), name) != accepted_.end() ||
                 std::find(handled_.begin(), handled_.end(), name) != handled_.end();
    if (!known) {
      report(name, "unknown option " + quote(name) + " for " + family_ +
                       "; accepted options: " + join(accepted_));
    }
  }
  return problems_.size() == first_problem_;
}

void reject_dual(OptionReader& reader, const core::DeviceSpec& device, std::string_view family) {
  if (device.role != core::DeviceRole::dual) return;
  reader.report("", std::string(family) +
                        " switches one plain on/off output, so it cannot be a dual (heat and "
                        "cold) device: give it role heat or cold, or use json_pad for a pad "
                        "with both modes");
}

void reject_auto_off(OptionReader& reader, const core::DeviceSpec& device, std::string_view option,
                     std::string_view reason) {
  if (!device.auto_off) return;
  reader.report(option, std::string(reason) +
                            ", so padtimer cannot arm a device-side lease: the device must be set "
                            "up without auto-off");
}

std::vector<std::string> no_lease_notes(const core::DeviceSpec& device) {
  if (device.auto_off) return {};
  return {device.id +
          " has no device-side auto-off: if padtimer, this computer or the MQTT broker dies "
          "while it is ON, it stays ON until someone switches it off"};
}

}  // namespace padtimer::devices
