// Every state transition of the engine lives in this file. An input that is not allowed
// in the current state is refused with a reason code and leaves the state unchanged.
#include "core/engine.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/time_format.h"
#include "core/validate.h"

namespace padtimer::core {

namespace {

// A late timer must not loop forever if a handler failed to move its deadline.
constexpr int kMaxWakesPerCall = 10000;

// Exposure is kept for this many local days: the days the wall clock has visited, however
// far it jumped (pruned by count, never by distance from today, so a jump and back loses
// nothing).
constexpr std::size_t kExposureDays = 32;

// A wall clock that moved by more than this against the monotonic clock has been set (NTP,
// by hand): today's exposure and the rest are read again for the corrected day.
constexpr Duration kClockStep = 5s;

Duration wall_minus_mono(const Now& now) {
  return now.wall.time_since_epoch() - now.mono.time_since_epoch();
}

std::string phase_name(const Routine& routine, std::size_t index) {
  return std::string(to_string(routine.phases[index].kind)) + " phase " +
         std::to_string(index + 1) + "/" + std::to_string(routine.phases.size());
}

Duration therapy_total(const Routine& routine) {
  Duration total{};
  for (const Phase& p : routine.phases) {
    if (p.kind != PhaseKind::rest) total += p.length;
  }
  return total;
}

}  // namespace

Engine::Engine(EngineConfig config, const std::vector<ZoneHistory>& history, const Now& now)
    : config_(std::move(config)), now_(now) {
  if (auto problems = validate(config_); !problems.empty()) {
    std::string text = "invalid engine config:";
    for (const auto& p : problems)
      text += "\n  " + describe(p);
    throw std::invalid_argument(text);
  }
  for (std::size_t i = 0; i < config_.routines.size(); ++i) {
    routine_index_.emplace(config_.routines[i].id, i);
  }
  devices_.resize(config_.devices.size());
  for (std::size_t i = 0; i < config_.devices.size(); ++i) {
    devices_[i].spec = &config_.devices[i];
    device_index_.emplace(config_.devices[i].id, i);
  }
  zones_.resize(config_.zones.size());
  for (std::size_t z = 0; z < config_.zones.size(); ++z) {
    ZoneRuntime& zone = zones_[z];
    zone.spec = &config_.zones[z];
    zone_index_.emplace(zone.spec->id, z);
    auto attach = [&](const std::string& id) -> std::optional<std::size_t> {
      if (id.empty()) return std::nullopt;
      std::size_t d = device_index_.at(id);
      devices_[d].zone = z;
      if (std::find(zone.devices.begin(), zone.devices.end(), d) == zone.devices.end()) {
        zone.devices.push_back(d);
      }
      return d;
    };
    zone.heat_device = attach(zone.spec->heat_device);
    zone.cold_device = attach(zone.spec->cold_device);
  }
  // Start-up: whatever the devices were doing, they are driven OFF first.
  for (std::size_t d = 0; d < devices_.size(); ++d)
    command(d, Output::off);
  for (ZoneRuntime& zone : zones_)
    zone.exposure_counted = now_.mono;
  history_offset_ = wall_minus_mono(now_);
  history_utc_offset_ = now_.utc_offset;
  history_day_ = local_day(now_.wall, now_.utc_offset);
  for (const ZoneHistory& h : history) {
    // Behind the record: running past it later proves nothing (a Pi's fake-hwclock starts
    // from its last save and runs on, still behind by the downtime); only a step does.
    if (h.recorded_at && now_.wall < *h.recorded_at) clock_doubt_ = wall_minus_mono(now_);
    if (h.clock_doubt && !clock_doubt_) clock_doubt_ = h.clock_doubt;
    auto z = find_zone(h.zone);
    if (!z) continue;  // the daemon's own, or a zone removed from the config since
    ZoneRuntime& zone = zones_[*z];
    merge_history(h, /*reread=*/false);
    zone.clock_floor = h.recorded_at;
    if (is_fault_reason(h.fault)) {
      zone.fault = h.fault;
      zone.fault_message = h.fault_message;
    }
    if (h.session_interrupted) {
      publish_event(zone, EventKind::session_interrupted, Reason::ok,
                    "a session on " + zone.spec->id +
                        " was running when padtimer stopped; it was not resumed and its devices "
                        "were switched off");
    }
  }
  for (ZoneRuntime& zone : zones_)
    publish_state(zone);
}

// ---- The loop --------------------------------------------------------------------------

void Engine::handle(const Event& event, const Now& now) {
  advance(now);
  process_due();
  std::visit(
      [this](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, Request>) on_request(e);
        if constexpr (std::is_same_v<T, DeviceReport>) on_report(e);
        if constexpr (std::is_same_v<T, DeviceAvailability>) on_availability(e);
        if constexpr (std::is_same_v<T, TemperatureReading>) on_temperature(e);
        if constexpr (std::is_same_v<T, BrokerConnection>) on_broker(e);
        if constexpr (std::is_same_v<T, StoredHistory>) on_history(e);
      },
      event);
  process_due();
  // A phone shows readiness, device states and temperatures: republish when they change.
  if (std::holds_alternative<BrokerConnection>(event)) {
    for (ZoneRuntime& zone : zones_)
      publish_state_if_devices_changed(zone);
    return;
  }
  const std::string* device = std::visit(
      [](const auto& e) -> const std::string* {
        if constexpr (requires { e.device; }) {
          return &e.device;
        } else {
          return nullptr;
        }
      },
      event);
  if (device) {
    if (auto index = find_device(*device)) {
      publish_state_if_devices_changed(zones_[devices_[*index].zone]);
    }
  }
}

void Engine::handle_timeout(const Now& now) {
  advance(now);
  process_due();
}

std::vector<Command> Engine::take_commands() {
  std::vector<Command> out;
  out.swap(out_);
  return out;
}

void Engine::advance(const Now& now) {
  // The monotonic clock must not go backwards; if a caller gets it wrong, time stands still.
  MonoTime mono = std::max(now.mono, now_.mono);
  if (std::chrono::abs(wall_minus_mono(now) - wall_minus_mono(now_)) > kClockStep) {
    // The wall clock stepped: what accrued until now is counted and kept by the old clock's
    // days first, as the next record will be dated by the new one (a day the clock leaves
    // may come back when it is corrected).
    now_.wall += mono - now_.mono;
    now_.mono = mono;
    for (ZoneRuntime& zone : zones_) {
      accrue(zone);
      count_exposure(zone);
      persist(zone);
    }
  }
  now_ = now;
  now_.mono = mono;
  for (ZoneRuntime& zone : zones_) {
    accrue(zone);
    count_exposure(zone);
  }
}

std::optional<MonoTime> Engine::next_deadline() const {
  std::optional<MonoTime> best;
  for (const Deadline& d : collect_deadlines()) {
    if (!best || d.at < *best) best = d.at;
  }
  return best;
}

