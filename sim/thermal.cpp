#include "sim/thermal.h"

#include <algorithm>

namespace padtimer::sim {

Thermal::Thermal(const ThermalParams& params, double initial, Time start)
    : params_(params), base_(initial), since_(start) {}

double Thermal::target() const {
  double scale = static_cast<double>(level_) / kMaxLevel;
  switch (output_) {
    case Output::heat: return params_.room + (params_.heat_target - params_.room) * scale;
    case Output::cold: return params_.room + (params_.cold_target - params_.room) * scale;
    case Output::off: return params_.room;
  }
  return params_.room;
}

double Thermal::rate() const {
  switch (output_) {
    case Output::heat: return params_.heat_rate;
    case Output::cold: return params_.cold_rate;
    case Output::off: return params_.drift_rate;
  }
  return params_.drift_rate;
}

double Thermal::temperature(Time now) const {
  double elapsed = std::max(0.0, Seconds(now - since_).count());
  double step = rate() * elapsed;
  double goal = target();
  if (base_ < goal) return std::min(goal, base_ + step);
  return std::max(goal, base_ - step);
}

void Thermal::set(Output output, int level, Time at) {
  at = std::max(at, since_);
  base_ = temperature(at);
  since_ = at;
  output_ = output;
  level_ = std::clamp(level, 1, kMaxLevel);
}

}  // namespace padtimer::sim
