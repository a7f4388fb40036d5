// Randomized property test of the engine's safety invariants.
//
// Each sequence builds a small world — zones, simulated devices with a thermal model and
// auto-off leases, a lossy but ordered MQTT channel, a broker that can vanish — and drives
// the engine through random steps: requests, confirmations and lost confirmations,
// telemetry (normal, hot, cold, stale, stuck), devices going offline and back, devices
// dropping off the broker unannounced and reconnecting (a lost will), broker outages, buttons
// pressed on devices, garbage reports, and wall-clock jumps. After every step the invariants below
// are checked against the harness's own bookkeeping (computed from the commands the engine emitted
// and the simulated devices' physical state, not from the engine's state).
//
// And across the seams of a life: the engine is rebuilt mid-sequence from what the state
// database would hold (the PersistSafety records it emitted, the daemon's heartbeat, through
// core::history_from, as the store does) — after a clean stop, after kill -9 at any point of
// a burst of commands (what follows the kill never happens), on the same clock or after a
// reboot, with the wall clock wrong at start-up and corrected later; reloads with the same
// and a changed configuration; devices rebooting OFF (online and state in both orders, with
// and without a will); retained replays; wall-clock jumps of hours to weeks both ways; suspends
// (the monotonic clock runs on, the engine sleeps through its deadlines).
//
// Invariants, checked across every seam:
//   I1 no device is physically ON longer, in one stretch, than its phase maximum plus the
//      confirmation timeout (devices with auto-off; without auto-off an unreachable device
//      cannot be switched off by anyone, so for those the commanded state is checked);
//   I2 the commanded ON time within one phase never exceeds that phase's maximum;
//   I3 heat and cold of a zone are never both ON, commanded or physically;
//   I4 no session starts inside its zone's rest interval, counted from the last moment a
//      device of the zone was physically ON (by the monotonic clock when no reboot came
//      between; across a reboot only the wall clock is known, so by both);
//   I5 no session starts when its therapy time would exceed the daily cap, counting the
//      time the zone's devices were physically ON that local day, and no local day's
//      commanded exposure ever exceeds it (a session counts toward the day it started on);
//   I6 a faulted zone has every device commanded OFF and gets no ON command until reset,
//      across restarts and reloads;
//   I7 every request gets exactly one reply;
//   I8 a pad that switched itself off by its lease is never switched back on by padtimer
//      within the same phase unless the user resumes (a re-send that arrives after the
//      lease ran out would do just that). The devices here tell answers from the reports
//      they send by themselves, as the Tasmota and Shelly RPC drivers do; see DeviceReport.
//      A device that rebooted OFF counts as switched off by itself too;
//   I9 no ON command to a zone without a running session (nothing resumes after a restart);
//   I10 between two therapy phases of a session the zone's devices are physically OFF for at
//      least phase_rest.
//
// Environment: PADTIMER_PROPERTY_SEED (a number, or "random") and
// PADTIMER_PROPERTY_SEQUENCES override the defaults. A failure prints the seed and the
// whole step-by-step trace of the failing sequence, replayed with tracing on.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/engine.h"
#include "core/history.h"
#include "core/time_format.h"
#include "world.h"

