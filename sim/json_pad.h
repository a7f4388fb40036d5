// The generic JSON pad (DIY ESPHome/Arduino pads), device side.
//
//   <base>/<id>/set           {"mode":"heat"|"cold"|"off","auto_off":120,"level":1..10}
//                             auto_off (seconds) and level are optional; a command without
//                             auto_off cancels a running one; the level persists
//   <base>/<id>/get           any payload (padtimer sends {}): publish the state now,
//                             changing nothing
//   <base>/<id>/state         {"mode":"heat","temperature":38.2} after every command, every
//                             get, every change and every telemetry period ("temperature"
//                             only with a working sensor)
//   <base>/<id>/availability  online | offline, retained (the last will)
//
// A mode the pad cannot do (cold on a heat-only pad), an unknown mode, a bad auto_off or
// level: the whole command is ignored and no state is published.
#pragma once

#include <string>

#include "sim/device.h"

namespace padtimer::sim {

struct JsonPadSettings {
  std::string base = "padtimer/pads";
  std::string id;
};

inline constexpr double kJsonPadAutoOffMax = 86400.0;

class JsonPad : public Device {
 public:
  JsonPad(CommonSettings common, JsonPadSettings settings, Now start);

  std::vector<std::string> subscriptions() const override;
  Availability availability() const override;

 protected:
  void on_message(std::string_view topic, std::string_view payload, Now now, Reaction& r) override;
  void on_output_changed(Now now, Reaction& r) override;
  void on_connected(Now now, Reaction& r) override;
  void on_telemetry(Now now, Reaction& r) override;

 private:
  std::string topic(std::string_view leaf) const;
  void publish_state(Now now, Reaction& r) const;

  JsonPadSettings settings_;
};

}  // namespace padtimer::sim
