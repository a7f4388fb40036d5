// Every device family padtimer knows. Adding one is one line here.
#include <algorithm>

#include "devices/driver.h"
#include "devices/json_pad.h"
#include "devices/shelly_gen1.h"
#include "devices/shelly_rpc.h"
#include "devices/tasmota.h"
#include "devices/zigbee2mqtt.h"

namespace padtimer::devices {

const std::vector<Family>& families() {
  // name, supports_auto_off, accepted options (in the order messages list them), factory
  static const std::vector<Family> all = {
      {"tasmota", true, {"topic", "relay", "sensor"}, &make_tasmota},
      {"shelly_rpc", true, {"id", "switch", "temperature"}, &make_shelly_rpc},
      {"shelly_gen1", false, {"id", "relay", "temperature"}, &make_shelly_gen1},
      {"zigbee2mqtt",
       true,
       {"name", "base", "state_property", "temperature_property", "on_time"},
       &make_zigbee2mqtt},
      {"json_pad", true, {"id", "base", "level"}, &make_json_pad},
  };
  return all;
}

const Family* find_family(std::string_view name) {
  const auto& all = families();
  auto it =
      std::find_if(all.begin(), all.end(), [name](const Family& f) { return f.name == name; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace padtimer::devices
