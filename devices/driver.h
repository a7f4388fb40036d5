// One interface for every device family. A driver translates, and nothing else: an engine
// command (SetOutput, QueryState) becomes MQTT messages, an MQTT message becomes engine
// events. It holds no safety logic (that is the engine's) and does no I/O (that is the
// transport's).
//
// Adding a family: a driver file pair (e.g. devices/tasmota.h/.cpp), a test file
// (tests/devices/tasmota_test.cpp) and one line in devices/registry.cpp.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io.h"
#include "core/model.h"

namespace padtimer::devices {

// An MQTT message to publish. Device commands are QoS 1 and never retained: a retained
// command would switch a pad ON again whenever the device reconnects.
struct Outgoing {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = false;
};

// What a driver made of one message on one of its topics.
struct Decoded {
  std::vector<core::Event> events;  // DeviceReport, DeviceAvailability, TemperatureReading
  std::string problem;              // set when the message was unusable: log it, ignore it
};

// Driver settings from the config file, as text (the driver parses and checks them, so a
// new family brings its own options without touching the config loader).
using Options = std::map<std::string, std::string>;

struct OptionProblem {
  std::string option;  // empty: about the device as a whole
  std::string message;
};

// What a driver needs to know about the running daemon.
struct Context {
  std::string client_id;  // our MQTT client id (Shelly RPC replies go to "<client_id>/rpc")
};

class Driver {
 public:
  virtual ~Driver() = default;

  const core::DeviceSpec& device() const { return device_; }

  // MQTT topic filters to subscribe to, on every (re)connect.
  virtual std::vector<std::string> subscriptions() const = 0;

  // The messages that carry out an engine command, lease included.
  virtual std::vector<Outgoing> encode(const core::SetOutput& command) = 0;

  // The messages that make the device publish its current output now, without changing
  // it; decode() reads the device's reply as a DeviceReport with answer = true.
  virtual std::vector<Outgoing> encode(const core::QueryState& query) = 0;

  // Nothing when the topic is not this device's; otherwise the events the message carries
  // (possibly none) or the problem that made it unusable.
  virtual std::optional<Decoded> decode(std::string_view topic, std::string_view payload) = 0;

  // What the user should know at start-up, e.g. that the device has no auto-off over MQTT.
  virtual std::vector<std::string> notes() const { return {}; }

 protected:
  explicit Driver(core::DeviceSpec device) : device_(std::move(device)) {}

  // The engine output a plain switch means when ON.
  core::Output on_output() const { return core::on_output(device_.role); }

 private:
  core::DeviceSpec device_;
};

struct Family {
  std::string_view name;                  // as written in the config: "tasmota", "shelly_rpc", ...
  bool supports_auto_off;                 // can the device switch itself off after a given time?
  std::vector<std::string_view> options;  // accepted option names, for messages and docs
  // Builds a driver, or reports every problem with the options and returns nullptr.
  std::unique_ptr<Driver> (*make)(const core::DeviceSpec& device, const Options& options,
                                  const Context& context, std::vector<OptionProblem>& problems);
};

// Every family padtimer knows (devices/registry.cpp).
const std::vector<Family>& families();
const Family* find_family(std::string_view name);

}  // namespace padtimer::devices
