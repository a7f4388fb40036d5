// The named safety checks, one group each: boundaries exactly, reason codes, and the
// words and times a person is told.
#include "core/checks.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <vector>

#include "world.h"

namespace padtimer::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// A wall time on the test day (2026-11-24, UTC), e.g. at(14, 20).
WallTime at(int h, int m, Duration extra = Duration::zero()) {
  return WallTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}.time_since_epoch() +
                  hours{h} + minutes{m} + extra};
}

Now now_at(WallTime wall, minutes utc_offset = minutes{0}) {
  return Now{MonoTime{} + 10h, wall, utc_offset};
}

// --- phase_length -------------------------------------------------------------------

TEST(CheckPhaseLength, HeatAcceptsFifteenToTwentyMinutesInclusive) {
  EXPECT_FALSE(check_phase_length({PhaseKind::heat, 15min}));
  EXPECT_FALSE(check_phase_length({PhaseKind::heat, 17min + 30s}));
  EXPECT_FALSE(check_phase_length({PhaseKind::heat, 20min}));
}

TEST(CheckPhaseLength, HeatRefusesJustOutsideTheRange) {
  auto short_one = check_phase_length({PhaseKind::heat, 14min + 59s});
  ASSERT_TRUE(short_one);
  EXPECT_EQ(short_one->reason, Reason::bad_request);
  EXPECT_EQ(short_one->message,
            "heat phase of 14 min 59 s is outside the allowed 15 min to 20 min");
  EXPECT_FALSE(short_one->allowed_at);

  auto long_one = check_phase_length({PhaseKind::heat, 20min + 1ms});
  ASSERT_TRUE(long_one);
  EXPECT_EQ(long_one->reason, Reason::bad_request);
  EXPECT_EQ(long_one->message, "heat phase of 20 min 1 s is outside the allowed 15 min to 20 min");

  EXPECT_TRUE(check_phase_length({PhaseKind::heat, 15min - 1ms}));
  EXPECT_TRUE(check_phase_length({PhaseKind::heat, Duration::zero()}));
  EXPECT_TRUE(check_phase_length({PhaseKind::heat, -15min}));
}

TEST(CheckPhaseLength, ColdAcceptsTenToFifteenMinutesInclusive) {
  EXPECT_FALSE(check_phase_length({PhaseKind::cold, 10min}));
  EXPECT_FALSE(check_phase_length({PhaseKind::cold, 15min}));

  auto short_one = check_phase_length({PhaseKind::cold, 10min - 1ms});
  ASSERT_TRUE(short_one);
  EXPECT_EQ(short_one->reason, Reason::bad_request);
  auto long_one = check_phase_length({PhaseKind::cold, 15min + 1ms});
  ASSERT_TRUE(long_one);
  EXPECT_EQ(long_one->reason, Reason::bad_request);
  EXPECT_EQ(long_one->message, "cold phase of 15 min 1 s is outside the allowed 10 min to 15 min");
  // A heat length is not a cold length.
  EXPECT_TRUE(check_phase_length({PhaseKind::cold, 20min}));
}

TEST(CheckPhaseLength, RestAcceptsOneSecondToFourHours) {
  EXPECT_FALSE(check_phase_length({PhaseKind::rest, 1s}));
  EXPECT_FALSE(check_phase_length({PhaseKind::rest, 4h}));
  EXPECT_TRUE(check_phase_length({PhaseKind::rest, 1s - 1ms}));
  EXPECT_TRUE(check_phase_length({PhaseKind::rest, Duration::zero()}));
  auto long_one = check_phase_length({PhaseKind::rest, 4h + 1s});
  ASSERT_TRUE(long_one);
  EXPECT_EQ(long_one->reason, Reason::bad_request);
  EXPECT_EQ(long_one->message, "rest phase of 4 h 1 s is outside the allowed 1 s to 4 h");
}

TEST(PhaseMax, IsTheUpperEndOfEachRange) {
  EXPECT_EQ(phase_max(PhaseKind::heat), 20min);
  EXPECT_EQ(phase_max(PhaseKind::cold), 15min);
  EXPECT_EQ(phase_max(PhaseKind::rest), 4h);
}

// --- phase_rest (routine) -----------------------------------------------------------

TEST(CheckRoutineRests, StandardRoutinesPass) {
  for (const auto& r : standard_config().routines) {
    EXPECT_FALSE(check_routine_rests(r, 5min)) << r.id;
  }
}

