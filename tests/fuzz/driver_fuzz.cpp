// Fuzz target: one device driver's inbound parser (Driver::decode), built once per family
// with PADTIMER_FUZZ_FAMILY set to the family name (fuzz_tasmota, fuzz_shelly_rpc, ...).
//
// Input: messages as in fuzz_support.h, on the topics the driver subscribes to (see
// make_driver below for each device's settings). A topic line "!heat", "!cold" or "!off"
// is not a message but an engine command the driver encodes (payload ignored), and
// "!query" the state query: the Shelly RPC driver only takes replies to requests it has
// sent (Switch.Set, Switch.GetStatus, Temperature.GetStatus), and Tasmota's re-arm depends
// on the PulseTime the device confirmed, so commands and messages interleave.
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <variant>

#include "devices/common.h"
#include "devices/driver.h"
#include "fuzz_support.h"

#ifndef PADTIMER_FUZZ_FAMILY
#error "PADTIMER_FUZZ_FAMILY must name a device family"
#endif

namespace {

using namespace padtimer;
using namespace std::chrono_literals;
using fuzz::check;

constexpr std::string_view kFamily = PADTIMER_FUZZ_FAMILY;
constexpr const char* kDeviceId = "pad";
// The client id Shelly RPC replies are addressed to: <client id>/rpc.
constexpr const char* kClientId = "padtimerd";

// Each family with a temperature sensor, so the sensor parsers are reachable too; the
// topics here are the ones the seed corpora use.
std::unique_ptr<devices::Driver> make_driver() {
  core::DeviceSpec spec;
  spec.id = kDeviceId;
  spec.role = core::DeviceRole::heat;
  spec.sensor = core::SensorSpec{};
  devices::Options options;
  if (kFamily == "tasmota") {
    options = {{"topic", "plug"}, {"sensor", "DS18B20"}};  // relay 1: POWER and POWER1
  } else if (kFamily == "shelly_rpc") {
    spec.role = core::DeviceRole::cold;
    options = {{"id", "shellyplus1-a1"}, {"temperature", "temperature:100"}};
  } else if (kFamily == "shelly_gen1") {
    spec.auto_off = false;  // Gen1 has no lease over MQTT
    options = {{"id", "shelly1-B929CC"}, {"temperature", "0"}};
  } else if (kFamily == "zigbee2mqtt") {
    options = {{"name", "living/heat_plug"}};
  } else if (kFamily == "json_pad") {
    options = {{"id", "back"}, {"level", "5"}};  // heat only: a "cold" report is a problem
  }
  const devices::Family* family = devices::find_family(kFamily);
  check(family != nullptr, "unknown family");
  std::vector<devices::OptionProblem> problems;
  auto driver = family->make(spec, options, devices::Context{kClientId}, problems);
  check(driver != nullptr && problems.empty(), "the fuzz driver's options are refused");
  return driver;
}

void check_encoded(const std::vector<devices::Outgoing>& messages) {
  check(!messages.empty(), "a command encoded to no message");
  for (const auto& m : messages) {
    check(m.qos == 1 && !m.retained, "device commands are QoS 1 and never retained");
    check(devices::topic_problem(m.topic).empty(), "command on an invalid topic");
  }
}

void check_decoded(const devices::Driver& driver, const devices::Decoded& decoded,
                   std::string_view payload) {
  const core::Output on = core::on_output(driver.device().role);
  if (payload.size() > devices::kMaxPayloadBytes) {
    check(decoded.events.empty() && !decoded.problem.empty(),
          "an oversized payload must be refused before it is read");
  }
  for (const core::Event& event : decoded.events) {
    if (const auto* report = std::get_if<core::DeviceReport>(&event)) {
      check(report->device == kDeviceId, "report for another device");
      // Only a JSON pad reports a mode by name (and flags one its role cannot do).
      const bool possible = report->output == core::Output::off || report->output == on;
      check(possible || (kFamily == "json_pad" && !decoded.problem.empty()),
            "report of an output the device cannot give, without a problem");
    } else if (const auto* available = std::get_if<core::DeviceAvailability>(&event)) {
      check(available->device == kDeviceId, "availability for another device");
    } else if (const auto* reading = std::get_if<core::TemperatureReading>(&event)) {
      check(reading->device == kDeviceId, "temperature for another device");
      check(std::isfinite(reading->celsius) && reading->celsius >= devices::kMinCelsius &&
                reading->celsius <= devices::kMaxCelsius,
            "temperature outside the plausible range was passed on");
    } else {
      fuzz::fail("a driver produced an event other than report, availability or temperature");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run_guarded([&] {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto driver = make_driver();
    const auto topics = driver->subscriptions();
    for (const auto& t : topics)
      check(t.find_first_of("+#") == std::string::npos, "driver subscriptions are exact topics");
    for (const auto& [topic, payload] : fuzz::split_messages(input)) {
      if (topic == "!heat" || topic == "!cold" || topic == "!off") {
        const core::Output output = topic == "!heat"   ? core::Output::heat
                                    : topic == "!cold" ? core::Output::cold
                                                       : core::Output::off;
        std::optional<core::Duration> lease;
        if (output != core::Output::off && driver->device().auto_off) lease = 120s;
        check_encoded(driver->encode(core::SetOutput{kDeviceId, output, lease}));
        continue;
      }
      if (topic == "!query") {
        const auto query = driver->encode(core::QueryState{kDeviceId});
        check_encoded(query);
        for (const auto& m : query) {
          check(!driver->decode(m.topic, m.payload).has_value(),
                "the state query is read back as the device's own message");
        }
        continue;
      }
      const auto decoded = driver->decode(topic, payload);
      if (!fuzz::matches_any(topics, topic)) {
        check(!decoded.has_value(), "decoded a message on a topic the driver does not subscribe");
        continue;
      }
      if (decoded) check_decoded(*driver, *decoded, payload);
    }
  });
}
