// Pads that speak padtimer's own JSON schema (DIY pads on ESPHome or Arduino), with heat,
// cold and off modes, an optional level and an optional temperature. The schema is in
// devices/README.md ("JSON pad"); in short, with <base> = padtimer/pads:
//
//   <base>/<id>/set           {"mode":"heat","auto_off":120,"level":5}   (padtimer → pad)
//   <base>/<id>/get           {}   (padtimer → pad: publish your state now, changing nothing)
//   <base>/<id>/state         {"mode":"heat","temperature":31.5}          (pad → padtimer)
//   <base>/<id>/availability  online | offline   (the pad's retained last will)
//
// auto_off is the lease in whole seconds (rounded up): the pad must switch itself off when
// it runs out unless another command arrives. A mode the pad's role cannot do (cold from a
// heat-only pad) is reported as it is, so the engine faults on it, and flagged as a problem.
#pragma once

#include <memory>
#include <vector>

#include "devices/driver.h"

namespace padtimer::devices {

// Options: id (required), base (default padtimer/pads), level (1-10, sent with heat and
// cold when set). Any role: heat, cold or dual.
std::unique_ptr<Driver> make_json_pad(const core::DeviceSpec& device, const Options& options,
                                      const Context& context, std::vector<OptionProblem>& problems);

}  // namespace padtimer::devices
