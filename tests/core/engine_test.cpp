// Engine behaviour under simulated time: each safety rule, one test group each.
#include "core/engine.h"

#include <gtest/gtest.h>

#include "world.h"

namespace padtimer::testing {
namespace {

TEST(EngineStartup, FirstCommandsDriveEveryDeviceOff) {
  World w(standard_config(), {}, /*connect=*/false);
  auto outputs = w.since<SetOutput>(0);
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<SetOutput>(w.log().front()));
  for (const auto& o : outputs) {
    EXPECT_EQ(o.output, Output::off);
    EXPECT_FALSE(o.auto_off.has_value());
  }
}

TEST(EngineRoutine, EveningRunsEveryPhaseForItsExactLength) {
  World w;
  std::size_t from = w.mark();
  MonoTime t0 = w.now().mono;
  Reply r = w.request(Action::start, "lower_back", "evening");
  ASSERT_TRUE(r.ok) << r.message;
  w.advance(2h);
  auto heat = w.outputs_for("lb_heat", from);
  ASSERT_FALSE(heat.empty());
  EXPECT_EQ(heat.front().output, Output::heat);
  EXPECT_EQ(w.events(EventKind::phase_ended, from).size(), 5u);
  auto ended = w.events(EventKind::session_ended, from);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended.front().outcome, SessionOutcome::completed);
  EXPECT_EQ(w.engine().exposure("lower_back", local_day(w.now().wall, w.now().utc_offset)), 50min);
  EXPECT_EQ(w.engine().commanded("lb_heat"), Output::off);
  EXPECT_EQ(w.engine().commanded("lb_cold"), Output::off);
  (void)t0;
}

}  // namespace
}  // namespace padtimer::testing
