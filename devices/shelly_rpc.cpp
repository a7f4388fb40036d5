#include "devices/shelly_rpc.h"

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "devices/common.h"

namespace padtimer::devices {
namespace {

using namespace std::chrono_literals;

class ShellyRpcDriver final : public Driver {
 public:
  ShellyRpcDriver(core::DeviceSpec device, std::string id, int switch_id,
                  std::optional<std::string> temperature, int temperature_id, std::string client_id)
      : Driver(std::move(device)),
        id_(std::move(id)),
        switch_key_("switch:" + std::to_string(switch_id)),
        switch_id_(switch_id),
        temperature_(std::move(temperature)),
        temperature_id_(temperature_id),
        client_id_(std::move(client_id)) {}

  std::vector<std::string> subscriptions() const override {
    std::vector<std::string> topics = {client_id_ + "/rpc", id_ + "/events/rpc",
                                       id_ + "/status/" + switch_key_, id_ + "/online"};
    if (temperature_) topics.push_back(id_ + "/status/" + *temperature_);
    return topics;
  }

  std::vector<Outgoing> encode(const core::SetOutput& command) override {
    const bool on = wants_on(command, on_output());
    json::Value params = json::Value::object({{"id", switch_id_}, {"on", on}});
    if (on && command.auto_off) {
      // Seconds, to a tenth, rounded up: 120 s → 120, 90.05 s → 90.1.
      params.set("toggle_after", static_cast<double>(ceil_units(*command.auto_off, 100ms)) / 10.0);
    }
    last_switch_request_ = next_request_;
    std::vector<Outgoing> out = {
        request(Method::switch_set, std::move(params), on ? on_output() : core::Output::off)};
    // The add-on reports a temperature only when it changes: with every ON (and so every
    // lease re-arm) padtimer asks for one, so a steady pad still has fresh readings.
    if (on && temperature_) {
      out.push_back(
          request(Method::temperature_get_status, json::Value::object({{"id", temperature_id_}})));
    }
    return out;
  }

  // Switch.GetStatus {"id":<switch>}: the reply's result is the switch's status object,
  // {"id":0,"source":"...","output":true,...} (Shelly Gen2+ API docs, Switch component,
  // "Switch.GetStatus" and its status section; the reply frame is the RPC protocol's
  // {"id","src","dst","result"}). It changes nothing on the device.
  std::vector<Outgoing> encode(const core::QueryState& /*query*/) override {
    return {request(Method::switch_get_status, json::Value::object({{"id", switch_id_}}))};
  }

  std::optional<Decoded> decode(std::string_view topic, std::string_view payload) override {
    if (topic == client_id_ + "/rpc") return decode_reply(payload);
    const bool switch_status = topic == id_ + "/status/" + switch_key_;
    const bool temperature_status = temperature_ && topic == id_ + "/status/" + *temperature_;
    const bool online = topic == id_ + "/online";
    const bool events = topic == id_ + "/events/rpc";
    if (!switch_status && !temperature_status && !online && !events) return std::nullopt;
    if (auto why = size_problem(payload); !why.empty()) return problem(why);
    if (online) return availability(device().id, payload, "true", "false");
    std::string why;
    auto root = parse_json_object(payload, why);
    if (!root) return problem(why);
    Decoded out;
    // Notifications and status messages come by themselves; only an RPC reply answers.
    if (events) {
      out = decode_notification(*root);
    } else if (switch_status) {
      read_switch(*root, true, out);
    } else {
      read_temperature(*root, true, out);
    }
    mark_unprompted(out);
    return out;
  }

  std::vector<std::string> notes() const override { return no_lease_notes(device()); }

 private:
  // {"id":7,"src":"<device id>","dst":"<client id>","result":{"was_on":false}}, or "error";
  // the request id tells which method it answers.
  std::optional<Decoded> decode_reply(std::string_view payload) {
    // Until "src" is read the reply could be any Shelly's: every driver reports it.
    std::string why;
    auto root = parse_json_object(payload, why);
    if (!root) return problem("RPC reply: " + why);
    const json::Value* src = root->find("src");
    if (!src || !src->as_string()) return problem("RPC reply without a \"src\" string");
    if (*src->as_string() != id_) return std::nullopt;  // another device's
    const json::Value* id = root->find("id");
    auto request = id ? id->as_int() : std::nullopt;
    if (!request) return problem("RPC reply without a whole number \"id\"");
    auto it = pending_.find(*request);
    if (it == pending_.end()) return Decoded{};  // answered already, or not ours: ignored
    const Pending asked = it->second;
    pending_.erase(it);
    const std::string method(method_name(asked.method));
    if (const json::Value* error = root->find("error")) {
      const json::Value* message = error->find("message");
      const json::Value* code = error->find("code");
      return problem(method + " failed: " +
                     (message && message->as_string() ? *message->as_string() : error->dump()) +
                     (code ? " (code " + code->dump() + ")" : ""));
    }
    const json::Value* result = root->find("result");
    if (!result) return problem("RPC reply with neither \"result\" nor \"error\"");
    Decoded out;
    switch (asked.method) {
      case Method::switch_set:
        // A reply to a Switch.Set that a newer one has overtaken tells of a state gone.
        if (*request == last_switch_request_)
          out.events.push_back(core::DeviceReport{device().id, asked.output});
        break;
      case Method::switch_get_status:
        // The output when the device answered: still the state now unless a Switch.Set
        // was sent after the query (the device runs requests in order).
        if (*request > last_switch_request_) read_status_reply(*result, out);
        break;
      case Method::temperature_get_status: read_temperature(*result, true, out); break;
    }
    return out;
  }

