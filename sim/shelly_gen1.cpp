#include "sim/shelly_gen1.h"

#include "json/json.h"

namespace padtimer::sim {

ShellyGen1::ShellyGen1(CommonSettings common, ShellyGen1Settings settings, Now start)
    : Device("shelly_gen1", std::move(common), start), settings_(std::move(settings)) {}

std::string ShellyGen1::relay_topic() const {
  return "shellies/" + settings_.id + "/relay/" + std::to_string(settings_.relay);
}

std::string ShellyGen1::command_topic() const {
  return "shellies/" + settings_.id + "/command";
}

std::vector<std::string> ShellyGen1::subscriptions() const {
  return {relay_topic() + "/command", command_topic()};
}

Availability ShellyGen1::availability() const {
  return {"shellies/" + settings_.id + "/online", "true", "false", true};
}

void ShellyGen1::publish_relay(Reaction& r) const {
  r.publish.push_back({relay_topic(), output() == Output::off ? "off" : "on"});
}

void ShellyGen1::on_message(std::string_view topic, std::string_view payload, Now now,
                            Reaction& r) {
  if (topic == command_topic()) {
    // The device-wide commands are announce, update and update_fw; only update (publish
    // every status topic now) matters to a relay's state.
    if (payload != "update") return ignored(r, topic, "only update is simulated");
    return on_telemetry(now, r);
  }
  if (topic != relay_topic() + "/command") return ignored(r, topic, "not a command topic");
  auto target = switch_word(payload);
  if (!target) return ignored(r, topic, "payload must be on, off or toggle");
  switch_to(*target, auto_off_for(*target, settings_.auto_off, now), now, r);
  publish_relay(r);
}

void ShellyGen1::on_output_changed(Now, Reaction& r) {
  publish_relay(r);
}

void ShellyGen1::on_connected(Now now, Reaction& r) {
  on_telemetry(now, r);
}

void ShellyGen1::on_telemetry(Now now, Reaction& r) {
  publish_relay(r);
  if (auto reading = sensor_reading(now.mono)) {
    r.publish.push_back(
        {"shellies/" + settings_.id + "/ext_temperature/" + std::to_string(settings_.sensor_index),
         json::Value(*reading).dump()});
  }
}

}  // namespace padtimer::sim