TEST(CheckRoutineRests, RestExactlyAtTheMinimumPasses) {
  Routine r{"r", {{PhaseKind::heat, 20min}, {PhaseKind::rest, 5min}, {PhaseKind::cold, 10min}}};
  EXPECT_FALSE(check_routine_rests(r, 5min));
}

TEST(CheckRoutineRests, RestOneMillisecondShortIsRefused) {
  Routine r{"r",
            {{PhaseKind::heat, 20min}, {PhaseKind::rest, 5min - 1ms}, {PhaseKind::cold, 10min}}};
  auto v = check_routine_rests(r, 5min);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::bad_request);
  EXPECT_FALSE(v->allowed_at);
}

TEST(CheckRoutineRests, MessageNamesBothPhasesAndTheRest) {
  Routine r{"r", {{PhaseKind::heat, 20min}, {PhaseKind::rest, 3min}, {PhaseKind::cold, 10min}}};
  auto v = check_routine_rests(r, 5min);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->message,
            "phase 3 (cold) follows phase 1 with 3 min of rest; at least 5 min of rest must "
            "separate therapy phases");
}

TEST(CheckRoutineRests, BackToBackTherapyPhasesAreRefused) {
  Routine r{"r", {{PhaseKind::heat, 15min}, {PhaseKind::heat, 15min}}};
  auto v = check_routine_rests(r, 2min);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::bad_request);
  EXPECT_EQ(v->message,
            "phase 2 (heat) follows phase 1 with 0 s of rest; at least 2 min of rest must "
            "separate therapy phases");
}

TEST(CheckRoutineRests, ConsecutiveRestsAddUp) {
  Routine r{"r",
            {{PhaseKind::cold, 10min},
             {PhaseKind::rest, 2min},
             {PhaseKind::rest, 3min},
             {PhaseKind::heat, 15min}}};
  EXPECT_FALSE(check_routine_rests(r, 5min));
  EXPECT_TRUE(check_routine_rests(r, 5min + 1ms));
}

TEST(CheckRoutineRests, RestBeforeTheFirstTherapyDoesNotCountForTheNextGap) {
  // Leading rest is not between two therapy phases; the later gap is still too short.
  Routine r{"r",
            {{PhaseKind::rest, 30min},
             {PhaseKind::heat, 15min},
             {PhaseKind::rest, 1min},
             {PhaseKind::cold, 10min}}};
  auto v = check_routine_rests(r, 5min);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("phase 4 (cold) follows phase 2 with 1 min of rest"), std::string::npos)
      << v->message;
}

TEST(CheckRoutineRests, ReportsTheFirstShortGapOnly) {
  Routine r{"r",
            {{PhaseKind::heat, 15min},
             {PhaseKind::rest, 5min},
             {PhaseKind::cold, 10min},
             {PhaseKind::rest, 1min},
             {PhaseKind::heat, 15min}}};
  auto v = check_routine_rests(r, 5min);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("phase 5 (heat) follows phase 3 with 1 min"), std::string::npos)
      << v->message;
}

TEST(CheckRoutineRests, SingleTherapyAndRestOnlyRoutinesPass) {
  EXPECT_FALSE(check_routine_rests({"r", {{PhaseKind::heat, 20min}}}, 5min));
  EXPECT_FALSE(check_routine_rests({"r", {{PhaseKind::rest, 1min}}}, 5min));
  EXPECT_FALSE(check_routine_rests({"r", {}}, 5min));
  EXPECT_FALSE(
      check_routine_rests({"r", {{PhaseKind::heat, 20min}, {PhaseKind::rest, 1min}}}, 5min));
}

// --- rest_interval ------------------------------------------------------------------

TEST(CheckSessionRest, NoPreviousSessionPasses) {
  EXPECT_FALSE(check_session_rest("lower_back", 60min, {}, now_at(at(12, 0))));
}

TEST(CheckSessionRest, MonotonicEndRefusesUntilMinRestHasPassed) {
  Now now = now_at(at(12, 0));
  LastSessionEnd end{now.mono - 10min, std::nullopt};
  auto v = check_session_rest("lower_back", 60min, end, now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::rest_interval);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(12, 50));
  EXPECT_EQ(v->message,
            "rest interval: lower_back may start again at 12:50 (1 h of rest between sessions)");
}

