// Local days, local midnights, and the words for moments and durations.
#include "core/time_format.h"

#include <gtest/gtest.h>

#include "world.h"

namespace padtimer::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

WallTime utc(int y, unsigned mo, unsigned d, int h = 0, int m = 0,
             Duration extra = Duration::zero()) {
  using namespace std::chrono;
  return WallTime{sys_days{year{y} / month{mo} / day{d}}.time_since_epoch() + hours{h} +
                  minutes{m} + extra};
}

constexpr LocalDay kTestDay = 20781;  // 2026-11-24, in days since 1970-01-01

Now now_at(WallTime wall, minutes offset = minutes{0}) {
  return Now{MonoTime{}, wall, offset};
}

// --- local_day ----------------------------------------------------------------------

TEST(LocalDay, CountsDaysSinceTheEpoch) {
  EXPECT_EQ(local_day(test_epoch(), minutes{0}), kTestDay);
  EXPECT_EQ(local_day(utc(1970, 1, 1), minutes{0}), 0);
  EXPECT_EQ(local_day(utc(1970, 1, 1, 23, 59, 59999ms), minutes{0}), 0);
  EXPECT_EQ(local_day(utc(1970, 1, 2), minutes{0}), 1);
  EXPECT_EQ(local_day(utc(2026, 11, 24), minutes{0}), kTestDay);
  EXPECT_EQ(local_day(utc(2026, 11, 24, 23, 59, 59999ms), minutes{0}), kTestDay);
  EXPECT_EQ(local_day(utc(2026, 11, 25), minutes{0}), kTestDay + 1);
}

TEST(LocalDay, PositiveOffsetStartsTheDayEarlierInUtc) {
  // UTC+1: local midnight of the 25th is 23:00 UTC on the 24th.
  EXPECT_EQ(local_day(utc(2026, 11, 24, 22, 59, 59999ms), minutes{60}), kTestDay);
  EXPECT_EQ(local_day(utc(2026, 11, 24, 23, 0), minutes{60}), kTestDay + 1);
  // UTC+5:30.
  EXPECT_EQ(local_day(utc(2026, 11, 24, 18, 29), minutes{330}), kTestDay);
  EXPECT_EQ(local_day(utc(2026, 11, 24, 18, 30), minutes{330}), kTestDay + 1);
  // UTC+14, the largest offset in use.
  EXPECT_EQ(local_day(utc(2026, 11, 24, 10, 0), minutes{14 * 60}), kTestDay + 1);
}

TEST(LocalDay, NegativeOffsetEndsTheDayLaterInUtc) {
  // UTC-5: local midnight of the 25th is 05:00 UTC on the 25th.
  EXPECT_EQ(local_day(utc(2026, 11, 25, 4, 59, 59999ms), minutes{-300}), kTestDay);
  EXPECT_EQ(local_day(utc(2026, 11, 25, 5, 0), minutes{-300}), kTestDay + 1);
  EXPECT_EQ(local_day(utc(2026, 11, 24, 3, 0), minutes{-300}), kTestDay - 1);
  // UTC-12.
  EXPECT_EQ(local_day(utc(2026, 11, 24, 11, 59), minutes{-12 * 60}), kTestDay - 1);
  EXPECT_EQ(local_day(utc(2026, 11, 24, 12, 0), minutes{-12 * 60}), kTestDay);
}

TEST(LocalDay, BeforeTheEpochCountsDownwards) {
  // A Pi without RTC boots at 1970: in UTC-5 its local day is 1969-12-31, day -1 (floor, not
  // truncation towards zero).
  EXPECT_EQ(local_day(utc(1970, 1, 1, 2, 0), minutes{-300}), -1);
  EXPECT_EQ(local_day(WallTime{Duration{-1}}, minutes{0}), -1);
}

// --- next_local_midnight ------------------------------------------------------------

TEST(NextLocalMidnight, Utc) {
  EXPECT_EQ(next_local_midnight(test_epoch(), minutes{0}), utc(2026, 11, 25));
  EXPECT_EQ(next_local_midnight(utc(2026, 11, 24, 23, 59, 59999ms), minutes{0}), utc(2026, 11, 25));
}