namespace padtimer::testing {
namespace {

constexpr Duration kTelemetryPeriod = 30s;
constexpr Duration kMaxLatency = 3s;
constexpr double kRoomC = 22.0;
// The daemon saves the zones' records and its sign of life this often; after a crash a pad
// commanded ON may run on this long past the last one (heartbeat + lease + delivery).
constexpr Duration kHeartbeat = 30s;
constexpr Duration kRunOn = kHeartbeat + 120s + 10s;

enum class SensorMode { normal, hot, cold, stale, stuck };

const char* name(SensorMode m) {
  switch (m) {
    case SensorMode::normal: return "normal";
    case SensorMode::hot: return "hot";
    case SensorMode::cold: return "cold";
    case SensorMode::stale: return "stale";
    case SensorMode::stuck: return "stuck";
  }
  return "?";
}

// A reload may bring a changed configuration: the same devices, other limits and routines.
EngineConfig changed_config(EngineConfig c) {
  for (auto& z : c.zones) {
    z.min_rest += 10min;
    z.daily_cap -= 5min;
  }
  c.routines.pop_back();
  c.routines.push_back({"short_cold", {{PhaseKind::cold, 12min}}});
  return c;
}

EngineConfig property_config() {
  EngineConfig c;
  c.safety.phase_rest = 2min;
  SensorSpec heat_sensor;
  heat_sensor.max_c = 43.0;
  heat_sensor.telemetry_timeout = 2min;
  heat_sensor.heat_up = ResponseWatch{2.0, 3min};
  SensorSpec cold_sensor;
  cold_sensor.min_c = 5.0;
  cold_sensor.telemetry_timeout = 2min;
  cold_sensor.cool_down = ResponseWatch{2.0, 3min};
  c.devices = {
      {"lb_heat", DeviceRole::heat, true, heat_sensor},
      {"lb_cold", DeviceRole::cold, true, cold_sensor},
      {"sh_pad", DeviceRole::dual, false, std::nullopt},
      {"neck_heat", DeviceRole::heat, true, std::nullopt},
  };
  c.zones = {
      {"lower_back", "lb_heat", "lb_cold", 20min, 1h},
      {"shoulder", "sh_pad", "sh_pad", 30min, 45min},
      {"neck", "neck_heat", "", 20min, 40min},
  };
  c.routines = {
      {"evening",
       {{PhaseKind::heat, 20min},
        {PhaseKind::rest, 5min},
        {PhaseKind::cold, 15min},
        {PhaseKind::rest, 2min},
        {PhaseKind::heat, 15min}}},
      {"heat_only", {{PhaseKind::heat, 20min}}},
      {"cold_only", {{PhaseKind::cold, 10min}}},
      {"contrast", {{PhaseKind::cold, 10min}, {PhaseKind::rest, 3min}, {PhaseKind::heat, 15min}}},
  };
  return c;
}

Duration therapy_total(const Routine& r) {
  Duration t{};
  for (const auto& p : r.phases) {
    if (p.kind != PhaseKind::rest) t += p.length;
  }
  return t;
}

std::string fmt_time(MonoTime t) {
  auto ms = t.time_since_epoch().count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "t=%" PRId64 ".%03" PRId64, static_cast<int64_t>(ms / 1000),
                static_cast<int64_t>(ms % 1000));
  return buf;
}

struct Message {
  MonoTime at;
  Event event;  // to the engine: DeviceReport, TemperatureReading or DeviceAvailability
};

struct SimDevice {
  const DeviceSpec* spec = nullptr;
  std::size_t zone = 0;
  // As commanded by the engine (harness bookkeeping from SetOutput).
  Output commanded = Output::off;
  MonoTime commanded_on_since{};
  // As the simulated device really is.
  Output physical = Output::off;
  MonoTime physical_on_since{};
  std::optional<MonoTime> lease_expiry;
  // Switched itself off (its lease, a reboot) while the engine's last word was ON; see I8.
  // Off when the engine had commanded OFF is what it wanted, even if that OFF was lost.
  bool lapsed = false;
  bool online = true;
  // Dropped off the broker without the engine hearing of it (no will) until relink_at.
  std::optional<MonoTime> relink_at;
  double temperature = kRoomC;
  SensorMode sensor = SensorMode::normal;
  MonoTime next_telemetry{};
  // Engine -> device: a command, or (empty) a state query; delivered `at`, published `sent`.
  struct Inbound {
    MonoTime at;
    MonoTime sent;
    std::optional<SetOutput> set;
    int phase = -1;  // the zone's phase when it was published (I10)
  };
  std::deque<Inbound> inbound;
  // A reboot, and the moment the engine first heard from the device after it (I8: an ON
  // published before then was the engine's best knowledge, a renewal racing the reboot).
  std::optional<MonoTime> rebooted_at;
  std::optional<MonoTime> heard_after_reboot;
  std::deque<Message> outbound;      // device -> engine
  Output retained = Output::off;     // the state the broker keeps for it (replayed on subscribe)
  bool state_before_online = false;  // on relinking, its state comes before `online`
};

// What the sequences exercised, summed over a run: shows the test reaches the paths it
// claims to (sessions completing, each fault reason, each refusal).
struct Coverage {
  std::map<std::string, long> counts;
  void add(const std::string& key) { ++counts[key]; }
  std::string summary() const {
    std::string out;
    for (const auto& [k, v] : counts)
      out += "  " + k + ": " + std::to_string(v) + "\n";
    return out;
  }
};

struct SimZone {
  const ZoneSpec* spec = nullptr;
  std::vector<std::size_t> devices;
  bool session = false;
  bool faulted = false;
  bool in_therapy_phase = false;
  PhaseKind phase_kind = PhaseKind::rest;
  Duration phase_on{};                    // commanded ON time in the current phase
  LocalDay session_day = 0;               // a session counts toward the local day it started on
  std::map<LocalDay, Duration> exposure;  // commanded ON time
  std::map<LocalDay, Duration> physical_exposure;  // physically ON time
  // The last moment a device of the zone was physically ON (now, while one is), and the
  // boot it was in: I4 by the monotonic clock within a boot, by both clocks across one.
  std::optional<MonoTime> last_on;
  WallTime last_on_wall{};
  int last_on_boot = 0;
  // I10: the phase of the last OFF->ON of a device in this session.
  std::optional<int> on_phase;
  int phase_index = -1;
};

class Sequence {
 public:
  Sequence(std::uint64_t seed, bool trace, Coverage* coverage = nullptr)
      : coverage_(coverage),
        rng_(seed),
        trace_(trace),
        configs_{property_config(), changed_config(property_config())},
        config_(configs_[0]),
        now_{MonoTime{} + 1h, test_epoch(), std::chrono::minutes{0}},
        engine_(std::make_unique<Engine>(config_, std::vector<ZoneHistory>{}, now_)) {
    next_heartbeat_ = now_.mono + kHeartbeat;
    alive_at_ = now_.wall;
    for (std::size_t d = 0; d < config_.devices.size(); ++d) {
      SimDevice dev;
      dev.spec = &config_.devices[d];
      dev.next_telemetry = now_.mono + kTelemetryPeriod;
      devices_.push_back(dev);
      device_index_[dev.spec->id] = d;
    }
    for (std::size_t z = 0; z < config_.zones.size(); ++z) {
      SimZone zone;
      zone.spec = &config_.zones[z];
      for (const auto* id : {&zone.spec->heat_device, &zone.spec->cold_device}) {
        if (id->empty()) continue;
        std::size_t d = device_index_.at(*id);
        devices_[d].zone = z;
        if (std::find(zone.devices.begin(), zone.devices.end(), d) == zone.devices.end()) {
          zone.devices.push_back(d);
        }
      }
      zones_.push_back(zone);
      zone_index_[zone.spec->id] = z;
    }
    last_accrual_ = now_.mono;
    drain();
    call(BrokerConnection{true});
  }

  // Runs `steps` random steps; returns an empty string or the first violation.
  std::string run(int steps) {
    for (int i = 0; i < steps && failure_.empty(); ++i) {
      step(i);
      check_state();
    }
    return failure_;
  }

  const std::string& trace() const { return log_; }

 private:
  // ---- Random helpers ----------------------------------------------------------------
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  Duration pick_duration(Duration lo, Duration hi) {
    return Duration{std::uniform_int_distribution<Duration::rep>(lo.count(), hi.count())(rng_)};
  }

  void note(const std::string& line) {
    if (trace_) log_ += fmt_time(now_.mono) + "  " + line + "\n";
  }

  void fail(const std::string& what) {
    if (failure_.empty()) failure_ = fmt_time(now_.mono) + ": " + what;
    note("VIOLATION: " + what);
  }

  // ---- The step ----------------------------------------------------------------------
  void step(int index) {
    int roll = pick(0, 99);
    if (trace_) note("-- step " + std::to_string(index));
    if (roll < 12) {
      advance(pick_duration(0s, 15s));
    } else if (roll < 27) {
      advance(pick_duration(15s, 5min));
    } else if (roll < 42) {
      auto deadline = engine_->next_deadline();
      advance(deadline && *deadline > now_.mono ? *deadline - now_.mono : Duration{1s});
    } else if (roll < 50) {
      advance(pick_duration(5min, 40min));
    } else if (roll < 75) {
      random_request();
    } else if (roll < 77) {
      toggle_device_online();
    } else if (roll < 79) {
      drop_device_link();
    } else if (roll < 82) {
      toggle_broker();
    } else if (roll < 87) {
      change_sensor_mode();
    } else if (roll < 90) {
      press_device_button();
    } else if (roll < 92) {
      garbage_report();
    } else if (roll < 94) {
      jump_wall_clock();
    } else if (roll < 95) {
      duplicate_report();
    } else if (roll < 97) {
      restart();
    } else if (roll < 98) {
      reload();
    } else if (roll < 99) {
      reboot_device();
    } else {
      suspend(chance(0.5) ? pick_duration(5s, 90s) : pick_duration(90s, 2h));
    }
  }