TEST(CheckSessionRest, MonotonicBoundaryIsExact) {
  Now now = now_at(at(12, 0));
  EXPECT_FALSE(check_session_rest("z", 60min, {now.mono - 60min, std::nullopt}, now));
  EXPECT_FALSE(check_session_rest("z", 60min, {now.mono - 61min, std::nullopt}, now));
  auto v = check_session_rest("z", 60min, {now.mono - 60min + 1ms, std::nullopt}, now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::rest_interval);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(12, 0, 1ms));
  // A millisecond past 12:00 is described as the next whole minute.
  EXPECT_NE(v->message.find("may start again at 12:01 "), std::string::npos) << v->message;
}

TEST(CheckSessionRest, WallEndFromHistoryGivesTheConcreteTime) {
  Now now = now_at(at(14, 0));
  LastSessionEnd end{std::nullopt, at(13, 20)};
  auto v = check_session_rest("lower_back", 60min, end, now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::rest_interval);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(14, 20));
  EXPECT_EQ(v->message,
            "rest interval: lower_back may start again at 14:20 (1 h of rest between sessions)");
}

TEST(CheckSessionRest, WallBoundaryIsExact) {
  EXPECT_FALSE(check_session_rest("z", 60min, {std::nullopt, at(13, 20)}, now_at(at(14, 20))));
  EXPECT_TRUE(check_session_rest("z", 60min, {std::nullopt, at(13, 20)}, now_at(at(14, 20) - 1ms)));
}

TEST(CheckSessionRest, SecondsRoundUpToTheNextMinute) {
  // Allowed at 14:19:30: the person is told 14:20, never a minute that is still too early.
  Now now = now_at(at(14, 0));
  LastSessionEnd end{now.mono - 40min - 30s, std::nullopt};
  auto v = check_session_rest("lower_back", 60min, end, now);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(14, 19) + 30s);
  EXPECT_NE(v->message.find("may start again at 14:20 "), std::string::npos) << v->message;
}

TEST(CheckSessionRest, WallClockWinsWhenItIsLater) {
  Now now = now_at(at(14, 0));
  // Mono says 14:10, wall says 14:20.
  LastSessionEnd end{now.mono - 50min, at(13, 20)};
  auto v = check_session_rest("z", 60min, end, now);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(14, 20));
  EXPECT_NE(v->message.find("at 14:20 "), std::string::npos) << v->message;
}

TEST(CheckSessionRest, MonotonicClockWinsWhenItIsLater) {
  // The wall clock jumped forward (NTP after a boot at 1970): by the wall clock the last
  // session ended long ago, but the monotonic clock knows it ended 5 minutes ago.
  Now now = now_at(at(14, 0));
  LastSessionEnd end{now.mono - 5min, at(9, 0)};
  auto v = check_session_rest("z", 60min, end, now);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(14, 55));
  EXPECT_NE(v->message.find("at 14:55 "), std::string::npos) << v->message;
}

TEST(CheckSessionRest, EitherSourceAloneRefuses) {
  Now now = now_at(at(14, 0));
  // Mono expired, wall not.
  auto a = check_session_rest("z", 60min, {now.mono - 2h, at(13, 30)}, now);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a->allowed_at, at(14, 30));
  // Wall expired, mono not.
  auto b = check_session_rest("z", 60min, {now.mono - 30min, at(10, 0)}, now);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b->allowed_at, at(14, 30));
  // Both expired.
  EXPECT_FALSE(check_session_rest("z", 60min, {now.mono - 2h, at(10, 0)}, now));
}

TEST(CheckSessionRest, AcrossMidnightSaysTomorrow) {
  Now now = now_at(at(23, 50));
  auto v = check_session_rest("z", 60min, {now.mono - 20min, std::nullopt}, now);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(24, 30));
  EXPECT_EQ(v->message,
            "rest interval: z may start again tomorrow at 00:30 (1 h of rest between "
            "sessions)");
}

TEST(CheckSessionRest, LaterDaySaysTheDate) {
  // A wall-clock end from history that lies ahead (the clock went back) can push the start
  // to a later day.
  Now now = now_at(at(12, 0));
  auto v = check_session_rest("z", 24h, {std::nullopt, at(24 + 9, 0)}, now);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(48 + 9, 0));
  EXPECT_EQ(v->message,
            "rest interval: z may start again on 2026-11-26 at 09:00 (24 h of rest between "
            "sessions)");
}

TEST(CheckSessionRest, MessageUsesLocalTime) {
  // 12:00 UTC is 13:00 local at UTC+1.
  Now now = now_at(at(12, 0), minutes{60});
  auto v = check_session_rest("z", 20min, {now.mono - 5min, std::nullopt}, now);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v->allowed_at, at(12, 15));
  EXPECT_EQ(v->message,
            "rest interval: z may start again at 13:15 (20 min of rest between sessions)");
}