TEST(NextLocalMidnight, AtMidnightIsTheFollowingOne) {
  EXPECT_EQ(next_local_midnight(utc(2026, 11, 24), minutes{0}), utc(2026, 11, 25));
  EXPECT_EQ(next_local_midnight(utc(2026, 11, 24, 23, 0), minutes{60}), utc(2026, 11, 25, 23, 0));
}

TEST(NextLocalMidnight, PositiveOffset) {
  // UTC+1 at 12:00 UTC (13:00 local): midnight is 23:00 UTC today.
  EXPECT_EQ(next_local_midnight(test_epoch(), minutes{60}), utc(2026, 11, 24, 23, 0));
  // UTC+1 at 23:30 UTC (00:30 local on the 25th): midnight is 23:00 UTC on the 25th.
  EXPECT_EQ(next_local_midnight(utc(2026, 11, 24, 23, 30), minutes{60}), utc(2026, 11, 25, 23, 0));
  // UTC+5:30 at 12:00 UTC: 18:30 UTC.
  EXPECT_EQ(next_local_midnight(test_epoch(), minutes{330}), utc(2026, 11, 24, 18, 30));
}

TEST(NextLocalMidnight, NegativeOffset) {
  // UTC-5 at 12:00 UTC (07:00 local): midnight is 05:00 UTC on the 25th.
  EXPECT_EQ(next_local_midnight(test_epoch(), minutes{-300}), utc(2026, 11, 25, 5, 0));
  // UTC-5 at 03:00 UTC (22:00 local on the 23rd): midnight is 05:00 UTC on the 24th.
  EXPECT_EQ(next_local_midnight(utc(2026, 11, 24, 3, 0), minutes{-300}), utc(2026, 11, 24, 5, 0));
}

TEST(NextLocalMidnight, StartsTheNextLocalDay) {
  for (int offset : {-720, -300, -30, 0, 60, 330, 840}) {
    for (WallTime wall : {test_epoch(), utc(2026, 11, 24, 0, 0), utc(2026, 11, 24, 23, 59),
                          utc(2026, 12, 31, 23, 30), utc(1970, 1, 1, 1, 0)}) {
      minutes off{offset};
      WallTime midnight = next_local_midnight(wall, off);
      SCOPED_TRACE("offset " + std::to_string(offset) + " min, wall " +
                   std::to_string(wall.time_since_epoch().count()) + " ms");
      EXPECT_GT(midnight, wall);
      EXPECT_LE(midnight - wall, hours{24});
      EXPECT_EQ(local_day(midnight, off), local_day(wall, off) + 1);
      EXPECT_EQ(local_day(midnight - 1ms, off), local_day(wall, off));
    }
  }
}

// --- describe_duration --------------------------------------------------------------

TEST(DescribeDuration, DocumentedExamples) {
  EXPECT_EQ(describe_duration(20min), "20 min");
  EXPECT_EQ(describe_duration(1h + 5min), "1 h 5 min");
  EXPECT_EQ(describe_duration(45s), "45 s");
  EXPECT_EQ(describe_duration(2min + 30s), "2 min 30 s");
  EXPECT_EQ(describe_duration(Duration::zero()), "0 s");
}

TEST(DescribeDuration, LeavesOutZeroParts) {
  EXPECT_EQ(describe_duration(1h), "1 h");
  EXPECT_EQ(describe_duration(1h + 1s), "1 h 1 s");
  EXPECT_EQ(describe_duration(2h + 3min + 4s), "2 h 3 min 4 s");
  EXPECT_EQ(describe_duration(4h), "4 h");
  EXPECT_EQ(describe_duration(25h), "25 h");
  EXPECT_EQ(describe_duration(1min), "1 min");
  EXPECT_EQ(describe_duration(1s), "1 s");
}

TEST(DescribeDuration, PartSecondsRoundUp) {
  EXPECT_EQ(describe_duration(1ms), "1 s");
  EXPECT_EQ(describe_duration(1999ms), "2 s");
  EXPECT_EQ(describe_duration(59s + 1ms), "1 min");
  EXPECT_EQ(describe_duration(20min + 1ms), "20 min 1 s");
}

TEST(DescribeDuration, NegativeIsZero) {
  EXPECT_EQ(describe_duration(Duration{-1}), "0 s");
  EXPECT_EQ(describe_duration(-5min), "0 s");
}

// --- describe_moment ----------------------------------------------------------------