  void random_request() {
    if (!alive()) return;
    static const std::vector<Action> actions = {
        Action::start, Action::start, Action::start,  Action::stop,  Action::pause, Action::resume,
        Action::skip,  Action::skip,  Action::extend, Action::reset, Action::reset};
    Request r;
    r.id = "req" + std::to_string(++request_counter_);
    r.action =
        chance(0.01) ? Action::stop_all : actions[pick(0, static_cast<int>(actions.size()) - 1)];
    r.zone = chance(0.02) ? "nowhere" : config_.zones[pick(0, 2)].id;
    // Half the time, ask what a user looking at the zone would ask, so paths behind a
    // state (resume after pause, reset after fault) are reached often.
    if (r.zone != "nowhere" && chance(0.5)) {
      ZoneSnapshot snap = engine_->snapshot(r.zone);
      if (snap.status == ZoneStatus::fault) r.action = Action::reset;
      if (snap.status == ZoneStatus::paused) r.action = chance(0.7) ? Action::resume : Action::skip;
      if (snap.status == ZoneStatus::idle) r.action = Action::start;
    }
    r.routine = chance(0.02) ? "no_such" : config_.routines[pick(0, 3)].id;
    r.extend_by = pick_duration(0s, 10min);
    r.scheduled = chance(0.2);
    note("request " + std::string(to_string(r.action)) + " zone=" + r.zone +
         " routine=" + r.routine + " extend=" + describe_duration(r.extend_by));
    pending_replies_[r.id] = 0;
    call(r);
    if (alive() && pending_replies_[r.id] != 1) {
      fail("request " + r.id + " got " + std::to_string(pending_replies_[r.id]) + " replies");
    }
    pending_replies_.erase(r.id);
  }

  void toggle_device_online() {
    SimDevice& d = devices_[pick(0, static_cast<int>(devices_.size()) - 1)];
    d.online = !d.online;
    note(d.spec->id + (d.online ? " comes online" : " goes offline"));
    if (!d.online) {
      d.inbound.clear();
      d.outbound.clear();
    }
    // The broker publishes the (retained) LWT / availability message; a device coming
    // online then reports its state.
    if (broker_up_) call(DeviceAvailability{d.spec->id, d.online});
    if (d.online) publish_state(d, false);
  }

  // The device loses its connection and the engine hears nothing (a broker restart loses
  // its will, or the blip is shorter than the keep-alive); back later, it says online and
  // reports its state, like a real device on connecting.
  void drop_device_link() {
    SimDevice& d = devices_[pick(0, static_cast<int>(devices_.size()) - 1)];
    if (d.relink_at) return;
    d.relink_at = now_.mono + pick_duration(1s, 4min);
    note(d.spec->id + " drops off the broker unannounced until " + fmt_time(*d.relink_at));
    count("device dropped off unannounced");
    d.inbound.clear();
  }

  void relink(SimDevice& d) {
    d.relink_at.reset();
    note(d.spec->id + " reconnects");
    announce(d);
  }

  void toggle_broker() {
    broker_up_ = !broker_up_;
    note(broker_up_ ? "broker back" : "broker down");
    broker_back_at_.reset();
    if (!broker_up_) {
      // Most outages are a broker restart: it comes back by itself soon.
      if (chance(0.7)) broker_back_at_ = now_.mono + pick_duration(1s, 3min);
      for (auto& d : devices_) {
        d.inbound.clear();
        d.outbound.clear();
      }
      call(BrokerConnection{false});
      return;
    }
    call(BrokerConnection{true});
    // On resubscribe, retained availability (and some retained states) arrive.
    replay_retained();
  }

  void change_sensor_mode() {
    std::vector<std::size_t> with_sensor;
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      if (devices_[i].spec->sensor) with_sensor.push_back(i);
    }
    SimDevice& d = devices_[with_sensor[pick(0, static_cast<int>(with_sensor.size()) - 1)]];
    d.sensor = static_cast<SensorMode>(pick(0, 4));
    note(d.spec->id + " sensor becomes " + name(d.sensor));
  }

  void press_device_button() {
    SimDevice& d = devices_[pick(0, static_cast<int>(devices_.size()) - 1)];
    if (d.physical == Output::off) return;
    note(d.spec->id + " switched off by its button");
    set_physical(d, Output::off);
    publish_state(d);
  }

  void garbage_report() {
    if (!broker_up_) return;
    SimDevice& d = devices_[pick(0, static_cast<int>(devices_.size()) - 1)];
    Output o = static_cast<Output>(pick(0, 2));
    // A device's own OFF is the only evidence padtimer can have that it is OFF: one that
    // says OFF while ON defeats any controller, so garbage here never lies that way.
    if (o == Output::off && d.physical != Output::off) o = d.physical;
    note("garbage report " + d.spec->id + " says " + std::string(to_string(o)));
    call(DeviceReport{d.spec->id, o});
  }

  void duplicate_report() {
    SimDevice& d = devices_[pick(0, static_cast<int>(devices_.size()) - 1)];
    if (!reachable(d)) return;
    // Sent by the device itself (telemetry): it may cross a command in flight.
    note("duplicate state report from " + d.spec->id);
    call(DeviceReport{d.spec->id, d.physical, false});
  }

  // NTP steps, a hand-set clock, a time zone change: hours to weeks, either way. Half the
  // time it comes back later (a clock set wrong, then corrected). Not in the minutes after a
  // reboot before NTP has set a clock that came up behind: a step then is taken for NTP's,
  // and one to a wrong time may file a pad's run-on under the wrong day (the README's
  // safety table says so).
  void jump_wall_clock() {
    if (clock_unsynced_) return;
    Duration jump = chance(0.6) ? pick_duration(1h, 30h) : pick_duration(48h, 24h * 21);
    if (chance(0.5)) jump = -jump;
    now_.wall += jump;
    now_.utc_offset = std::chrono::minutes{60 * pick(-5, 5)};
    note("wall clock jumps " + std::to_string(jump.count() / 1000) + " s, utc offset " +
         std::to_string(now_.utc_offset.count()) + " min");
    if (correct_at_) {
      // NTP is about to set the clock right: it undoes this change too.
      correct_at_->second -= jump;
    } else if (chance(0.5)) {
      correct_at_ = {now_.mono + pick_duration(10s, 20min), -jump};
    }
    if (alive()) tick();
  }

  // ---- Seams of a life ----------------------------------------------------------------
  bool alive() const { return engine_ != nullptr; }

  // The engine's clock: the monotonic clock restarts with every reboot.
  Now engine_now() const { return Now{now_.mono + mono_shift_, now_.wall, now_.utc_offset}; }