std::vector<Engine::Deadline> Engine::collect_deadlines() const {
  std::vector<Deadline> out;
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const DeviceRuntime& d = devices_[i];
    if (d.awaiting && d.transmitted && connected_ && !d.offline) {
      out.push_back({d.confirm_deadline, Wake::confirm_timeout, i});
    }
    if (d.probing && connected_ && !d.offline) {
      out.push_back({d.probe_deadline, Wake::probe_timeout, i});
    }
    if (d.on_since && d.spec->sensor) {
      MonoTime from =
          d.temperature_at && *d.temperature_at > *d.on_since ? *d.temperature_at : *d.on_since;
      out.push_back({from + d.spec->sensor->telemetry_timeout, Wake::telemetry_stale, i});
    }
    if (d.watch_deadline) out.push_back({*d.watch_deadline, Wake::response_watch, i});
    if (d.rearm_at) out.push_back({*d.rearm_at, Wake::lease_rearm, i});
  }
  if (!connected_ && broker_lost_at_) {
    bool any_session = std::any_of(zones_.begin(), zones_.end(),
                                   [](const ZoneRuntime& z) { return z.session.has_value(); });
    if (any_session)
      out.push_back({*broker_lost_at_ + config_.safety.broker_grace, Wake::broker_grace, 0});
  }
  for (std::size_t z = 0; z < zones_.size(); ++z) {
    const ZoneRuntime& zone = zones_[z];
    if (auto end = phase_end_at(zone)) out.push_back({*end, Wake::phase_end, z});
    if (zone.session && zone.session->paused) {
      out.push_back({zone.session->paused_at + config_.safety.max_pause, Wake::pause_limit, z});
    }
    if (zone.refresh_at) out.push_back({*zone.refresh_at, Wake::state_refresh, z});
  }
  return out;
}

void Engine::process_due() {
  for (int i = 0; i < kMaxWakesPerCall; ++i) {
    std::optional<Deadline> due;
    for (const Deadline& d : collect_deadlines()) {
      if (d.at > now_.mono) continue;
      // Earliest first; at the same moment, safety checks (lower Wake values) first.
      if (!due || d.at < due->at || (d.at == due->at && d.wake < due->wake)) due = d;
    }
    if (!due) return;
    wake(*due);
  }
}

void Engine::wake(const Deadline& deadline) {
  switch (deadline.wake) {
    case Wake::confirm_timeout: {
      DeviceRuntime& d = devices_[deadline.index];
      // A retry whose ON could find the pad OFF by its lease is never sent. Woken late (a
      // suspend, a stall: its answer may be waiting) the session pauses; on time, the device
      // has had its chance to answer and did not: that is ack_timeout, below.
      const bool late = now_.mono - deadline.at > config_.safety.confirm_timeout;
      if (d.attempts < 2 && lease_may_run_out(d) && late) {
        resend_checked(deadline.index, "padtimer was late to renew it (a suspend or a stall)");
        return;
      }
      if (d.attempts < 2 && !lease_may_run_out(d)) {
        ++d.attempts;
        d.confirm_deadline = now_.mono + config_.safety.confirm_timeout;
        transmit(deadline.index);
        return;
      }
      d.awaiting = false;
      latch_fault(
          zones_[d.zone],
          {Reason::ack_timeout,
           d.spec->id + " did not confirm switching " + std::string(to_string(d.commanded)) +
               " within " + describe_duration(config_.safety.confirm_timeout) +
               (d.attempts < 2 ? " (no retry: its auto-off lease runs out first)"
                               : ", even after a retry") +
               "; check that it is powered and connected, then reset",
           std::nullopt});
      return;
    }
    case Wake::probe_timeout: {
      DeviceRuntime& d = devices_[deadline.index];
      if (d.probe_attempts < 2) {
        ++d.probe_attempts;
        d.probe_deadline = now_.mono + config_.safety.confirm_timeout;
        out_.push_back(QueryState{d.spec->id});
        return;
      }
      d.probing = false;
      const std::string message = d.spec->id + " did not tell its state after " + d.probe_gap +
                                  ", even when asked again; it was told to switch off and the "
                                  "session is paused: resume or stop it";
      command(deadline.index, Output::off, Confirmation::restart);
      pause_session(zones_[d.zone], Reason::unexpected_state, message);
      return;
    }
    case Wake::telemetry_stale: {
      DeviceRuntime& d = devices_[deadline.index];
      if (auto v = check_telemetry_fresh(*d.spec, d.temperature_at, *d.on_since, now_.mono)) {
        latch_fault(zones_[d.zone], *v);
      }
      return;
    }
    case Wake::response_watch: {
      DeviceRuntime& d = devices_[deadline.index];
      d.watch_deadline.reset();
      // Without a reading since ON there is nothing to judge yet: judge the first one that
      // comes (telemetry_stale covers a sensor that never reports).
      bool read_since_on = d.temperature_at && *d.temperature_at > *d.on_since;
      if (read_since_on) {
        judge_watch(deadline.index);
      } else {
        d.watch_due = true;
      }
      return;
    }
    case Wake::broker_grace: {
      broker_lost_at_.reset();
      for (ZoneRuntime& zone : zones_) {
        if (!zone.session) continue;
        latch_fault(zone, {Reason::broker_offline,
                           "the MQTT broker has been unreachable for " +
                               describe_duration(config_.safety.broker_grace) +
                               " during the session; devices switch themselves off by their "
                               "auto-off. Check the broker, then reset",
                           std::nullopt});
      }
      return;
    }
    case Wake::phase_end: end_phase(zones_[deadline.index]); return;
    case Wake::pause_limit:
      end_session(zones_[deadline.index], SessionOutcome::pause_timeout,
                  "the session was paused for longer than " +
                      describe_duration(config_.safety.max_pause) + " and was stopped");
      return;
    case Wake::lease_rearm: {
      DeviceRuntime& d = devices_[deadline.index];
      d.rearm_at.reset();
      if (d.probing) return;  // the answer to the query re-arms it
      // Late (the system was suspended, the loop stalled): the lease may be gone already.
      if (lease_may_run_out(d)) {
        resend_checked(deadline.index, "padtimer was late to renew it (a suspend or a stall)");
        return;
      }
      command(deadline.index, d.commanded);
      return;
    }
    case Wake::state_refresh:
      zones_[deadline.index].refresh_at = now_.mono + config_.safety.state_refresh;
      publish_state(zones_[deadline.index]);
      persist(zones_[deadline.index]);
      return;
  }
}

// ---- Inputs ----------------------------------------------------------------------------

