#include "devices/tasmota.h"

#include <algorithm>
#include <optional>
#include <string>

#include "devices/common.h"

namespace padtimer::devices {
namespace {

using namespace std::chrono_literals;

class TasmotaDriver final : public Driver {
 public:
  TasmotaDriver(core::DeviceSpec device, std::string topic, int relay,
                std::optional<std::string> sensor)
      : Driver(std::move(device)),
        topic_(std::move(topic)),
        n_(std::to_string(relay)),
        sensor_(std::move(sensor)) {}

  std::vector<std::string> subscriptions() const override {
    std::vector<std::string> topics = {"stat/" + topic_ + "/RESULT",
                                       "stat/" + topic_ + "/POWER" + n_,
                                       "tele/" + topic_ + "/STATE", "tele/" + topic_ + "/LWT"};
    if (n_ == "1") topics.push_back("stat/" + topic_ + "/POWER");
    if (sensor_) topics.push_back("tele/" + topic_ + "/SENSOR");
    return topics;
  }

  std::vector<Outgoing> encode(const core::SetOutput& command) override {
    const std::string power_topic = "cmnd/" + topic_ + "/Power" + n_;
    if (!wants_on(command, on_output())) return {{power_topic, "OFF"}};
    const int pulse = command.auto_off ? tasmota_pulse_time(*command.auto_off) : 0;
    if (confirmed_pulse_ == pulse) return {{power_topic, "ON"}};
    // Two plain commands, never a Backlog. Tasmota's CmndBacklog
    // (tasmota_support/support_command.ino) only queues a Backlog's commands, and BacklogLoop
    // (tasmota.ino, run from the main loop after the MQTT loop) runs one per pass once
    // backlog_timer has run out: the first at once, the next SetOption34 later
    // (Settings->param[P_BACKLOG_DELAY], 200 ms by default). A plain command is run at once
    // by MqttDataHandler -> CommandHandler (xdrv_02_9_mqtt.ino), and CommandHandler sets
    // backlog_timer to SetOption34 from then. So an OFF sent right after `Backlog
    // PulseTime<n> v; Power<n> ON` ran before the queued Power ON, which then switched the
    // pad ON again until PulseTime ended it (Backlog0 only narrows that window). Plain
    // commands run in the order they arrive, and the broker keeps one client's QoS 1
    // messages on a topic in order, so a later OFF on Power<n> always comes last. PulseTime<n>
    // v arms the value at once, even while OFF (CmndPulsetime), and every Power ON restarts
    // the countdown from it (ExecuteCommandPower), so the lease runs from the ON; were Power ON
    // ever passed on before PulseTime (another topic), PulseTime would restart it with v.
    return {{"cmnd/" + topic_ + "/PulseTime" + n_, std::to_string(pulse)}, {power_topic, "ON"}};
  }

  // Power<n> without a payload shows the state and changes nothing: Tasmota's CmndPower
  // (tasmota/tasmota_support/support_command.ino) turns the missing payload into
  // POWER_SHOW_STATE, which leaves the relay and its PulseTime countdown alone, and
  // MqttPublishPowerState (tasmota_xdrv_driver/xdrv_02_9_mqtt.ino) answers exactly as a
  // Power ON does: stat/<topic>/RESULT {"POWER<n>":"ON"} and stat/<topic>/POWER<n> ON.
  std::vector<Outgoing> encode(const core::QueryState& /*query*/) override {
    return {{"cmnd/" + topic_ + "/Power" + n_, ""}};
  }

  std::optional<Decoded> decode(std::string_view topic, std::string_view payload) override {
    const std::string stat = "stat/" + topic_ + "/";
    const std::string tele = "tele/" + topic_ + "/";
    const bool plain_power = topic == stat + "POWER" + n_ || (n_ == "1" && topic == stat + "POWER");
    const bool sensor = sensor_ && topic == tele + "SENSOR";
    const bool lwt = topic == tele + "LWT";
    const bool state = topic == tele + "STATE";
    if (!plain_power && !sensor && !lwt && !state && topic != stat + "RESULT") return std::nullopt;
    if (auto why = size_problem(payload); !why.empty()) return problem(why);
    if (plain_power) return switch_state(device().id, payload, on_output(), "ON", "OFF");
    if (sensor) return decode_sensor(payload);
    if (lwt) {
      confirmed_pulse_.reset();  // it may have restarted, or missed a PulseTime
      return availability(device().id, payload, "Online", "Offline");
    }
    Decoded decoded = decode_power_json(payload, state);
    if (state) mark_unprompted(decoded);  // telemetry, sent every TelePeriod by itself
    return decoded;
  }

