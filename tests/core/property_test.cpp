// Randomized property test of the engine's safety invariants.
//
// Each sequence builds a small world — zones, simulated devices with a thermal model and
// auto-off leases, a lossy but ordered MQTT channel, a broker that can vanish — and drives
// the engine through random steps: requests, confirmations and lost confirmations,
// telemetry (normal, hot, cold, stale, stuck), devices going offline and back, devices
// dropping off the broker unannounced and reconnecting (a lost will), broker outages, buttons
// pressed on devices, garbage reports, and wall-clock jumps. After every step the invariants below
// are checked against the harness's own bookkeeping (computed from the commands the engine emitted,
// not from the engine's state).
//
// Invariants:
//   I1 no device is physically ON longer, in one stretch, than its phase maximum plus the
//      confirmation timeout (devices with auto-off; without auto-off an unreachable device
//      cannot be switched off by anyone, so for those the commanded state is checked);
//   I2 the commanded ON time within one phase never exceeds that phase's maximum;
//   I3 heat and cold of a zone are never both ON, commanded or physically;
//   I4 no session starts inside its zone's rest interval;
//   I5 no session starts when its therapy time would exceed the daily cap, and no local
//      day's exposure ever exceeds it (a session counts toward the day it started on);
//   I6 a faulted zone has every device commanded OFF and gets no ON command until reset;
//   I7 every request gets exactly one reply;
//   I8 a pad that switched itself off by its lease is never switched back on by padtimer
//      within the same phase unless the user resumes (a re-send that arrives after the
//      lease ran out would do just that). The devices here tell answers from the reports
//      they send by themselves, as the Tasmota and Shelly RPC drivers do; see DeviceReport.
//
// Environment: PADTIMER_PROPERTY_SEED (a number, or "random") and
// PADTIMER_PROPERTY_SEQUENCES override the defaults. A failure prints the seed and the
// whole step-by-step trace of the failing sequence, replayed with tracing on.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/time_format.h"
#include "world.h"

namespace padtimer::testing {
namespace {

constexpr Duration kTelemetryPeriod = 30s;
constexpr Duration kMaxLatency = 3s;
constexpr double kRoomC = 22.0;

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
  bool lapsed = false;  // switched itself off by its lease; see I8
  bool online = true;
  // Dropped off the broker without the engine hearing of it (no will) until relink_at.
  std::optional<MonoTime> relink_at;
  double temperature = kRoomC;
  SensorMode sensor = SensorMode::normal;
  MonoTime next_telemetry{};
  std::deque<std::pair<MonoTime, SetOutput>> inbound;  // engine -> device
  std::deque<Message> outbound;                        // device -> engine
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
  Duration phase_on{};  // commanded ON time in the current phase
  std::optional<MonoTime> last_end;
  LocalDay session_day = 0;  // a session counts toward the local day it started on
  std::map<LocalDay, Duration> exposure;
};

class Sequence {
 public:
  Sequence(std::uint64_t seed, bool trace, Coverage* coverage = nullptr)
      : coverage_(coverage),
        rng_(seed),
        trace_(trace),
        config_(property_config()),
        now_{MonoTime{} + 1h, test_epoch(), std::chrono::minutes{0}},
        engine_(config_, {}, now_) {
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
    start_wall_ = now_.wall;
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
      auto deadline = engine_.next_deadline();
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
    } else if (roll < 95) {
      jump_wall_clock();
    } else {
      duplicate_report();
    }
  }