void Engine::on_request(const Request& request) {
  Reply reply{request.id, request.zone, true, Reason::ok, {}};
  CheckResult refusal;
  if (request.action == Action::stop_all) {
    stop_all(reply.message);
  } else if (auto z = find_zone(request.zone); !z) {
    refusal = Verdict{Reason::unknown_zone, "there is no zone named '" + request.zone + "'", {}};
  } else {
    ZoneRuntime& zone = zones_[*z];
    switch (request.action) {
      case Action::start: refusal = start(zone, request, reply.message); break;
      case Action::stop: refusal = stop(zone, reply.message); break;
      case Action::pause: refusal = pause(zone, reply.message); break;
      case Action::resume: refusal = resume(zone, reply.message); break;
      case Action::skip: refusal = skip(zone, reply.message); break;
      case Action::extend: refusal = extend(zone, request.extend_by, reply.message); break;
      case Action::reset: refusal = reset(zone, reply.message); break;
      case Action::stop_all: break;
    }
    if (refusal && request.scheduled && request.action == Action::start) {
      publish_event(zone, EventKind::schedule_skipped, refusal->reason,
                    "scheduled " + request.routine + " skipped: " + refusal->message);
    }
  }
  if (refusal) {
    reply.ok = false;
    reply.code = refusal->reason;
    reply.message = refusal->message;
  }
  out_.push_back(std::move(reply));
}

void Engine::on_report(const DeviceReport& report) {
  auto index = find_device(report.device);
  if (!index) return;  // not ours: drivers only forward configured devices, so ignore
  // A retained state is the broker's memory of some earlier moment, not the device's state
  // now: it confirms nothing and is not acted on.
  if (report.retained) return;
  DeviceRuntime& d = devices_[*index];
  ZoneRuntime& zone = zones_[d.zone];
  if (d.probing) {
    on_report_while_probing(*index, report);
    return;
  }
  d.reported = report.output;
  if (report.output != Output::off && !d.maybe_on) {
    // ON by other means (its button, a stale command): physically ON until it says OFF.
    mark_maybe_on(d, std::nullopt);
    persist(zone);
  }
  // Known OFF: the answer to an OFF, or any report once no command is in flight (an OFF
  // status crossing an ON in flight would not prove it).
  if (report.output == Output::off && d.commanded == Output::off &&
      (report.answer || !d.awaiting)) {
    known_off(*index, now_.mono);
  }
  if (report.output == d.commanded) {
    if (!d.awaiting || !report.answer) return;
    d.awaiting = false;
    if (d.commanded != Output::off) d.on_confirmed = true;
    if (d.commanded != Output::off && d.lease_unconfirmed_until) {
      d.lease_until = d.lease_unconfirmed_until;
      d.lease_unconfirmed_until.reset();
    }
    if (report.output == Output::off) try_run_phase(zone);
    return;
  }
  // A report that disagrees while a command is in flight may predate it: wait for the
  // confirmation or its timeout. Not an OFF after the pad confirmed ON: that came later.
  if (d.awaiting && !(d.on_confirmed && report.output == Output::off)) return;
  if (d.commanded == Output::off || report.output != Output::off) {
    // ON without a command, or in the wrong mode: switch it off and latch.
    std::string what = d.commanded == Output::off
                           ? "switched " + std::string(to_string(report.output)) +
                                 " without a command from padtimer"
                           : "reports " + std::string(to_string(report.output)) + " instead of " +
                                 std::string(to_string(d.commanded));
    command(*index, Output::off);
    latch_fault(zone, {Reason::unexpected_state,
                       d.spec->id + " " + what +
                           "; it was told to switch off. Check the device, then reset",
                       std::nullopt});
    return;
  }
  // OFF while it should be ON: a button, a power cut or its own auto-off. Never switch a
  // pad back on behind the user's back: pause and let them resume.
  pause_session(zone, Reason::unexpected_state,
                d.spec->id +
                    " switched off outside padtimer (its button, a power cut or its own "
                    "auto-off); the session is paused: resume or stop it");
}

void Engine::on_availability(const DeviceAvailability& availability) {
  auto index = find_device(availability.device);
  if (!index) return;
  DeviceRuntime& d = devices_[*index];
  if (!availability.online) {
    if (d.offline) return;
    d.offline = true;
    ZoneRuntime& zone = zones_[d.zone];
    if (zone.session) {
      latch_fault(zone, {Reason::device_offline,
                         d.spec->id + " went offline during the session; the zone's other "
                                      "devices were switched off. Check it, then reset",
                         std::nullopt});
    }
    return;
  }
  // Online: back from offline, or announcing a connection whose loss padtimer never heard
  // of (a broker restart loses the devices' wills). Either way it may have missed commands
  // meanwhile, and the state it reports on connecting answers none of them: it gets its
  // command again now, on a live connection, rather than a re-arm later on a lapsed lease.
  // A retained "online" that comes with padtimer's own subscribing tells nothing new.
  const bool was_offline = d.offline;
  d.offline = false;
  if (!was_offline && availability.retained) return;
  after_gap(*index, connected_ ? "it was disconnected" : "the broker was unreachable");
}

void Engine::on_report_while_probing(std::size_t index, const DeviceReport& report) {
  DeviceRuntime& d = devices_[index];
  ZoneRuntime& zone = zones_[d.zone];
  d.reported = report.output;
  if (report.output == Output::off) {
    // Whatever switched it off (its button, a power cut, a restart, its lease), padtimer
    // did not: never back ON behind the user's back.
    d.probing = false;
    const std::string message = d.spec->id + " is OFF after " + d.probe_gap +
                                " (its button, a power cut or a restart); the session is "
                                "paused: resume or stop it";
    command(index, Output::off, Confirmation::restart);
    pause_session(zone, Reason::unexpected_state, message);
    return;
  }
  if (!report.answer) return;  // a status may have crossed the query: wait for its answer
  d.probing = false;
  if (report.output == d.commanded) {
    resend_checked(index, d.probe_gap);
    return;
  }
  command(index, Output::off, Confirmation::restart);
  latch_fault(zone, {Reason::unexpected_state,
                     d.spec->id + " reports " + std::string(to_string(report.output)) +
                         " instead of " + std::string(to_string(d.commanded)) + " after " +
                         d.probe_gap + "; it was told to switch off. Check the device, then reset",
                     std::nullopt});
}

void Engine::on_temperature(const TemperatureReading& reading) {
  auto index = find_device(reading.device);
  if (!index || !std::isfinite(reading.celsius)) return;
  DeviceRuntime& d = devices_[*index];
  if (!d.spec->sensor) return;
  d.temperature = reading.celsius;
  d.temperature_at = now_.mono;
  if (d.watch_deadline || d.watch_due) {
    if (!d.watch_baseline) {
      d.watch_baseline = reading.celsius;
      d.watch_best = reading.celsius;
    } else if (d.commanded == Output::cold) {
      d.watch_best = std::min(d.watch_best, reading.celsius);
    } else {
      d.watch_best = std::max(d.watch_best, reading.celsius);
    }
  }
  if (auto v = check_temperature(*d.spec, reading.celsius)) {
    latch_fault(zones_[d.zone], *v);
  } else if (d.watch_due) {
    judge_watch(*index);
  }
}

void Engine::judge_watch(std::size_t index) {
  DeviceRuntime& d = devices_[index];
  d.watch_due = false;
  if (!d.watch_baseline) return;
  if (auto v = check_response(*d.spec, d.commanded, *d.watch_baseline, d.watch_best)) {
    latch_fault(zones_[d.zone], *v);
  }
}

