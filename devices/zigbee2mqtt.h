// Zigbee plugs and relays through Zigbee2MQTT.
//
// The lease is on_time (whole seconds, rounded up): Zigbee2MQTT sends the plug an "on with
// timed off" so it switches itself off. Some firmware ignores on_time; for such a plug the
// option on_time=false stops sending it, and the device then has no auto-off: the config
// layer must set its DeviceSpec::auto_off to false (the factory refuses the combination
// otherwise, so the engine never counts on a lease the plug does not keep). The state query
// is {"state":""} on <base>/<name>/get; Zigbee2MQTT answers on <base>/<name>.
#pragma once

#include <memory>
#include <vector>

#include "devices/driver.h"

namespace padtimer::devices {

// Options: name (required friendly name, may contain '/'), base (default zigbee2mqtt),
// state_property (default state), temperature_property (default temperature; only with a
// sensor block), on_time (true/false, default true).
std::unique_ptr<Driver> make_zigbee2mqtt(const core::DeviceSpec& device, const Options& options,
                                         const Context& context,
                                         std::vector<OptionProblem>& problems);

}  // namespace padtimer::devices