  std::vector<std::string> notes() const override { return no_lease_notes(device()); }

 private:
  // stat/<topic>/RESULT (any command's answer) and tele/<topic>/STATE (always has POWER).
  Decoded decode_power_json(std::string_view payload, bool power_required) {
    std::string why;
    auto root = parse_json_object(payload, why);
    if (!root) return problem(why);
    if (const json::Value* pulse = root->find("PulseTime" + n_)) {
      const json::Value* set = pulse->find("Set");
      auto value = set ? set->as_int() : std::nullopt;
      if (!value || *value < 0 || *value > 65535)
        return problem("PulseTime" + n_ + " without a \"Set\" value from 0 to 65535");
      confirmed_pulse_ = static_cast<int>(*value);
    }
    const json::Value* state = root->find("POWER" + n_);
    if (!state && n_ == "1") state = root->find("POWER");  // single-relay devices
    if (!state) return power_required ? problem("no POWER" + n_ + " in STATE") : Decoded{};
    const std::string* word = state->as_string();
    if (!word) return problem("POWER" + n_ + " is not a string");
    return switch_state(device().id, *word, on_output(), "ON", "OFF");
  }

  // {"DS18B20":{"Temperature":20.6},"TempUnit":"C"}
  Decoded decode_sensor(std::string_view payload) const {
    std::string why;
    auto root = parse_json_object(payload, why);
    if (!root) return problem(why);
    bool fahrenheit = false;
    if (const json::Value* unit = root->find("TempUnit")) {
      auto is_f = unit->as_string() ? parse_word(*unit->as_string(), "F", "C") : std::nullopt;
      if (!is_f) return problem("TempUnit is not \"C\" or \"F\"");
      fahrenheit = *is_f;
    }
    const json::Value* reading = root->find(*sensor_);
    if (!reading || !reading->is_object()) {
      return problem("no \"" + *sensor_ +
                     "\" object in SENSOR: the sensor is disconnected, or the sensor option "
                     "does not match its name");
    }
    Decoded out;
    add_temperature(out, device().id, reading->find("Temperature"), *sensor_ + ".Temperature",
                    fahrenheit);
    return out;
  }

  std::string topic_;
  std::string n_;                       // the relay number, as in Power<n>
  std::optional<std::string> sensor_;   // object name in tele/<topic>/SENSOR
  std::optional<int> confirmed_pulse_;  // PulseTime<n> the device last said it holds
};

}  // namespace

int tasmota_pulse_time(core::Duration lease) {
  std::int64_t tenths = ceil_units(lease, 100ms);
  if (tenths <= 111) return static_cast<int>(tenths);
  std::int64_t seconds = ceil_units(lease, 1s);
  return static_cast<int>(std::min<std::int64_t>(seconds + 100, 64900));
}

std::unique_ptr<Driver> make_tasmota(const core::DeviceSpec& device, const Options& options,
                                     const Context& /*context*/,
                                     std::vector<OptionProblem>& problems) {
  OptionReader reader("tasmota", options, problems);
  auto topic =
      reader.topic("topic", true, "the device's Tasmota Topic (%topic%), e.g. tasmota_5A3F2B");
  int relay = reader.integer("relay", 1, 8, 1);
  std::optional<std::string> sensor;
  if (reader.sensor_option("sensor", device.sensor.has_value())) {
    sensor = reader.text("sensor", true,
                         "the name of the sensor object in tele/<topic>/SENSOR, e.g. DS18B20");
  }
  reader.unsupported("full_topic",
                     "padtimer assumes Tasmota's default FullTopic %prefix%/%topic%/, i.e. "
                     "cmnd/<topic>/, stat/<topic>/ and tele/<topic>/");
  reject_dual(reader, device, "tasmota");
  if (!reader.finish()) return nullptr;
  return std::make_unique<TasmotaDriver>(device, *topic, relay, std::move(sensor));
}

}  // namespace padtimer::devices