void Engine::on_broker(const BrokerConnection& connection) {
  if (connection.connected == connected_) return;
  connected_ = connection.connected;
  if (!connected_) {
    broker_lost_at_ = now_.mono;
    for (DeviceRuntime& d : devices_)
      d.transmitted = false;
    return;
  }
  broker_lost_at_.reset();
  // Re-establish every device's commanded state: the broker may have lost our commands, and
  // padtimer missed whatever the devices said meanwhile.
  for (std::size_t d = 0; d < devices_.size(); ++d)
    after_gap(d, "the broker was unreachable");
}

void Engine::on_history(const StoredHistory& history) {
  for (const ZoneHistory& h : history.zones)
    merge_history(h, /*reread=*/true);
  if (clock_doubt_ && std::chrono::abs(wall_minus_mono(now_) - *clock_doubt_) > kClockStep &&
      std::none_of(zones_.begin(), zones_.end(), [this](const ZoneRuntime& zone) {
        return zone.clock_floor && now_.wall < *zone.clock_floor;
      })) {
    clock_doubt_.reset();  // set (by NTP or by hand) past every record
  }
  history_offset_ = wall_minus_mono(now_);
  history_utc_offset_ = now_.utc_offset;
  history_day_ = local_day(now_.wall, now_.utc_offset);
  for (ZoneRuntime& zone : zones_) {
    // Kept again with the moved clock's times: what was kept before it moved may be dated
    // by a clock that was wrong, and would hide this life's record behind an older one.
    zone.persisted.reset();
    persist(zone);
    publish_state_if_devices_changed(zone);
  }
}

void Engine::merge_history(const ZoneHistory& h, bool reread) {
  auto z = find_zone(h.zone);
  if (!z) return;
  ZoneRuntime& zone = zones_[*z];
  auto later = [](auto& into, const auto& value) {
    if (value && (!into || *value > *into)) into = value;
  };
  later(zone.last_end.wall, h.last_session_end);
  later(zone.last_end.mono, h.last_session_end_mono);
  Duration& used = zone.exposure[h.day];
  used = std::max(used, h.exposure);
  if (used == Duration::zero()) zone.exposure.erase(h.day);
  for (const DeviceMaybeOn& on : h.maybe_on) {
    auto index = find_device(on.device);
    if (!index || devices_[*index].zone != *z) continue;
    if (reread && confirmed_off(devices_[*index]) && !devices_[*index].maybe_on) continue;
    std::optional<MonoTime> bound;
    if (on.until) bound = now_.mono + (*on.until - now_.wall);
    if (bound && *bound <= now_.mono) {
      // OFF by its lease since then: the rest counts from there.
      later(zone.last_end.wall, on.until);
      later(zone.last_end.mono, bound);
      continue;
    }
    mark_maybe_on(devices_[*index], bound);
  }
}

bool Engine::lease_may_run_out(const DeviceRuntime& device) const {
  // The earliest the lease may run out: from the ON it confirmed, else from the oldest one
  // sent (if that arrived, it runs out then). A re-send may take up to confirm_timeout to
  // arrive: a lease ending sooner counts as run out.
  const auto expiry = device.lease_until ? device.lease_until : device.lease_unconfirmed_until;
  return device.commanded != Output::off && device.spec->auto_off && expiry &&
         *expiry <= now_.mono + config_.safety.confirm_timeout;
}

void Engine::after_gap(std::size_t index, const std::string& gap) {
  DeviceRuntime& device = devices_[index];
  if (device.commanded == Output::off) {
    command(index, Output::off, Confirmation::restart);
  } else if (lease_may_run_out(device) || !device.on_sent) {
    // Run out: OFF and a pause. Never sent: it cannot have changed, so it is simply sent.
    resend_checked(index, gap);
  } else {
    start_probe(index, gap);
  }
}

void Engine::start_probe(std::size_t index, const std::string& gap) {
  DeviceRuntime& d = devices_[index];
  d.probing = true;
  d.probe_attempts = 1;
  d.probe_deadline = now_.mono + config_.safety.confirm_timeout;
  d.probe_gap = gap;
  d.transmitted = false;  // nothing in flight to time out: the query has its own deadline
  d.rearm_at.reset();
  if (connected_) out_.push_back(QueryState{d.spec->id});
}

void Engine::resend_checked(std::size_t index, const std::string& gap) {
  DeviceRuntime& device = devices_[index];
  // A device whose lease may have run out has switched itself off: never switch it back on
  // behind the user's back; its session pauses, as for any pad switched off outside padtimer.
  if (lease_may_run_out(device)) {
    command(index, Output::off, Confirmation::restart);
    pause_session(zones_[device.zone], Reason::unexpected_state,
                  device.spec->id + " switched itself off by its auto-off lease while " + gap +
                      "; the session is paused: resume or stop it");
    return;
  }
  command(index, device.commanded, Confirmation::restart);
}

// ---- Requests --------------------------------------------------------------------------

CheckResult Engine::start(ZoneRuntime& zone, const Request& request, std::string& message) {
  const std::string& id = zone.spec->id;
  auto r = find_routine(request.routine);
  if (!r)
    return Verdict{
        Reason::unknown_routine, "there is no routine named '" + request.routine + "'", {}};
  const Routine& routine = config_.routines[*r];
  if (zone.fault != Reason::ok) {
    return Verdict{Reason::fault_latched,
                   id + " is latched in fault (" + std::string(reason_code(zone.fault)) +
                       "): " + zone.fault_message,
                   {}};
  }
  if (zone.session) {
    return Verdict{
        Reason::session_running, id + " is already running " + zone.session->routine->id, {}};
  }
  if (auto kind = missing_device_kind(*zone.spec, routine)) {
    const std::string name(to_string(*kind));
    return Verdict{Reason::routine_unsupported,
                   "routine " + routine.id + " has a " + name + " phase but " + id + " has no " +
                       name + " device",
                   {}};
  }
  if (zone.clock_floor && clock_doubt_ && now_.wall >= *zone.clock_floor) {
    return Verdict{Reason::clock_not_set,
                   "the clock read earlier than padtimer's last record of " + id + " (" +
                       describe_moment(*zone.clock_floor, now_) +
                       ") when padtimer started and has not been set since: it may still be "
                       "behind by as long as padtimer was down, so rest and today's exposure "
                       "cannot be judged. Starts wait until it is set (by NTP, or by hand)",
                   {}};
  }
  if (zone.clock_floor && now_.wall < *zone.clock_floor) {
    return Verdict{Reason::clock_not_set,
                   "the clock reads " + describe_moment(now_.wall, now_) +
                       ", earlier than padtimer's last record of " + id + " (" +
                       describe_moment(*zone.clock_floor, now_) +
                       "): it has not been set yet, so rest and today's exposure cannot be "
                       "judged. Starts wait until it is (a Raspberry Pi without a clock "
                       "battery gets the time by NTP)",
                   {}};
  }
  // Reasons that last (rest, cap) before passing ones (broker, readiness): the user learns
  // when a start will be possible, not merely that a device is still answering.
  if (auto v = check_session_rest(id, zone.spec->min_rest, zone.last_end, now_)) return v;
  if (auto v = check_daily_cap(id, zone.spec->daily_cap, exposure_today(zone),
                               therapy_total(routine), now_)) {
    return v;
  }
  if (!connected_) {
    return Verdict{
        Reason::broker_offline,
        "the MQTT broker is unreachable, so " + id + "'s devices cannot be driven or watched",
        {}};
  }
  if (auto v = devices_ready(zone)) return v;
  zone.session =
      SessionRuntime{&routine, local_day(now_.wall, now_.utc_offset), 0, {}, {}, {}, false, {}};
  zone.refresh_at = now_.mono + config_.safety.state_refresh;
  publish_event(zone, EventKind::session_started, Reason::ok,
                "started " + routine.id + " on " + id + (request.scheduled ? " (scheduled)" : ""));
  enter_phase(zone, 0);
  std::size_t phases = routine.phases.size();
  message = "started " + routine.id + " on " + id + ": " + std::to_string(phases) +
            (phases == 1 ? " phase, " : " phases, ") + describe_duration(therapy_total(routine)) +
            " of therapy";
  return std::nullopt;
}