  // padtimerd stops (SIGTERM: everything OFF, confirmed or timed out), is killed (kill -9
  // in the middle of a burst of commands: what follows never happens), or the machine
  // reboots (a new monotonic clock; with a power cut, the pads lose power too; a Pi without
  // RTC starts with its clock wrong). It comes back after a while and restarts from what
  // the state database holds.
  void restart() {
    if (!alive()) return;
    int how = pick(0, 3);
    const char* names[] = {"stops cleanly", "is killed", "dies with the machine",
                           "dies in a power cut"};
    note(std::string("padtimerd ") + names[how]);
    count(std::string("restart: ") + names[how]);
    if (how == 0) {
      pending_replies_["shutdown"] = 0;
      call(Request{"shutdown", Action::stop_all, "", "", {}, false});
      pending_replies_.erase("shutdown");
      advance(2 * config_.safety.confirm_timeout + 1s);
    } else {
      // Killed during the next burst: a request or a wake, cut after a random command.
      kill_after_ = pick(0, 6);
      if (chance(0.5)) {
        random_request();
      } else {
        advance(pick_duration(0s, 2min));
      }
      kill_after_.reset();
    }
    die();
    if (how == 3) {
      for (auto& d : devices_)
        power_cut(d);
    }
    // While the machine is down no monotonic clock runs: the downtime is in no boot.
    if (how >= 2) ++boot_;
    const WallTime died_at = now_.wall;
    advance(chance(0.7) ? pick_duration(1s, 10min) : pick_duration(10min, 3h));
    if (how >= 2 && chance(0.5)) {
      // fake-hwclock: the clock restarts from the time it last saved (hourly and at
      // shutdown), and NTP corrects it a little later. Its last save is taken as older than
      // padtimer's last heartbeat: within one heartbeat of it, a restarted clock cannot be
      // told from a right one (see the README's safety table).
      const Duration behind = now_.wall - died_at + pick_duration(kHeartbeat, 1h);
      now_.wall -= behind;
      note("the clock starts " + describe_duration(behind) + " behind");
      count("restart with the clock behind");
      // NTP sets it right, with any correction that was still due before the reboot.
      const Duration due = correct_at_ ? correct_at_->second : Duration{};
      correct_at_ = {now_.mono + pick_duration(5s, 30min), behind + due};
      clock_unsynced_ = true;
    }
    if (how >= 2) {
      ++boot_;
      mono_shift_ = pick_duration(-1h, 1h) - (now_.mono - MonoTime{}) + 2h;
    }
    build_engine(config_, /*same_clock=*/how < 2);
    note("padtimerd starts");
    if (broker_up_) {
      call(BrokerConnection{true});
      replay_retained();
    }
    // Pads that lost power come back OFF and say so.
    if (how == 3) {
      for (auto& d : devices_)
        announce(d);
    }
  }

  // SIGHUP, applied while no session runs: the same configuration or a changed one.
  void reload() {
    if (!alive()) return;
    for (const auto& z : config_.zones) {
      if (engine_->snapshot(z.id).phase_index >= 0) return;
    }
    active_ = chance(0.5) ? active_ : 1 - active_;
    note(std::string("reload with ") + (active_ == 0 ? "the first" : "the changed") + " config");
    count("reload");
    heartbeat();  // the daemon saves what moves and marks itself alive before reading back
    config_ = configs_[active_];
    for (std::size_t z = 0; z < zones_.size(); ++z)
      zones_[z].spec = &config_.zones[z];
    build_engine(config_, /*same_clock=*/true);
    if (broker_up_) call(BrokerConnection{true});
  }

  void build_engine(const EngineConfig& config, bool same_clock) {
    std::vector<ZoneHistory> history = load_history(same_clock);
    engine_ = std::make_unique<Engine>(config, history, engine_now());
    // A new life runs no session, whatever the old one did.
    for (auto& z : zones_) {
      z.session = false;
      z.in_therapy_phase = false;
    }
    last_accrual_ = now_.mono;
    drain();
    heartbeat();  // padtimerd marks itself alive as it starts
    next_heartbeat_ = now_.mono + kHeartbeat;
  }

  void die() {
    engine_.reset();
    // Nothing speaks for the dead: the harness's view of its commands ends with it.
    for (auto& d : devices_)
      d.commanded = Output::off;
    // Its sessions die with it: a pad left ON counts by the day of each moment from here.
    for (auto& z : zones_) {
      z.session = false;
      z.in_therapy_phase = false;
    }
  }

  void power_cut(SimDevice& d) {
    d.rebooted_at = now_.mono;
    d.heard_after_reboot.reset();
    if (d.physical != Output::off && d.commanded != Output::off) d.lapsed = true;
    set_physical(d, Output::off);
    d.inbound.clear();
    d.outbound.clear();
    d.relink_at.reset();
  }

  // A device reconnecting says `online` (live) and its state, in either order.
  void announce(SimDevice& d) {
    if (!reachable(d)) return;
    if (d.state_before_online) publish_state(d, false);
    enqueue_outbound(d, DeviceAvailability{d.spec->id, true});
    if (!d.state_before_online) publish_state(d, false);
  }

  // A device loses power and comes back OFF. With a will, the broker says it went offline;
  // without (back within the keep-alive), padtimer only hears it reconnect.
  void reboot_device() {
    SimDevice& d = devices_[pick(0, static_cast<int>(devices_.size()) - 1)];
    if (!d.online || d.relink_at) return;
    bool will = chance(0.4);
    d.state_before_online = chance(0.5);
    note(d.spec->id + " reboots" + (will ? " (its will goes out)" : "") +
         (d.state_before_online ? ", state before online" : ", online before state"));
    count(std::string("device reboots ") + (will ? "with" : "without") + " a will");
    power_cut(d);
    if (will && broker_up_ && alive()) call(DeviceAvailability{d.spec->id, false});
    d.relink_at = now_.mono + pick_duration(1s, 40s);
  }

  // The machine sleeps: the monotonic clock (CLOCK_BOOTTIME) runs on, the pads' timers run
  // on, padtimer hears nothing and wakes late for every deadline. A long one loses the
  // broker connection too.
  void suspend(Duration d) {
    if (!alive()) return;
    note("suspend for " + describe_duration(d));
    count("suspend");
    asleep_ = true;
    advance(d);
    asleep_ = false;
    // Asleep, nothing was commanded: the stretch and the phase count start again from here
    // (a pad without auto-off that ran on meanwhile is beyond any controller).
    last_accrual_ = now_.mono;
    for (auto& dev : devices_) {
      if (dev.commanded != Output::off) dev.commanded_on_since = now_.mono;
    }
    if (d > 90s && broker_up_) {
      call(BrokerConnection{false});
      call(BrokerConnection{true});
      replay_retained();
    } else {
      tick();
    }
  }

