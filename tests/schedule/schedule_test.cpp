#include "schedule/schedule.h"

#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace padtimer::schedule {
namespace {

using namespace std::chrono_literals;
using core::WallTime;
using Days = std::array<bool, 7>;

constexpr Days kDaily{true, true, true, true, true, true, true};
constexpr Days kMonWedFri{true, false, true, false, true, false, false};
constexpr Days kWeekdays{true, true, true, true, true, false, false};
constexpr Days kWeekends{false, false, false, false, false, true, true};
constexpr Days kNoDays{};

// Expected instants are written in UTC, with the local time they stand for alongside.
WallTime utc(int y, unsigned m, unsigned d, int h, int min, int s = 0) {
  using namespace std::chrono;
  return WallTime{sys_days{year{y} / month{m} / day{d}}} + hours{h} + minutes{min} + seconds{s};
}

Schedule at(int hour, int minute, Days days = kDaily, std::chrono::minutes grace = 0min) {
  Schedule s;
  s.zone = "lower_back";
  s.routine = "evening";
  s.hour = hour;
  s.minute = minute;
  s.days = days;
  s.grace = grace;
  return s;
}

// Every test sets its time zone with zone(); the previous TZ comes back afterwards. Without
// the zone files glibc silently falls back to UTC, so their absence fails every test here.
class ScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_tz_ = tz;
    for (const char* name : {"Europe/Berlin", "America/New_York"}) {
      std::filesystem::path file = std::filesystem::path("/usr/share/zoneinfo") / name;
      ASSERT_TRUE(std::filesystem::exists(file))
          << file.string()
          << " is missing: install Debian's tzdata package (scripts/install-deps.sh does). "
             "Without it the C library silently uses UTC and no DST rule can be tested.";
    }
  }
  void TearDown() override {
    if (saved_tz_) {
      setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  static void zone(const char* name) {
    setenv("TZ", name, 1);
    tzset();
  }

 private:
  std::optional<std::string> saved_tz_;
};

// Polls once a minute over [from, to], as a daemon whose timer wakes every minute would.
std::vector<Due> poll_every_minute(Scheduler& s, WallTime from, WallTime to) {
  std::vector<Due> all;
  for (WallTime t = from; t <= to; t += 1min)
    for (const Due& d : s.poll(t))
      all.push_back(d);
  return all;
}

void expect_due(const Due& d, std::size_t schedule, WallTime occurrence, bool run,
                std::size_t count = 1) {
  EXPECT_EQ(d.schedule, schedule);
  EXPECT_EQ(d.occurrence, occurrence);
  EXPECT_EQ(d.run, run);
  EXPECT_EQ(d.count, count);
}

// ---- Which dates and times --------------------------------------------------------------

TEST_F(ScheduleTest, RunsOnTheEnabledWeekdaysOnly) {
  zone("Europe/Berlin");  // CET, UTC+1, in early March 2026
  // Mon 2026-03-09 08:00 local: Monday's 07:30 is done.
  Scheduler s({at(7, 30, kMonWedFri)}, utc(2026, 3, 9, 7, 0));
  for (WallTime expected : {utc(2026, 3, 11, 6, 30),     // Wed 07:30
                            utc(2026, 3, 13, 6, 30),     // Fri
                            utc(2026, 3, 16, 6, 30),     // Mon
                            utc(2026, 3, 18, 6, 30)}) {  // Wed
    ASSERT_EQ(s.next_occurrence(), expected);
    EXPECT_TRUE(s.poll(expected - 1s).empty());
    auto due = s.poll(expected);  // the timer fires on the dot
    ASSERT_EQ(due.size(), 1u);
    expect_due(due[0], 0, expected, true);
    EXPECT_EQ(s.checked_until(), expected);
  }
}

TEST_F(ScheduleTest, TheWeekdayIsThatOfTheLocalDate) {
  zone("Europe/Berlin");
  // Sunday 00:30 in Berlin is still Saturday in UTC.
  EXPECT_EQ(next_occurrence(at(0, 30, {false, false, false, false, false, false, true}),
                            utc(2026, 3, 14, 12, 0)),
            utc(2026, 3, 14, 23, 30));
  zone("America/New_York");  // EDT, UTC-4, from 2026-03-08
  // Monday 23:59 in New York is already Tuesday in UTC.
  EXPECT_EQ(next_occurrence(at(23, 59, {true, false, false, false, false, false, false}),
                            utc(2026, 3, 9, 0, 0)),
            utc(2026, 3, 10, 3, 59));
}

TEST_F(ScheduleTest, MidnightAndOneMinuteToMidnight) {
  zone("Europe/Berlin");
  Scheduler s({at(0, 0), at(23, 59)}, utc(2026, 3, 10, 11, 0));  // Tue 12:00 local
  EXPECT_EQ(next_occurrence(s.schedules()[0], s.checked_until()), utc(2026, 3, 10, 23, 0));
  EXPECT_EQ(s.next_occurrence(), utc(2026, 3, 10, 22, 59));  // 23:59 comes first
  // One poll a minute after 23:59: both, in time order, both on time.
  auto due = s.poll(utc(2026, 3, 10, 23, 0));
  ASSERT_EQ(due.size(), 2u);
  expect_due(due[0], 1, utc(2026, 3, 10, 22, 59), true);
  expect_due(due[1], 0, utc(2026, 3, 10, 23, 0), true);
  EXPECT_EQ(s.next_occurrence(), utc(2026, 3, 11, 22, 59));
}

TEST_F(ScheduleTest, NoEnabledDayMeansNoOccurrence) {
  zone("Europe/Berlin");
  Scheduler none({at(7, 30, kNoDays)}, utc(2026, 3, 9, 0, 0));
  EXPECT_FALSE(none.next_occurrence());
  EXPECT_TRUE(none.poll(utc(2026, 6, 1, 0, 0)).empty());
  EXPECT_EQ(none.checked_until(), utc(2026, 6, 1, 0, 0));

  Scheduler empty({}, utc(2026, 3, 9, 0, 0));
  EXPECT_FALSE(empty.next_occurrence());
  EXPECT_TRUE(empty.poll(utc(2026, 3, 10, 0, 0)).empty());
}

TEST_F(ScheduleTest, SeveralSchedulesComeInTimeOrderThenIndexOrder) {
  zone("Europe/Berlin");
  Scheduler s({at(8, 0, kDaily, 45min), at(7, 0), at(7, 0, kWeekdays), at(7, 30, kWeekends)},
              utc(2026, 3, 9, 5, 0));  // Mon 06:00 local
  EXPECT_EQ(s.next_occurrence(), utc(2026, 3, 9, 6, 0));
  auto due = s.poll(utc(2026, 3, 9, 7, 30));  // 08:30 local
  ASSERT_EQ(due.size(), 3u);                  // not the weekend one
  expect_due(due[0], 1, utc(2026, 3, 9, 6, 0), false);
  expect_due(due[1], 2, utc(2026, 3, 9, 6, 0), false);
  expect_due(due[2], 0, utc(2026, 3, 9, 7, 0), true);  // within its 45 min grace
  EXPECT_EQ(s.next_occurrence(), utc(2026, 3, 10, 6, 0));
}

// ---- Daylight saving time ---------------------------------------------------------------

// 2026-03-29, Europe/Berlin: at 02:00 CET (01:00Z) clocks go to 03:00 CEST.
TEST_F(ScheduleTest, SpringForwardInBerlinRunsAMissingTimeOnceWhenTheGapEnds) {
  zone("Europe/Berlin");
  Scheduler s({at(1, 59), at(2, 0), at(2, 30), at(2, 59), at(3, 0)}, utc(2026, 3, 28, 12, 0));
  EXPECT_EQ(next_occurrence(s.schedules()[2], s.checked_until()), utc(2026, 3, 29, 1, 0));
  auto due = poll_every_minute(s, utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 4, 0));
  ASSERT_EQ(due.size(), 5u);
  expect_due(due[0], 0, utc(2026, 3, 29, 0, 59), true);  // 01:59 CET
  for (std::size_t i = 1; i < 5; ++i)
    expect_due(due[i], i, utc(2026, 3, 29, 1, 0), true);
  // The next day 02:30 exists again (CEST).
  EXPECT_EQ(next_occurrence(s.schedules()[2], s.checked_until()), utc(2026, 3, 30, 0, 30));
}