// --- daily_limit --------------------------------------------------------------------

TEST(CheckDailyCap, FitsExactlyAtTheCap) {
  Now now = now_at(at(12, 0));
  EXPECT_FALSE(check_daily_cap("z", 2h, Duration::zero(), 2h, now));
  EXPECT_FALSE(check_daily_cap("z", 2h, 70min, 50min, now));
  EXPECT_FALSE(check_daily_cap("z", 2h, 2h, Duration::zero(), now));
}

TEST(CheckDailyCap, OneMillisecondOverIsRefusedUntilNextLocalMidnight) {
  Now now = now_at(at(12, 0));
  auto v = check_daily_cap("z", 2h, 70min + 1ms, 50min, now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::daily_limit);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(24, 0));
}

TEST(CheckDailyCap, MessageSaysWhatIsLeftAndWhen) {
  Now now = now_at(at(12, 0));
  auto v = check_daily_cap("lower_back", 2h, 110min, 50min, now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::daily_limit);
  EXPECT_EQ(v->message,
            "daily limit: lower_back has 10 min of its 2 h left today and this needs 50 min; "
            "allowed again tomorrow at 00:00");
}

TEST(CheckDailyCap, NextMidnightIsLocalWithPositiveOffset) {
  // UTC+2: 12:00 UTC is 14:00 local; local midnight is 22:00 UTC.
  Now now = now_at(at(12, 0), minutes{120});
  auto v = check_daily_cap("z", 1h, 1h, 15min, now);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(22, 0));
  EXPECT_NE(v->message.find("allowed again tomorrow at 00:00"), std::string::npos) << v->message;
}

TEST(CheckDailyCap, NextMidnightIsLocalWithNegativeOffset) {
  // UTC-5: 12:00 UTC is 07:00 local; local midnight is 05:00 UTC the next day.
  Now now = now_at(at(12, 0), minutes{-300});
  auto v = check_daily_cap("z", 1h, 1h, 15min, now);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(24 + 5, 0));
  EXPECT_NE(v->message.find("allowed again tomorrow at 00:00"), std::string::npos) << v->message;
}

TEST(CheckDailyCap, LocalDayAlreadyAheadOfUtc) {
  // 23:30 UTC is 00:30 on the 25th at UTC+1: the next local midnight is the 26th, 23:00 UTC
  // on the 25th — not 24:00 UTC on the 24th.
  Now now = now_at(at(23, 30), minutes{60});
  auto v = check_daily_cap("z", 1h, 1h, 15min, now);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(24 + 23, 0));
}

TEST(CheckDailyCap, LongerThanTheWholeCapHasNoAllowedTime) {
  Now now = now_at(at(12, 0));
  auto v = check_daily_cap("z", 1h, Duration::zero(), 1h + 1ms, now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::daily_limit);
  EXPECT_FALSE(v->allowed_at);
  EXPECT_EQ(v->message,
            "daily limit: z has 1 h of its 1 h left today and this needs 1 h 1 s; it is longer "
            "than the whole daily limit");
}

TEST(CheckDailyCap, NeedingExactlyTheWholeCapIsAllowedTomorrow) {
  Now now = now_at(at(12, 0));
  auto v = check_daily_cap("z", 1h, 1min, 1h, now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::daily_limit);
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(24, 0));
  EXPECT_NE(v->message.find("allowed again tomorrow at 00:00"), std::string::npos) << v->message;
}

TEST(CheckDailyCap, OverusedCapReportsNothingLeft) {
  Now now = now_at(at(12, 0));
  auto v = check_daily_cap("z", 1h, 90min, 15min, now);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("has 0 s of its 1 h left today"), std::string::npos) << v->message;
  ASSERT_TRUE(v->allowed_at);
  EXPECT_EQ(*v->allowed_at, at(24, 0));
}

// --- phase_max (extend) -------------------------------------------------------------

TEST(CheckExtend, GrantsTheWholeRequestWhenItFits) {
  auto d = check_extend(PhaseKind::heat, 15min, 5min);
  EXPECT_EQ(d.granted, 5min);
  EXPECT_FALSE(d.refusal);
  d = check_extend(PhaseKind::cold, 10min, 3min);
  EXPECT_EQ(d.granted, 3min);
  EXPECT_FALSE(d.refusal);
}

