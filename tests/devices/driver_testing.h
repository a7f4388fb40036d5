// Helpers shared by the driver tests: build a driver from the registry, write decoded
// events as short text, and run the malformed-payload battery every driver must pass.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "devices/common.h"
#include "devices/driver.h"

namespace padtimer::devices {

// gtest prints Outgoing values in failure messages with this.
inline bool operator==(const Outgoing& a, const Outgoing& b) {
  return a.topic == b.topic && a.payload == b.payload && a.qos == b.qos && a.retained == b.retained;
}
inline void PrintTo(const Outgoing& o, std::ostream* os) {
  *os << "{" << o.topic << " '" << o.payload << "' qos " << o.qos
      << (o.retained ? " retained}" : "}");
}

namespace testing_support {

using namespace std::chrono_literals;
using core::DeviceRole;
using core::Output;
using core::SetOutput;

inline const Context kContext{"padtimerd-test"};

// Commands to the device "pad": ON (heat unless told) with a lease or none, OFF, and the
// state query.
inline SetOutput on(std::optional<core::Duration> lease, Output output = Output::heat) {
  return SetOutput{"pad", output, lease};
}
inline const SetOutput kOff{"pad", Output::off, std::nullopt};
inline const core::QueryState kQuery{"pad"};

inline core::DeviceSpec spec(std::string id, core::DeviceRole role = core::DeviceRole::heat,
                             bool sensor = false, bool auto_off = true) {
  core::DeviceSpec device;
  device.id = std::move(id);
  device.role = role;
  device.auto_off = auto_off;
  if (sensor) device.sensor = core::SensorSpec{};
  return device;
}

// The driver, built through the registry; fails the test when the options have problems.
inline std::unique_ptr<Driver> make(std::string_view family, const core::DeviceSpec& device,
                                    const Options& options, const Context& context = kContext) {
  const Family* f = find_family(family);
  EXPECT_NE(f, nullptr) << family;
  if (!f) return nullptr;
  std::vector<OptionProblem> problems;
  auto driver = f->make(device, options, context, problems);
  for (const auto& p : problems)
    ADD_FAILURE() << p.option << ": " << p.message;
  EXPECT_NE(driver, nullptr);
  return driver;
}

// The problems of options the family must refuse (and it must then build nothing).
inline std::vector<OptionProblem> problems(std::string_view family, const core::DeviceSpec& device,
                                           const Options& options,
                                           const Context& context = kContext) {
  std::vector<OptionProblem> found;
  const Family* f = find_family(family);
  if (!f) {
    ADD_FAILURE() << "no family " << family;
    return found;
  }
  auto driver = f->make(device, options, context, found);
  EXPECT_EQ(driver, nullptr);
  EXPECT_FALSE(found.empty());
  return found;
}

// EXPECT_TRUE(contains(text, "part")) prints both when it fails.
inline ::testing::AssertionResult contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" not in \"" << text << "\"";
}

// "option: message" lines.
inline std::string text(const std::vector<OptionProblem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += p.option + ": " + p.message + "\n";
  return out;
}

// A decoded message as short text: "report heat" (an answer), "status heat", "online", "offline",
// "20.6 C", joined with ", "; "problem: ..." last; "not mine" when the topic is not the device's.
inline std::string describe(const std::optional<Decoded>& decoded) {
  if (!decoded) return "not mine";
  std::ostringstream out;
  const char* separator = "";
  for (const core::Event& event : decoded->events) {
    out << separator;
    separator = ", ";
    if (const auto* report = std::get_if<core::DeviceReport>(&event)) {
      // "status": sent by the device itself, never confirming a command (DeviceReport).
      out << (report->answer ? "report " : "status ") << core::to_string(report->output);
    } else if (const auto* available = std::get_if<core::DeviceAvailability>(&event)) {
      out << (available->online ? "online" : "offline");
    } else if (const auto* reading = std::get_if<core::TemperatureReading>(&event)) {
      out << reading->celsius << " C";
    } else {
      out << "unexpected event";
    }
  }
  if (!decoded->problem.empty()) out << separator << "problem: " << decoded->problem;
  return out.str();
}

// Each payload on `topic` decodes as described (see describe()).
struct Decodes {
  std::string payload;
  std::string described;
};
inline void expect_decoded(Driver& driver, std::string_view topic,
                           const std::vector<Decodes>& cases) {
  for (const auto& c : cases)
    EXPECT_EQ(describe(driver.decode(topic, c.payload)), c.described) << topic << " " << c.payload;
}

// Every event carries the device's id.
inline void expect_device(const std::optional<Decoded>& decoded, const std::string& id) {
  if (!decoded) return;
  for (const core::Event& event : decoded->events) {
    std::visit(
        [&](const auto& e) {
          if constexpr (requires { e.device; }) {
            EXPECT_EQ(e.device, id);
          }
        },
        event);
  }
}

// The payload is this device's but unusable: no events, a problem, no crash.
inline void expect_rejected(Driver& driver, std::string_view topic, std::string_view payload) {
  auto decoded = driver.decode(topic, payload);
  ASSERT_TRUE(decoded.has_value()) << topic << " '" << payload << "'";
  EXPECT_TRUE(decoded->events.empty()) << topic << " '" << payload << "': " << describe(decoded);
  EXPECT_FALSE(decoded->problem.empty()) << topic << " '" << payload << "'";
}

// Every proper prefix of a good payload (a message cut short) is rejected.
inline void expect_truncations_rejected(Driver& driver, std::string_view topic,
                                        std::string_view good) {
  for (std::size_t n = 0; n < good.size(); ++n)
    expect_rejected(driver, topic, good.substr(0, n));
}

// A good payload padded with trailing spaces is read at exactly kMaxPayloadBytes and
// rejected one byte over, before it is parsed.
inline void expect_size_limit(Driver& driver, std::string_view topic, std::string_view good) {
  std::string padded(good);
  padded.resize(kMaxPayloadBytes, ' ');
  auto at_limit = driver.decode(topic, padded);
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_TRUE(at_limit->problem.empty()) << at_limit->problem;
  EXPECT_FALSE(at_limit->events.empty());
  padded += ' ';
  expect_rejected(driver, topic, padded);
  EXPECT_EQ(driver.decode(topic, padded)->problem, "payload larger than 4096 bytes");
}

// Payloads no driver may accept on a JSON topic.
inline const std::vector<std::string> kBadJson = {
    "",
    " ",
    "{",
    "}",
    "{\"a\":",
    "{'state':'ON'}",
    "{\"a\":1,}",
    "[1,2",
    "not json",
    "nul",
    std::string("{\"a\":\"\xff\xfe\"}"),
    std::string("\0\0\0", 3),
    std::string(40, '[') + std::string(40, ']'),  // deeper than the parser allows
    "{\"a\":1}{\"a\":1}",
    "{\"a\":NaN}",
};

inline void expect_bad_json_rejected(Driver& driver, std::string_view topic) {
  for (const auto& payload : kBadJson)
    expect_rejected(driver, topic, payload);
}

}  // namespace testing_support
}  // namespace padtimer::devices
