// Config validation: a valid config passes; each kind of problem is found on its own, at
// the right section, index and field; several problems are reported together.
#include "core/validate.h"

#include <algorithm>
#include <limits>
#include <ostream>
#include <tuple>

#include <gtest/gtest.h>

#include "world.h"

namespace padtimer::testing {
namespace {

// Where a problem is: what a test asserts, independent of the wording.
struct Where {
  std::string section;
  std::size_t index = 0;
  std::string field;
  bool operator==(const Where&) const = default;
  bool operator<(const Where& o) const {
    return std::tie(section, index, field) < std::tie(o.section, o.index, o.field);
  }
};

std::ostream& operator<<(std::ostream& os, const Where& w) {
  return os << w.section << "[" << w.index << "]." << w.field;
}

std::vector<Where> where(const std::vector<ConfigProblem>& problems) {
  std::vector<Where> out;
  for (const auto& p : problems)
    out.push_back({p.section, p.index, p.field});
  return out;
}

std::vector<Where> sorted(std::vector<Where> w) {
  std::sort(w.begin(), w.end());
  return w;
}

std::string all(const std::vector<ConfigProblem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += "\n  " + describe(p);
  return out;
}

// The one problem of a config that should have exactly one, at `expected`.
ConfigProblem only_problem(const EngineConfig& config, const Where& expected) {
  auto problems = validate(config);
  EXPECT_EQ(where(problems), std::vector<Where>{expected}) << all(problems);
  return problems.empty() ? ConfigProblem{} : problems.front();
}

void expect_valid(const EngineConfig& config) {
  auto problems = validate(config);
  EXPECT_TRUE(problems.empty()) << all(problems);
}

SensorSpec heat_sensor(double max_c = 42.0) {
  SensorSpec s;
  s.max_c = max_c;
  return s;
}

SensorSpec cold_sensor(double min_c = 5.0) {
  SensorSpec s;
  s.min_c = min_c;
  return s;
}

SensorSpec dual_sensor() {
  SensorSpec s;
  s.max_c = 42.0;
  s.min_c = 5.0;
  return s;
}

// standard_config() with a sensor on every device, heat-up and cool-down watches included.
EngineConfig config_with_sensors() {
  EngineConfig c = standard_config();
  device_in(c, "lb_heat").sensor = heat_sensor();
  device_in(c, "lb_heat").sensor->heat_up = ResponseWatch{};
  device_in(c, "lb_cold").sensor = cold_sensor();
  device_in(c, "lb_cold").sensor->cool_down = ResponseWatch{};
  device_in(c, "sh_pad").sensor = dual_sensor();
  device_in(c, "sh_pad").sensor->heat_up = ResponseWatch{};
  device_in(c, "sh_pad").sensor->cool_down = ResponseWatch{};
  return c;
}

// --- valid configs ------------------------------------------------------------------

TEST(Validate, StandardConfigIsValid) {
  expect_valid(standard_config());
}

TEST(Validate, ConfigWithSensorsAndWatchesIsValid) {
  expect_valid(config_with_sensors());
}

TEST(Validate, BoundaryValuesAreValid) {
  EngineConfig c = config_with_sensors();
  device_in(c, "lb_heat").sensor->max_c = 45.0;
  device_in(c, "sh_pad").sensor->max_c = 30.0;
  device_in(c, "lb_cold").sensor->min_c = -10.0;
  device_in(c, "sh_pad").sensor->min_c = 20.0;
  device_in(c, "lb_heat").sensor->telemetry_timeout = 5s;
  device_in(c, "lb_cold").sensor->telemetry_timeout = 10min;
  device_in(c, "lb_heat").sensor->heat_up = ResponseWatch{20.0, 10s};
  device_in(c, "lb_cold").sensor->cool_down = ResponseWatch{0.1, 15min};
  c.zones[0].min_rest = 20min;
  c.zones[0].daily_cap = 10min;
  c.zones[1].min_rest = 24h;
  c.zones[1].daily_cap = 8h;
  c.safety.phase_rest = 2min;
  c.routines.push_back({"edges",
                        {{PhaseKind::heat, 15min},
                         {PhaseKind::rest, 2min},
                         {PhaseKind::cold, 15min},
                         {PhaseKind::rest, 4h},
                         {PhaseKind::heat, 20min},
                         {PhaseKind::rest, 1s},
                         {PhaseKind::rest, 2min},
                         {PhaseKind::cold, 10min}}});
  expect_valid(c);
}

TEST(Validate, ZonesWithOnlyHeatOrOnlyColdAreValid) {
  EngineConfig c = standard_config();
  c.devices.push_back({"neck_heat", DeviceRole::heat, true, std::nullopt});
  c.devices.push_back({"knee_cold", DeviceRole::cold, false, std::nullopt});
  c.zones.push_back({"neck", "neck_heat", "", 60min, 2h});
  c.zones.push_back({"knee", "", "knee_cold", 60min, 2h});
  expect_valid(c);
}

TEST(Validate, DualDeviceMayServeAsHeatOnlyOrColdOnly) {
  EngineConfig c = standard_config();
  c.devices.push_back({"d1", DeviceRole::dual, true, std::nullopt});
  c.devices.push_back({"d2", DeviceRole::dual, true, std::nullopt});
  c.zones.push_back({"a", "d1", "", 60min, 2h});
  c.zones.push_back({"b", "", "d2", 60min, 2h});
  expect_valid(c);
}

// --- ids ----------------------------------------------------------------------------

TEST(IsValidId, AcceptsLettersDigitsUnderscoreAndDash) {
  EXPECT_TRUE(is_valid_id("a"));
  EXPECT_TRUE(is_valid_id("lower_back"));
  EXPECT_TRUE(is_valid_id("Zone-2_B9"));
  EXPECT_TRUE(is_valid_id(std::string(64, 'x')));
}

TEST(IsValidId, RefusesEmptyTooLongAndOtherCharacters) {
  EXPECT_FALSE(is_valid_id(""));
  EXPECT_FALSE(is_valid_id(std::string(65, 'x')));
  for (std::string bad : {"lower back", "a/b", "a+b", "a#", "zone.1", "é", "a\n", "tab\t"}) {
    EXPECT_FALSE(is_valid_id(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_id(std::string("a\0b", 3)));
}

TEST(Validate, BadDeviceId) {
  EngineConfig c = standard_config();
  c.devices[0].id = "lb heat";
  c.zones[0].heat_device = "lb heat";  // still referenced, so only the id is wrong
  auto p = only_problem(c, {"devices", 0, "id"});
  EXPECT_EQ(p.message, "must be 1-64 characters of A-Z a-z 0-9 _ -");
}

TEST(Validate, WildcardDeviceIdIsRefused) {
  // MQTT wildcards in an id would subscribe to other devices' topics.
  EngineConfig c = standard_config();
  c.devices[2].id = "sh/#";
  c.zones[1].heat_device = c.zones[1].cold_device = "sh/#";
  only_problem(c, {"devices", 2, "id"});
}

TEST(Validate, BadZoneId) {
  EngineConfig c = standard_config();
  c.zones[1].id = "";
  only_problem(c, {"zones", 1, "id"});
}

TEST(Validate, BadRoutineId) {
  EngineConfig c = standard_config();
  c.routines[2].id = std::string(65, 'r');
  only_problem(c, {"routines", 2, "id"});
}

TEST(Validate, DuplicateDeviceId) {
  EngineConfig c = standard_config();
  c.devices.push_back({"lb_heat", DeviceRole::heat, true, std::nullopt});
  auto p = only_problem(c, {"devices", 3, "id"});
  EXPECT_EQ(p.message, "duplicate device id 'lb_heat'");
}

TEST(Validate, DuplicateZoneId) {
  EngineConfig c = standard_config();
  c.devices.push_back({"extra", DeviceRole::heat, true, std::nullopt});
  c.zones.push_back({"shoulder", "extra", "", 60min, 2h});
  auto p = only_problem(c, {"zones", 2, "id"});
  EXPECT_EQ(p.message, "duplicate zone id 'shoulder'");
}

TEST(Validate, DuplicateRoutineId) {
  EngineConfig c = standard_config();
  c.routines.push_back({"evening", {{PhaseKind::heat, 15min}}});
  auto p = only_problem(c, {"routines", 4, "id"});
  EXPECT_EQ(p.message, "duplicate routine id 'evening'");
}

TEST(Validate, IdsOfDifferentKindsMayCoincide) {
  EngineConfig c = standard_config();
  c.routines[0].id = "lower_back";
  expect_valid(c);
}

// --- zones and their devices --------------------------------------------------------

TEST(Validate, UnknownDeviceInZone) {
  EngineConfig c = standard_config();
  c.zones[0].cold_device = "nope";
  auto problems = validate(c);
  // lb_cold is now unused as well.
  EXPECT_EQ(where(problems), (std::vector<Where>{{"zones", 0, "cold_device"}, {"devices", 1, ""}}))
      << all(problems);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].message, "unknown device 'nope'");
}

TEST(Validate, UnknownHeatDeviceInZone) {
  EngineConfig c = standard_config();
  c.devices.push_back({"spare", DeviceRole::heat, true, std::nullopt});
  c.zones.push_back({"neck", "ghost", "", 60min, 2h});
  auto problems = validate(c);
  EXPECT_EQ(where(problems), (std::vector<Where>{{"zones", 2, "heat_device"}, {"devices", 3, ""}}))
      << all(problems);
}

TEST(Validate, ZoneWithoutAnyDevice) {
  EngineConfig c = standard_config();
  c.zones.push_back({"empty", "", "", 60min, 2h});
  auto p = only_problem(c, {"zones", 2, ""});
  EXPECT_EQ(p.message, "zone 'empty' needs a heat_device, a cold_device or both");
}

TEST(Validate, RoleMismatchForHeat) {
  EngineConfig c = standard_config();
  c.devices[0].role = DeviceRole::cold;  // lb_heat is now a cold plug used as heat_device
  auto p = only_problem(c, {"zones", 0, "heat_device"});
  EXPECT_EQ(p.message, "device 'lb_heat' has role cold; a heat_device needs role heat or dual");
}

TEST(Validate, RoleMismatchForCold) {
  EngineConfig c = standard_config();
  c.devices[1].role = DeviceRole::heat;
  auto p = only_problem(c, {"zones", 0, "cold_device"});
  EXPECT_EQ(p.message, "device 'lb_cold' has role heat; a cold_device needs role cold or dual");
}

TEST(Validate, SwappedDevicesAreTwoMismatches) {
  EngineConfig c = standard_config();
  std::swap(c.zones[0].heat_device, c.zones[0].cold_device);
  auto problems = validate(c);
  EXPECT_EQ(where(problems),
            (std::vector<Where>{{"zones", 0, "heat_device"}, {"zones", 0, "cold_device"}}))
      << all(problems);
}

TEST(Validate, SameDeviceInTwoZones) {
  EngineConfig c = standard_config();
  c.zones.push_back({"neck", "lb_heat", "", 60min, 2h});
  auto p = only_problem(c, {"zones", 2, "heat_device"});
  EXPECT_EQ(p.message, "device 'lb_heat' already belongs to zone 'lower_back'");
}

TEST(Validate, DualDeviceInTwoZonesAsHeatAndAsCold) {
  EngineConfig c = standard_config();
  c.devices.push_back({"cold2", DeviceRole::cold, true, std::nullopt});
  // sh_pad serves shoulder; using it as another zone's heat device is still sharing.
  c.zones.push_back({"neck", "sh_pad", "cold2", 60min, 2h});
  auto p = only_problem(c, {"zones", 2, "heat_device"});
  EXPECT_EQ(p.message, "device 'sh_pad' already belongs to zone 'shoulder'");
}

TEST(Validate, NonDualDeviceAsBothHeatAndCold) {
  EngineConfig c = standard_config();
  c.devices[1].role = DeviceRole::heat;                          // lb_cold becomes a heat plug ...
  c.zones[0] = {"lower_back", "lb_cold", "lb_cold", 60min, 2h};  // ... used as both
  c.devices.erase(c.devices.begin());                            // lb_heat is gone
  auto problems = validate(c);
  // The cold role mismatch and the "only a dual device" rule both speak about cold_device.
  EXPECT_EQ(where(problems),
            (std::vector<Where>{{"zones", 0, "cold_device"}, {"zones", 0, "cold_device"}}))
      << all(problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[1].message, "only a dual device can be both heat and cold device");
}

TEST(Validate, DeviceNotUsedByAnyZone) {
  EngineConfig c = standard_config();
  c.devices.push_back({"spare", DeviceRole::heat, true, std::nullopt});
  auto p = only_problem(c, {"devices", 3, ""});
  EXPECT_EQ(p.message, "device 'spare' is not used by any zone");
}

TEST(Validate, ZoneMinRestFloorAndCeiling) {
  EngineConfig c = standard_config();
  c.zones[1].min_rest = 20min - 1s;
  auto p = only_problem(c, {"zones", 1, "min_rest"});
  EXPECT_EQ(p.message, "must be between 20 min and 24 h, got 19 min 59 s");
  c.zones[1].min_rest = 24h + 1min;
  only_problem(c, {"zones", 1, "min_rest"});
  c.zones[1].min_rest = Duration::zero();
  only_problem(c, {"zones", 1, "min_rest"});
}

TEST(Validate, ZoneDailyCapRange) {
  EngineConfig c = standard_config();
  c.zones[0].daily_cap = 10min - 1ms;
  only_problem(c, {"zones", 0, "daily_cap"});
  c.zones[0].daily_cap = 10min - 1s;
  auto p = only_problem(c, {"zones", 0, "daily_cap"});
  EXPECT_EQ(p.message, "must be between 10 min and 8 h, got 9 min 59 s");
  c.zones[0].daily_cap = 8h + 1min;
  p = only_problem(c, {"zones", 0, "daily_cap"});
  EXPECT_EQ(p.message, "must be between 10 min and 8 h, got 8 h 1 min");
}

// --- sensors ------------------------------------------------------------------------

TEST(Validate, HeatSensorWithoutMaxC) {
  EngineConfig c = standard_config();
  c.devices[0].sensor = SensorSpec{};
  auto p = only_problem(c, {"devices", 0, "sensor.max_c"});
  EXPECT_EQ(p.message, "a heating device's sensor needs max_c");
}

TEST(Validate, ColdSensorWithoutMinC) {
  EngineConfig c = standard_config();
  c.devices[1].sensor = SensorSpec{};
  auto p = only_problem(c, {"devices", 1, "sensor.min_c"});
  EXPECT_EQ(p.message, "a cooling device's sensor needs min_c");
}

TEST(Validate, DualSensorNeedsBothLimits) {
  EngineConfig c = standard_config();
  c.devices[2].sensor = SensorSpec{};
  auto problems = validate(c);
  EXPECT_EQ(where(problems),
            (std::vector<Where>{{"devices", 2, "sensor.max_c"}, {"devices", 2, "sensor.min_c"}}))
      << all(problems);
  c.devices[2].sensor = heat_sensor();
  only_problem(c, {"devices", 2, "sensor.min_c"});
  c.devices[2].sensor = cold_sensor();
  only_problem(c, {"devices", 2, "sensor.max_c"});
}

TEST(Validate, MaxCRange) {
  EngineConfig c = standard_config();
  c.devices[0].sensor = heat_sensor(45.0);
  expect_valid(c);
  c.devices[0].sensor = heat_sensor(45.1);
  auto p = only_problem(c, {"devices", 0, "sensor.max_c"});
  EXPECT_EQ(p.message, "must be between 30 and 45 °C");
  c.devices[0].sensor = heat_sensor(30.0);
  expect_valid(c);
  c.devices[0].sensor = heat_sensor(29.9);
  only_problem(c, {"devices", 0, "sensor.max_c"});
  c.devices[0].sensor = heat_sensor(60.0);
  only_problem(c, {"devices", 0, "sensor.max_c"});
  c.devices[0].sensor = heat_sensor(std::numeric_limits<double>::infinity());
  only_problem(c, {"devices", 0, "sensor.max_c"});
}

TEST(Validate, MinCRange) {
  EngineConfig c = standard_config();
  c.devices[1].sensor = cold_sensor(-10.0);
  expect_valid(c);
  c.devices[1].sensor = cold_sensor(-10.1);
  auto p = only_problem(c, {"devices", 1, "sensor.min_c"});
  EXPECT_EQ(p.message, "must be between -10 and 20 °C");
  c.devices[1].sensor = cold_sensor(20.0);
  expect_valid(c);
  c.devices[1].sensor = cold_sensor(20.1);
  only_problem(c, {"devices", 1, "sensor.min_c"});
  c.devices[1].sensor = cold_sensor(-std::numeric_limits<double>::infinity());
  only_problem(c, {"devices", 1, "sensor.min_c"});
}

// A NaN limit ("max_c: .nan" in YAML) compares false with everything, so check_temperature
// could never fire: the limits must be refused, like the watches' min_change_c is.
TEST(Validate, NanSensorLimitsAreRefused) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EngineConfig c = standard_config();
  c.devices[0].sensor = heat_sensor(nan);
  only_problem(c, {"devices", 0, "sensor.max_c"});
  c = standard_config();
  c.devices[1].sensor = cold_sensor(nan);
  only_problem(c, {"devices", 1, "sensor.min_c"});
}

TEST(Validate, LimitOnTheOtherSideIsStillRangeChecked) {
  // A cold device need not have max_c, but if it has one it must be sane.
  EngineConfig c = standard_config();
  c.devices[1].sensor = cold_sensor();
  c.devices[1].sensor->max_c = 50.0;
  only_problem(c, {"devices", 1, "sensor.max_c"});
}

TEST(Validate, TelemetryTimeoutRange) {
  EngineConfig c = standard_config();
  c.devices[0].sensor = heat_sensor();
  c.devices[0].sensor->telemetry_timeout = 5s - 1ms;
  auto p = only_problem(c, {"devices", 0, "sensor.telemetry_timeout"});
  EXPECT_EQ(p.message.rfind("must be between 5 s and 10 min", 0), 0u) << p.message;
  c.devices[0].sensor->telemetry_timeout = 10min + 1s;
  only_problem(c, {"devices", 0, "sensor.telemetry_timeout"});
}

TEST(Validate, WatchMinChangeRange) {
  EngineConfig c = config_with_sensors();
  device_in(c, "lb_heat").sensor->heat_up->min_change_c = 0.0;
  auto p = only_problem(c, {"devices", 0, "sensor.heat_up.min_change_c"});
  EXPECT_EQ(p.message, "must be above 0 and at most 20 °C");
  device_in(c, "lb_heat").sensor->heat_up->min_change_c = -1.0;
  only_problem(c, {"devices", 0, "sensor.heat_up.min_change_c"});
  device_in(c, "lb_heat").sensor->heat_up->min_change_c = 20.5;
  only_problem(c, {"devices", 0, "sensor.heat_up.min_change_c"});
  device_in(c, "lb_heat").sensor->heat_up->min_change_c = std::numeric_limits<double>::quiet_NaN();
  only_problem(c, {"devices", 0, "sensor.heat_up.min_change_c"});

  c = config_with_sensors();
  device_in(c, "lb_cold").sensor->cool_down->min_change_c = 0.0;
  only_problem(c, {"devices", 1, "sensor.cool_down.min_change_c"});
}

TEST(Validate, WatchWithinRange) {
  EngineConfig c = config_with_sensors();
  device_in(c, "sh_pad").sensor->heat_up->within = 10s - 1ms;
  only_problem(c, {"devices", 2, "sensor.heat_up.within"});
  device_in(c, "sh_pad").sensor->heat_up->within = 15min + 1ms;
  only_problem(c, {"devices", 2, "sensor.heat_up.within"});
  c = config_with_sensors();
  device_in(c, "sh_pad").sensor->cool_down->within = 15min + 1s;
  auto p = only_problem(c, {"devices", 2, "sensor.cool_down.within"});
  EXPECT_EQ(p.message, "must be between 10 s and 15 min, got 15 min 1 s");
}

TEST(Validate, WatchOfTheWrongDirectionDoesNotApply) {
  EngineConfig c = config_with_sensors();
  device_in(c, "lb_cold").sensor->heat_up = ResponseWatch{};
  auto p = only_problem(c, {"devices", 1, "sensor.heat_up"});
  EXPECT_EQ(p.message, "does not apply to a device with role cold");
  c = config_with_sensors();
  device_in(c, "lb_heat").sensor->cool_down = ResponseWatch{};
  p = only_problem(c, {"devices", 0, "sensor.cool_down"});
  EXPECT_EQ(p.message, "does not apply to a device with role heat");
}

// --- routines -----------------------------------------------------------------------

TEST(Validate, PhaseLengthOutOfRange) {
  EngineConfig c = standard_config();
  c.routines[0].phases[2].length = 16min;  // cold
  auto p = only_problem(c, {"routines", 0, "phases[2]"});
  EXPECT_EQ(p.message, "cold phase of 16 min is outside the allowed 10 min to 15 min");

  c = standard_config();
  c.routines[1].phases[0].length = 14min;  // heat
  only_problem(c, {"routines", 1, "phases[0]"});
  c = standard_config();
  c.routines[1].phases[0].length = 20min + 1s;
  only_problem(c, {"routines", 1, "phases[0]"});
  c = standard_config();
  c.routines[0].phases[3].length = 4h + 1s;  // rest
  only_problem(c, {"routines", 0, "phases[3]"});
}

TEST(Validate, EveryBadPhaseIsReported) {
  EngineConfig c = standard_config();
  c.routines[0].phases[0].length = 21min;
  c.routines[0].phases[4].length = 9min;
  auto problems = validate(c);
  EXPECT_EQ(where(problems),
            (std::vector<Where>{{"routines", 0, "phases[0]"}, {"routines", 0, "phases[4]"}}))
      << all(problems);
}

TEST(Validate, RoutineWithoutTherapy) {
  EngineConfig c = standard_config();
  c.routines.push_back({"nap", {{PhaseKind::rest, 30min}}});
  auto p = only_problem(c, {"routines", 4, "phases"});
  EXPECT_EQ(p.message, "a routine needs at least one heat or cold phase");
  c.routines.back().phases.clear();
  only_problem(c, {"routines", 4, "phases"});
}

TEST(Validate, TherapyPhasesWithoutEnoughRest) {
  EngineConfig c = standard_config();
  c.routines[0].phases[1].length = 4min;  // heat, 4 min rest, cold
  auto p = only_problem(c, {"routines", 0, "phases"});
  EXPECT_EQ(p.message,
            "phase 3 (cold) follows phase 1 with 4 min of rest; at least 5 min of rest must "
            "separate therapy phases");
}

TEST(Validate, RoutineRestsAreMeasuredAgainstSafetyPhaseRest) {
  EngineConfig c = standard_config();
  c.safety.phase_rest = 6min;  // evening has 5 min rests
  only_problem(c, {"routines", 0, "phases"});
  c.safety.phase_rest = 5min;
  expect_valid(c);
}

// --- safety settings ----------------------------------------------------------------

TEST(Validate, ConfirmTimeoutRange) {
  EngineConfig c = standard_config();
  c.safety.lease = 10min;  // room for a long confirm_timeout
  c.safety.confirm_timeout = 60s;
  expect_valid(c);
  c.safety.confirm_timeout = 60s + 1ms;
  auto p = only_problem(c, {"safety", 0, "confirm_timeout"});
  EXPECT_EQ(p.message, "must be between 1 s and 1 min, got 1 min 1 s");
  c.safety.confirm_timeout = 1s;
  c.safety.lease_margin = 1s;
  expect_valid(c);
  c.safety.confirm_timeout = 1s - 1ms;
  c.safety.lease_margin = 1s - 1ms;
  auto problems = validate(c);
  // A margin under 1 s is also too small: both are reported.
  EXPECT_EQ(where(problems),
            (std::vector<Where>{{"safety", 0, "confirm_timeout"}, {"safety", 0, "lease_margin"}}))
      << all(problems);
}

TEST(Validate, LeaseRange) {
  EngineConfig c = standard_config();
  c.safety.lease = 10min + 1s;
  only_problem(c, {"safety", 0, "lease"});
  // 10 s is the shortest lease, given a re-arm and confirms short enough to fit in it.
  c.safety.lease = 10s;
  c.safety.lease_rearm = 1s;
  c.safety.confirm_timeout = 1s;
  c.safety.lease_margin = 1s;
  expect_valid(c);
  c.safety.lease = 10s - 1ms;
  only_problem(c, {"safety", 0, "lease"});
}

TEST(Validate, LeaseRearmRange) {
  EngineConfig c = standard_config();
  c.safety.lease_rearm = 1s - 1ms;
  only_problem(c, {"safety", 0, "lease_rearm"});
  c.safety.lease_rearm = 1s;
  expect_valid(c);
}

TEST(Validate, LeaseRearmPlusTwoConfirmsMustFitInTheLease) {
  EngineConfig c = standard_config();
  // 100 s + 2 × 10 s = 120 s = lease: fits exactly.
  c.safety.lease_rearm = 100s;
  expect_valid(c);
  c.safety.lease_rearm = 100s + 1ms;
  auto p = only_problem(c, {"safety", 0, "lease_rearm"});
  EXPECT_NE(p.message.find("must fit inside the lease (2 min)"), std::string::npos) << p.message;
  // The same rule, reached by a longer confirm_timeout.
  c = standard_config();
  c.safety.confirm_timeout = 30s + 1ms;  // 60 s + 60.002 s > 120 s
  only_problem(c, {"safety", 0, "lease_rearm"});
  // ... or by a shorter lease.
  c = standard_config();
  c.safety.lease = 80s - 1ms;
  only_problem(c, {"safety", 0, "lease_rearm"});
}

TEST(Validate, LeaseMarginMustNotExceedConfirmTimeout) {
  EngineConfig c = standard_config();
  c.safety.lease_margin = 10s;  // == confirm_timeout
  expect_valid(c);
  c.safety.lease_margin = 10s + 1ms;
  auto p = only_problem(c, {"safety", 0, "lease_margin"});
  EXPECT_EQ(p.message.rfind("must be between 1 s and 10 s", 0), 0u) << p.message;
  c.safety.lease_margin = 1s - 1ms;
  only_problem(c, {"safety", 0, "lease_margin"});
}

TEST(Validate, PhaseRestRange) {
  EngineConfig c = standard_config();
  c.safety.phase_rest = 2min - 1s;
  auto p = only_problem(c, {"safety", 0, "phase_rest"});
  EXPECT_EQ(p.message, "must be between 2 min and 4 h, got 1 min 59 s");
  c.safety.phase_rest = 2min;
  expect_valid(c);
}

TEST(Validate, PhaseRestAboveFourHoursIsRefused) {
  EngineConfig c = standard_config();
  c.routines = {{"heat_only", {{PhaseKind::heat, 20min}}}};  // no rests to fall short
  c.safety.phase_rest = 4h + 1s;
  only_problem(c, {"safety", 0, "phase_rest"});
}

TEST(Validate, MaxPauseRange) {
  EngineConfig c = standard_config();
  c.safety.max_pause = 1min - 1ms;
  only_problem(c, {"safety", 0, "max_pause"});
  c.safety.max_pause = 4h + 1ms;
  only_problem(c, {"safety", 0, "max_pause"});
  c.safety.max_pause = 4h;
  expect_valid(c);
}

TEST(Validate, BrokerGraceRange) {
  EngineConfig c = standard_config();
  c.safety.broker_grace = Duration::zero();
  only_problem(c, {"safety", 0, "broker_grace"});
  c.safety.broker_grace = 10min + 1ms;
  only_problem(c, {"safety", 0, "broker_grace"});
  c.safety.broker_grace = 10min;
  expect_valid(c);
}

TEST(Validate, StateRefreshRange) {
  EngineConfig c = standard_config();
  c.safety.state_refresh = 1s - 1ms;
  only_problem(c, {"safety", 0, "state_refresh"});
  c.safety.state_refresh = 10min + 1ms;
  only_problem(c, {"safety", 0, "state_refresh"});
}

// --- several at once, and how they are described ------------------------------------

TEST(Validate, ReportsEveryProblemAtOnce) {
  EngineConfig c = standard_config();
  c.safety.max_pause = 5h;
  c.devices[0].sensor = SensorSpec{};                                    // no max_c
  c.devices.push_back({"spare", DeviceRole::cold, true, std::nullopt});  // unused
  c.zones[1].min_rest = 5min;
  c.zones[1].daily_cap = 9h;
  c.routines[3].phases[0].length = 30min;
  c.routines.push_back({"bad id", {{PhaseKind::rest, 1min}}});
  auto problems = validate(c);
  EXPECT_EQ(sorted(where(problems)), sorted({
                                         {"safety", 0, "max_pause"},
                                         {"devices", 0, "sensor.max_c"},
                                         {"zones", 1, "min_rest"},
                                         {"zones", 1, "daily_cap"},
                                         {"devices", 3, ""},
                                         {"routines", 3, "phases[0]"},
                                         {"routines", 4, "id"},
                                         {"routines", 4, "phases"},
                                     }))
      << all(problems);
}

TEST(Describe, NamesSectionIndexAndField) {
  EXPECT_EQ(describe({"zones", 1, "min_rest", "too short"}), "zones[1].min_rest: too short");
  EXPECT_EQ(describe({"safety", 0, "lease", "too long"}), "safety.lease: too long");
  EXPECT_EQ(describe({"devices", 3, "", "unused"}), "devices[3]: unused");
  EXPECT_EQ(describe({"routines", 0, "phases[2]", "x"}), "routines[0].phases[2]: x");
}

TEST(Describe, RealProblemReadsWell) {
  EngineConfig c = standard_config();
  c.zones[1].min_rest = 10min;
  auto problems = validate(c);
  ASSERT_EQ(problems.size(), 1u) << all(problems);
  EXPECT_EQ(describe(problems[0]),
            "zones[1].min_rest: must be between 20 min and 24 h, got 10 min");
}

}  // namespace
}  // namespace padtimer::testing