// 2026-03-08, America/New_York: at 02:00 EST (07:00Z) clocks go to 03:00 EDT.
TEST_F(ScheduleTest, SpringForwardInNewYorkRunsAMissingTimeOnceWhenTheGapEnds) {
  zone("America/New_York");
  Scheduler s({at(2, 30)}, utc(2026, 3, 7, 0, 0));
  auto due = poll_every_minute(s, utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 12, 0));
  ASSERT_EQ(due.size(), 3u);
  expect_due(due[0], 0, utc(2026, 3, 7, 7, 30), true);  // 02:30 EST
  expect_due(due[1], 0, utc(2026, 3, 8, 7, 0), true);   // 03:00 EDT: the gap's end
  expect_due(due[2], 0, utc(2026, 3, 9, 6, 30), true);  // 02:30 EDT
}

// 2026-11-01, America/New_York: at 02:00 EDT (06:00Z) clocks go back to 01:00 EST, so
// 01:00-01:59 happen twice.
TEST_F(ScheduleTest, FallBackInNewYorkRunsARepeatedTimeOnceAtItsFirstInstant) {
  zone("America/New_York");
  Scheduler s({at(0, 59), at(1, 0), at(1, 30), at(2, 0)}, utc(2026, 10, 31, 12, 0));
  EXPECT_EQ(s.next_occurrence(), utc(2026, 11, 1, 4, 59));
  auto due = poll_every_minute(s, utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 12, 0));
  ASSERT_EQ(due.size(), 4u);
  expect_due(due[0], 0, utc(2026, 11, 1, 4, 59), true);  // 00:59 EDT
  expect_due(due[1], 1, utc(2026, 11, 1, 5, 0), true);   // 01:00 EDT, not 01:00 EST
  expect_due(due[2], 2, utc(2026, 11, 1, 5, 30), true);  // 01:30 EDT, not 01:30 EST
  expect_due(due[3], 3, utc(2026, 11, 1, 7, 0), true);   // 02:00 EST: it exists once
  // The day after, 01:30 is EST.
  EXPECT_EQ(next_occurrence(s.schedules()[2], s.checked_until()), utc(2026, 11, 2, 6, 30));
}

