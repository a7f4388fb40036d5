#include "core/time_format.h"

#include <cstdio>

namespace padtimer::core {

namespace {

std::chrono::local_time<Duration> to_local(WallTime wall, std::chrono::minutes utc_offset) {
  return std::chrono::local_time<Duration>{wall.time_since_epoch() + utc_offset};
}

}  // namespace

LocalDay local_day(WallTime wall, std::chrono::minutes utc_offset) {
  auto local = to_local(wall, utc_offset);
  return std::chrono::floor<std::chrono::days>(local).time_since_epoch().count();
}

WallTime next_local_midnight(WallTime wall, std::chrono::minutes utc_offset) {
  auto local = to_local(wall, utc_offset);
  auto midnight = std::chrono::floor<std::chrono::days>(local) + std::chrono::days{1};
  return WallTime{std::chrono::duration_cast<Duration>(midnight.time_since_epoch() - utc_offset)};
}

std::string describe_moment(WallTime when, const Now& now) {
  using namespace std::chrono;
  auto local = to_local(when, now.utc_offset);
  auto rounded = ceil<minutes>(local);
  auto day = floor<days>(rounded);
  auto time_of_day = rounded - day;
  auto hours = duration_cast<std::chrono::hours>(time_of_day).count();
  auto mins = duration_cast<minutes>(time_of_day).count() % 60;
  char clock[8];
  std::snprintf(clock, sizeof clock, "%02d:%02d", static_cast<int>(hours), static_cast<int>(mins));

  LocalDay today = local_day(now.wall, now.utc_offset);
  LocalDay target = day.time_since_epoch().count();
  if (target == today) return std::string("at ") + clock;
  if (target == today + 1) return std::string("tomorrow at ") + clock;
  year_month_day ymd{sys_days{days{target}}};
  char date[16];
  std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return std::string("on ") + date + " at " + clock;
}

std::string describe_duration(Duration d) {
  using namespace std::chrono;
  if (d < Duration::zero()) d = Duration::zero();
  auto total_s = ceil<seconds>(d).count();
  auto h = total_s / 3600;
  auto m = (total_s % 3600) / 60;
  auto s = total_s % 60;
  std::string out;
  auto add = [&out](long long value, const char* unit) {
    if (!out.empty()) out += ' ';
    out += std::to_string(value) + ' ' + unit;
  };
  if (h > 0) add(h, "h");
  if (m > 0) add(m, "min");
  if (s > 0 || out.empty()) add(s, "s");
  return out;
}

}  // namespace padtimer::core