  void replay_retained() {
    for (auto& d : devices_) {
      call(DeviceAvailability{d.spec->id, d.online, true});
      if (chance(0.3)) call(DeviceReport{d.spec->id, d.retained, true, /*retained=*/true});
    }
  }

  // ---- The state database, as the daemon keeps it ----------------------------------------
  // As Store::save_safety: the record (merged with the stored one, see merge_records) and
  // the larger exposure of its day.
  void save(const ZoneSafety& record) {
    auto it = stored_.find(record.zone);
    if (it == stored_.end()) {
      it = stored_.emplace(record.zone, Stored{record, boot_, boot_}).first;
    } else {
      Stored& kept = it->second;
      kept.record = merge_records(kept.record, record, kept.boot == boot_);
      const bool replaced = kept.record.at == record.at && kept.record.at_mono == record.at_mono;
      if (replaced) kept.boot = boot_;
      kept.doubt_boot = boot_;  // the doubt is always the newest record's
    }
    for (const ZoneSafety* counted : {&std::as_const(it->second.record), &record}) {
      Duration& used = stored_exposure_[record.zone][counted->day];
      used = std::max(used, counted->exposure);
    }
  }

  void heartbeat() {
    if (!alive()) return;
    for (const ZoneSafety& r : engine_->safety()) {
      if (r.session || !r.maybe_on.empty()) save(r);
    }
    alive_at_ = now_.wall;
  }

  std::vector<ZoneHistory> load_history(bool same_clock) const {
    std::vector<ZoneHistory> out;
    const Now now = engine_now();
    const LocalDay today = local_day(now.wall, now.utc_offset);
    for (const auto& [zone, stored] : stored_) {
      const ZoneSafety& r = stored.record;
      const bool same = same_clock && stored.boot == boot_;
      ZoneHistory h = history_from(
          r, {std::max(alive_at_, r.at), kRunOn, same, stored.doubt_boot == boot_}, now);
      if (h.day != today) {
        h.day = today;
        h.exposure = Duration::zero();
      }
      auto e = stored_exposure_.find(zone);
      if (e != stored_exposure_.end()) {
        if (auto it = e->second.find(today); it != e->second.end())
          h.exposure = std::max(h.exposure, it->second);
      }
      out.push_back(std::move(h));
    }
    ZoneHistory daemon;  // padtimerd's own last sign of life, as the store hands it over
    daemon.recorded_at = alive_at_;
    out.push_back(std::move(daemon));
    return out;
  }

  // ---- Time and the simulated world --------------------------------------------------
  bool reachable(const SimDevice& d) const { return broker_up_ && d.online && !d.relink_at; }

  std::optional<MonoTime> next_world_event() const {
    std::optional<MonoTime> next;
    auto consider = [&next](MonoTime t) {
      if (!next || t < *next) next = t;
    };
    if (alive() && !asleep_) {
      // The engine's deadlines are on its own clock.
      if (auto deadline = engine_->next_deadline()) consider(*deadline - mono_shift_);
      consider(next_heartbeat_);
    }
    if (correct_at_) consider(correct_at_->first);
    if (broker_back_at_) consider(*broker_back_at_);
    for (const auto& d : devices_) {
      if (!d.inbound.empty()) consider(d.inbound.front().at);
      if (!d.outbound.empty()) consider(d.outbound.front().at);
      if (d.lease_expiry) consider(*d.lease_expiry);
      if (d.relink_at) consider(*d.relink_at);
      if (d.spec->sensor) consider(d.next_telemetry);
    }
    return next;
  }

  void advance(Duration d) {
    note("advance " + describe_duration(d));
    MonoTime target = now_.mono + d;
    for (int guard = 0; guard < 100000; ++guard) {
      auto next = next_world_event();
      if (!next || *next > target) break;
      move_clock(std::max(*next, now_.mono));
      run_world();
      tick();
    }
    move_clock(target);
    run_world();
    tick();
  }

  void move_clock(MonoTime t) {
    Duration d = t - now_.mono;
    if (d > Duration::zero()) count_physical(d);
    now_.mono = t;
    now_.wall += d;
  }

  // Physical ON time per zone and local day (a session's day while one runs), and the last
  // moment a device of the zone was physically ON.
  void count_physical(Duration d) {
    for (auto& zone : zones_) {
      if (!zone_physically_on(zone)) continue;
      LocalDay day = zone.session ? zone.session_day : local_day(now_.wall, now_.utc_offset);
      zone.physical_exposure[day] += d;
      mark_on(zone, d);
    }
  }

  bool zone_physically_on(const SimZone& zone) const {
    for (std::size_t i : zone.devices) {
      if (devices_[i].physical != Output::off) return true;
    }
    return false;
  }

  // The zone is ON until `after` from now.
  void mark_on(SimZone& zone, Duration after = {}) {
    zone.last_on = now_.mono + after;
    zone.last_on_wall = now_.wall + after;
    zone.last_on_boot = boot_;
  }

