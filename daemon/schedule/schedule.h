// Schedules: a routine started at a local time on chosen weekdays. This module turns them
// into starts that are due, given the wall time; it reads no clock (time is a parameter),
// only the C library's time zone (TZ, else /etc/localtime).
//
// The rules:
// - An occurrence of a schedule is its HH:MM on a local date whose weekday is enabled, in
//   the process's time zone. Precisely: the first instant at which local time reaches
//   HH:MM on that date. So when HH:MM does not exist that day (spring forward: 02:30 in
//   Europe/Berlin on the last Sunday of March) the occurrence is the instant the gap ends
//   (03:00 local), and when HH:MM happens twice (fall back) only the first is an occurrence.
// - A Scheduler keeps checked_until: every occurrence up to and including it was handled.
//   poll(now) reports the occurrences in (checked_until, now], then checked_until = now.
// - A reported occurrence is run only if now - occurrence <= max(grace, kOnTimeTolerance).
//   Otherwise it was missed (padtimerd was down, or the wall clock jumped over it) and is
//   reported with run == false: a start is never run late.
// - A wall clock that went back (now <= checked_until) reports nothing and keeps
//   checked_until, so no occurrence ever fires twice. One that jumped far ahead (a Pi
//   without a real-time clock booting at 1970, then NTP) reports at most one occurrence
//   per schedule per poll: the latest, with the number it stands for.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace padtimer::schedule {

// A routine started by the config at a local time on chosen weekdays.
struct Schedule {
  std::string zone;
  std::string routine;
  int hour = 0;  // 0..23, local time
  int minute = 0;
  std::array<bool, 7> days{};  // monday .. sunday
  // A start missed while padtimerd was down is run late only within this window.
  std::chrono::minutes grace{0};
};

// How late a poll may come and still count as on time: a timer that wakes a little late
// has not missed its start.
inline constexpr std::chrono::minutes kOnTimeTolerance{1};

struct Due {
  std::size_t schedule = 0;  // index into the schedules the Scheduler was given
  core::WallTime occurrence{};
  bool run = false;  // false: missed, must not be run late
  // How many occurrences of this schedule were in the polled interval, this one (the
  // latest) included; more than 1 only after padtimerd was down or the clock jumped.
  std::size_t count = 1;
};

class Scheduler {
 public:
  // `checked_until`: every occurrence up to and including it was already handled (persist
  // it; at the first start ever, pass now). Calls tzset() so a changed TZ is seen. Throws
  // std::invalid_argument for an hour or minute out of range.
  Scheduler(std::vector<Schedule> schedules, core::WallTime checked_until);

  // The occurrences in (checked_until, now], at most one per schedule, ordered by time (then
  // schedule index); then checked_until = now. Nothing when now <= checked_until.
  std::vector<Due> poll(core::WallTime now);

  // The earliest occurrence after checked_until across all schedules; none when no
  // schedule has a day enabled. Arm a timer for it, and wake at least once a minute anyway
  // to notice wall-clock jumps.
  std::optional<core::WallTime> next_occurrence() const;

  core::WallTime checked_until() const { return checked_until_; }
  const std::vector<Schedule>& schedules() const { return schedules_; }

 private:
  std::vector<Schedule> schedules_;
  core::WallTime checked_until_;
};

// The first occurrence of `s` after `after`; none when no day is enabled.
std::optional<core::WallTime> next_occurrence(const Schedule& s, core::WallTime after);

// For logs: "lower_back evening at 07:30 mon,wed,fri" (or daily, weekdays, weekends, never).
std::string describe(const Schedule& s);

}  // namespace padtimer::schedule
