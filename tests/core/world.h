// A small simulated world around the engine for tests: a fake clock that steps from one
// deadline to the next, and devices that answer every command with their new state
// and every state query (unless a test silences them). Nothing sleeps; a two-hour routine runs in
// microseconds.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/engine.h"

namespace padtimer::testing {

using namespace padtimer::core;
using namespace std::chrono_literals;

// 2026-11-24 12:00:00 UTC: a fixed, readable start for wall-clock assertions.
inline WallTime test_epoch() {
  return WallTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}.time_since_epoch() +
                  std::chrono::hours{12}};
}

// Two zones: lower_back with a heat plug and a cold plug (both with auto-off), shoulder
// with one dual pad without auto-off. No sensors: tests that need one add it.
inline EngineConfig standard_config() {
  EngineConfig c;
  c.devices = {
      {"lb_heat", DeviceRole::heat, true, std::nullopt},
      {"lb_cold", DeviceRole::cold, true, std::nullopt},
      {"sh_pad", DeviceRole::dual, false, std::nullopt},
  };
  c.zones = {
      {"lower_back", "lb_heat", "lb_cold", 60min, 2h},
      {"shoulder", "sh_pad", "sh_pad", 30min, 1h},
  };
  c.routines = {
      {"evening",
       {{PhaseKind::heat, 20min},
        {PhaseKind::rest, 5min},
        {PhaseKind::cold, 15min},
        {PhaseKind::rest, 5min},
        {PhaseKind::heat, 15min}}},
      {"heat_only", {{PhaseKind::heat, 20min}}},
      {"cold_only", {{PhaseKind::cold, 10min}}},
      {"short_heat", {{PhaseKind::heat, 15min}}},
  };
  return c;
}

// standard_config() plus "hrc": heat 15 min, rest 2 min, cold 10 min, with phase_rest 2 min
// and a broker_grace (10 min) long enough to ride out an outage across the phase change.
inline EngineConfig heat_rest_cold_config() {
  EngineConfig c = standard_config();
  c.safety.broker_grace = 10min;
  c.safety.phase_rest = 2min;
  c.routines.push_back(
      {"hrc", {{PhaseKind::heat, 15min}, {PhaseKind::rest, 2min}, {PhaseKind::cold, 10min}}});
  return c;
}

inline DeviceSpec& device_in(EngineConfig& c, const std::string& id) {
  for (auto& d : c.devices) {
    if (d.id == id) return d;
  }
  throw std::out_of_range(id);
}

class World {
 public:
  // `start`: the clocks at construction (another life of the engine); by default 1 h of
  // monotonic time and test_epoch().
  explicit World(EngineConfig config = standard_config(), std::vector<ZoneHistory> history = {},
                 bool connect = true, std::optional<Now> start = std::nullopt,
                 std::set<std::string> silent_from_start = {})
      : silent(std::move(silent_from_start)),
        now_(start.value_or(Now{MonoTime{} + 1h, test_epoch(), std::chrono::minutes{0}})),
        engine_(std::move(config), history, now_) {
    collect();
    if (connect) send(BrokerConnection{true});
  }

  Engine& engine() { return engine_; }
  const Engine& engine() const { return engine_; }
  const Now& now() const { return now_; }
  // Every command the engine has produced, in order.
  const std::vector<Command>& log() const { return log_; }
  std::size_t mark() const { return log_.size(); }

  // Devices in this set receive commands but never report back.
  std::set<std::string> silent;

  void send(const Event& event) {
    engine_.handle(event, now_);
    collect();
  }

  Reply request(Action action, const std::string& zone, const std::string& routine = "",
                Duration extend_by = {}) {
    std::size_t from = mark();
    send(
        Request{"r" + std::to_string(++request_counter_), action, zone, routine, extend_by, false});
    std::vector<Reply> replies = since<Reply>(from);
    if (replies.size() != 1) throw std::logic_error("expected exactly one reply");
    return replies.front();
  }

  // Moves time forward by `d`, waking the engine at every deadline on the way.
  void advance(Duration d) { advance_to(now_.mono + d); }

  void advance_to(MonoTime target) {
    while (true) {
      auto deadline = engine_.next_deadline();
      if (!deadline || *deadline > target) break;
      step_to(std::max(*deadline, now_.mono));
      engine_.handle_timeout(now_);
      collect();
    }
    step_to(target);
    engine_.handle_timeout(now_);
    collect();
  }

  // Jumps only the wall clock (NTP, a Pi without RTC); the monotonic clock does not move.
  void jump_wall(Duration d) { now_.wall += d; }

  // Time passes with the engine asleep (a suspend: CLOCK_BOOTTIME runs on, the timers do
  // not), then it wakes once, late for every deadline in between.
  void sleep_through(Duration d) {
    step_to(now_.mono + d);
    engine_.handle_timeout(now_);
    collect();
  }

  // Commands of type T since log position `from`.
  template <typename T>
  std::vector<T> since(std::size_t from) const {
    std::vector<T> out;
    for (std::size_t i = from; i < log_.size(); ++i) {
      if (auto* c = std::get_if<T>(&log_[i])) out.push_back(*c);
    }
    return out;
  }

  std::vector<SetOutput> outputs_for(const std::string& device, std::size_t from = 0) const {
    std::vector<SetOutput> out;
    for (const auto& c : since<SetOutput>(from)) {
      if (c.device == device) out.push_back(c);
    }
    return out;
  }

  std::vector<ZoneEvent> events(EventKind kind, std::size_t from = 0) const {
    std::vector<ZoneEvent> out;
    for (const auto& e : since<PublishEvent>(from)) {
      if (e.event.kind == kind) out.push_back(e.event);
    }
    return out;
  }

  // Physical state of each device as the simulated devices see it.
  Output physical(const std::string& device) const {
    auto it = physical_.find(device);
    return it == physical_.end() ? Output::off : it->second;
  }

 private:
  void step_to(MonoTime t) {
    Duration d = t - now_.mono;
    now_.mono = t;
    now_.wall += d;
  }

  // Records the engine's commands and lets non-silent devices answer them at once.
  void collect() {
    for (int round = 0; round < 100; ++round) {
      std::vector<Command> batch = engine_.take_commands();
      if (batch.empty()) return;
      std::vector<DeviceReport> answers;
      for (auto& c : batch) {
        if (auto* set = std::get_if<SetOutput>(&c)) {
          if (!silent.contains(set->device) && engine_.broker_connected()) {
            physical_[set->device] = set->output;
            answers.push_back({set->device, set->output});
          }
        }
        // A state query is answered with the device's physical state.
        if (auto* query = std::get_if<QueryState>(&c)) {
          if (!silent.contains(query->device) && engine_.broker_connected()) {
            answers.push_back({query->device, physical(query->device)});
          }
        }
        log_.push_back(std::move(c));
      }
      for (const auto& a : answers)
        engine_.handle(a, now_);
    }
    throw std::logic_error("engine and devices did not settle");
  }

  Now now_;
  Engine engine_;
  std::vector<Command> log_;
  std::map<std::string, Output> physical_;
  int request_counter_ = 0;
};

}  // namespace padtimer::testing
