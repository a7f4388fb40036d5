// Small helpers every driver shares: option parsing with uniform messages, payload checks,
// on/off words, temperature checks and duration rounding. A driver file keeps only what is
// particular to its protocol.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io.h"
#include "core/model.h"
#include "devices/driver.h"
#include "json/json.h"

namespace padtimer::devices {

// ---- Payloads -------------------------------------------------------------------------

// Longer device payloads are rejected before they are parsed: no device we drive sends
// anything near this, so a larger one is a mistake or an attack.
inline constexpr std::size_t kMaxPayloadBytes = 4096;

// Readings outside this range are not a pad's temperature: a broken or missing sensor.
inline constexpr double kMinCelsius = -50.0;
inline constexpr double kMaxCelsius = 150.0;

Decoded problem(std::string message);

// Adds a problem to `out`, after any it already has.
void add_problem(Decoded& out, std::string message);

// The problem with a payload's size, or empty when it may be read.
std::string size_problem(std::string_view payload);

// Parses a JSON payload (size checked first). On failure `problem` says why.
std::optional<json::Value> parse_json(std::string_view payload, std::string& problem);
// The same, and the value must be a JSON object.
std::optional<json::Value> parse_json_object(std::string_view payload, std::string& problem);

// Case-insensitive match of a whole word, ignoring surrounding ASCII whitespace: true for
// `yes`, false for `no`, nothing for anything else (`parse_word("ON", "on", "off")`).
std::optional<bool> parse_word(std::string_view text, std::string_view yes, std::string_view no);

// Availability as a word pair ("Online"/"Offline", "true"/"false"): the event, or the
// problem naming the words expected.
Decoded availability(const std::string& device, std::string_view payload,
                     std::string_view online_word, std::string_view offline_word);

// Marks every DeviceReport in `decoded` as sent by the device by itself, not as an answer.
void mark_unprompted(Decoded& decoded);

// A switch state as a word pair ("ON"/"OFF"): a DeviceReport with `on` for the first word
// and off for the second, or the problem naming the words expected.
Decoded switch_state(const std::string& device, std::string_view payload, core::Output on,
                     std::string_view on_word, std::string_view off_word);

// Adds a TemperatureReading for `celsius` to `out`, or sets out.problem when there is no
// usable reading (added with add_problem): `value` is missing, not a number, null (sensor error),
// not finite or outside kMinCelsius..kMaxCelsius. `what` names the field in messages.
void add_temperature(Decoded& out, const std::string& device, const json::Value* value,
                     std::string_view what, bool fahrenheit = false);

// ---- Commands -------------------------------------------------------------------------

// `duration` in whole `unit`s, rounded up and at least 1: a device lease may end later
// than the engine asked, never sooner.
std::int64_t ceil_units(core::Duration duration, core::Duration unit);

// True when the command asks for the device's ON output. An output the device cannot give
// (cold from a heat plug; the engine's validation rules it out) is treated as OFF, so a
// plain plug never heats when cold was asked; the engine then faults on the mismatch.
bool wants_on(const core::SetOutput& command, core::Output on);

// ---- Options --------------------------------------------------------------------------

// What is wrong with `text` as one or more MQTT topic levels, or empty: it must not be
// empty, hold the wildcards + or #, control characters, or a leading, trailing or doubled /.
std::string topic_problem(std::string_view text);

// Reads a device's options with uniform messages, in the manner of Klipper's config
// getters: every name asked for is an accepted option; whatever is left when finish() is
// called is reported as unknown, with the accepted names.
class OptionReader {
 public:
  OptionReader(std::string_view family, const Options& options,
               std::vector<OptionProblem>& problems);

  // Text that becomes part of an MQTT topic: not empty, no wildcards (+ #), no control
  // characters, no leading, trailing or doubled '/'. `hint` says what it is.
  std::optional<std::string> topic(std::string_view name, bool required, std::string_view hint);
  std::string topic(std::string_view name, std::string_view fallback);

  // Plain text (a sensor or property name): not empty, no control characters.
  std::optional<std::string> text(std::string_view name, bool required, std::string_view hint);
  std::string text(std::string_view name, std::string_view fallback);

  // A whole number from min to max.
  std::optional<int> integer(std::string_view name, int min, int max, bool required,
                             std::string_view hint);
  int integer(std::string_view name, int min, int max, int fallback);

  // "true" or "false".
  bool boolean(std::string_view name, bool fallback);

  // An option that only means something with the device's sensor block. Without a sensor
  // it is pointless: reported when given. Returns whether to read it (the device has one).
  bool sensor_option(std::string_view name, bool has_sensor);

  // An option padtimer knows about but does not support, with the reason.
  void unsupported(std::string_view name, std::string_view reason);

  // Any other problem, on `option` ("" for the device as a whole).
  void report(std::string_view option, std::string message);

  // Reports every option nobody asked for. Returns true when no problem was found.
  bool finish();

 private:
  const std::string* find(std::string_view name);
  // find(), reporting a missing option when it is required.
  const std::string* find(std::string_view name, bool required, std::string_view hint);

  std::string family_;
  const Options& options_;
  std::vector<OptionProblem>& problems_;
  std::size_t first_problem_;
  std::vector<std::string> accepted_;  // every name asked for, in order
  std::vector<std::string> handled_;   // known but unsupported names
};

// A plain on/off switch has one output: it cannot be a dual (heat and cold) device.
void reject_dual(OptionReader& reader, const core::DeviceSpec& device, std::string_view family);

// A device that cannot switch itself off must not be configured as if it could (the
// engine would count on a lease that never comes): `reason` says why it cannot.
void reject_auto_off(OptionReader& reader, const core::DeviceSpec& device, std::string_view option,
                     std::string_view reason);

// The start-up note for a device that runs without a device-side lease; none otherwise.
std::vector<std::string> no_lease_notes(const core::DeviceSpec& device);

}  // namespace padtimer::devices
