// The daemon's clock: the real clocks, optionally scaled for demos and tests.
#include "host/clock.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace padtimer::host {
namespace {

using namespace std::chrono_literals;
using core::Now;

TEST(Clock, RefusesScalesOutsideOneToTheMaximum) {
  EXPECT_THROW(Clock{0.5}, std::invalid_argument);
  EXPECT_THROW(Clock{0.0}, std::invalid_argument);
  EXPECT_THROW(Clock{-3.0}, std::invalid_argument);
  EXPECT_THROW(Clock{Clock::kMaxScale + 1}, std::invalid_argument);
  EXPECT_NO_THROW(Clock{1.0});
  EXPECT_NO_THROW(Clock{Clock::kMaxScale});
}

TEST(Clock, UnscaledWaitsWhatItIsAsked) {
  Clock clock;
  EXPECT_FALSE(clock.scaled());
  EXPECT_EQ(clock.real_delay(1234ms), 1234ms);
}

TEST(Clock, ScaledWaitsAFractionRoundedUp) {
  Clock clock{10.0};
  EXPECT_TRUE(clock.scaled());
  EXPECT_EQ(clock.real_delay(20min), 2min);
  EXPECT_EQ(clock.real_delay(1001ms), 101ms);  // never early
  EXPECT_EQ(clock.real_delay(0ms), 0ms);
  EXPECT_EQ(clock.real_delay(-5ms), -5ms);  // already due: left as is
}

TEST(Clock, ScaledStartsAtTheRealTime) {
  Now before = system_now();
  Clock clock{50.0};
  Now scaled = clock.now();
  Now after = system_now();
  // Time has only just started running faster: the scaled clock is at most 50 times the
  // real time that passed (plus rounding) ahead of the real one.
  EXPECT_GE(scaled.wall, before.wall);
  EXPECT_LE(scaled.wall - after.wall, 50 * (after.wall - before.wall) + 1ms);
  EXPECT_GE(scaled.mono, before.mono);
}

TEST(Clock, ScaledGoesOnFromAKeptOrigin) {
  // Started an hour ago at 10 times: the scaled wall clock is ten hours on from there, the
  // real hour included, and it goes on at 10 times.
  Now before = system_now();
  Clock clock{10.0, before.wall - 1h};
  Now scaled = clock.now();
  Now after = system_now();
  EXPECT_EQ(clock.wall_origin(), before.wall - 1h);
  EXPECT_GE(scaled.wall, before.wall - 1h + 10h);
  EXPECT_LE(scaled.wall, after.wall - 1h + 10h + 10 * (after.wall - before.wall) + 1ms);
  // The monotonic clock starts at the real one: it is only compared within a process.
  EXPECT_GE(scaled.mono, before.mono);
  EXPECT_LE(scaled.mono - after.mono, 10 * (after.mono - before.mono) + 1ms);
}

}  // namespace
}  // namespace padtimer::host