TEST(DescribeMoment, TodayIsJustTheTime) {
  Now now = now_at(test_epoch());  // 12:00
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 14, 20), now), "at 14:20");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 12, 0), now), "at 12:00");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 23, 59), now), "at 23:59");
  // Earlier today, zero-padded.
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 9, 5), now), "at 09:05");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 0, 0), now), "at 00:00");
}

TEST(DescribeMoment, SecondsRoundUpToTheNextMinute) {
  Now now = now_at(test_epoch());
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 14, 19, 30s), now), "at 14:20");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 14, 19, 1ms), now), "at 14:20");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 14, 19, 59999ms), now), "at 14:20");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 14, 19), now), "at 14:19");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 9, 59, 1s), now), "at 10:00");
}

TEST(DescribeMoment, RoundingUpCanReachTomorrow) {
  Now now = now_at(test_epoch());
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 23, 59, 30s), now), "tomorrow at 00:00");
}

TEST(DescribeMoment, Tomorrow) {
  Now now = now_at(test_epoch());
  EXPECT_EQ(describe_moment(utc(2026, 11, 25, 7, 5), now), "tomorrow at 07:05");
  EXPECT_EQ(describe_moment(utc(2026, 11, 25, 0, 0), now), "tomorrow at 00:00");
  EXPECT_EQ(describe_moment(utc(2026, 11, 25, 23, 59), now), "tomorrow at 23:59");
}

TEST(DescribeMoment, LaterOrEarlierDaysGiveTheDate) {
  Now now = now_at(test_epoch());
  EXPECT_EQ(describe_moment(utc(2026, 11, 26, 0, 0), now), "on 2026-11-26 at 00:00");
  EXPECT_EQ(describe_moment(utc(2026, 11, 30, 7, 5), now), "on 2026-11-30 at 07:05");
  EXPECT_EQ(describe_moment(utc(2027, 1, 5, 8, 0), now), "on 2027-01-05 at 08:00");
  EXPECT_EQ(describe_moment(utc(2026, 11, 23, 10, 0), now), "on 2026-11-23 at 10:00");
}

TEST(DescribeMoment, TomorrowAcrossTheYearEnd) {
  Now now = now_at(utc(2026, 12, 31, 23, 0));
  EXPECT_EQ(describe_moment(utc(2027, 1, 1, 10, 0), now), "tomorrow at 10:00");
  EXPECT_EQ(describe_moment(utc(2027, 1, 2, 10, 0), now), "on 2027-01-02 at 10:00");
}

TEST(DescribeMoment, UsesLocalTimeWithPositiveOffset) {
  // UTC+1 at 23:30 UTC: it is already 00:30 on the 25th locally.
  Now now = now_at(utc(2026, 11, 24, 23, 30), minutes{60});
  EXPECT_EQ(describe_moment(utc(2026, 11, 25, 6, 0), now), "at 07:00");
  EXPECT_EQ(describe_moment(utc(2026, 11, 25, 23, 0), now), "tomorrow at 00:00");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 22, 30), now), "on 2026-11-24 at 23:30");
  // Half-hour offsets.
  Now india = now_at(test_epoch(), minutes{330});  // 17:30 local
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 14, 20), india), "at 19:50");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 18, 30), india), "tomorrow at 00:00");
}

TEST(DescribeMoment, UsesLocalTimeWithNegativeOffset) {
  // UTC-5 at 12:00 UTC: 07:00 local on the 24th.
  Now now = now_at(test_epoch(), minutes{-300});
  EXPECT_EQ(describe_moment(utc(2026, 11, 25, 4, 0), now), "at 23:00");
  EXPECT_EQ(describe_moment(utc(2026, 11, 25, 5, 0), now), "tomorrow at 00:00");
  EXPECT_EQ(describe_moment(utc(2026, 11, 24, 4, 0), now), "on 2026-11-23 at 23:00");
}

TEST(DescribeMoment, NextLocalMidnightReadsAsTomorrowAtMidnight) {
  for (int offset : {-300, 0, 60, 330}) {
    Now now = now_at(test_epoch(), minutes{offset});
    EXPECT_EQ(describe_moment(next_local_midnight(now.wall, now.utc_offset), now),
              "tomorrow at 00:00")
        << offset;
  }
}

}  // namespace
}  // namespace padtimer::testing