  // Everything the simulated devices and channel do at the current moment.
  void run_world() {
    if (broker_back_at_ && *broker_back_at_ <= now_.mono) toggle_broker();
    if (correct_at_ && correct_at_->first <= now_.mono) {
      now_.wall += correct_at_->second;
      note("the wall clock is corrected by " + std::to_string(correct_at_->second.count() / 1000) +
           " s");
      count("wall clock corrected");
      correct_at_.reset();
      clock_unsynced_ = false;
    }
    if (alive() && !asleep_ && next_heartbeat_ <= now_.mono) {
      heartbeat();
      next_heartbeat_ = now_.mono + kHeartbeat;
    }
    for (auto& d : devices_) {
      if (d.relink_at && *d.relink_at <= now_.mono) relink(d);
      while (!d.inbound.empty() && d.inbound.front().at <= now_.mono) {
        std::optional<SetOutput> item = d.inbound.front().set;
        MonoTime sent = d.inbound.front().sent;
        const int phase = d.inbound.front().phase;
        d.inbound.pop_front();
        if (!reachable(d)) continue;
        if (!item) {
          publish_state(d);  // the answer to a state query
          continue;
        }
        const SetOutput& cmd = *item;
        if (d.lapsed && d.physical == Output::off && cmd.output != Output::off) {
          // A renewal published after the device rebooted but before the engine heard a
          // word from it: the engine's best knowledge was a pad ON. Any controller that
          // renews a lease by sending ON has this window; the engine's decisions are judged
          // from what it could know.
          const bool raced_reboot = d.rebooted_at && *d.rebooted_at <= sent &&
                                    (!d.heard_after_reboot || sent < *d.heard_after_reboot);
          if (raced_reboot) {
            count("a renewal ON raced a device's reboot");
          } else {
            fail("I8: " + d.spec->id +
                 " switched back on after it switched itself off, in the same phase and "
                 "without a resume");
          }
        }
        set_physical(d, cmd.output, phase);
        d.lease_expiry.reset();
        if (cmd.output != Output::off && d.spec->auto_off && cmd.auto_off) {
          d.lease_expiry = now_.mono + *cmd.auto_off;
        }
        publish_state(d);
      }
      if (d.lease_expiry && *d.lease_expiry <= now_.mono) {
        note(d.spec->id + " switches itself off: its auto-off lease ran out");
        count("device lease expired");
        d.lease_expiry.reset();
        d.lapsed = d.physical != Output::off && d.commanded != Output::off;
        set_physical(d, Output::off);
        publish_state(d);
      }
      if (d.spec->sensor && d.next_telemetry <= now_.mono) {
        d.next_telemetry = now_.mono + kTelemetryPeriod;
        update_temperature(d);
        if (d.sensor != SensorMode::stale && reachable(d) && !chance(0.05)) {
          double reading = d.sensor == SensorMode::hot     ? 50.0
                           : d.sensor == SensorMode::cold  ? 0.0
                           : d.sensor == SensorMode::stuck ? kRoomC
                                                           : d.temperature;
          enqueue_outbound(d, TemperatureReading{d.spec->id, reading});
        }
      }
      while (!d.outbound.empty() && d.outbound.front().at <= now_.mono) {
        Event e = d.outbound.front().event;
        d.outbound.pop_front();
        if (!broker_up_) continue;
        if (d.rebooted_at && !d.heard_after_reboot && alive() && !asleep_)
          d.heard_after_reboot = now_.mono;
        call(e);
      }
    }
  }

  void update_temperature(SimDevice& d) {
    if (d.physical == Output::heat) {
      d.temperature = std::min(40.0, d.temperature + 1.0);
    } else if (d.physical == Output::cold) {
      d.temperature = std::max(8.0, d.temperature - 1.0);
    } else {
      d.temperature += (kRoomC - d.temperature) * 0.2;
    }
  }

  // `phase`: the session phase the command that does this was sent in (I10).
  void set_physical(SimDevice& d, Output o, int phase = -1) {
    if (d.physical != Output::off && o != d.physical) {
      check_physical_stretch(d);
    }
    SimZone& z = zones_[d.zone];
    if (d.physical == Output::off && o != Output::off) {
      d.physical_on_since = now_.mono;
      check_phase_rest(z, phase);
    }
    if (d.physical != Output::off || o != Output::off) mark_on(z);
    if (o == Output::off) d.lease_expiry.reset();
    d.physical = o;
    // I3, physically.
    const SimZone& zone = zones_[d.zone];
    int on = 0;
    for (std::size_t i : zone.devices)
      on += devices_[i].physical != Output::off ? 1 : 0;
    if (on > 1) fail("I3: two devices of " + zone.spec->id + " are physically ON together");
  }

  // A device publishes its state after every change and every command (lossy); `answer`
  // false when it does so by itself (on connecting), as drivers tell it (DeviceReport).
  void publish_state(SimDevice& d, bool answer = true) {
    if (!reachable(d)) return;
    d.retained = d.physical;
    if (chance(0.08)) return;
    enqueue_outbound(d, DeviceReport{d.spec->id, d.physical, answer});
  }

  void enqueue_outbound(SimDevice& d, Event e) {
    // MQTT keeps one client's messages in order: a later message never overtakes.
    MonoTime at = now_.mono + pick_duration(0s, kMaxLatency);
    if (!d.outbound.empty()) at = std::max(at, d.outbound.back().at);
    d.outbound.push_back({at, std::move(e)});
  }

  // ---- Talking to the engine ---------------------------------------------------------
  // Nothing reaches a dead or sleeping engine. Before every call, as the daemon's host
  // does: if the wall clock moved, the engine first gets the history read again.
  void call(const Event& e) {
    if (!alive() || asleep_) return;
    accrue();
    reread_history_if_stale();
    if (!alive()) return;  // killed while it was carrying that out
    engine_->handle(e, engine_now());
    drain();
  }

  void tick() {
    if (!alive() || asleep_) return;
    accrue();
    reread_history_if_stale();
    if (!alive()) return;
    engine_->handle_timeout(engine_now());
    drain();
  }

  void reread_history_if_stale() {
    if (!engine_->history_stale(engine_now())) return;
    const Now now = engine_now();
    note("history read again on local day " + std::to_string(local_day(now.wall, now.utc_offset)) +
         ": the wall clock moved, or a new day began");
    count("history read again");
    engine_->handle(StoredHistory{load_history(true)}, engine_now());
    drain();
  }

  // The harness's own count of commanded ON time, in the same moments the engine counts.
  void accrue() {
    Duration delta = now_.mono - last_accrual_;
    last_accrual_ = now_.mono;
    if (delta <= Duration::zero()) return;
    for (auto& zone : zones_) {
      bool on = false;
      for (std::size_t i : zone.devices)
        on = on || devices_[i].commanded != Output::off;
      if (!on) continue;
      zone.phase_on += delta;
      zone.exposure[zone.session_day] += delta;
    }
  }

  // Carries out the engine's commands in order, as the daemon does; a kill (kill_after_)
  // stops it after that many, and the rest never happen.
  void drain() {
    if (!alive()) return;
    std::vector<Command> commands = engine_->take_commands();
    for (std::size_t i = 0; i < commands.size(); ++i) {
      if (kill_after_ && *kill_after_ == 0) {
        note("killed with " + std::to_string(commands.size() - i) + " command(s) not carried out");
        count("killed mid-burst");
        kill_after_.reset();
        die();
        return;
      }
      if (kill_after_) --*kill_after_;
      const Command& c = commands[i];
      if (auto* set = std::get_if<SetOutput>(&c)) on_set_output(*set);
      if (auto* query = std::get_if<QueryState>(&c)) on_query(*query);
      if (auto* persist = std::get_if<PersistSafety>(&c)) save(persist->safety);
      if (auto* ev = std::get_if<PublishEvent>(&c)) on_event(ev->event);
      if (auto* reply = std::get_if<Reply>(&c)) on_reply(*reply);
    }
  }

