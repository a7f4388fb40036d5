// The thermal model: straight lines toward each output's target, computed from elapsed time.
#include "sim/thermal.h"

#include <gtest/gtest.h>

#include "sim_test_util.h"

namespace padtimer::sim {
namespace {

using testing::at;

Time t(double seconds) {
  return at(seconds).mono;
}

TEST(Thermal, StartsAtTheGivenTemperatureAndStaysThereAtRoomTemperature) {
  Thermal room({}, 22.0, t(0));
  EXPECT_DOUBLE_EQ(room.temperature(t(0)), 22.0);
  EXPECT_DOUBLE_EQ(room.temperature(t(3600)), 22.0);
  EXPECT_EQ(room.output(), Output::off);
}

TEST(Thermal, HeatingRisesAtTheHeatRateUntilTheHeatTarget) {
  Thermal pad({}, 22.0, t(0));
  pad.set(Output::heat, 10, t(0));
  EXPECT_DOUBLE_EQ(pad.temperature(t(10)), 27.0);  // +0.5 °C/s
  EXPECT_DOUBLE_EQ(pad.temperature(t(38)), 41.0);
  EXPECT_DOUBLE_EQ(pad.temperature(t(1000)), 41.0);  // never past the target
}

TEST(Thermal, CoolingFallsAtTheColdRateUntilTheColdTarget) {
  Thermal pack({}, 22.0, t(0));
  pack.set(Output::cold, 10, t(0));
  EXPECT_DOUBLE_EQ(pack.temperature(t(10)), 17.0);
  EXPECT_DOUBLE_EQ(pack.temperature(t(28)), 8.0);
  EXPECT_DOUBLE_EQ(pack.temperature(t(500)), 8.0);
}

TEST(Thermal, OffDriftsBackToRoomTemperatureFromEitherSide) {
  Thermal warm({}, 30.0, t(0));
  EXPECT_DOUBLE_EQ(warm.temperature(t(10)), 29.0);  // -0.1 °C/s
  EXPECT_DOUBLE_EQ(warm.temperature(t(200)), 22.0);
  Thermal cold({}, 12.0, t(0));
  EXPECT_DOUBLE_EQ(cold.temperature(t(50)), 17.0);
  EXPECT_DOUBLE_EQ(cold.temperature(t(500)), 22.0);
}

TEST(Thermal, ChangesComposeAtTheTimeTheyHappen) {
  Thermal pad({}, 22.0, t(0));
  pad.set(Output::heat, 10, t(0));
  pad.set(Output::off, 10, t(10));  // 27 °C at 10 s
  EXPECT_DOUBLE_EQ(pad.temperature(t(20)), 26.0);
  pad.set(Output::cold, 10, t(20));
  EXPECT_DOUBLE_EQ(pad.temperature(t(24)), 24.0);
}

TEST(Thermal, DependsOnElapsedTimeNotOnHowOftenItIsAsked) {
  ThermalParams p;
  p.heat_rate = 0.37;
  Thermal often(p, 22.0, t(0));
  Thermal once(p, 22.0, t(0));
  often.set(Output::heat, 10, t(0));
  once.set(Output::heat, 10, t(0));
  for (int i = 1; i <= 40; ++i) {
    often.set(Output::heat, 10, t(i * 0.25));  // re-set every quarter second, as a tick would
  }
  EXPECT_NEAR(often.temperature(t(10)), once.temperature(t(10)), 1e-9);
  EXPECT_NEAR(once.temperature(t(10)), 25.7, 1e-9);
}

TEST(Thermal, RatesAndTargetsAreConfigurable) {
  ThermalParams p;
  p.room = 20;
  p.heat_target = 45;
  p.heat_rate = 2;
  p.drift_rate = 1;
  Thermal pad(p, 20, t(0));
  pad.set(Output::heat, 10, t(0));
  EXPECT_DOUBLE_EQ(pad.temperature(t(5)), 30.0);
  EXPECT_DOUBLE_EQ(pad.temperature(t(100)), 45.0);
  pad.set(Output::off, 10, t(100));
  EXPECT_DOUBLE_EQ(pad.temperature(t(110)), 35.0);
}

TEST(Thermal, LevelScalesHowFarTheTargetIsFromRoomTemperature) {
  Thermal pad({}, 22.0, t(0));
  pad.set(Output::heat, 5, t(0));
  EXPECT_DOUBLE_EQ(pad.target(), 31.5);
  EXPECT_DOUBLE_EQ(pad.temperature(t(600)), 31.5);
  pad.set(Output::cold, 5, t(600));
  EXPECT_DOUBLE_EQ(pad.target(), 15.0);
  pad.set(Output::heat, 99, t(600));  // clamped to 1..10
  EXPECT_EQ(pad.level(), 10);
}

TEST(Thermal, TimesBeforeTheLastChangeCountAsTheChange) {
  Thermal pad({}, 22.0, t(0));
  pad.set(Output::heat, 10, t(10));
  EXPECT_DOUBLE_EQ(pad.temperature(t(5)), 22.0);
  pad.set(Output::off, 10, t(2));  // late news: treated as happening at 10 s
  EXPECT_DOUBLE_EQ(pad.temperature(t(10)), 22.0);
}

}  // namespace
}  // namespace padtimer::sim
