// Fuzz target: the YAML config loader (config::parse_config), as `padtimerd --check-config`,
// start-up and SIGHUP run it. Input: the file's text.
//
// The loader must answer every text with either a config or errors at real positions,
// never both, never neither; a config it accepts must pass the engine's own validation and
// build every driver (make_drivers() throws otherwise, which would stop padtimerd).
#include <algorithm>
#include <string>

#include "config/config.h"
#include "core/validate.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace padtimer;
  using fuzz::check;
  return fuzz::run_guarded([&] {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::string name = "fuzz.yaml";
    const config::LoadResult result = config::parse_config(text, name);

    check(result.config.has_value() == result.errors.empty(),
          "a config is returned exactly when there are no errors");
    const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    for (const auto& e : result.errors) {
      check(e.file == name, "error names another file");
      check(e.line >= 1 && e.column >= 1, "error position before the start of the file");
      check(e.line <= lines + 1, "error position after the end of the file");
      check(!e.message.empty(), "error without a message");
    }
    check(std::is_sorted(result.errors.begin(), result.errors.end(),
                         [](const config::ConfigError& a, const config::ConfigError& b) {
                           return a.line != b.line ? a.line < b.line : a.column < b.column;
                         }),
          "errors are sorted by position");
    if (!result.config) return;

    const config::DaemonConfig& c = *result.config;
    check(core::validate(c.engine).empty(), "an accepted config fails engine validation");
    check(c.device_drivers.size() == c.engine.devices.size(), "one driver per device");
    const auto drivers = config::make_drivers(c, "padtimerd-fuzz");  // throws on a bad device
    check(drivers.size() == c.engine.devices.size(), "make_drivers built every device");
    for (const auto& d : drivers)
      check(!d->subscriptions().empty(), "a driver with nothing to subscribe to");
  });
}