  void on_query(const QueryState& query) {
    SimDevice& d = devices_[device_index_.at(query.device)];
    note("engine asks " + query.device + " for its state");
    count("state query");
    if (!reachable(d)) return;
    MonoTime at = now_.mono + pick_duration(0s, kMaxLatency);
    if (!d.inbound.empty()) at = std::max(at, d.inbound.back().at);
    d.inbound.push_back({at, now_.mono, std::nullopt});
  }

  void on_set_output(const SetOutput& set) {
    SimDevice& d = devices_[device_index_.at(set.device)];
    SimZone& zone = zones_[d.zone];
    note("engine -> " + set.device + " " + std::string(to_string(set.output)) +
         (set.auto_off ? " auto_off " + describe_duration(*set.auto_off) : ""));
    if (set.output != Output::off && zone.faulted)
      fail("I6: ON command to faulted zone " + zone.spec->id);
    if (set.output != Output::off && !zone.session)
      fail("I9: ON command to " + set.device + " while " + zone.spec->id + " runs no session");
    if (set.auto_off && !d.spec->auto_off)
      fail("auto_off sent to " + set.device + " which has none");
    if (set.output != Output::off && d.commanded != Output::off && set.output != d.commanded) {
      fail("mode switched from ON to another ON without OFF on " + set.device);
    }
    if (d.commanded == Output::off && set.output != Output::off) d.commanded_on_since = now_.mono;
    if (d.commanded != Output::off && set.output == Output::off) check_commanded_stretch(d);
    d.commanded = set.output;
    int on = 0;
    for (std::size_t i : zone.devices)
      on += devices_[i].commanded != Output::off ? 1 : 0;
    if (on > 1) fail("I3: two devices of " + zone.spec->id + " commanded ON together");
    // Nothing reaches the broker, or a device not connected to it when it is published.
    if (!reachable(d)) return;
    MonoTime at = now_.mono + pick_duration(0s, kMaxLatency);
    if (!d.inbound.empty()) at = std::max(at, d.inbound.back().at);
    d.inbound.push_back({at, now_.mono, set, zone.phase_index});
  }

  void on_event(const ZoneEvent& e) {
    SimZone& zone = zones_[zone_index_.at(e.zone)];
    note("event " + e.zone + " " + std::string(to_string(e.kind)) + " " +
         std::string(reason_code(e.reason)) + ": " + e.message);
    if (e.kind == EventKind::session_ended && e.outcome) {
      count("session_ended " + std::string(to_string(*e.outcome)));
    } else if (e.kind == EventKind::fault || e.kind == EventKind::paused) {
      count(std::string(to_string(e.kind)) + " " + std::string(reason_code(e.reason)));
    } else {
      count(std::string(to_string(e.kind)));
    }
    switch (e.kind) {
      case EventKind::session_started: {
        if (zone.session) fail("I4: second session started on " + e.zone);
        if (zone.faulted) fail("I6: session started on faulted zone " + e.zone);
        if (zone_physically_on(zone)) fail("I4: session started on " + e.zone + " while ON");
        if (zone.last_on) {
          // Within one boot the monotonic clock says how long the pads have been OFF;
          // across a reboot only the wall clock is known, so both must say it is too soon.
          const Duration rest = zone.spec->min_rest;
          const bool mono_soon = now_.mono - *zone.last_on < rest;
          const bool wall_soon = now_.wall - zone.last_on_wall < rest;
          if (zone.last_on_boot == boot_ ? mono_soon : mono_soon && wall_soon) {
            fail("I4: session started on " + e.zone + " " +
                 describe_duration(now_.mono - *zone.last_on) + " after its pads were last ON");
          }
        }
        const Routine* routine = nullptr;
        for (const auto& r : config_.routines) {
          if (r.id == e.routine) routine = &r;
        }
        LocalDay today = local_day(now_.wall, now_.utc_offset);
        if (zone.physical_exposure[today] + therapy_total(*routine) > zone.spec->daily_cap) {
          fail("I5: session started on " + e.zone +
               " over its daily cap: " + describe_duration(zone.physical_exposure[today]) +
               " physically ON today, the engine counted " +
               describe_duration(engine_->exposure(e.zone, today)) + " (day " +
               std::to_string(today) + ")");
        }
        zone.session = true;
        zone.session_day = today;
        zone.on_phase.reset();
        forgive_lapses(zone);
        break;
      }
      case EventKind::phase_started:
        if (engine_->snapshot(e.zone).waiting_for_interlock) count("phase waits for interlock");
        zone.phase_kind = config_routine_phase(e);
        zone.phase_index = e.phase_index;
        zone.in_therapy_phase = zone.phase_kind != PhaseKind::rest;
        zone.phase_on = Duration::zero();
        forgive_lapses(zone);
        break;
      case EventKind::phase_ended:
        check_phase_total(zone);
        zone.in_therapy_phase = false;
        break;
      case EventKind::session_ended: zone.session = false; break;
      case EventKind::resumed: forgive_lapses(zone); break;
      case EventKind::fault: zone.faulted = true; break;
      case EventKind::fault_reset: zone.faulted = false; break;
      default: break;
    }
  }

  // A new session, a new phase or the user's resume may switch a lapsed pad on again.
  void forgive_lapses(const SimZone& zone) {
    for (std::size_t i : zone.devices)
      devices_[i].lapsed = false;
  }

  PhaseKind config_routine_phase(const ZoneEvent& e) const {
    for (const auto& r : config_.routines) {
      if (r.id == e.routine) return r.phases.at(static_cast<std::size_t>(e.phase_index)).kind;
    }
    return PhaseKind::rest;
  }

  void on_reply(const Reply& reply) {
    auto it = pending_replies_.find(reply.request_id);
    if (it == pending_replies_.end()) {
      fail("I7: reply to unknown request " + reply.request_id);
      return;
    }
    ++it->second;
    count(reply.ok ? "reply ok" : "reply refused " + std::string(reason_code(reply.code)));
    note("reply " + reply.request_id +
         (reply.ok ? " ok: " : " refused " + std::string(reason_code(reply.code)) + ": ") +
         reply.message);
  }

  // ---- Invariants --------------------------------------------------------------------
  void check_physical_stretch(const SimDevice& d) {
    if (!d.spec->auto_off || d.physical == Output::off) return;
    Duration stretch = now_.mono - d.physical_on_since;
    Duration limit = phase_max(d.physical == Output::cold ? PhaseKind::cold : PhaseKind::heat) +
                     config_.safety.confirm_timeout;
    if (stretch > limit) {
      fail("I1: " + d.spec->id + " physically ON for " + describe_duration(stretch) + " (limit " +
           describe_duration(limit) + ")");
    }
  }