TEST(CheckExtend, GrantsOnlyWhatFitsUnderTheMaximum) {
  auto d = check_extend(PhaseKind::heat, 18min, 5min);
  EXPECT_EQ(d.granted, 2min);
  EXPECT_FALSE(d.refusal);
  d = check_extend(PhaseKind::cold, 14min + 59s, 10min);
  EXPECT_EQ(d.granted, 1s);
  EXPECT_FALSE(d.refusal);
  d = check_extend(PhaseKind::rest, 3h, 2h);
  EXPECT_EQ(d.granted, 1h);
  EXPECT_FALSE(d.refusal);
}

TEST(CheckExtend, RefusesAtTheMaximum) {
  for (PhaseKind kind : {PhaseKind::heat, PhaseKind::cold, PhaseKind::rest}) {
    auto d = check_extend(kind, phase_max(kind), 1min);
    EXPECT_EQ(d.granted, Duration::zero());
    ASSERT_TRUE(d.refusal);
    EXPECT_EQ(d.refusal->reason, Reason::phase_max);
  }
  auto d = check_extend(PhaseKind::heat, 20min, 1min);
  ASSERT_TRUE(d.refusal);
  EXPECT_EQ(d.refusal->message,
            "heat phases are limited to 20 min and this one is already at its maximum");
  d = check_extend(PhaseKind::cold, 15min, 1min);
  ASSERT_TRUE(d.refusal);
  EXPECT_EQ(d.refusal->message,
            "cold phases are limited to 15 min and this one is already at its maximum");
}

TEST(CheckExtend, RefusesBeyondTheMaximum) {
  auto d = check_extend(PhaseKind::cold, 16min, 1min);
  EXPECT_EQ(d.granted, Duration::zero());
  ASSERT_TRUE(d.refusal);
  EXPECT_EQ(d.refusal->reason, Reason::phase_max);
}

TEST(CheckExtend, OneMillisecondBelowTheMaximumGrantsOneMillisecond) {
  auto d = check_extend(PhaseKind::heat, 20min - 1ms, 5min);
  EXPECT_EQ(d.granted, 1ms);
  EXPECT_FALSE(d.refusal);
}

TEST(CheckExtend, NonPositiveRequestIsABadRequest) {
  for (Duration requested : {Duration::zero(), Duration{-1}, Duration{-60000}}) {
    auto d = check_extend(PhaseKind::heat, 15min, requested);
    EXPECT_EQ(d.granted, Duration::zero());
    ASSERT_TRUE(d.refusal);
    EXPECT_EQ(d.refusal->reason, Reason::bad_request);
    EXPECT_EQ(d.refusal->message, "extend needs a positive duration");
  }
  // Checked before the maximum: a bad request stays a bad request.
  auto d = check_extend(PhaseKind::heat, 20min, Duration::zero());
  ASSERT_TRUE(d.refusal);
  EXPECT_EQ(d.refusal->reason, Reason::bad_request);
}

// --- overtemp / undertemp -----------------------------------------------------------

DeviceSpec with_sensor(std::string id, DeviceRole role, std::optional<double> max_c,
                       std::optional<double> min_c) {
  SensorSpec s;
  s.max_c = max_c;
  s.min_c = min_c;
  return DeviceSpec{std::move(id), role, true, s};
}

TEST(CheckTemperature, NoSensorNeverFaults) {
  DeviceSpec d{"plug", DeviceRole::heat, true, std::nullopt};
  EXPECT_FALSE(check_temperature(d, 90.0));
  EXPECT_FALSE(check_temperature(d, -40.0));
}

TEST(CheckTemperature, AtTheLimitsIsFine) {
  DeviceSpec d = with_sensor("pad", DeviceRole::dual, 42.0, 5.0);
  EXPECT_FALSE(check_temperature(d, 42.0));
  EXPECT_FALSE(check_temperature(d, 5.0));
  EXPECT_FALSE(check_temperature(d, 20.0));
}

TEST(CheckTemperature, AboveMaxIsOvertemp) {
  DeviceSpec d = with_sensor("lb_heat", DeviceRole::heat, 42.0, std::nullopt);
  auto v = check_temperature(d, 42.5);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::overtemp);
  EXPECT_TRUE(is_fault_reason(v->reason));
  EXPECT_FALSE(v->allowed_at);
  EXPECT_EQ(v->message,
            "lb_heat reads 42.5 °C, above its limit of 42.0 °C; it was switched off. Let it cool, "
            "check it, then reset");
  EXPECT_TRUE(check_temperature(d, 42.01));
}