  void random_request() {
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
      ZoneSnapshot snap = engine_.snapshot(r.zone);
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
    if (pending_replies_[r.id] != 1) {
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
    // The broker publishes the (retained) LWT / availability message.
    if (broker_up_) call(DeviceAvailability{d.spec->id, d.online});
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
    if (!reachable(d)) return;
    enqueue_outbound(d, DeviceAvailability{d.spec->id, true});
    publish_state(d, false);
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
    // On resubscribe, retained availability arrives for every device.
    for (auto& d : devices_)
      call(DeviceAvailability{d.spec->id, d.online, true});
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

  void jump_wall_clock() {
    Duration jump = pick_duration(-30h, 30h);
    // Stay within a few days of the start: the engine keeps a week of exposure history.
    if (std::chrono::abs(now_.wall + jump - start_wall_) > std::chrono::hours{24 * 5})
      jump = -jump / 2;
    if (std::chrono::abs(now_.wall + jump - start_wall_) > std::chrono::hours{24 * 5}) return;
    now_.wall += jump;
    now_.utc_offset = std::chrono::minutes{60 * pick(-5, 5)};
    note("wall clock jumps " + std::to_string(jump.count() / 1000) + " s, utc offset " +
         std::to_string(now_.utc_offset.count()) + " min");
    tick();
  }

  // ---- Time and the simulated world --------------------------------------------------
  bool reachable(const SimDevice& d) const { return broker_up_ && d.online && !d.relink_at; }

  std::optional<MonoTime> next_world_event() const {
    std::optional<MonoTime> next = engine_.next_deadline();
    auto consider = [&next](MonoTime t) {
      if (!next || t < *next) next = t;
    };
    if (broker_back_at_) consider(*broker_back_at_);
    for (const auto& d : devices_) {
      if (!d.inbound.empty()) consider(d.inbound.front().first);
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
    now_.mono = t;
    now_.wall += d;
  }

  // Everything the simulated devices and channel do at the current moment.
  void run_world() {
    if (broker_back_at_ && *broker_back_at_ <= now_.mono) toggle_broker();
    for (auto& d : devices_) {
      if (d.relink_at && *d.relink_at <= now_.mono) relink(d);
      while (!d.inbound.empty() && d.inbound.front().first <= now_.mono) {
        SetOutput cmd = d.inbound.front().second;
        d.inbound.pop_front();
        if (!reachable(d)) continue;
        if (d.lapsed && d.physical == Output::off && cmd.output != Output::off) {
          fail("I8: " + d.spec->id +
               " switched back on after its lease ran out, in the same "
               "phase and without a resume");
        }
        set_physical(d, cmd.output);
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
        d.lapsed = d.physical != Output::off;
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
        if (broker_up_) call(e);
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

  void set_physical(SimDevice& d, Output o) {
    if (d.physical != Output::off && o != d.physical) {
      check_physical_stretch(d);
    }
    if (d.physical == Output::off && o != Output::off) d.physical_on_since = now_.mono;
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
    if (!reachable(d) || chance(0.08)) return;
    enqueue_outbound(d, DeviceReport{d.spec->id, d.physical, answer});
  }

  void enqueue_outbound(SimDevice& d, Event e) {
    // MQTT keeps one client's messages in order: a later message never overtakes.
    MonoTime at = now_.mono + pick_duration(0s, kMaxLatency);
    if (!d.outbound.empty()) at = std::max(at, d.outbound.back().at);
    d.outbound.push_back({at, std::move(e)});
  }

  // ---- Talking to the engine ---------------------------------------------------------
  void call(const Event& e) {
    accrue();
    engine_.handle(e, now_);
    drain();
  }

  void tick() {
    accrue();
    engine_.handle_timeout(now_);
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

  void drain() {
    for (auto& c : engine_.take_commands()) {
      if (auto* set = std::get_if<SetOutput>(&c)) on_set_output(*set);
      if (auto* ev = std::get_if<PublishEvent>(&c)) on_event(ev->event);
      if (auto* reply = std::get_if<Reply>(&c)) on_reply(*reply);
    }
  }

  void on_set_output(const SetOutput& set) {
    SimDevice& d = devices_[device_index_.at(set.device)];
    SimZone& zone = zones_[d.zone];
    note("engine -> " + set.device + " " + std::string(to_string(set.output)) +
         (set.auto_off ? " auto_off " + describe_duration(*set.auto_off) : ""));
    if (set.output != Output::off && zone.faulted)
      fail("I6: ON command to faulted zone " + zone.spec->id);
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
    if (!broker_up_) return;  // nothing reaches the broker
    MonoTime at = now_.mono + pick_duration(0s, kMaxLatency);
    if (!d.inbound.empty()) at = std::max(at, d.inbound.back().first);
    d.inbound.push_back({at, set});
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
        if (zone.last_end && now_.mono < *zone.last_end + zone.spec->min_rest) {
          fail("I4: session started on " + e.zone + " inside its rest interval");
        }
        const Routine* routine = nullptr;
        for (const auto& r : config_.routines) {
          if (r.id == e.routine) routine = &r;
        }
        LocalDay today = local_day(now_.wall, now_.utc_offset);
        if (zone.exposure[today] + therapy_total(*routine) > zone.spec->daily_cap) {
          fail("I5: session started on " + e.zone + " over its daily cap");
        }
        zone.session = true;
        zone.session_day = today;
        forgive_lapses(zone);
        break;
      }
      case EventKind::phase_started:
        if (engine_.snapshot(e.zone).waiting_for_interlock) count("phase waits for interlock");
        zone.phase_kind = config_routine_phase(e);
        zone.in_therapy_phase = zone.phase_kind != PhaseKind::rest;
        zone.phase_on = Duration::zero();
        forgive_lapses(zone);
        break;
      case EventKind::phase_ended:
        check_phase_total(zone);
        zone.in_therapy_phase = false;
        break;
      case EventKind::session_ended:
        zone.session = false;
        zone.last_end = now_.mono;
        break;
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
      for (const auto& [day, used] : zone.exposure) {
        if (used > zone.spec->daily_cap) {
          fail("I5: " + zone.spec->id + " exposure " + describe_duration(used) + " over its cap");
        }
      }
      if (zone.faulted) {
        for (std::size_t i : zone.devices) {
          if (devices_[i].commanded != Output::off) {
            fail("I6: faulted zone " + zone.spec->id + " has " + devices_[i].spec->id + " ON");
          }
        }
        if (engine_.snapshot(zone.spec->id).status != ZoneStatus::fault) {
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
  EngineConfig config_;
  Now now_;
  Engine engine_;
  WallTime start_wall_{};
  MonoTime last_accrual_{};
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
             << " PADTIMER_PROPERTY_SEQUENCES=1 (sequence length " << length << ")\n"
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