CheckResult Engine::stop(ZoneRuntime& zone, std::string& message) {
  if (!zone.session)
    return Verdict{Reason::not_running, zone.spec->id + " has no session to stop", {}};
  end_session(zone, SessionOutcome::stopped, "stopped on request");
  message = "stopped the session on " + zone.spec->id;
  return std::nullopt;
}

CheckResult Engine::pause(ZoneRuntime& zone, std::string& message) {
  if (!zone.session)
    return Verdict{Reason::not_running, zone.spec->id + " has no session to pause", {}};
  if (zone.session->paused)
    return Verdict{Reason::already_paused, zone.spec->id + " is already paused", {}};
  pause_session(zone, Reason::ok, "paused on request");
  message = "paused " + zone.spec->id + "; it stops by itself after " +
            describe_duration(config_.safety.max_pause) + " unless resumed";
  return std::nullopt;
}

CheckResult Engine::resume(ZoneRuntime& zone, std::string& message) {
  if (!zone.session)
    return Verdict{Reason::not_running, zone.spec->id + " has no session to resume", {}};
  SessionRuntime& s = *zone.session;
  if (!s.paused) return Verdict{Reason::not_paused, zone.spec->id + " is not paused", {}};
  if (!connected_) {
    return Verdict{
        Reason::broker_offline, "the MQTT broker is unreachable; try again when it is back", {}};
  }
  if (auto dev = phase_device(zone); dev && devices_[*dev].offline) {
    return Verdict{Reason::device_offline, devices_[*dev].spec->id + " is offline", {}};
  }
  s.paused = false;
  // The event first: it explains the ON that follows, even if padtimer dies in between.
  publish_event(zone, EventKind::resumed, Reason::ok, "resumed");
  try_run_phase(zone);
  publish_state(zone);
  message = "resumed " + zone.spec->id + "; " + describe_duration(phase_remaining(zone)) +
            " left in this phase";
  return std::nullopt;
}

CheckResult Engine::skip(ZoneRuntime& zone, std::string& message) {
  if (!zone.session) return Verdict{Reason::not_running, zone.spec->id + " has no session", {}};
  SessionRuntime& s = *zone.session;
  if (s.paused)
    return Verdict{
        Reason::already_paused, zone.spec->id + " is paused: resume it before skipping", {}};
  if (s.routine->phases[s.phase].kind == PhaseKind::rest) {
    // A rest protects the skin between applications: it may be cut short, not skipped.
    Duration needed = std::min(s.planned, config_.safety.phase_rest);
    if (s.done < needed) {
      WallTime at = now_.wall + (needed - s.done);
      return Verdict{Reason::rest_interval,
                     "rest interval: " + zone.spec->id + " may skip this rest " +
                         describe_moment(at, now_) + " (at least " + describe_duration(needed) +
                         " of rest between applications)",
                     at};
    }
  }
  std::string skipped = phase_name(*s.routine, s.phase);
  end_phase(zone);
  message = "skipped " + skipped + " on " + zone.spec->id;
  return std::nullopt;
}

CheckResult Engine::extend(ZoneRuntime& zone, Duration by, std::string& message) {
  if (!zone.session) return Verdict{Reason::not_running, zone.spec->id + " has no session", {}};
  SessionRuntime& s = *zone.session;
  PhaseKind kind = s.routine->phases[s.phase].kind;
  ExtendDecision decision = check_extend(kind, s.planned, by);
  if (decision.refusal) return decision.refusal;
  if (kind != PhaseKind::rest) {
    if (auto v = check_daily_cap(zone.spec->id, zone.spec->daily_cap, exposure_on(zone, s.day),
                                 therapy_left(zone) + decision.granted, now_)) {
      return v;
    }
  }
  s.planned += decision.granted;
  // A lease sized to the old end would switch the pad off early: re-arm it now.
  if (auto dev = phase_device(zone); dev && s.running_since && devices_[*dev].spec->auto_off) {
    command(*dev, devices_[*dev].commanded);
  }
  publish_state(zone);
  message =
      "extended " + phase_name(*s.routine, s.phase) + " by " + describe_duration(decision.granted);
  if (decision.granted < by) {
    message += " (" + std::string(to_string(kind)) + " phases are limited to " +
               describe_duration(phase_max(kind)) + ")";
  }
  message += "; " + describe_duration(phase_remaining(zone)) + " left";
  return std::nullopt;
}

CheckResult Engine::reset(ZoneRuntime& zone, std::string& message) {
  if (zone.fault == Reason::ok)
    return Verdict{Reason::not_faulted, zone.spec->id + " has no fault to reset", {}};
  Reason was = zone.fault;
  zone.fault = Reason::ok;
  zone.fault_message.clear();
  // Devices that never confirmed OFF get another chance to, before any start.
  for (std::size_t d : zone.devices) {
    if (!confirmed_off(devices_[d])) command(d, Output::off);
  }
  publish_event(zone, EventKind::fault_reset, was,
                "fault " + std::string(reason_code(was)) + " reset");
  persist(zone);
  publish_state(zone);
  message = "cleared the " + std::string(reason_code(was)) + " fault on " + zone.spec->id;
  return std::nullopt;
}

void Engine::stop_all(std::string& message) {
  int stopped = 0;
  for (ZoneRuntime& zone : zones_) {
    if (zone.session) {
      end_session(zone, SessionOutcome::emergency_stop, "emergency stop");
      ++stopped;
    }
  }
  // Drive everything OFF again, even devices believed off: this is the big red button.
  for (std::size_t d = 0; d < devices_.size(); ++d)
    command(d, Output::off);
  message = "emergency stop: " + std::to_string(stopped) + " session(s) stopped and " +
            std::to_string(devices_.size()) + " device(s) commanded off";
}

// ---- Session mechanics -----------------------------------------------------------------

