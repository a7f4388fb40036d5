// A Zigbee plug behind Zigbee2MQTT, as Zigbee2MQTT presents it.
//
//   <base>/<name>/set           {"state":"ON"|"OFF"|"TOGGLE","on_time":120} (state is case-
//                               insensitive; a bare ON/OFF/TOGGLE payload works too)
//   <base>/<name>/get           any payload: publish the state
//   <base>/<name>               {"state":"ON","linkquality":120,"temperature":38.2} after every
//                               command and change, and every telemetry period with a sensor
//   <base>/<name>/availability  {"state":"online"|"offline"} retained; with
//                               legacy_availability plain online|offline
//
// on_time (with state ON) switches the plug OFF after that many seconds (at most 6553, the
// Zigbee OnWithTimedOff limit); an ON without it cancels a running on_time. With
// on_time=no the plug's firmware ignores on_time (it then stays ON).
//
// The MQTT client is Zigbee2MQTT, not the plug: there is no per-device last will. The sim
// publishes the availability itself when it connects, on the offline/online faults and at
// shutdown, and stays connected while the device is "offline".
#pragma once

#include <string>

#include "sim/device.h"

namespace padtimer::sim {

struct Zigbee2MqttSettings {
  std::string base = "zigbee2mqtt";
  std::string friendly_name;
  bool legacy_availability = false;
  bool on_time_supported = true;
  int linkquality = 120;
};

inline constexpr double kOnTimeMax = 6553.0;

class Zigbee2Mqtt : public Device {
 public:
  Zigbee2Mqtt(CommonSettings common, Zigbee2MqttSettings settings, Now start);

  std::vector<std::string> subscriptions() const override;
  Availability availability() const override;

 protected:
  void on_message(std::string_view topic, std::string_view payload, Now now, Reaction& r) override;
  void on_output_changed(Now now, Reaction& r) override;
  void on_connected(Now now, Reaction& r) override;
  void on_telemetry(Now now, Reaction& r) override;

 private:
  std::string device_topic() const { return settings_.base + "/" + settings_.friendly_name; }
  void publish_state(Now now, Reaction& r) const;

  Zigbee2MqttSettings settings_;
};

}  // namespace padtimer::sim
