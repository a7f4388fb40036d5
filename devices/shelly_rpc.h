// Shelly Gen2/Gen3 switches, over their RPC-over-MQTT channel.
//
// Each command is a Switch.Set request on <id>/rpc with "src" set to our MQTT client id;
// the device answers on <client_id>/rpc. The lease is Switch.Set's toggle_after (seconds,
// rounded up to 0.1 s): the switch turns itself off when it runs out, and every new ON
// starts it again. The <client_id>/rpc topic is shared by every Shelly RPC device: a driver
// takes only replies whose "src" is its device and whose "id" it is waiting for. A result
// confirms the output asked for only when it answers the latest request: an older one is
// already overtaken (NotifyStatus still reports every real change). With a sensor, every
// ON also sends Temperature.GetStatus: the add-on reports only changes, and a steady pad
// must still give the engine fresh readings. The state query is Switch.GetStatus: its
// reply's "output" is an answer, unless a Switch.Set sent after it has overtaken it.
//
// The `id` option is the device id, which must also be its MQTT topic prefix (the
// default): replies name the device by id, status messages by prefix.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "devices/driver.h"

namespace padtimer::devices {

// Options: id (required), switch (0-3, default 0), temperature (the add-on sensor's
// component, e.g. temperature:100; required with a sensor block, refused without).
// Needs context.client_id.
std::unique_ptr<Driver> make_shelly_rpc(const core::DeviceSpec& device, const Options& options,
                                        const Context& context,
                                        std::vector<OptionProblem>& problems);

// Requests still waiting for a reply are forgotten beyond this many (oldest first), so a
// device that never answers cannot grow the table.
inline constexpr std::size_t kShellyRpcMaxPending = 16;

}  // namespace padtimer::devices
