#include "devices/shelly_gen1.h"

#include <optional>
#include <string>

#include "devices/common.h"

namespace padtimer::devices {
namespace {

class ShellyGen1Driver final : public Driver {
 public:
  ShellyGen1Driver(core::DeviceSpec device, const std::string& id, int relay,
                   std::optional<int> temperature)
      : Driver(std::move(device)),
        prefix_("shellies/" + id + "/"),
        relay_topic_(prefix_ + "relay/" + std::to_string(relay)) {
    if (temperature)
      temperature_topic_ = prefix_ + "ext_temperature/" + std::to_string(*temperature);
  }

  std::vector<std::string> subscriptions() const override {
    std::vector<std::string> topics = {relay_topic_, prefix_ + "online"};
    if (temperature_topic_) topics.push_back(*temperature_topic_);
    return topics;
  }

  // command.auto_off is never set for this family: the device cannot take it.
  std::vector<Outgoing> encode(const core::SetOutput& command) override {
    return {{relay_topic_ + "/command", wants_on(command, on_output()) ? "on" : "off"}};
  }

  // "update" on shellies/<id>/command makes the device publish its current state on its
  // status topics, shellies/<id>/relay/<n> on/off among them (Shelly Gen1 API docs, MQTT
  // section: the device subscribes to shellies/command and shellies/<id>/command, which
  // take announce, update and update_fw; integrations such as Indigo's Shelly MQTT plugin
  // send the same message as their status request). The relay answer is decoded like any
  // relay message.
  std::vector<Outgoing> encode(const core::QueryState& /*query*/) override {
    return {{prefix_ + "command", "update"}};
  }

  std::optional<Decoded> decode(std::string_view topic, std::string_view payload) override {
    const bool relay = topic == relay_topic_;
    const bool online = topic == prefix_ + "online";
    const bool temperature = temperature_topic_ && topic == *temperature_topic_;
    if (!relay && !online && !temperature) return std::nullopt;
    if (auto why = size_problem(payload); !why.empty()) return problem(why);
    if (online) return availability(device().id, payload, "true", "false");
    if (relay) return decode_relay(payload);
    // A plain number in °C, e.g. "21.56".
    std::string why;
    auto value = parse_json(payload, why);
    if (!value) return problem("ext_temperature is not a number: " + why);
    Decoded out;
    add_temperature(out, device().id, &*value, "ext_temperature");
    return out;
  }

  std::vector<std::string> notes() const override {
    const bool cold = device().role == core::DeviceRole::cold;
    return {device().id +
            ": Shelly Gen1 has no auto-off over MQTT, so padtimer cannot arm a lease on it. "
            "Set the relay's own \"Auto OFF\" timer in the Shelly web UI (Timer > Auto OFF), a "
            "little longer than the longest phase: e.g. " +
            std::string(cold ? "16 min for cold" : "21 min for heat") +
            ". Without it, the pad stays ON if padtimer, this computer or the MQTT broker dies "
            "while it is ON."};
  }

 private:
  // "on", "off", or "overpower" (the relay cut itself off: over its power limit).
  Decoded decode_relay(std::string_view payload) const {
    if (parse_word(payload, "overpower", "overpower").has_value()) {
      return Decoded{{core::DeviceReport{device().id, core::Output::off}},
                     "the relay switched itself off for overpower: the pad draws more than the "
                     "relay's power limit"};
    }
    return switch_state(device().id, payload, on_output(), "on", "off");
  }

  std::string prefix_;  // "shellies/<id>/"
  std::string relay_topic_;
  std::optional<std::string> temperature_topic_;
};

}  // namespace

std::unique_ptr<Driver> make_shelly_gen1(const core::DeviceSpec& device, const Options& options,
                                         const Context& /*context*/,
                                         std::vector<OptionProblem>& problems) {
  OptionReader reader("shelly_gen1", options, problems);
  auto id = reader.topic("id", true, "the device id in its MQTT topics, e.g. shelly1-B929CC");
  int relay = reader.integer("relay", 0, 3, 0);
  std::optional<int> temperature;
  if (reader.sensor_option("temperature", device.sensor.has_value())) {
    temperature = reader.integer("temperature", 0, 2, true,
                                 "the add-on sensor's index in ext_temperature/<index>, 0 to 2");
  }
  reject_dual(reader, device, "shelly_gen1");
  reject_auto_off(reader, device, "", "Shelly Gen1 has no auto-off over MQTT");
  if (!reader.finish()) return nullptr;
  return std::make_unique<ShellyGen1Driver>(device, *id, relay, temperature);
}

}  // namespace padtimer::devices