TEST(CheckTemperature, BelowMinIsUndertemp) {
  DeviceSpec d = with_sensor("lb_cold", DeviceRole::cold, std::nullopt, 5.0);
  auto v = check_temperature(d, 4.5);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::undertemp);
  EXPECT_TRUE(is_fault_reason(v->reason));
  EXPECT_EQ(v->message,
            "lb_cold reads 4.5 °C, below its limit of 5.0 °C; it was switched off. Check it, "
            "then reset");
  EXPECT_TRUE(check_temperature(d, -3.0));
}

TEST(CheckTemperature, OnlyConfiguredLimitsApply) {
  // A heat-only sensor has no lower limit; a cold-only sensor no upper limit.
  EXPECT_FALSE(check_temperature(with_sensor("h", DeviceRole::heat, 42.0, std::nullopt), -20.0));
  EXPECT_FALSE(check_temperature(with_sensor("c", DeviceRole::cold, std::nullopt, 5.0), 60.0));
}

TEST(CheckTemperature, DualDeviceChecksBothLimits) {
  DeviceSpec d = with_sensor("sh_pad", DeviceRole::dual, 42.0, 5.0);
  auto hot = check_temperature(d, 43.0);
  ASSERT_TRUE(hot);
  EXPECT_EQ(hot->reason, Reason::overtemp);
  auto cold = check_temperature(d, 4.0);
  ASSERT_TRUE(cold);
  EXPECT_EQ(cold->reason, Reason::undertemp);
}

TEST(CheckTemperature, NegativeReadingIsFormatted) {
  auto v = check_temperature(with_sensor("c", DeviceRole::cold, std::nullopt, -2.0), -2.5);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("c reads -2.5 °C, below its limit of -2.0 °C"), std::string::npos)
      << v->message;
}

// --- telemetry_stale ----------------------------------------------------------------

DeviceSpec sensor_with_timeout(Duration timeout) {
  DeviceSpec d = with_sensor("lb_heat", DeviceRole::heat, 42.0, std::nullopt);
  d.sensor->telemetry_timeout = timeout;
  return d;
}

TEST(CheckTelemetryFresh, NoSensorIsNeverStale) {
  DeviceSpec d{"plug", DeviceRole::heat, true, std::nullopt};
  MonoTime t0 = MonoTime{} + 1h;
  EXPECT_FALSE(check_telemetry_fresh(d, std::nullopt, t0, t0 + 10h));
}

TEST(CheckTelemetryFresh, ClockStartsAtOnWhenThereIsNoReading) {
  DeviceSpec d = sensor_with_timeout(2min);
  MonoTime on = MonoTime{} + 1h;
  EXPECT_FALSE(check_telemetry_fresh(d, std::nullopt, on, on));
  EXPECT_FALSE(check_telemetry_fresh(d, std::nullopt, on, on + 2min - 1ms));
  auto v = check_telemetry_fresh(d, std::nullopt, on, on + 2min);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::telemetry_stale);
  EXPECT_TRUE(is_fault_reason(v->reason));
}

TEST(CheckTelemetryFresh, ClockStartsAtOnWhenTheLastReadingIsOlder) {
  // A reading from before the device went ON must not make it stale at once.
  DeviceSpec d = sensor_with_timeout(2min);
  MonoTime on = MonoTime{} + 1h;
  MonoTime reading = on - 10min;
  EXPECT_FALSE(check_telemetry_fresh(d, reading, on, on + 1min));
  EXPECT_FALSE(check_telemetry_fresh(d, reading, on, on + 2min - 1ms));
  EXPECT_TRUE(check_telemetry_fresh(d, reading, on, on + 2min));
}

TEST(CheckTelemetryFresh, ClockStartsAtTheLastReadingWhenItIsLater) {
  DeviceSpec d = sensor_with_timeout(2min);
  MonoTime on = MonoTime{} + 1h;
  MonoTime reading = on + 5min;
  EXPECT_FALSE(check_telemetry_fresh(d, reading, on, on + 6min));
  EXPECT_FALSE(check_telemetry_fresh(d, reading, on, reading + 2min - 1ms));
  auto v = check_telemetry_fresh(d, reading, on, reading + 2min);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::telemetry_stale);
}

TEST(CheckTelemetryFresh, MessageSaysHowLongAndTheLimit) {
  DeviceSpec d = sensor_with_timeout(2min);
  MonoTime on = MonoTime{} + 1h;
  auto v = check_telemetry_fresh(d, on + 1min, on, on + 3min + 30s);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->message,
            "lb_heat sent no temperature for 2 min 30 s while ON (limit 2 min); it was switched "
            "off. Check its sensor and connection, then reset");
  EXPECT_FALSE(v->allowed_at);
}