void Engine::accrue(ZoneRuntime& zone) {
  if (!zone.session || !zone.session->running_since) return;
  SessionRuntime& s = *zone.session;
  // Never past the phase's end: a late wake (a suspend) ends the phase at its time.
  const MonoTime until = std::min(now_.mono, *phase_end_at(zone));
  Duration delta = until - *s.running_since;
  if (delta <= Duration::zero()) return;
  s.done += delta;
  s.running_since = until;
}

void Engine::count_exposure(ZoneRuntime& zone) {
  const MonoTime from = zone.exposure_counted;
  if (now_.mono <= from) return;
  zone.exposure_counted = now_.mono;
  // Exposure is the time a device of the zone was, or may have been, physically ON.
  MonoTime until = from;
  for (std::size_t i : zone.devices) {
    const DeviceRuntime& d = devices_[i];
    if (d.maybe_on)
      until = std::max(until, d.on_bound ? std::min(now_.mono, *d.on_bound) : now_.mono);
  }
  if (until > from) {
    const LocalDay day = exposure_day(zone);
    zone.exposure[day] += until - from;
    while (zone.exposure.size() > kExposureDays) {
      auto oldest = zone.exposure.begin();
      if (oldest->first == day) ++oldest;
      zone.exposure.erase(oldest);
    }
  }
  // Commanded OFF and past its lease: OFF by now, confirmed or not.
  for (std::size_t i : zone.devices) {
    const DeviceRuntime& d = devices_[i];
    if (d.maybe_on && d.commanded == Output::off && d.on_bound && *d.on_bound <= now_.mono) {
      known_off(i, *d.on_bound);
    }
  }
}

LocalDay Engine::exposure_day(const ZoneRuntime& zone) const {
  // A session counts toward the day its start was checked against the cap.
  return zone.session ? zone.session->day : local_day(now_.wall, now_.utc_offset);
}

void Engine::known_off(std::size_t index, MonoTime at) {
  DeviceRuntime& d = devices_[index];
  if (!d.maybe_on) return;
  d.maybe_on = false;
  d.on_bound.reset();
  ZoneRuntime& zone = zones_[d.zone];
  // The rest counts from the last moment a pad was ON, not from the end of its session.
  const WallTime wall = now_.wall - (now_.mono - at);
  if (!zone.last_end.mono || at > *zone.last_end.mono) zone.last_end.mono = at;
  if (!zone.last_end.wall || wall > *zone.last_end.wall) zone.last_end.wall = wall;
  persist(zone);
}

void Engine::mark_maybe_on(DeviceRuntime& d, std::optional<MonoTime> bound) {
  if (!d.maybe_on) {
    d.maybe_on = true;
    d.on_bound = bound;
  } else if (!bound || !d.on_bound) {
    d.on_bound.reset();  // an ON without a lease may still hold
  } else {
    d.on_bound = std::max(*d.on_bound, *bound);
  }
}

void Engine::enter_phase(ZoneRuntime& zone, std::size_t index) {
  SessionRuntime& s = *zone.session;
  s.phase = index;
  s.planned = s.routine->phases[index].length;
  s.done = Duration::zero();
  s.running_since.reset();
  publish_event(zone, EventKind::phase_started, Reason::ok,
                "started " + phase_name(*s.routine, index));
  try_run_phase(zone);
  publish_state(zone);
}

void Engine::end_phase(ZoneRuntime& zone) {
  accrue(zone);
  SessionRuntime& s = *zone.session;
  if (auto dev = phase_device(zone)) switch_off(*dev);
  s.running_since.reset();
  publish_event(zone, EventKind::phase_ended, Reason::ok,
                "ended " + phase_name(*s.routine, s.phase));
  persist(zone);
  if (s.phase + 1 < s.routine->phases.size()) {
    enter_phase(zone, s.phase + 1);
  } else {
    end_session(zone, SessionOutcome::completed, "completed " + s.routine->id);
  }
}

void Engine::end_session(ZoneRuntime& zone, SessionOutcome outcome, const std::string& message) {
  if (!zone.session) return;
  accrue(zone);
  SessionRuntime& s = *zone.session;
  if (outcome != SessionOutcome::completed) {
    // The interrupted phase is recorded with the time it actually ran.
    publish_event(zone, EventKind::phase_ended, Reason::ok,
                  "ended " + phase_name(*s.routine, s.phase) + " early");
  }
  all_off(zone);
  zone.last_end = {now_.mono, now_.wall};
  ZoneEvent ended{zone.spec->id,
                  EventKind::session_ended,
                  now_.wall,
                  s.routine->id,
                  static_cast<int>(s.phase),
                  s.routine->phases[s.phase].kind,
                  {},
                  outcome,
                  zone.fault,
                  message};
  zone.session.reset();
  zone.refresh_at.reset();
  out_.push_back(PublishEvent{std::move(ended)});
  persist(zone);
  publish_state(zone);
}

void Engine::pause_session(ZoneRuntime& zone, Reason reason, const std::string& message) {
  if (!zone.session || zone.session->paused) return;
  accrue(zone);
  SessionRuntime& s = *zone.session;
  s.paused = true;
  s.paused_at = now_.mono;
  s.running_since.reset();
  if (auto dev = phase_device(zone)) switch_off(*dev);
  publish_event(zone, EventKind::paused, reason, message);
  publish_state(zone);
}

void Engine::try_run_phase(ZoneRuntime& zone) {
  if (!zone.session || zone.fault != Reason::ok) return;
  SessionRuntime& s = *zone.session;
  if (s.paused || s.running_since) return;
  // Interlock: every device of the zone, the phase's own included (a dual pad changing
  // mode), confirmed OFF first. A rest counts from then too: skin rests once the pads are
  // known OFF, not once they were told so.
  for (std::size_t d : zone.devices) {
    if (!confirmed_off(devices_[d])) return;
  }
  s.running_since = now_.mono;
  if (auto target = phase_device(zone))
    command(*target, output_for(s.routine->phases[s.phase].kind));
}

void Engine::latch_fault(ZoneRuntime& zone, const Verdict& verdict) {
  if (zone.fault != Reason::ok) {
    all_off(zone);  // already latched: the first reason stays
    return;
  }
  zone.fault = verdict.reason;
  zone.fault_message = verdict.message;
  persist(zone);  // latched across a restart, even if what follows never happens
  publish_event(zone, EventKind::fault, verdict.reason, verdict.message);
  end_session(zone, SessionOutcome::fault, verdict.message);
  // OFF again even to devices believed off: a pad reading 50 °C while "off" may have a
  // welded relay or a finger on its button, and the message promises it was switched off.
  for (std::size_t d : zone.devices) {
    bool off_in_flight = devices_[d].commanded == Output::off && devices_[d].awaiting;
    if (!off_in_flight) command(d, Output::off);
  }
  publish_state(zone);
}

