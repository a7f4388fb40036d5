#include "host/clock.h"

#include <chrono>
#include <ctime>

namespace padtimer::host {

core::Now system_now() {
  using namespace std::chrono;
  core::Now now;
  now.mono = core::MonoTime{duration_cast<core::Duration>(steady_clock::now().time_since_epoch())};
  auto wall = system_clock::now();
  now.wall = time_point_cast<core::Duration>(wall);
  std::time_t t = system_clock::to_time_t(wall);
  std::tm local{};
  if (localtime_r(&t, &local) != nullptr) {
    now.utc_offset = duration_cast<minutes>(seconds{local.tm_gmtoff});
  }
  return now;
}

}  // namespace padtimer::host