TEST(CheckTelemetryFresh, UsesTheDevicesOwnTimeout) {
  DeviceSpec d = sensor_with_timeout(30s);
  MonoTime on = MonoTime{} + 1h;
  EXPECT_FALSE(check_telemetry_fresh(d, std::nullopt, on, on + 29s));
  EXPECT_TRUE(check_telemetry_fresh(d, std::nullopt, on, on + 30s));
}

// --- heatup_failed / cooldown_failed ------------------------------------------------

DeviceSpec watched(DeviceRole role, bool heat_up, bool cool_down) {
  DeviceSpec d = with_sensor("sh_pad", role, 42.0, 5.0);
  if (heat_up) d.sensor->heat_up = ResponseWatch{2.0, 3min};
  if (cool_down) d.sensor->cool_down = ResponseWatch{1.5, 4min};
  return d;
}

TEST(CheckResponse, HeatRiseAtLeastTheMinimumPasses) {
  DeviceSpec d = watched(DeviceRole::dual, true, true);
  EXPECT_FALSE(check_response(d, Output::heat, 20.0, 22.0));
  EXPECT_FALSE(check_response(d, Output::heat, 20.0, 30.0));
}

TEST(CheckResponse, HeatRiseBelowTheMinimumFails) {
  DeviceSpec d = watched(DeviceRole::dual, true, true);
  auto v = check_response(d, Output::heat, 20.0, 21.5);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::heatup_failed);
  EXPECT_TRUE(is_fault_reason(v->reason));
  EXPECT_EQ(v->message,
            "sh_pad warmed by 1.5 °C in 3 min (expected at least 2.0 °C); the pad, its relay or "
            "its sensor may be broken. Check it, then reset");
  EXPECT_TRUE(check_response(d, Output::heat, 20.0, 21.9375));
}

TEST(CheckResponse, ATemperatureDropWhileHeatingFails) {
  DeviceSpec d = watched(DeviceRole::dual, true, true);
  auto v = check_response(d, Output::heat, 20.0, 17.0);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::heatup_failed);
}

TEST(CheckResponse, ColdDropAtLeastTheMinimumPasses) {
  DeviceSpec d = watched(DeviceRole::dual, true, true);
  EXPECT_FALSE(check_response(d, Output::cold, 20.0, 18.5));
  EXPECT_FALSE(check_response(d, Output::cold, 20.0, 10.0));
}

TEST(CheckResponse, ColdDropBelowTheMinimumFails) {
  DeviceSpec d = watched(DeviceRole::dual, true, true);
  auto v = check_response(d, Output::cold, 20.0, 19.0);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, Reason::cooldown_failed);
  EXPECT_TRUE(is_fault_reason(v->reason));
  EXPECT_EQ(v->message,
            "sh_pad cooled by 1.0 °C in 4 min (expected at least 1.5 °C); the pad, its relay or "
            "its sensor may be broken. Check it, then reset");
  // A rise while cooling is a failure, not a pass by absolute change.
  auto up = check_response(d, Output::cold, 20.0, 25.0);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->reason, Reason::cooldown_failed);
}

TEST(CheckResponse, EachModeUsesItsOwnWatch) {
  // Only heat_up configured: cold mode is not watched, and vice versa.
  DeviceSpec heat_only = watched(DeviceRole::dual, true, false);
  EXPECT_FALSE(check_response(heat_only, Output::cold, 20.0, 20.0));
  EXPECT_TRUE(check_response(heat_only, Output::heat, 20.0, 20.0));
  DeviceSpec cold_only = watched(DeviceRole::dual, false, true);
  EXPECT_FALSE(check_response(cold_only, Output::heat, 20.0, 20.0));
  EXPECT_TRUE(check_response(cold_only, Output::cold, 20.0, 20.0));
}

TEST(CheckResponse, NoWatchNoSensorOrOffNeverFails) {
  EXPECT_FALSE(check_response(watched(DeviceRole::dual, false, false), Output::heat, 20.0, 20.0));
  EXPECT_FALSE(check_response(watched(DeviceRole::dual, false, false), Output::cold, 20.0, 20.0));
  DeviceSpec no_sensor{"plug", DeviceRole::heat, true, std::nullopt};
  EXPECT_FALSE(check_response(no_sensor, Output::heat, 20.0, 20.0));
  EXPECT_FALSE(check_response(watched(DeviceRole::dual, true, true), Output::off, 20.0, 20.0));
}