std::optional<std::size_t> Engine::phase_device(const ZoneRuntime& zone) const {
  if (!zone.session) return std::nullopt;
  switch (zone.session->routine->phases[zone.session->phase].kind) {
    case PhaseKind::heat: return zone.heat_device;
    case PhaseKind::cold: return zone.cold_device;
    case PhaseKind::rest: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<MonoTime> Engine::phase_end_at(const ZoneRuntime& zone) const {
  if (!zone.session || !zone.session->running_since) return std::nullopt;
  const SessionRuntime& s = *zone.session;
  return *s.running_since + (s.planned - s.done);
}

Duration Engine::phase_remaining(const ZoneRuntime& zone) const {
  if (!zone.session) return Duration::zero();
  const SessionRuntime& s = *zone.session;
  Duration done = s.done;
  if (s.running_since) done += now_.mono - *s.running_since;
  return std::max(Duration::zero(), s.planned - done);
}

Duration Engine::therapy_left(const ZoneRuntime& zone) const {
  const SessionRuntime& s = *zone.session;
  Duration left{};
  if (s.routine->phases[s.phase].kind != PhaseKind::rest) left += phase_remaining(zone);
  for (std::size_t i = s.phase + 1; i < s.routine->phases.size(); ++i) {
    if (s.routine->phases[i].kind != PhaseKind::rest) left += s.routine->phases[i].length;
  }
  return left;
}

Duration Engine::exposure_today(const ZoneRuntime& zone) const {
  return exposure_on(zone, local_day(now_.wall, now_.utc_offset));
}

Duration Engine::exposure_on(const ZoneRuntime& zone, LocalDay day) const {
  auto it = zone.exposure.find(day);
  return it == zone.exposure.end() ? Duration::zero() : it->second;
}

bool Engine::confirmed_off(const DeviceRuntime& d) const {
  return d.commanded == Output::off && !d.awaiting && d.reported == Output::off;
}

CheckResult Engine::devices_ready(const ZoneRuntime& zone) const {
  for (std::size_t i : zone.devices) {
    const DeviceRuntime& d = devices_[i];
    if (d.offline) return Verdict{Reason::device_offline, d.spec->id + " is offline", {}};
    if (!confirmed_off(d)) {
      return Verdict{
          Reason::device_not_ready,
          d.spec->id + " has not confirmed that it is off yet; wait a moment or check it",
          {}};
    }
    if (d.temperature) {
      if (auto v = check_temperature(*d.spec, *d.temperature)) return v;
    }
  }
  return std::nullopt;
}

// ---- Device commands -------------------------------------------------------------------

void Engine::command(std::size_t index, Output output, Confirmation confirmation) {
  DeviceRuntime& d = devices_[index];
  // Re-sending the command already awaiting confirmation keeps its clock and attempt
  // count, so repeated sends (lease re-arms, extends) can never postpone an ack_timeout.
  // Only a reconnect restarts it: the old clock ran while nothing could be delivered.
  if (output != d.commanded || !d.awaiting || confirmation == Confirmation::restart) {
    d.attempts = 1;
    d.confirm_deadline = now_.mono + config_.safety.confirm_timeout;
  }
  bool was_on = d.commanded != Output::off;
  d.commanded = output;
  d.awaiting = true;
  if (output == Output::off) {
    d.probing = false;  // OFF is safe whatever the device's state
    d.on_sent = false;
    d.on_confirmed = false;
    d.on_since.reset();
    d.watch_deadline.reset();
    d.watch_due = false;
    d.watch_baseline.reset();
    d.rearm_at.reset();
    d.lease_unconfirmed_until.reset();
    d.lease_until.reset();
  } else if (!was_on) {
    d.on_since = now_.mono;
    const SensorSpec* sensor = d.spec->sensor ? &*d.spec->sensor : nullptr;
    const auto& watch = !sensor                  ? std::nullopt
                        : output == Output::cold ? sensor->cool_down
                                                 : sensor->heat_up;
    if (watch) {
      d.watch_deadline = now_.mono + watch->within;
      // A reading from just before ON is a fair baseline; an older one is not.
      bool fresh = d.temperature_at && now_.mono - *d.temperature_at <= sensor->telemetry_timeout;
      if (fresh) {
        d.watch_baseline = d.temperature;
        d.watch_best = *d.temperature;
      }
    }
  }
  if (output != Output::off && !d.maybe_on) {
    // Kept before the ON goes out: a crash right after it still knows the pad may be ON.
    mark_maybe_on(d, lease_bound(d));
    persist(zones_[d.zone]);
  }
  transmit(index);
}

std::optional<MonoTime> Engine::lease_bound(const DeviceRuntime& d) const {
  auto lease = lease_for(d);
  if (!lease) return std::nullopt;
  // The lease starts when the command arrives, up to confirm_timeout after it was sent.
  return now_.mono + *lease + config_.safety.confirm_timeout;
}

void Engine::transmit(std::size_t index) {
  DeviceRuntime& d = devices_[index];
  if (d.probing && d.commanded != Output::off) {
    d.transmitted = false;  // no ON until the device has told its state
    return;
  }
  if (!connected_) {
    d.transmitted = false;
    // An OFF is still emitted: the transport may hold it, and at start-up OFF comes first.
    // An ON is not: held until the broker is back, it would arrive stale (after the device
    // switched itself off, or just before the OFF of a session that faulted meanwhile);
    // the reconnect re-establishes what is still wanted.
    if (d.commanded == Output::off)
      out_.push_back(SetOutput{d.spec->id, d.commanded, std::nullopt});
    return;
  }
  d.transmitted = true;
  auto lease = lease_for(d);
  if (lease) {
    d.rearm_at = now_.mono + config_.safety.lease_rearm;
    if (!d.lease_unconfirmed_until) d.lease_unconfirmed_until = now_.mono + *lease;
  }
  if (d.commanded != Output::off) {
    d.on_sent = true;
    mark_maybe_on(d, lease_bound(d));
  }
  out_.push_back(SetOutput{d.spec->id, d.commanded, lease});
}

std::optional<Duration> Engine::lease_for(const DeviceRuntime& d) const {
  if (d.commanded == Output::off || !d.spec->auto_off) return std::nullopt;
  // Never longer than the phase: if padtimer dies, the pad still stops close to its end.
  Duration remaining = phase_remaining(zones_[d.zone]) + config_.safety.lease_margin;
  return std::min(config_.safety.lease, remaining);
}

void Engine::switch_off(std::size_t device) {
  if (devices_[device].commanded != Output::off) command(device, Output::off);
}

void Engine::all_off(ZoneRuntime& zone) {
  for (std::size_t d : zone.devices)
    switch_off(d);
}

// ---- Outputs ---------------------------------------------------------------------------

void Engine::publish_state(ZoneRuntime& zone) {
  ZoneSnapshot snapshot = make_snapshot(zone);
  zone.published = snapshot;
  out_.push_back(PublishState{std::move(snapshot)});
}

void Engine::publish_state_if_devices_changed(ZoneRuntime& zone) {
  // Temperatures move a little with every reading; half a degree is worth telling.
  constexpr double kTemperatureStep = 0.5;
  auto differs = [&](const DeviceSnapshot& a, const DeviceSnapshot& b) {
    if (a.output != b.output || a.confirmed != b.confirmed || a.online != b.online) return true;
    if (a.temperature_c.has_value() != b.temperature_c.has_value()) return true;
    return a.temperature_c && std::abs(*a.temperature_c - *b.temperature_c) >= kTemperatureStep;
  };
  ZoneSnapshot now = make_snapshot(zone);
  bool changed = !zone.published || zone.published->ready != now.ready ||
                 zone.published->devices.size() != now.devices.size();
  for (std::size_t i = 0; !changed && i < now.devices.size(); ++i) {
    changed = differs(zone.published->devices[i], now.devices[i]);
  }
  if (changed) publish_state(zone);
}

void Engine::publish_event(const ZoneRuntime& zone, EventKind kind, Reason reason,
                           const std::string& message) {
  ZoneEvent e;
  e.zone = zone.spec->id;
  e.kind = kind;
  e.at = now_.wall;
  e.reason = reason;
  e.message = message;
  if (zone.session) {
    const SessionRuntime& s = *zone.session;
    e.routine = s.routine->id;
    e.phase_index = static_cast<int>(s.phase);
    e.phase_kind = s.routine->phases[s.phase].kind;
    if (e.phase_kind != PhaseKind::rest) e.on_time = s.done;
  }
  out_.push_back(PublishEvent{std::move(e)});
}

ZoneSnapshot Engine::make_snapshot(const ZoneRuntime& zone) const {
  ZoneSnapshot snap;
  snap.zone = zone.spec->id;
  snap.exposure_today = exposure_today(zone);
  snap.daily_cap = zone.spec->daily_cap;
  snap.fault = zone.fault;
  snap.fault_message = zone.fault_message;
  snap.ready = connected_;
  for (std::size_t i : zone.devices) {
    const DeviceRuntime& d = devices_[i];
    // What the device last reported: a lease re-arm re-sends the same command, and the
    // state must not flicker to "not ready" until the device answers it.
    bool confirmed = d.reported == d.commanded;
    snap.ready = snap.ready && confirmed && !d.offline;
    snap.devices.push_back(DeviceSnapshot{d.spec->id, d.spec->role, d.commanded, confirmed,
                                          !d.offline, d.temperature});
  }
  if (zone.session) {
    const SessionRuntime& s = *zone.session;
    PhaseKind kind = s.routine->phases[s.phase].kind;
    snap.status = s.paused                  ? ZoneStatus::paused
                  : kind == PhaseKind::heat ? ZoneStatus::heat
                  : kind == PhaseKind::cold ? ZoneStatus::cold
                                            : ZoneStatus::rest;
    snap.routine = s.routine->id;
    snap.phase_index = static_cast<int>(s.phase);
    snap.phase_count = static_cast<int>(s.routine->phases.size());
    snap.phase_kind = kind;
    // Waiting for every device of the zone to confirm OFF (the interlock, or a rest that
    // counts only from then).
    snap.waiting_for_interlock = !s.paused && !s.running_since;
    snap.phase_remaining = phase_remaining(zone);
  } else {
    if (zone.fault != Reason::ok) snap.status = ZoneStatus::fault;
    if (auto v = check_session_rest(zone.spec->id, zone.spec->min_rest, zone.last_end, now_)) {
      snap.next_allowed_start = v->allowed_at;
    }
    if (snap.exposure_today >= zone.spec->daily_cap) {
      WallTime midnight = next_local_midnight(now_.wall, now_.utc_offset);
      if (!snap.next_allowed_start || midnight > *snap.next_allowed_start) {
        snap.next_allowed_start = midnight;
      }
    }
  }
  return snap;
}

ZoneSnapshot Engine::snapshot(const std::string& zone) const {
  return make_snapshot(zones_.at(zone_index_.at(zone)));
}

Output Engine::commanded(const std::string& device) const {
  return devices_.at(device_index_.at(device)).commanded;
}

bool Engine::confirmed(const std::string& device) const {
  const DeviceRuntime& d = devices_.at(device_index_.at(device));
  return !d.awaiting && d.reported == d.commanded;
}

bool Engine::all_off_confirmed() const {
  return std::all_of(devices_.begin(), devices_.end(),
                     [this](const DeviceRuntime& d) { return confirmed_off(d); });
}

Duration Engine::exposure(const std::string& zone, LocalDay day) const {
  return exposure_on(zones_.at(zone_index_.at(zone)), day);
}

bool Engine::history_stale(const Now& now) const {
  return std::chrono::abs(wall_minus_mono(now) - history_offset_) > kClockStep ||
         now.utc_offset != history_utc_offset_ ||
         local_day(now.wall, now.utc_offset) != history_day_;
}

std::vector<ZoneSafety> Engine::safety() const {
  std::vector<ZoneSafety> out;
  out.reserve(zones_.size());
  for (const ZoneRuntime& zone : zones_)
    out.push_back(make_safety(zone));
  return out;
}

ZoneSafety Engine::make_safety(const ZoneRuntime& zone) const {
  ZoneSafety s;
  s.zone = zone.spec->id;
  s.at_mono = now_.mono;
  s.at = now_.wall;
  s.fault = zone.fault;
  s.fault_message = zone.fault_message;
  auto wall_of = [this](MonoTime t) { return now_.wall - (now_.mono - t); };
  s.rest_from = zone.last_end.wall;
  s.rest_from_mono = zone.last_end.mono;
  if (zone.last_end.mono && (!s.rest_from || wall_of(*zone.last_end.mono) > *s.rest_from)) {
    s.rest_from = wall_of(*zone.last_end.mono);
  }
  for (std::size_t i : zone.devices) {
    const DeviceRuntime& d = devices_[i];
    if (!d.maybe_on) continue;
    ZoneSafety::MaybeOn on{d.spec->id, d.commanded != Output::off, std::nullopt};
    if (d.on_bound) on.until = wall_of(*d.on_bound);
    s.maybe_on.push_back(std::move(on));
  }
  s.day = exposure_day(zone);
  s.exposure = exposure_on(zone, s.day);
  s.session = zone.session.has_value();
  s.clock_doubt = clock_doubt_;
  return s;
}

void Engine::persist(ZoneRuntime& zone) {
  ZoneSafety now = make_safety(zone);
  if (zone.persisted) {
    ZoneSafety same = *zone.persisted;
    same.at = now.at;
    same.at_mono = now.at_mono;
    if (same == now) return;
  }
  zone.persisted = now;
  out_.push_back(PersistSafety{std::move(now)});
}

std::optional<std::size_t> Engine::find_zone(const std::string& id) const {
  auto it = zone_index_.find(id);
  return it == zone_index_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
}

std::optional<std::size_t> Engine::find_device(const std::string& id) const {
  auto it = device_index_.find(id);
  return it == device_index_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
}

std::optional<std::size_t> Engine::find_routine(const std::string& id) const {
  auto it = routine_index_.find(id);
  return it == routine_index_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
}

}  // namespace padtimer::core