// 2026-10-25, Europe/Berlin: at 03:00 CEST (01:00Z) clocks go back to 02:00 CET.
TEST_F(ScheduleTest, FallBackInBerlinRunsARepeatedTimeOnceAtItsFirstInstant) {
  zone("Europe/Berlin");
  Scheduler s({at(2, 0), at(2, 30), at(3, 0)}, utc(2026, 10, 24, 12, 0));
  auto due = poll_every_minute(s, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0));
  ASSERT_EQ(due.size(), 3u);
  expect_due(due[0], 0, utc(2026, 10, 25, 0, 0), true);   // 02:00 CEST
  expect_due(due[1], 1, utc(2026, 10, 25, 0, 30), true);  // 02:30 CEST, not 02:30 CET
  expect_due(due[2], 2, utc(2026, 10, 25, 2, 0), true);   // 03:00 CET: it exists once
}

// A daemon that sleeps until each next occurrence, through all of 2026, sees every
// occurrence exactly once and on time; each one is the first minute at which local time
// reaches HH:MM, found here by brute force.
TEST_F(ScheduleTest, AYearOfOccurrencesMatchesABruteForceSearch) {
  const std::vector<std::pair<int, int>> times = {{0, 0},  {1, 30}, {2, 0},
                                                  {2, 30}, {3, 0},  {23, 59}};
  for (const char* name : {"Europe/Berlin", "America/New_York"}) {
    SCOPED_TRACE(name);
    zone(name);
    std::vector<Schedule> schedules;
    for (auto [h, m] : times)
      schedules.push_back(at(h, m));
    const WallTime begin = utc(2026, 1, 1, 12, 0);
    const WallTime end = utc(2027, 1, 1, 0, 0);

    std::map<std::size_t, std::vector<WallTime>> expected;
    for (std::size_t i = 0; i < times.size(); ++i) {
      using namespace std::chrono;
      for (sys_days date = sys_days{2026y / January / 1}; date <= sys_days{2027y / January / 1};
           date += days{1}) {
        const std::time_t naive =
            system_clock::to_time_t(date + hours{times[i].first} + minutes{times[i].second});
        std::time_t t = naive - 6 * 3600;
        std::tm tm{};
        while (localtime_r(&t, &tm) != nullptr && t + tm.tm_gmtoff < naive)
          t += 60;
        WallTime found{seconds{t}};
        if (found > begin && found < end) expected[i].push_back(found);
      }
    }

    Scheduler s(schedules, begin);
    std::map<std::size_t, std::vector<WallTime>> seen;
    for (auto next = s.next_occurrence(); next && *next < end; next = s.next_occurrence()) {
      auto due = s.poll(*next);
      ASSERT_FALSE(due.empty());
      for (const Due& d : due) {
        EXPECT_EQ(d.occurrence, *next);
        EXPECT_TRUE(d.run);
        EXPECT_EQ(d.count, 1u);
        seen[d.schedule].push_back(d.occurrence);
      }
    }
    EXPECT_EQ(seen, expected);
    EXPECT_GE(seen[0].size(), 364u);  // 00:00 on nearly every date of the year
  }
}

