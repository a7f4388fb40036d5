#include "host/clock.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <string>

namespace padtimer::host {

namespace {

core::MonoTime boottime_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return core::MonoTime{
      core::Duration{static_cast<core::Duration::rep>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000}};
}

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

core::Duration scale_duration(core::Duration d, double scale) {
  return core::Duration{static_cast<core::Duration::rep>(std::llround(d.count() * scale))};
}

}  // namespace

std::chrono::minutes utc_offset_at(core::WallTime wall) {
  using namespace std::chrono;
  std::time_t t = system_clock::to_time_t(time_point_cast<system_clock::duration>(wall));
  std::tm local{};
  if (localtime_r(&t, &local) == nullptr) return minutes{0};
  return duration_cast<minutes>(seconds{local.tm_gmtoff});
}

core::Now system_now() {
  using namespace std::chrono;
  core::Now now;
  now.mono = boottime_now();
  now.wall = time_point_cast<core::Duration>(system_clock::now());
  now.utc_offset = utc_offset_at(now.wall);
  return now;
}

Clock::Clock(double scale, std::optional<core::WallTime> wall_origin)
    : scale_(scale), origin_(system_now()) {
  if (!(scale >= 1.0 && scale <= kMaxScale)) {
    throw std::invalid_argument("the time scale must be from 1 to " +
                                std::to_string(static_cast<int>(kMaxScale)));
  }
  if (wall_origin) origin_.wall = *wall_origin;
  id_ = boot_id();
  if (scaled() && !id_.empty()) {
    id_ = "scaled:" + id_ + ":" + std::to_string(origin_.mono.time_since_epoch().count());
  }
}

core::Now Clock::now() const {
  core::Now real = system_now();
  if (!scaled()) return real;
  core::Now now;
  now.mono = origin_.mono + scale_duration(real.mono - origin_.mono, scale_);
  now.wall = origin_.wall + scale_duration(real.wall - origin_.wall, scale_);
  now.utc_offset = utc_offset_at(now.wall);
  return now;
}

core::Duration Clock::real_delay(core::Duration clock_time) const {
  if (!scaled() || clock_time <= core::Duration::zero()) return clock_time;
  return core::Duration{static_cast<core::Duration::rep>(std::ceil(clock_time.count() / scale_))};
}

}  // namespace padtimer::host
