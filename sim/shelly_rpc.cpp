#include "sim/shelly_rpc.h"

#include <cmath>

namespace padtimer::sim {

namespace {

double unix_seconds(WallTime wall) {
  return Seconds(wall.time_since_epoch()).count();
}

double ts(WallTime wall) {
  return std::round(unix_seconds(wall) * 100.0) / 100.0;
}

}  // namespace

ShellyRpc::ShellyRpc(CommonSettings common, ShellyRpcSettings settings, Now start)
    : Device("shelly_rpc", std::move(common), start), settings_(std::move(settings)) {}

std::vector<std::string> ShellyRpc::subscriptions() const {
  return {settings_.id + "/rpc"};
}

Availability ShellyRpc::availability() const {
  return {settings_.id + "/online", "true", "false", true};
}

json::Value ShellyRpc::switch_status(Now now) const {
  json::Value status = json::Value::object(
      {{"id", settings_.switch_id}, {"source", "MQTT"}, {"output", output() != Output::off}});
  if (const auto& t = timer()) {
    WallTime started =
        now.wall - std::chrono::duration_cast<WallTime::duration>(now.mono - t->armed);
    status.set("timer_started_at", ts(started));
    status.set("timer_duration", round1(Seconds(t->at - t->armed).count()));
  }
  return status;
}

json::Value ShellyRpc::temperature_status(Now now) const {
  json::Value tc, tf;
  if (auto reading = sensor_reading(now.mono)) {
    tc = *reading;
    tf = round1(*reading * 9.0 / 5.0 + 32.0);
  }
  return json::Value::object({{"id", settings_.sensor_id}, {"tC", tc}, {"tF", tf}});
}

void ShellyRpc::notify(Now now, Reaction& r, bool with_switch, bool with_temperature) const {
  json::Value params = json::Value::object({{"ts", ts(now.wall)}});
  bool any = false;
  if (with_switch) {
    params.set(
        "switch:" + std::to_string(settings_.switch_id),
        json::Value::object({{"id", settings_.switch_id}, {"output", output() != Output::off}}));
    any = true;
  }
  if (with_temperature && sensor_reading(now.mono)) {
    params.set("temperature:" + std::to_string(settings_.sensor_id), temperature_status(now));
    any = true;
  }
  if (!any) return;
  r.publish.push_back(
      {settings_.id + "/events/rpc", json::Value::object({{"src", settings_.id},
                                                          {"dst", settings_.id + "/events"},
                                                          {"method", "NotifyStatus"},
                                                          {"params", std::move(params)}})
                                         .dump()});
}

void ShellyRpc::on_message(std::string_view topic, std::string_view payload, Now now, Reaction& r) {
  if (topic != settings_.id + "/rpc") return ignored(r, topic, "not the RPC topic");
  auto parsed = json::parse(payload);
  if (!parsed) return ignored(r, topic, "bad JSON: " + parsed.error.message);
  const json::Value& frame = *parsed.value;
  if (!frame.is_object()) return ignored(r, topic, "not a JSON object");
  const json::Value* id = frame.find("id");
  const json::Value* src = frame.find("src");
  const json::Value* method_value = frame.find("method");
  if (!id || !(id->is_number() || id->is_string())) {
    return ignored(r, topic, "no numeric or string \"id\"");
  }
  if (!src || !src->as_string() || src->as_string()->empty()) {
    return ignored(r, topic, "no \"src\" string to reply to");
  }
  if (!method_value || !method_value->as_string()) return ignored(r, topic, "no \"method\" string");
  const std::string& method = *method_value->as_string();
  const std::string& client = *src->as_string();

  auto send = [&](const char* key, json::Value body) {
    r.publish.push_back(
        {client + "/rpc",
         json::Value::object(
             {{"id", *id}, {"src", settings_.id}, {"dst", client}, {key, std::move(body)}})
             .dump()});
  };
  auto error = [&](int code, const std::string& message) {
    r.lines.push_back("rpc " + method + " from " + client + ": error " + std::to_string(code) +
                      " " + message);
    send("error", json::Value::object({{"code", code}, {"message", message}}));
  };

  const json::Value* params = frame.find("params");
  if (params && !params->is_object() && !params->is_null()) {
    return error(kRpcInvalidArgument, "Invalid argument 'params'!");
  }
  auto param = [&](std::string_view key) -> const json::Value* {
    return params ? params->find(key) : nullptr;
  };
  // The component id every Switch/Temperature method needs; false after an error reply.
  auto check_id = [&](int expected) {
    const json::Value* pid = param("id");
    if (!pid) {
      error(kRpcInvalidArgument, "Missing required argument 'id'!");
      return false;
    }
    auto value = pid->as_int();
    if (!value) {
      error(kRpcInvalidArgument, "Argument 'id', expected number!");
      return false;
    }
    if (*value != expected) {
      error(kRpcNotFound, "Argument 'id', value " + std::to_string(*value) + " not found!");
      return false;
    }
    return true;
  };

  if (method == "Switch.Set") {
    if (!check_id(settings_.switch_id)) return;
    const json::Value* on = param("on");
    if (!on) return error(kRpcInvalidArgument, "Missing required argument 'on'!");
    if (!on->as_bool()) return error(kRpcInvalidArgument, "Argument 'on', expected boolean!");
    std::optional<double> toggle_after;
    if (const json::Value* ta = param("toggle_after")) {
      toggle_after = ta->as_number();
      if (!toggle_after || !(*toggle_after > 0.0)) {
        return error(kRpcInvalidArgument, "Argument 'toggle_after', expected positive number!");
      }
    }
    bool was_on = output() != Output::off;
    Output target = *on->as_bool() ? on_output() : Output::off;
    std::optional<Timer> timer;
    if (toggle_after) {
      timer = timer_after(Seconds{*toggle_after}, target == Output::off ? on_output() : Output::off,
                          now);
    } else {
      timer = auto_off_for(target, settings_.auto_off, now);
    }
    bool changed = switch_to(target, timer, now, r);
    send("result", json::Value::object({{"was_on", was_on}}));
    if (changed) notify(now, r, true, false);
  } else if (method == "Switch.Toggle") {
    if (!check_id(settings_.switch_id)) return;
    bool was_on = output() != Output::off;
    Output target = was_on ? Output::off : on_output();
    bool changed = switch_to(target, auto_off_for(target, settings_.auto_off, now), now, r);
    send("result", json::Value::object({{"was_on", was_on}}));
    if (changed) notify(now, r, true, false);
  } else if (method == "Switch.GetStatus") {
    if (!check_id(settings_.switch_id)) return;
    send("result", switch_status(now));
  } else if (method == "Temperature.GetStatus") {
    if (!has_sensor()) return error(kRpcNoHandler, "No handler for " + method);
    if (!check_id(settings_.sensor_id)) return;
    send("result", temperature_status(now));
  } else if (method == "Shelly.GetStatus") {
    json::Value status = json::Value::object(
        {{"switch:" + std::to_string(settings_.switch_id), switch_status(now)}});
    if (has_sensor()) {
      status.set("temperature:" + std::to_string(settings_.sensor_id), temperature_status(now));
    }
    send("result", std::move(status));
  } else {
    error(kRpcNoHandler, "No handler for " + method);
  }
}

void ShellyRpc::on_output_changed(Now now, Reaction& r) {
  notify(now, r, true, false);
}

void ShellyRpc::on_connected(Now now, Reaction& r) {
  notify(now, r, true, true);
}

void ShellyRpc::on_telemetry(Now now, Reaction& r) {
  notify(now, r, false, true);
}

}  // namespace padtimer::sim