  void check_commanded_stretch(const SimDevice& d) {
    Duration stretch = now_.mono - d.commanded_on_since;
    Duration limit = phase_max(d.commanded == Output::cold ? PhaseKind::cold : PhaseKind::heat);
    if (stretch > limit) {
      fail("I1: " + d.spec->id + " commanded ON for " + describe_duration(stretch) + " (limit " +
           describe_duration(limit) + ")");
    }
  }

  // I10: a pad going ON for another therapy phase of the session than the last one found
  // the zone physically OFF for at least phase_rest.
  void check_phase_rest(SimZone& zone, int phase) {
    if (!zone.session || phase < 0) return;
    if (zone.on_phase && *zone.on_phase != phase && zone.last_on &&
        now_.mono - *zone.last_on < config_.safety.phase_rest) {
      fail("I10: " + zone.spec->id + " ON again for phase " + std::to_string(phase + 1) +
           " after " + describe_duration(now_.mono - *zone.last_on) + " of rest");
    }
    zone.on_phase = phase;
  }

  void check_phase_total(const SimZone& zone) {
    if (!zone.in_therapy_phase) return;
    if (zone.phase_on > phase_max(zone.phase_kind)) {
      fail("I2: " + zone.spec->id + " " + std::string(to_string(zone.phase_kind)) +
           " phase ON for " + describe_duration(zone.phase_on));
    }
  }

  void check_state() {
    for (const auto& d : devices_) {
      check_physical_stretch(d);
      if (d.commanded != Output::off) check_commanded_stretch(d);
    }
    for (auto& zone : zones_) {
      check_phase_total(zone);
      // Against the larger cap of the two configurations: a reload may lower it below what
      // was already used today.
      const std::size_t z = static_cast<std::size_t>(&zone - zones_.data());
      const Duration cap = std::max(configs_[0].zones[z].daily_cap, configs_[1].zones[z].daily_cap);
      for (const auto& [day, used] : zone.exposure) {
        if (used > cap) {
          fail("I5: " + zone.spec->id + " exposure " + describe_duration(used) + " over its cap");
        }
      }
      if (zone.faulted) {
        for (std::size_t i : zone.devices) {
          if (devices_[i].commanded != Output::off) {
            fail("I6: faulted zone " + zone.spec->id + " has " + devices_[i].spec->id + " ON");
          }
        }
        if (engine_->snapshot(zone.spec->id).status != ZoneStatus::fault) {
          fail("faulted zone " + zone.spec->id + " does not report status fault");
        }
      }
    }
  }

  void count(const std::string& key) {
    if (coverage_) coverage_->add(key);
  }

  Coverage* coverage_;
  std::mt19937_64 rng_;
  bool trace_;
  EngineConfig configs_[2];  // a reload may switch between them
  int active_ = 0;
  EngineConfig config_;
  Now now_;
  std::unique_ptr<Engine> engine_;  // none while padtimerd is down
  MonoTime last_accrual_{};
  // Seams: the machine's boots (the engine's monotonic clock restarts with each), a kill in
  // the next burst of commands, a suspend, a wall clock to be corrected.
  int boot_ = 0;
  Duration mono_shift_{};
  std::optional<int> kill_after_;
  bool asleep_ = false;
  std::optional<std::pair<MonoTime, Duration>> correct_at_;
  bool clock_unsynced_ = false;  // came up behind after a reboot; NTP not there yet
  // The state database: each zone's latest record with the boot it was made in, the largest
  // exposure per zone and day, and the daemon's last heartbeat.
  // A zone's kept record, the boot its monotonic times come from, and its clock_doubt's.
  struct Stored {
    ZoneSafety record;
    int boot = 0;
    int doubt_boot = 0;
  };
  std::map<std::string, Stored> stored_;
  std::map<std::string, std::map<LocalDay, Duration>> stored_exposure_;
  WallTime alive_at_{};
  MonoTime next_heartbeat_{};
  bool broker_up_ = true;
  std::optional<MonoTime> broker_back_at_;
  std::vector<SimDevice> devices_;
  std::vector<SimZone> zones_;
  std::map<std::string, std::size_t> device_index_;
  std::map<std::string, std::size_t> zone_index_;
  std::map<std::string, int> pending_replies_;
  int request_counter_ = 0;
  std::string failure_;
  std::string log_;
};

std::uint64_t base_seed() {
  const char* env = std::getenv("PADTIMER_PROPERTY_SEED");
  if (env && std::string(env) == "random") return std::random_device{}();
  if (env) return std::strtoull(env, nullptr, 10);
  return 20261124;
}

long sequences_wanted() {
  const char* env = std::getenv("PADTIMER_PROPERTY_SEQUENCES");
  return env ? std::strtol(env, nullptr, 10) : 100000;
}

// Runs one quarter of the sequences, so CTest can run the quarters on parallel cores.
void run_quarter(int quarter) {
  std::uint64_t seed0 = base_seed();
  long total = sequences_wanted();
  long from = total * quarter / 4;
  long to = total * (quarter + 1) / 4;
  long steps = 0;
  Coverage coverage;
  for (long i = from; i < to; ++i) {
    std::uint64_t seed = seed0 + static_cast<std::uint64_t>(i);
    int length = 30 + static_cast<int>(seed % 91);
    Sequence sequence(seed, /*trace=*/false, &coverage);
    std::string failure = sequence.run(length);
    steps += length;
    if (!failure.empty()) {
      Sequence replay(seed, /*trace=*/true);
      replay.run(length);
      FAIL() << "invariant violated in sequence " << i << ": " << failure
             << "\nreproduce with PADTIMER_PROPERTY_SEED=" << seed
             << " PADTIMER_PROPERTY_SEQUENCES=1 build/bin/core_property_tests"
             << " --gtest_filter='*Quarter4' (one sequence runs in the last quarter; length "
             << length << ")\n"
             << "trace:\n"
             << replay.trace();
    }
  }
  std::printf("property: %ld sequences (%ld steps) from seed %" PRIu64 " passed; covered:\n%s",
              to - from, steps, seed0 + static_cast<std::uint64_t>(from),
              coverage.summary().c_str());
}

TEST(EngineProperty, SafetyInvariantsHoldQuarter1) {
  run_quarter(0);
}
TEST(EngineProperty, SafetyInvariantsHoldQuarter2) {
  run_quarter(1);
}
TEST(EngineProperty, SafetyInvariantsHoldQuarter3) {
  run_quarter(2);
}
TEST(EngineProperty, SafetyInvariantsHoldQuarter4) {
  run_quarter(3);
}

}  // namespace
}  // namespace padtimer::testing
