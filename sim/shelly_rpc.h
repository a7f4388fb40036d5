// Shelly Gen2/Gen3, device side: one switch, RPC over MQTT.
//
//   <id>/rpc           {"id":N,"src":"<client>","method":"Switch.Set",
//                       "params":{"id":0,"on":true,"toggle_after":120}}
//                      also Switch.Toggle, Switch.GetStatus, Temperature.GetStatus,
//                      Shelly.GetStatus
//   <src>/rpc          {"id":N,"src":"<id>","dst":"<src>","result":{"was_on":false}}
//                      or {"id":N,"src":..,"dst":..,"error":{"code":-103,"message":".."}}
//   <id>/events/rpc    {"src":"<id>","dst":"<id>/events","method":"NotifyStatus",
//                       "params":{"ts":1764000000.12,"switch:0":{"id":0,"output":true}}}
//                      on every change; "temperature:100":{"id":100,"tC":38.2,"tF":100.8}
//                      every telemetry period when the device has a sensor
//   <id>/online        true | false, retained (the last will)
//
// toggle_after flips the output after that many seconds (ON with toggle_after is an
// auto-off; OFF with toggle_after an auto-on). Every Switch.Set replaces the timer. The
// device's own auto_off setting (if configured) applies to an ON without toggle_after.
// A frame that is not a JSON object with a "method" string, a "src" string and a numeric or
// string "id" is ignored (there is no one to answer).
#pragma once

#include <optional>
#include <string>

#include "json/json.h"
#include "sim/device.h"

namespace padtimer::sim {

struct ShellyRpcSettings {
  std::string id;
  int switch_id = 0;
  int sensor_id = 100;  // the temperature component ("temperature:100")
  std::optional<Seconds> auto_off;
};

// Shelly's RPC error codes.
inline constexpr int kRpcInvalidArgument = -103;
inline constexpr int kRpcNotFound = -105;
inline constexpr int kRpcNoHandler = 404;

class ShellyRpc : public Device {
 public:
  ShellyRpc(CommonSettings common, ShellyRpcSettings settings, Now start);

  std::vector<std::string> subscriptions() const override;
  Availability availability() const override;

 protected:
  void on_message(std::string_view topic, std::string_view payload, Now now, Reaction& r) override;
  void on_output_changed(Now now, Reaction& r) override;
  void on_connected(Now now, Reaction& r) override;
  void on_telemetry(Now now, Reaction& r) override;

 private:
  void notify(Now now, Reaction& r, bool with_switch, bool with_temperature) const;
  json::Value switch_status(Now now) const;
  json::Value temperature_status(Now now) const;

  ShellyRpcSettings settings_;
};

}  // namespace padtimer::sim
