// Shelly Gen1, device side: one relay.
//
//   shellies/<id>/relay/<n>/command   on | off | toggle (lower case, as the firmware wants)
//   shellies/<id>/command             update: publish the current state now (relay and
//                                     ext_temperature) without changing it
//   shellies/<id>/relay/<n>           on | off, after every command, every change, every
//                                     update and every telemetry period
//   shellies/<id>/online              true | false, retained (the last will)
//   shellies/<id>/ext_temperature/<k> 38.2, every telemetry period when it has a sensor
//
// Gen1 has no auto-off over MQTT. Its own persistent "Auto OFF" setting (auto_off=, in
// seconds) switches the relay OFF that long after every "on" (an "on" while ON restarts it).
#pragma once

#include <optional>
#include <string>

#include "sim/device.h"

namespace padtimer::sim {

struct ShellyGen1Settings {
  std::string id;
  int relay = 0;
  int sensor_index = 0;  // ext_temperature/<index>
  std::optional<Seconds> auto_off;
};

class ShellyGen1 : public Device {
 public:
  ShellyGen1(CommonSettings common, ShellyGen1Settings settings, Now start);

  std::vector<std::string> subscriptions() const override;
  Availability availability() const override;

 protected:
  void on_message(std::string_view topic, std::string_view payload, Now now, Reaction& r) override;
  void on_output_changed(Now now, Reaction& r) override;
  void on_connected(Now now, Reaction& r) override;
  void on_telemetry(Now now, Reaction& r) override;

 private:
  std::string relay_topic() const;
  std::string command_topic() const;
  void publish_relay(Reaction& r) const;

  ShellyGen1Settings settings_;
};

}  // namespace padtimer::sim