// --- reason codes -------------------------------------------------------------------

// Every Reason with its code: the codes are part of the MQTT API and must never change.
const std::vector<std::pair<Reason, std::string_view>>& all_reasons() {
  static const std::vector<std::pair<Reason, std::string_view>> reasons = {
      {Reason::ok, "ok"},
      {Reason::bad_request, "bad_request"},
      {Reason::unknown_zone, "unknown_zone"},
      {Reason::unknown_routine, "unknown_routine"},
      {Reason::routine_unsupported, "routine_unsupported"},
      {Reason::session_running, "session_running"},
      {Reason::not_running, "not_running"},
      {Reason::not_paused, "not_paused"},
      {Reason::already_paused, "already_paused"},
      {Reason::fault_latched, "fault_latched"},
      {Reason::not_faulted, "not_faulted"},
      {Reason::rest_interval, "rest_interval"},
      {Reason::daily_limit, "daily_limit"},
      {Reason::phase_max, "phase_max"},
      {Reason::device_offline, "device_offline"},
      {Reason::device_not_ready, "device_not_ready"},
      {Reason::start_missed, "start_missed"},
      {Reason::clock_not_set, "clock_not_set"},
      {Reason::broker_offline, "broker_offline"},
      {Reason::overtemp, "overtemp"},
      {Reason::undertemp, "undertemp"},
      {Reason::telemetry_stale, "telemetry_stale"},
      {Reason::heatup_failed, "heatup_failed"},
      {Reason::cooldown_failed, "cooldown_failed"},
      {Reason::ack_timeout, "ack_timeout"},
      {Reason::unexpected_state, "unexpected_state"},
  };
  return reasons;
}

bool is_snake_case(std::string_view s) {
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  char previous = ' ';
  for (char ch : s) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9' && previous != '_') ||
              (ch == '_' && previous != '_');
    if (!ok) return false;
    previous = ch;
  }
  return s.front() >= 'a' && s.front() <= 'z';
}

TEST(ReasonCode, EveryReasonHasItsStableCode) {
  for (const auto& [reason, code] : all_reasons()) {
    EXPECT_EQ(reason_code(reason), code);
  }
}

TEST(ReasonCode, CodesAreUniqueSnakeCase) {
  std::set<std::string_view> seen;
  for (const auto& [reason, code] : all_reasons()) {
    std::string_view actual = reason_code(reason);
    EXPECT_TRUE(is_snake_case(actual)) << actual;
    EXPECT_NE(actual, "unknown");
    EXPECT_TRUE(seen.insert(actual).second) << "duplicate code " << actual;
  }
  EXPECT_EQ(seen.size(), all_reasons().size());
}

TEST(ReasonCode, ListAboveCoversTheWholeEnum) {
  // Reason::unexpected_state is the last enumerator; a value past it has no code. If this
  // fails, a Reason was added: add it to all_reasons() and decide whether it is a fault.
  EXPECT_EQ(static_cast<std::size_t>(Reason::unexpected_state) + 1, all_reasons().size());
  EXPECT_EQ(reason_code(static_cast<Reason>(all_reasons().size())), "unknown");
}

TEST(IsSnakeCase, SelfTest) {
  EXPECT_TRUE(is_snake_case("ok"));
  EXPECT_TRUE(is_snake_case("rest_interval"));
  EXPECT_FALSE(is_snake_case("Rest_interval"));
  EXPECT_FALSE(is_snake_case("rest-interval"));
  EXPECT_FALSE(is_snake_case("rest__interval"));
  EXPECT_FALSE(is_snake_case("_rest"));
  EXPECT_FALSE(is_snake_case("rest_"));
  EXPECT_FALSE(is_snake_case(""));
}

TEST(IsFaultReason, MatchesTheFaultSet) {
  const std::set<Reason> faults = {
      Reason::overtemp,         Reason::undertemp,       Reason::telemetry_stale,
      Reason::heatup_failed,    Reason::cooldown_failed, Reason::ack_timeout,
      Reason::unexpected_state, Reason::device_offline,  Reason::broker_offline,
  };
  for (const auto& [reason, code] : all_reasons()) {
    EXPECT_EQ(is_fault_reason(reason), faults.contains(reason)) << code;
  }
}

}  // namespace
}  // namespace padtimer::testing
