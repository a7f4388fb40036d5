#include "devices/zigbee2mqtt.h"

#include <optional>
#include <string>

#include "devices/common.h"

namespace padtimer::devices {
namespace {

using namespace std::chrono_literals;

class Zigbee2MqttDriver final : public Driver {
 public:
  Zigbee2MqttDriver(core::DeviceSpec device, std::string topic, std::string state_property,
                    std::optional<std::string> temperature_property, bool on_time)
      : Driver(std::move(device)),
        topic_(std::move(topic)),
        state_property_(std::move(state_property)),
        temperature_property_(std::move(temperature_property)),
        on_time_(on_time) {}

  std::vector<std::string> subscriptions() const override {
    return {topic_, topic_ + "/availability"};
  }

  std::vector<Outgoing> encode(const core::SetOutput& command) override {
    const bool on = wants_on(command, on_output());
    json::Value message = json::Value::object({{state_property_, on ? "ON" : "OFF"}});
    if (on && on_time_ && command.auto_off)
      message.set("on_time", ceil_units(*command.auto_off, 1s));
    return {{topic_ + "/set", message.dump()}};
  }

  // {"state":""} on <name>/get: Zigbee2MQTT reads the attribute from the device and
  // publishes the device's state on <name> (Zigbee2MQTT docs, "MQTT Topics and Messages",
  // zigbee2mqtt/FRIENDLY_NAME/get: "To read e.g. the state of a device send the payload
  // {"state": ""}"). With state_property set (state_l1 for one outlet of a multi-outlet
  // plug) that property is the one read.
  std::vector<Outgoing> encode(const core::QueryState& /*query*/) override {
    return {{topic_ + "/get", json::Value::object({{state_property_, ""}}).dump()}};
  }

  std::optional<Decoded> decode(std::string_view topic, std::string_view payload) override {
    // Exact matches only: <name>/set and <name>/get are commands, not state.
    const bool state = topic == topic_;
    if (!state && topic != topic_ + "/availability") return std::nullopt;
    if (auto why = size_problem(payload); !why.empty()) return problem(why);
    return state ? decode_state(payload) : decode_availability(payload);
  }

  std::vector<std::string> notes() const override { return no_lease_notes(device()); }

 private:
  // {"state":"ON","temperature":31.2,"linkquality":87,...}: other fields are ignored.
  Decoded decode_state(std::string_view payload) const {
    std::string why;
    auto root = parse_json_object(payload, why);
    if (!root) return problem(why);
    Decoded out;
    if (const json::Value* state = root->find(state_property_)) {
      const std::string* word = state->as_string();
      if (!word) return problem("\"" + state_property_ + "\" is not a string");
      out = switch_state(device().id, *word, on_output(), "ON", "OFF");
    }
    const json::Value* temperature =
        temperature_property_ ? root->find(*temperature_property_) : nullptr;
    if (temperature)
      add_temperature(out, device().id, temperature, "\"" + *temperature_property_ + "\"");
    return out;
  }

  // {"state":"online"} or, from older installs, plain online / offline.
  Decoded decode_availability(std::string_view payload) const {
    if (payload.find('{') == std::string_view::npos)
      return availability(device().id, payload, "online", "offline");
    std::string why;
    auto root = parse_json_object(payload, why);
    if (!root) return problem(why);
    const json::Value* state = root->find("state");
    if (!state || !state->as_string()) return problem("availability without a \"state\" string");
    return availability(device().id, *state->as_string(), "online", "offline");
  }

  std::string topic_;  // "<base>/<name>"
  std::string state_property_;
  std::optional<std::string> temperature_property_;  // only with a sensor
  bool on_time_;
};

}  // namespace

std::unique_ptr<Driver> make_zigbee2mqtt(const core::DeviceSpec& device, const Options& options,
                                         const Context& /*context*/,
                                         std::vector<OptionProblem>& problems) {
  OptionReader reader("zigbee2mqtt", options, problems);
  auto name = reader.topic("name", true,
                           "the device's Zigbee2MQTT friendly name, e.g. living_room/heat_plug");
  std::string base = reader.topic("base", "zigbee2mqtt");
  std::string state_property = reader.text("state_property", "state");
  std::optional<std::string> temperature_property;
  if (reader.sensor_option("temperature_property", device.sensor.has_value()))
    temperature_property = reader.text("temperature_property", "temperature");
  bool on_time = reader.boolean("on_time", true);
  if (!on_time) {
    reject_auto_off(reader, device, "on_time",
                    "with on_time false the plug is never told to switch itself off");
  }
  reject_dual(reader, device, "zigbee2mqtt");
  if (!reader.finish()) return nullptr;
  return std::make_unique<Zigbee2MqttDriver>(device, base + "/" + *name, state_property,
                                             temperature_property, on_time);
}

}  // namespace padtimer::devices