  // Switch.GetStatus's result: {"id":0,"source":"init","output":true,"apower":0,...}.
  void read_status_reply(const json::Value& result, Decoded& out) const {
    if (const json::Value* id = result.is_object() ? result.find("id") : nullptr;
        id && id->as_int() != std::int64_t{switch_id_}) {
      return add_problem(out, "Switch.GetStatus answered for switch " + id->dump() + ", not " +
                                  std::to_string(switch_id_));
    }
    read_switch(result, true, out);  // an answer: it is not marked unprompted
  }

  // {"src":"...","method":"NotifyStatus","params":{"switch:0":{"output":true},...}}
  Decoded decode_notification(const json::Value& root) const {
    const json::Value* method = root.find("method");
    if (!method || !method->as_string()) return problem("notification without a \"method\"");
    const std::string& name = *method->as_string();
    if (name != "NotifyStatus" && name != "NotifyFullStatus") return Decoded{};  // NotifyEvent
    const json::Value* params = root.find("params");
    if (!params || !params->is_object()) return problem(name + " without a \"params\" object");
    Decoded out;
    if (const json::Value* component = params->find(switch_key_))
      read_switch(*component, false, out);
    const json::Value* sensor = temperature_ ? params->find(*temperature_) : nullptr;
    if (sensor) read_temperature(*sensor, false, out);
    return out;
  }

  // A "switch:<n>" or temperature component; `complete` when every field must be there
  // (a status message), not only the changed ones (NotifyStatus).
  void read_switch(const json::Value& component, bool complete, Decoded& out) const {
    if (!component.is_object()) return add_problem(out, switch_key_ + " is not an object");
    const json::Value* output = component.find("output");
    if (!output) {
      if (complete) add_problem(out, switch_key_ + " without \"output\"");
      return;
    }
    auto on = output->as_bool();
    if (!on) return add_problem(out, switch_key_ + " \"output\" is not true or false");
    out.events.push_back(core::DeviceReport{device().id, *on ? on_output() : core::Output::off});
  }

  void read_temperature(const json::Value& component, bool complete, Decoded& out) const {
    if (!component.is_object()) return add_problem(out, *temperature_ + " is not an object");
    const json::Value* celsius = component.find("tC");
    if (!celsius && !complete) return;  // unchanged
    add_temperature(out, device().id, celsius, *temperature_ + " tC");
  }

  enum class Method { switch_set, switch_get_status, temperature_get_status };

  static std::string_view method_name(Method method) {
    switch (method) {
      case Method::switch_set: return "Switch.Set";
      case Method::switch_get_status: return "Switch.GetStatus";
      case Method::temperature_get_status: return "Temperature.GetStatus";
    }
    return "?";
  }

  // A request waiting for its reply: its method and, for a Switch.Set, the output asked for.
  struct Pending {
    Method method = Method::switch_set;
    core::Output output = core::Output::off;
  };

  // A request on <id>/rpc, remembered until its reply.
  Outgoing request(Method method, json::Value params, core::Output asked = core::Output::off) {
    const std::int64_t id = next_request_++;
    json::Value message = json::Value::object({{"id", id},
                                               {"src", client_id_},
                                               {"method", std::string(method_name(method))},
                                               {"params", std::move(params)}});
    pending_[id] = Pending{method, asked};
    while (pending_.size() > kShellyRpcMaxPending)
      pending_.erase(pending_.begin());
    return {id_ + "/rpc", message.dump()};
  }

  std::string id_;
  std::string switch_key_;  // "switch:0"
  int switch_id_;
  std::optional<std::string> temperature_;  // "temperature:100"
  int temperature_id_;                      // 100
  std::string client_id_;
  std::int64_t next_request_ = 1;
  std::int64_t last_switch_request_ = 0;     // the latest Switch.Set
  std::map<std::int64_t, Pending> pending_;  // by request id
};

// The id in a component name like "temperature:100" (0 to 999), or nothing.
std::optional<int> temperature_component_id(std::string_view name) {
  constexpr std::string_view prefix = "temperature:";
  if (!name.starts_with(prefix)) return std::nullopt;
  name.remove_prefix(prefix.size());
  int id = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (name.empty() || name[0] == '-' || ec != std::errc{} || end != name.data() + name.size() ||
      id > 999)
    return std::nullopt;
  return id;
}

}  // namespace

std::unique_ptr<Driver> make_shelly_rpc(const core::DeviceSpec& device, const Options& options,
                                        const Context& context,
                                        std::vector<OptionProblem>& problems) {
  OptionReader reader("shelly_rpc", options, problems);
  auto id = reader.topic("id", true,
                         "the device id, which is also its MQTT topic prefix, e.g. "
                         "shellyplus1pm-a8032ab12345");
  int switch_id = reader.integer("switch", 0, 3, 0);
  std::optional<std::string> temperature;
  std::optional<int> temperature_id;
  if (reader.sensor_option("temperature", device.sensor.has_value())) {
    temperature =
        reader.text("temperature", true, "the add-on sensor's component, e.g. temperature:100");
    if (temperature) temperature_id = temperature_component_id(*temperature);
    if (temperature && !temperature_id) {
      reader.report("temperature",
                    "temperature must be a component name like temperature:100, got \"" +
                        *temperature + "\"");
    }
  }
  reject_dual(reader, device, "shelly_rpc");
  if (auto why = topic_problem(context.client_id); !why.empty()) {
    reader.report("",
                  "shelly_rpc needs padtimer's MQTT client id for the replies on "
                  "<client_id>/rpc, and it " +
                      why);
  }
  if (!reader.finish()) return nullptr;
  return std::make_unique<ShellyRpcDriver>(device, *id, switch_id, std::move(temperature),
                                           temperature_id.value_or(0), context.client_id);
}

}  // namespace padtimer::devices
