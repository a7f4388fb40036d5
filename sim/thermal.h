// A pad's temperature as a function of time: it moves in a straight line toward the target
// of its current output (heat target while heating, cold target while cooling, room
// temperature when off) at that output's rate, and stays there once reached.
//
// The temperature is computed from the elapsed time, never accumulated per tick, so the
// answer does not depend on how often anyone asks.
#pragma once

#include "sim/types.h"

namespace padtimer::sim {

struct ThermalParams {
  double room = 22.0;         // °C, where an idle pad settles
  double heat_target = 41.0;  // °C, where a heating pad settles (at level 10)
  double cold_target = 8.0;   // °C, where a cooling pack settles (at level 10)
  double heat_rate = 0.5;     // °C per second while heating
  double cold_rate = 0.5;     // °C per second while cooling
  double drift_rate = 0.1;    // °C per second back toward room temperature when off
};

class Thermal {
 public:
  static constexpr int kMaxLevel = 10;

  Thermal(const ThermalParams& params, double initial, Time start);

  // The temperature at `now` (times before the last change count as the last change).
  double temperature(Time now) const;

  // Changes the output (and the level 1..10, which scales how far from room temperature
  // the target lies) from `at` on. Times before the last change are treated as it.
  void set(Output output, int level, Time at);

  Output output() const { return output_; }
  int level() const { return level_; }
  // Where the temperature is heading under the current output and level.
  double target() const;
  const ThermalParams& params() const { return params_; }

 private:
  double rate() const;

  ThermalParams params_;
  double base_;  // temperature at since_
  Time since_;
  Output output_ = Output::off;
  int level_ = kMaxLevel;
};

}  // namespace padtimer::sim