// ---- Late, missed, and clocks that jump -------------------------------------------------

TEST_F(ScheduleTest, AStartMissedWhileDownWithNoGraceIsNotRun) {
  zone("Europe/Berlin");
  Scheduler s({at(7, 30)}, utc(2026, 3, 9, 6, 0));  // down from 07:00 local
  auto due = s.poll(utc(2026, 3, 9, 8, 0));         // back at 09:00
  ASSERT_EQ(due.size(), 1u);
  expect_due(due[0], 0, utc(2026, 3, 9, 6, 30), false);
  EXPECT_EQ(s.checked_until(), utc(2026, 3, 9, 8, 0));
  EXPECT_EQ(s.next_occurrence(), utc(2026, 3, 10, 6, 30));
}

TEST_F(ScheduleTest, AStartMissedWhileDownRunsOnlyWithinItsGrace) {
  zone("Europe/Berlin");
  const WallTime occurrence = utc(2026, 3, 9, 6, 30);  // 07:30 local
  auto run_at = [&](WallTime now) {
    Scheduler s({at(7, 30, kDaily, 15min)}, utc(2026, 3, 9, 6, 0));
    auto due = s.poll(now);
    if (due.size() != 1u) throw std::runtime_error("expected one due start");
    EXPECT_EQ(due[0].occurrence, occurrence);
    return due[0].run;
  };
  EXPECT_TRUE(run_at(occurrence + 14min));
  EXPECT_TRUE(run_at(occurrence + 15min));
  EXPECT_FALSE(run_at(occurrence + 15min + 1ms));
  EXPECT_FALSE(run_at(occurrence + 2h));
}

TEST_F(ScheduleTest, ATimerThatWakesALittleLateIsStillOnTime) {
  zone("Europe/Berlin");
  const WallTime occurrence = utc(2026, 3, 9, 6, 30);
  auto run_at = [&](WallTime now) {
    Scheduler s({at(7, 30)}, occurrence - 1min);  // grace 0
    auto due = s.poll(now);
    if (due.size() != 1u) throw std::runtime_error("expected one due start");
    return due[0].run;
  };
  EXPECT_TRUE(run_at(occurrence + 30s));
  EXPECT_TRUE(run_at(occurrence + kOnTimeTolerance));
  EXPECT_FALSE(run_at(occurrence + kOnTimeTolerance + 1ms));
}

