// Shelly Gen1 relays (Shelly 1, 1PM, 2.5, Plug S...), over their native MQTT topics.
//
// Gen1 has no auto-off over MQTT: a relay command cannot carry a timer, only the device's
// persistent "Auto OFF" setting can. So padtimer cannot arm a lease, the family does not
// support auto-off (the device must have DeviceSpec::auto_off false), and the driver says
// so at start-up: the user must set the relay's own Auto OFF timer in the Shelly web UI so
// a dead controller is still covered. The state query is `update` on shellies/<id>/command:
// the device then publishes shellies/<id>/relay/<n>.
#pragma once

#include <memory>
#include <vector>

#include "devices/driver.h"

namespace padtimer::devices {

// Options: id (required), relay (0-3, default 0), temperature (the add-on sensor's index
// in ext_temperature/<index>, 0-2; required with a sensor block, refused without).
std::unique_ptr<Driver> make_shelly_gen1(const core::DeviceSpec& device, const Options& options,
                                         const Context& context,
                                         std::vector<OptionProblem>& problems);

}  // namespace padtimer::devices
