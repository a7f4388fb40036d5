#include "schedule/schedule.h"

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <utility>

namespace padtimer::schedule {

using core::WallTime;
using std::chrono::days;
using std::chrono::sys_days;

namespace {

using Seconds = std::int64_t;  // since the Unix epoch

constexpr Seconds kHour = 60 * 60;
// Beyond any UTC offset: local time at naive - kReach is before naive, at naive + kReach
// after it.
constexpr Seconds kReach = 26 * kHour;
// Offset changes are looked for at this spacing, then pinned down to the second.
constexpr Seconds kProbe = kHour;
// How many local dates are tried around an instant: a week, and a day each side.
constexpr int kScanDates = 10;

constexpr std::array<const char*, 7> kDayNames = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// Local time minus UTC at `t`.
Seconds utc_offset(Seconds t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (localtime_r(&tt, &tm) == nullptr) return 0;
  return tm.tm_gmtoff;
}

sys_days local_date(WallTime t) {
  using namespace std::chrono;
  std::time_t tt = static_cast<std::time_t>(floor<seconds>(t).time_since_epoch().count());
  std::tm tm{};
  if (localtime_r(&tt, &tm) == nullptr) return floor<days>(t);
  return sys_days{year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                  day{static_cast<unsigned>(tm.tm_mday)}};
}

// The first instant in (from, limit] whose UTC offset is not `offset`, else `limit`.
Seconds offset_change(Seconds from, Seconds offset, Seconds limit) {
  for (Seconds a = from; a < limit;) {
    Seconds b = std::min(a + kProbe, limit);
    if (utc_offset(b) != offset) {
      while (b - a > 1) {
        Seconds mid = a + (b - a) / 2;
        (utc_offset(mid) == offset ? a : b) = mid;
      }
      return b;
    }
    a = b;
  }
  return limit;
}

// The first instant at which local time reaches `naive` (a local date and time counted as
// if it were UTC). Local time is t + utc_offset(t): it runs with t between offset changes,
// so the span from naive - kReach to naive + kReach is walked one constant offset at a time,
// and the answer is the first candidate that lies inside its own span. This is exact for
// gaps (the instant the gap ends) and repeats (the first instant), and needs nothing of
// mktime, whose handling of both depends on tm_isdst and on its previous calls.
Seconds first_reaching(Seconds naive) {
  const Seconds end = naive + kReach;
  Seconds t = naive - kReach;
  Seconds offset = utc_offset(t);
  while (true) {
    // The first instant of this span from t on whose local time is at least naive.
    Seconds candidate = std::clamp(naive - offset, t, end);
    Seconds change = offset_change(t, offset, candidate + 1);
    if (change > candidate) return candidate;
    t = change;
    offset = utc_offset(t);
  }
}

std::size_t weekday_index(sys_days date) {
  return std::chrono::weekday{date}.iso_encoding() - 1;  // monday = 0
}

bool enabled(const Schedule& s, sys_days date) {
  return s.days[weekday_index(date)];
}

bool any_day(const Schedule& s) {
  return std::find(s.days.begin(), s.days.end(), true) != s.days.end();
}

// The occurrence of `s` on local `date`, whether or not its weekday is enabled.
WallTime occurrence_on(const Schedule& s, sys_days date) {
  using namespace std::chrono;
  Seconds naive = duration_cast<seconds>(date.time_since_epoch()).count() + s.hour * kHour +
                  Seconds{s.minute} * 60;
  return WallTime{seconds{first_reaching(naive)}};
}

struct Occurrence {
  sys_days date;
  WallTime at;
};

// Occurrences grow with their date, so the search can stop at the first one that fits.
std::optional<Occurrence> first_after(const Schedule& s, WallTime after) {
  if (!any_day(s)) return std::nullopt;
  sys_days date = local_date(after) - days{1};
  for (int i = 0; i < kScanDates; ++i, date += days{1}) {
    if (!enabled(s, date)) continue;
    WallTime at = occurrence_on(s, date);
    if (at > after) return Occurrence{date, at};
  }
  return std::nullopt;
}

// The latest occurrence in (after, until].
std::optional<Occurrence> last_within(const Schedule& s, WallTime after, WallTime until) {
  if (!any_day(s)) return std::nullopt;
  sys_days date = local_date(until) + days{1};
  for (int i = 0; i < kScanDates; ++i, date -= days{1}) {
    if (!enabled(s, date)) continue;
    WallTime at = occurrence_on(s, date);
    if (at <= after) return std::nullopt;
    if (at <= until) return Occurrence{date, at};
  }
  return std::nullopt;
}

// How many dates from `first` to `last` (both included) have their weekday enabled.
std::size_t enabled_dates(const Schedule& s, sys_days first, sys_days last) {
  if (last < first) return 1;
  auto n = static_cast<std::size_t>((last - first).count()) + 1;
  auto per_week = static_cast<std::size_t>(std::count(s.days.begin(), s.days.end(), true));
  std::size_t total = n / 7 * per_week;
  for (std::size_t i = 0; i < n % 7; ++i)
    if (enabled(s, first + days{static_cast<int>(i)})) ++total;
  return total;
}

std::string two_digits(int v) {
  std::string text = std::to_string(v);
  return text.size() < 2 ? "0" + text : text;
}

}  // namespace

Scheduler::Scheduler(std::vector<Schedule> schedules, WallTime checked_until)
    : schedules_(std::move(schedules)), checked_until_(checked_until) {
  for (const Schedule& s : schedules_) {
    if (s.hour < 0 || s.hour > 23 || s.minute < 0 || s.minute > 59)
      throw std::invalid_argument("schedule " + describe(s) + ": time out of range");
  }
  tzset();
}

std::vector<Due> Scheduler::poll(WallTime now) {
  std::vector<Due> due;
  if (now <= checked_until_) return due;
  for (std::size_t i = 0; i < schedules_.size(); ++i) {
    const Schedule& s = schedules_[i];
    auto last = last_within(s, checked_until_, now);
    if (!last) continue;
    auto first = first_after(s, checked_until_);
    Due d;
    d.schedule = i;
    d.occurrence = last->at;
    d.run = now - last->at <= std::max(s.grace, kOnTimeTolerance);
    d.count = first ? enabled_dates(s, first->date, last->date) : 1;
    due.push_back(d);
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const Due& a, const Due& b) { return a.occurrence < b.occurrence; });
  checked_until_ = now;
  return due;
}

std::optional<WallTime> Scheduler::next_occurrence() const {
  std::optional<WallTime> next;
  for (const Schedule& s : schedules_) {
    auto at = schedule::next_occurrence(s, checked_until_);
    if (at && (!next || *at < *next)) next = at;
  }
  return next;
}

std::optional<WallTime> next_occurrence(const Schedule& s, WallTime after) {
  auto first = first_after(s, after);
  if (!first) return std::nullopt;
  return first->at;
}

std::string describe(const Schedule& s) {
  using Days = std::array<bool, 7>;
  std::string days;
  if (s.days == Days{true, true, true, true, true, true, true}) {
    days = "daily";
  } else if (s.days == Days{true, true, true, true, true, false, false}) {
    days = "weekdays";
  } else if (s.days == Days{false, false, false, false, false, true, true}) {
    days = "weekends";
  } else if (!any_day(s)) {
    days = "never";
  } else {
    for (std::size_t i = 0; i < s.days.size(); ++i) {
      if (!s.days[i]) continue;
      if (!days.empty()) days += ',';
      days += kDayNames[i];
    }
  }
  return s.zone + " " + s.routine + " at " + two_digits(s.hour) + ":" + two_digits(s.minute) + " " +
         days;
}

}  // namespace padtimer::schedule
