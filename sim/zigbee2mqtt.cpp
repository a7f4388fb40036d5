#include "sim/zigbee2mqtt.h"

#include "json/json.h"
#include "sim/text.h"

namespace padtimer::sim {

Zigbee2Mqtt::Zigbee2Mqtt(CommonSettings common, Zigbee2MqttSettings settings, Now start)
    : Device("zigbee2mqtt", std::move(common), start), settings_(std::move(settings)) {}

std::vector<std::string> Zigbee2Mqtt::subscriptions() const {
  return {device_topic() + "/set", device_topic() + "/get"};
}

Availability Zigbee2Mqtt::availability() const {
  if (settings_.legacy_availability) {
    return {device_topic() + "/availability", "online", "offline", false};
  }
  return {device_topic() + "/availability", R"({"state":"online"})", R"({"state":"offline"})",
          false};
}

void Zigbee2Mqtt::publish_state(Now now, Reaction& r) const {
  json::Value state = json::Value::object(
      {{"state", output() == Output::off ? "OFF" : "ON"}, {"linkquality", settings_.linkquality}});
  if (auto reading = sensor_reading(now.mono)) state.set("temperature", *reading);
  r.publish.push_back({device_topic(), state.dump()});
}

void Zigbee2Mqtt::on_message(std::string_view topic, std::string_view payload, Now now,
                             Reaction& r) {
  if (topic == device_topic() + "/get") return publish_state(now, r);
  if (topic != device_topic() + "/set") return ignored(r, topic, "not a set or get topic");

  std::string state;
  std::optional<double> on_time;
  std::string_view text = trim(payload);
  if (!text.empty() && text.front() == '{') {
    auto parsed = json::parse(text);
    if (!parsed) return ignored(r, topic, "bad JSON: " + parsed.error.message);
    const json::Value* s = parsed.value->find("state");
    if (!s || !s->as_string()) return ignored(r, topic, "no \"state\" string");
    state = lower(*s->as_string());
    if (const json::Value* t = parsed.value->find("on_time")) {
      on_time = t->as_number();
      if (!on_time || !(*on_time > 0.0) || *on_time > kOnTimeMax) {
        return ignored(r, topic, "on_time must be a number of seconds in (0, 6553]");
      }
    }
  } else {
    state = lower(text);  // Zigbee2MQTT also takes a bare state
  }

  auto target = switch_word(state);
  if (!target) return ignored(r, topic, "state must be ON, OFF or TOGGLE");
  std::optional<Seconds> after;
  if (on_time && *target != Output::off) {
    if (settings_.on_time_supported) {
      after = Seconds{*on_time};
    } else {
      r.lines.push_back("on_time not supported by this plug, ignored");
    }
  }
  switch_to(*target, auto_off_for(*target, after, now), now, r);
  publish_state(now, r);
}

void Zigbee2Mqtt::on_output_changed(Now now, Reaction& r) {
  publish_state(now, r);
}

void Zigbee2Mqtt::on_connected(Now now, Reaction& r) {
  publish_state(now, r);
}

void Zigbee2Mqtt::on_telemetry(Now now, Reaction& r) {
  if (sensor_reading(now.mono)) publish_state(now, r);
}

}  // namespace padtimer::sim
