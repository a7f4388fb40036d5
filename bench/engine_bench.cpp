// The engine alone (Google Benchmark): events per second through Engine::handle and the
// cost of handle_timeout / next_deadline, on an engine with many zones in session.
//
// Every zone has a heat and a cold device (with sensors: max 45 °C, min 5 °C) and runs
// heat 15m, rest 5m, cold 10m. The micro benchmarks hold the clock still (no deadline
// comes due while they run), so they measure the cost of one event on a running engine;
// routine_to_completion steps simulated time through whole routines, devices confirming
// every command at once.
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/engine.h"

namespace {

using namespace padtimer::core;
using namespace std::chrono_literals;

std::string heat_id(int z) {
  return "h" + std::to_string(z);
}
std::string cold_id(int z) {
  return "c" + std::to_string(z);
}
std::string zone_id(int z) {
  return "z" + std::to_string(z);
}

EngineConfig make_config(int zones, bool sensors = true) {
  EngineConfig c;
  for (int z = 0; z < zones; ++z) {
    SensorSpec hot;
    hot.max_c = 45.0;
    SensorSpec cold;
    cold.min_c = 5.0;
    c.devices.push_back({heat_id(z), DeviceRole::heat, true,
                         sensors ? std::optional<SensorSpec>(hot) : std::nullopt});
    c.devices.push_back({cold_id(z), DeviceRole::cold, true,
                         sensors ? std::optional<SensorSpec>(cold) : std::nullopt});
    c.zones.push_back({zone_id(z), heat_id(z), cold_id(z), 20min, 8h});
  }
  c.routines.push_back(
      {"bench", {{PhaseKind::heat, 15min}, {PhaseKind::rest, 5min}, {PhaseKind::cold, 10min}}});
  return c;
}

Now start_time() {
  Now now;
  now.mono = MonoTime{1h};
  now.wall = WallTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}.time_since_epoch() +
                      std::chrono::hours{12}};
  return now;
}

// Every device confirms what it was last told, at `now`.
int confirm_all(Engine& engine, const Now& now) {
  int events = 0;
  for (bool again = true; again;) {
    again = false;
    for (const Command& c : engine.take_commands()) {
      if (const auto* set = std::get_if<SetOutput>(&c)) {
        engine.handle(DeviceReport{set->device, set->output}, now);
        ++events;
        again = true;
      }
    }
  }
  return events;
}

// An engine with every zone idle and every device confirmed OFF.
std::unique_ptr<Engine> idle_engine(int zones, const Now& now, bool sensors = true) {
  auto engine =
      std::make_unique<Engine>(make_config(zones, sensors), std::vector<ZoneHistory>{}, now);
  engine->handle(BrokerConnection{true}, now);
  confirm_all(*engine, now);
  return engine;
}

// Every zone in its heat phase, the heat device confirmed ON and reading 38 °C.
std::unique_ptr<Engine> running_engine(int zones, const Now& now) {
  auto engine = idle_engine(zones, now);
  for (int z = 0; z < zones; ++z) {
    engine->handle(Request{"r" + std::to_string(z), Action::start, zone_id(z), "bench", {}, false},
                   now);
    engine->handle(TemperatureReading{heat_id(z), 38.0}, now);
    engine->handle(TemperatureReading{cold_id(z), 20.0}, now);
  }
  confirm_all(*engine, now);
  engine->take_commands();
  return engine;
}

// A device confirming again the state it already reported (Tasmota's STATE telemetry).
void device_confirmation(benchmark::State& state) {
  int zones = static_cast<int>(state.range(0));
  Now now = start_time();
  auto engine = running_engine(zones, now);
  std::vector<DeviceReport> reports;
  for (int z = 0; z < zones; ++z)
    reports.push_back({heat_id(z), Output::heat});
  std::size_t i = 0;
  for (auto _ : state) {
    engine->handle(reports[i], now);
    if (++i == reports.size()) i = 0;
  }
  benchmark::DoNotOptimize(engine->take_commands());
  state.SetItemsProcessed(state.iterations());
}

// A temperature reading that moves less than half a degree (no state is re-published).
void temperature_reading(benchmark::State& state) {
  int zones = static_cast<int>(state.range(0));
  Now now = start_time();
  auto engine = running_engine(zones, now);
  std::vector<TemperatureReading> readings;
  for (int z = 0; z < zones; ++z) {
    readings.push_back({heat_id(z), 38.2});
    readings.push_back({heat_id(z), 38.0});
  }
  std::size_t i = 0;
  for (auto _ : state) {
    engine->handle(readings[i], now);
    if (++i == readings.size()) i = 0;
  }
  benchmark::DoNotOptimize(engine->take_commands());
  state.SetItemsProcessed(state.iterations());
}

// The timer fired but nothing is due: the cost of looking.
void handle_timeout_nothing_due(benchmark::State& state) {
  int zones = static_cast<int>(state.range(0));
  Now now = start_time();
  auto engine = running_engine(zones, now);
  for (auto _ : state)
    engine->handle_timeout(now);
  benchmark::DoNotOptimize(engine->take_commands());
  state.SetItemsProcessed(state.iterations());
}

// What the host asks after every batch of work to re-arm its one timer.
void next_deadline(benchmark::State& state) {
  int zones = static_cast<int>(state.range(0));
  Now now = start_time();
  auto engine = running_engine(zones, now);
  for (auto _ : state)
    benchmark::DoNotOptimize(engine->next_deadline());
  state.SetItemsProcessed(state.iterations());
}

// Whole routines in simulated time: zones start spread over the heat phase's 15 minutes,
// every deadline is handled when due, every command confirmed at once. Items are the
// events handled (starts, confirmations, timeouts). The devices have no sensors here (a
// sensor that never reports would latch telemetry_stale).
void routine_to_completion(benchmark::State& state) {
  int zones = static_cast<int>(state.range(0));
  Now now = start_time();
  auto engine = idle_engine(zones, now, false);
  std::int64_t events = 0;
  for (auto _ : state) {
    // A new day for each round, so rest intervals and caps never refuse a start.
    now.mono += 24h;
    now.wall += 24h;
    Duration spacing = Duration{15min} / zones;
    MonoTime first = now.mono;
    int started = 0;
    while (true) {
      auto deadline = engine->next_deadline();
      MonoTime next_start = first + spacing * started;
      if (started < zones && (!deadline || next_start <= *deadline)) {
        now.wall += next_start - now.mono;
        now.mono = next_start;
        engine->handle(Request{"r", Action::start, zone_id(started), "bench", {}, false}, now);
        ++started;
      } else if (deadline) {
        now.wall += *deadline - now.mono;
        now.mono = *deadline;
        engine->handle_timeout(now);
      } else {
        break;
      }
      ++events;
      events += confirm_all(*engine, now);
    }
  }
  state.SetItemsProcessed(events);
}

BENCHMARK(device_confirmation)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(temperature_reading)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(handle_timeout_nothing_due)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(next_deadline)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(routine_to_completion)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
