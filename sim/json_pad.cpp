#include "sim/json_pad.h"

#include "json/json.h"

namespace padtimer::sim {

JsonPad::JsonPad(CommonSettings common, JsonPadSettings settings, Now start)
    : Device("json_pad", std::move(common), start), settings_(std::move(settings)) {}

std::string JsonPad::topic(std::string_view leaf) const {
  return settings_.base + "/" + settings_.id + "/" + std::string(leaf);
}

std::vector<std::string> JsonPad::subscriptions() const {
  return {topic("set"), topic("get")};
}

Availability JsonPad::availability() const {
  return {topic("availability"), "online", "offline", true};
}

void JsonPad::publish_state(Now now, Reaction& r) const {
  json::Value state = json::Value::object({{"mode", to_string(output())}});
  if (auto reading = sensor_reading(now.mono)) state.set("temperature", *reading);
  r.publish.push_back({topic("state"), state.dump()});
}

void JsonPad::on_message(std::string_view t, std::string_view payload, Now now, Reaction& r) {
  if (t == topic("get")) return publish_state(now, r);  // the payload does not matter
  if (t != topic("set")) return ignored(r, t, "not the set or get topic");
  auto parsed = json::parse(payload);
  if (!parsed) return ignored(r, t, "bad JSON: " + parsed.error.message);
  const json::Value& cmd = *parsed.value;
  if (!cmd.is_object()) return ignored(r, t, "not a JSON object");
  const json::Value* mode = cmd.find("mode");
  if (!mode || !mode->as_string()) return ignored(r, t, "no \"mode\" string");

  Output target;
  if (*mode->as_string() == "off") {
    target = Output::off;
  } else if (*mode->as_string() == "heat") {
    target = Output::heat;
  } else if (*mode->as_string() == "cold") {
    target = Output::cold;
  } else {
    return ignored(r, t, "mode must be heat, cold or off");
  }
  if (target != Output::off && role() != Role::dual && target != on_output()) {
    return ignored(
        r, t,
        "a " + std::string(to_string(role())) + " pad cannot " + std::string(to_string(target)));
  }
  std::optional<double> auto_off;
  if (const json::Value* a = cmd.find("auto_off"); a && !a->is_null()) {
    auto_off = a->as_number();
    if (!auto_off || !(*auto_off > 0.0) || *auto_off > kJsonPadAutoOffMax) {
      return ignored(r, t, "auto_off must be a number of seconds in (0, 86400]");
    }
  }
  std::optional<int> level;
  if (const json::Value* l = cmd.find("level"); l && !l->is_null()) {
    auto value = l->as_int();
    if (!value || *value < 1 || *value > 10) {
      return ignored(r, t, "level must be an integer 1..10");
    }
    level = static_cast<int>(*value);
  }

  if (level) set_level(*level, now.mono);
  std::optional<Seconds> after;
  if (auto_off) after = Seconds{*auto_off};
  switch_to(target, auto_off_for(target, after, now), now, r);
  publish_state(now, r);
}

void JsonPad::on_output_changed(Now now, Reaction& r) {
  publish_state(now, r);
}

void JsonPad::on_connected(Now now, Reaction& r) {
  publish_state(now, r);
}

void JsonPad::on_telemetry(Now now, Reaction& r) {
  if (!faults().has(Fault::sensor_silent)) publish_state(now, r);
}

}  // namespace padtimer::sim
