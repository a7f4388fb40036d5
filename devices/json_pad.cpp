#include "devices/json_pad.h"

#include <optional>
#include <string>

#include "devices/common.h"

namespace padtimer::devices {
namespace {

using namespace std::chrono_literals;

class JsonPadDriver final : public Driver {
 public:
  JsonPadDriver(core::DeviceSpec device, std::string topic, std::optional<int> level)
      : Driver(std::move(device)), topic_(std::move(topic)), level_(level) {}

  std::vector<std::string> subscriptions() const override {
    return {topic_ + "/state", topic_ + "/availability"};
  }

  std::vector<Outgoing> encode(const core::SetOutput& command) override {
    // A mode the pad's role cannot do is sent as off (see wants_on in common.h).
    const core::Output mode = can(command.output) ? command.output : core::Output::off;
    json::Value message = json::Value::object({{"mode", core::to_string(mode)}});
    if (mode != core::Output::off) {
      if (command.auto_off) message.set("auto_off", ceil_units(*command.auto_off, 1s));
      if (level_) message.set("level", *level_);
    }
    return {{topic_ + "/set", message.dump()}};
  }

  // padtimer's own schema (devices/README.md, "JSON pad"): {} on <base>/<id>/get makes the
  // pad publish its state on <base>/<id>/state at once, changing nothing.
  std::vector<Outgoing> encode(const core::QueryState& /*query*/) override {
    return {{topic_ + "/get", "{}"}};
  }

  std::optional<Decoded> decode(std::string_view topic, std::string_view payload) override {
    const bool state = topic == topic_ + "/state";
    if (!state && topic != topic_ + "/availability") return std::nullopt;
    if (auto why = size_problem(payload); !why.empty()) return problem(why);
    if (!state) return availability(device().id, payload, "online", "offline");
    return decode_state(payload);
  }

  std::vector<std::string> notes() const override { return no_lease_notes(device()); }

 private:
  bool can(core::Output output) const {
    switch (device().role) {
      case core::DeviceRole::heat: return output != core::Output::cold;
      case core::DeviceRole::cold: return output != core::Output::heat;
      case core::DeviceRole::dual: return true;
    }
    return false;
  }

  // {"mode":"heat","temperature":31.5}: other fields are ignored.
  Decoded decode_state(std::string_view payload) const {
    std::string why;
    auto root = parse_json_object(payload, why);
    if (!root) return problem(why);
    const json::Value* mode = root->find("mode");
    if (!mode || !mode->as_string()) return problem("no \"mode\" string");
    const std::string& name = *mode->as_string();
    core::Output output = core::Output::off;
    if (name == "heat") {
      output = core::Output::heat;
    } else if (name == "cold") {
      output = core::Output::cold;
    } else if (name != "off") {
      return problem("unknown mode " + mode->dump() + ": expected \"heat\", \"cold\" or \"off\"");
    }
    Decoded out{{core::DeviceReport{device().id, output}}, {}};
    if (!can(output)) {
      out.problem = "the pad reports mode " + name + ", which a " +
                    std::string(core::to_string(device().role)) + " device cannot do";
    }
    const json::Value* temperature = device().sensor ? root->find("temperature") : nullptr;
    if (temperature) add_temperature(out, device().id, temperature, "temperature");
    return out;
  }

  std::string topic_;  // "<base>/<id>"
  std::optional<int> level_;
};

}  // namespace

std::unique_ptr<Driver> make_json_pad(const core::DeviceSpec& device, const Options& options,
                                      const Context& /*context*/,
                                      std::vector<OptionProblem>& problems) {
  OptionReader reader("json_pad", options, problems);
  auto id = reader.topic("id", true, "the pad's id in its topics, e.g. lower_back_pad");
  std::string base = reader.topic("base", "padtimer/pads");
  std::optional<int> level = reader.integer("level", 1, 10, false, {});
  if (!reader.finish()) return nullptr;
  return std::make_unique<JsonPadDriver>(device, base + "/" + *id, level);
}

}  // namespace padtimer::devices