TEST_F(ScheduleTest, AWallClockThatGoesBackNeverFiresAnOccurrenceTwice) {
  zone("Europe/Berlin");
  Scheduler s({at(7, 30)}, utc(2026, 3, 9, 6, 0));
  ASSERT_EQ(s.poll(utc(2026, 3, 9, 6, 30)).size(), 1u);
  EXPECT_TRUE(s.poll(utc(2026, 3, 9, 6, 0)).empty());  // an hour back
  EXPECT_EQ(s.checked_until(), utc(2026, 3, 9, 6, 30));
  EXPECT_EQ(s.next_occurrence(), utc(2026, 3, 10, 6, 30));
  EXPECT_TRUE(poll_every_minute(s, utc(2026, 3, 9, 6, 0), utc(2026, 3, 9, 7, 0)).empty());
  // And back to 1970 (a Pi without a real-time clock) changes nothing either.
  EXPECT_TRUE(s.poll(WallTime{}).empty());
  EXPECT_EQ(s.checked_until(), utc(2026, 3, 9, 7, 0));
  auto due = s.poll(utc(2026, 3, 10, 6, 30));
  ASSERT_EQ(due.size(), 1u);
  expect_due(due[0], 0, utc(2026, 3, 10, 6, 30), true);
}

TEST_F(ScheduleTest, AHugeForwardJumpGivesOneMissedStartPerSchedule) {
  zone("Europe/Berlin");  // CET all year in 1970
  Scheduler s({at(7, 30), at(19, 0, kMonWedFri), at(8, 0, kNoDays)}, WallTime{});
  auto due = s.poll(utc(2026, 3, 10, 11, 0));  // 1970 -> Tue 2026-03-10 12:00 local
  ASSERT_EQ(due.size(), 2u);

  using namespace std::chrono;
  std::size_t mon_wed_fri = 0;  // 1970-01-01 .. 2026-03-09, both included
  for (sys_days d = sys_days{1970y / 1 / 1}; d <= sys_days{2026y / 3 / 9}; d += days{1})
    if (kMonWedFri[weekday{d}.iso_encoding() - 1]) ++mon_wed_fri;
  const auto daily =
      static_cast<std::size_t>((sys_days{2026y / 3 / 10} - sys_days{1970y / 1 / 1}).count() + 1);
  expect_due(due[0], 1, utc(2026, 3, 9, 18, 0), false, mon_wed_fri);  // Mon 19:00
  expect_due(due[1], 0, utc(2026, 3, 10, 6, 30), false, daily);       // today 07:30
  EXPECT_EQ(s.checked_until(), utc(2026, 3, 10, 11, 0));
}

TEST_F(ScheduleTest, AForwardJumpOfSomeWeeksCountsWhatItMissed) {
  zone("Europe/Berlin");
  Scheduler s({at(7, 30, kMonWedFri, 12h)}, utc(2026, 1, 5, 12, 0));  // Mon 13:00 local
  // Ten weeks later, Mon 2026-03-16 at 07:40: 30 starts were missed, the last one is on time.
  auto due = s.poll(utc(2026, 3, 16, 6, 40));
  ASSERT_EQ(due.size(), 1u);
  expect_due(due[0], 0, utc(2026, 3, 16, 6, 30), true, 30);
}

// ---- The rest ---------------------------------------------------------------------------

TEST_F(ScheduleTest, DescribesASchedule) {
  EXPECT_EQ(describe(at(7, 30, kMonWedFri)), "lower_back evening at 07:30 mon,wed,fri");
  EXPECT_EQ(describe(at(19, 5)), "lower_back evening at 19:05 daily");
  EXPECT_EQ(describe(at(0, 0, kWeekdays)), "lower_back evening at 00:00 weekdays");
  EXPECT_EQ(describe(at(23, 59, kWeekends)), "lower_back evening at 23:59 weekends");
  EXPECT_EQ(describe(at(6, 0, kNoDays)), "lower_back evening at 06:00 never");
  EXPECT_EQ(describe(at(6, 0, {false, false, false, false, false, false, true})),
            "lower_back evening at 06:00 sun");
}

TEST_F(ScheduleTest, RefusesATimeOutOfRange) {
  EXPECT_THROW(Scheduler({at(24, 0)}, WallTime{}), std::invalid_argument);
  EXPECT_THROW(Scheduler({at(7, 60)}, WallTime{}), std::invalid_argument);
  EXPECT_THROW(Scheduler({at(-1, 0)}, WallTime{}), std::invalid_argument);
}

}  // namespace
}  // namespace padtimer::schedule
