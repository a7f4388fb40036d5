// padtimerd: the daemon. One io_context thread runs everything: the engine host (engine,
// device drivers, MQTT transport), the control API, the state store, signals and the
// systemd watchdog.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "config/config.h"
#include "control/control.h"
#include "control/home_assistant.h"
#include "core/time_format.h"
#include "host/clock.h"
#include "host/engine_host.h"
#include "host/logging.h"
#include "host/sd_notify.h"
#include "padtimer/version.h"
#include "schedule/schedule.h"
#include "store/store.h"

namespace {

using namespace padtimer;
namespace asio = boost::asio;

constexpr auto kHeartbeatPeriod = std::chrono::seconds{30};

constexpr const char* kUsage =
    R"(Usage: padtimerd --config FILE [--state-dir DIR] [--log-level LEVEL] [--time-scale N]
       padtimerd --check-config FILE
       padtimerd --help | --version

padtimerd runs heat and cold therapy routines on smart pads and plugs over MQTT and
enforces their safety limits: phase lengths, rest intervals, daily caps, temperature
cutoffs, and a device-side auto-off lease with every ON.

Options:
  --config FILE        the YAML configuration (see config/padtimer.full.yaml)
  --check-config FILE  validate FILE, print every problem as file:line:col: message,
                       exit 0 when it is valid and 2 when it is not
  --state-dir DIR      where the state database lives (default: the config's state_dir,
                       else /var/lib/padtimer)
  --log-level LEVEL    trace, debug, info, warn or error (default: the config's log_level)
  --time-scale N       run the clock N times faster (1 to 1000) for demos and tests: a
                       20-minute phase lasts 2 minutes at 10. Needs its own --state-dir, so
                       its sessions never count toward real rest intervals and daily caps.
                       Logged as a warning and shown as "time_scale" in every state
  --version            print the version
  --help               print this help

Signals: SIGTERM and SIGINT switch every device OFF (confirmed or timed out), then exit 0.
SIGHUP reloads the configuration file. It is validated first: a bad file is refused with
every error logged, and the running configuration stays. A good one is applied as soon as
no session is running (a running session finishes with the routine and limits it started
with); applying it switches every device OFF again and keeps rest intervals, today's
exposure and latched faults. Changes to the mqtt section, base_topic, state_dir and
home_assistant take effect at the next restart.

Home Assistant: unless the config says home_assistant: {discovery: false}, each zone is
published for MQTT discovery as a Home Assistant device (retained, on
homeassistant/device/<base>_<zone>/config): start buttons per routine, stop, pause, resume
and reset buttons, phase, remaining, exposure, next-start, temperature and fault sensors,
available while padtimerd is online. Published at every connection and when Home
Assistant announces itself on homeassistant/status; a zone removed from the config is
removed from Home Assistant.

Exit status: 0 after a clean stop, 1 when it cannot run (state database, broker URL),
2 for bad arguments or an invalid configuration.
)";

struct Arguments {
  std::string config;
  std::string check_config;
  std::string state_dir;
  std::string log_level;
  double time_scale = 1.0;
};

constexpr int kHistoryLength = 20;  // sessions per zone on <base>/<zone>/history

int usage_error(const std::string& message) {
  std::fprintf(stderr, "padtimerd: %s (try --help)\n", message.c_str());
  return 2;
}

int print_config_errors(const config::LoadResult& result) {
  for (const auto& e : result.errors)
    std::fprintf(stderr, "%s\n", e.str().c_str());
  return 2;
}

class Daemon {
 public:
  Daemon(config::DaemonConfig cfg, store::Store store, std::string config_path, host::Clock clock,
         bool log_level_from_command_line)
      : config_(std::move(cfg)),
        store_(std::move(store)),
        config_path_(std::move(config_path)),
        log_level_fixed_(log_level_from_command_line),
        clock_(clock),
        codec_(config_.base_topic, zone_names(config_)),
        signals_(io_, SIGINT, SIGTERM, SIGHUP),
        heartbeat_timer_(io_),
        watchdog_timer_(io_),
        shutdown_timer_(io_),
        schedule_timer_(io_) {
    core::Now now = clock_.now();
    started_at_ = now.wall;
    // After a crash, a pad may have stayed ON until the next heartbeat was due and then for
    // its lease (from its delivery): the rest interval counts from then.
    store_.set_run_on_after_death(kHeartbeatPeriod + config_.engine.safety.lease +
                                  config_.engine.safety.confirm_timeout);
    auto history = load_history(now);
    padtimer::mqtt::Settings mqtt = config_.mqtt;
    if (mqtt.status_topic.empty()) mqtt.status_topic = config_.base_topic + "/status";
    host_ = std::make_unique<host::EngineHost>(
        io_, config_.engine, config::make_drivers(config_, mqtt.client_id), history, mqtt,
        std::move(clock), [this](const core::Command& c) { on_command(c); });
    // The engine has taken the interrupted sessions as history: close them in the store.
    if (int n = store_.mark_interrupted(); n > 0) {
      spdlog::warn("{} session(s) were running when padtimerd stopped; none is resumed", n);
    }
    std::vector<std::string> filters = codec_.subscriptions();
    if (config_.home_assistant.enabled()) {
      discovery_.emplace(config_.home_assistant.discovery_prefix, config_.base_topic, kVersion);
      filters.push_back(discovery_->status_topic());
    }
    host_->add_topics(std::move(filters),
                      [this](const padtimer::mqtt::Message& m) { return on_message(m); });
    host_->on_activity([this] { on_activity(); });
    host_->history_source([this](const core::Now& t) { return load_history(t); });
    // Occurrences since the last one handled were missed while padtimerd was down; at the
    // very first start nothing is behind.
    auto checked_until = store_.schedules_checked_until();
    checked_until_saved_ = checked_until.has_value();
    make_scheduler(checked_until.value_or(now.wall));
  }

  int run() {
    signals_.async_wait(
        [this](const boost::system::error_code& ec, int sig) { on_signal(ec, sig); });
    if (clock_.scaled()) {
      spdlog::warn(
          "time runs {} times faster than real time (--time-scale): for demos and tests only",
          clock_.scale());
    }
    host_->start();
    heartbeat();
    watchdog();
    await_schedules();
    notifier_.ready(status_line());
    spdlog::info("padtimerd {} running: {} zone(s), {} device(s), broker {}", kVersion,
                 config_.engine.zones.size(), config_.engine.devices.size(), config_.mqtt.url);
    io_.run();
    spdlog::info("padtimerd stopped");
    return 0;
  }

 private:
  static std::set<std::string> zone_names(const config::DaemonConfig& c) {
    std::set<std::string> names;
    for (const auto& z : c.engine.zones)
      names.insert(z.id);
    return names;
  }

  core::Now now() const { return clock_.now(); }

  // What the state database knows at `t`, with local days by the zone rules of each moment.
  std::vector<core::ZoneHistory> load_history(const core::Now& t) const {
    store::LoadOptions options;
    options.clock_id = clock_.id();
    options.utc_offset_at = [](core::WallTime wall) { return host::utc_offset_at(wall); };
    try {
      return store_.load_history(t, options);
    } catch (const std::exception& e) {
      spdlog::error("state database: {}", e.what());
      return {};
    }
  }

  // Keeps the safety record of every zone whose exposure is moving (a session, a pad that
  // may be ON) as the engine has it now, in one transaction; the engine emits the rest
  // itself when it changes.
  void save_safety() {
    std::vector<core::ZoneSafety> moving;
    for (core::ZoneSafety& record : host_->engine().safety()) {
      if (record.session || !record.maybe_on.empty()) moving.push_back(std::move(record));
    }
    try {
      store_.save_safety(moving, clock_.id());
    } catch (const std::exception& e) {
      spdlog::error("state database: {}", e.what());
    }
  }

  std::string status_line() const {
    return std::to_string(config_.engine.zones.size()) + " zone(s), broker " +
           (host_->transport().connected() ? "connected" : "not connected");
  }

  void publish(const control::Outgoing& out) {
    // Before the first connection (e.g. the start-up session_interrupted event, a start
    // missed while padtimerd was down), events and results wait for it; retained documents
    // are re-published on connect anyway.
    if (!host_ || !host_->transport().connected()) {
      if (!out.retained && published_for_connect_ == 0) unsent_.push_back(out);
      return;
    }
    host_->transport().publish(out.topic, out.payload, out.qos, out.retained);
  }

  void publish_state(const core::ZoneSnapshot& snapshot) {
    json::Value state = control::state_json(snapshot, now().wall);
    state.set("time_scale", clock_.scale());
    publish({codec_.state_topic(snapshot.zone), state.dump(), 1, true});
  }

  void publish_info() {
    publish({codec_.info_topic(),
             control::info_json(config_.engine, kVersion, clock_.scale(), started_at_).dump(), 1,
             true});
  }

  void publish_history(const std::string& zone) {
    try {
      auto sessions = store_.recent_sessions(kHistoryLength, zone);
      publish({codec_.history_topic(zone), control::history_json(zone, sessions).dump(), 1, true});
    } catch (const std::exception& e) {
      spdlog::error("state database: {}", e.what());
    }
  }

  // Everything retained, as a phone that connects now should find it.
  void publish_retained() {
    publish_info();
    for (const auto& z : config_.engine.zones) {
      publish_state(host_->engine().snapshot(z.id));
      publish_history(z.id);
    }
    publish_discovery();
  }

  // Home Assistant's discovery documents, and the removal of what the state database says
  // was published for zones (or components) no longer in the config — or of everything when
  // discovery is off. Only while connected: what is recorded as published must have gone
  // out, or a removal could be lost. Every connection publishes it all again.
  void publish_discovery() {
    if (!host_->transport().connected()) return;
    try {
      auto before = store_.discovery_published();
      if (!discovery_ && before.empty()) return;
      auto plan = discovery_ ? discovery_->publish(config_.engine, before)
                             : control::HomeAssistantDiscovery::remove_all(before);
      for (const auto& out : plan.messages) {
        publish(out);
        if (out.payload.empty()) spdlog::info("home assistant: removed {}", out.topic);
      }
      if (plan.published != before) store_.set_discovery_published(plan.published);
      if (discovery_) {
        spdlog::debug("home assistant: discovery published for {} zone(s) under {}/device/",
                      config_.engine.zones.size(), config_.home_assistant.discovery_prefix);
      }
    } catch (const std::exception& e) {
      spdlog::error("state database: {}", e.what());
    }
  }

  bool on_message(const padtimer::mqtt::Message& m) {
    if (discovery_ && m.topic == discovery_->status_topic()) {
      if (discovery_->is_birth(m.topic, m.payload)) {
        spdlog::info("home assistant is online ({}): publishing discovery again", m.topic);
        publish_discovery();
      }
      return true;
    }
    return on_control(m);
  }

  void on_command(const core::Command& command) {
    if (const auto* safety = std::get_if<core::PersistSafety>(&command)) {
      // Before whatever follows it (an ON) goes out: on disk when this returns.
      try {
        store_.save_safety(safety->safety, clock_.id());
      } catch (const std::exception& e) {
        spdlog::error("state database: {}", e.what());
      }
    } else if (const auto* state = std::get_if<core::PublishState>(&command)) {
      publish_state(state->snapshot);
    } else if (const auto* event = std::get_if<core::PublishEvent>(&command)) {
      const core::ZoneEvent& e = event->event;
      bool bad = e.kind == core::EventKind::fault || e.kind == core::EventKind::schedule_skipped;
      spdlog::log(bad ? spdlog::level::warn : spdlog::level::info, "{}: {}: {}", e.zone,
                  core::to_string(e.kind), e.message);
      try {
        store_.record(e);
      } catch (const std::exception& ex) {
        spdlog::error("state database: {}", ex.what());
      }
      publish(codec_.encode_event(e));
      if (e.kind == core::EventKind::session_ended) publish_history(e.zone);
    } else if (const auto* reply = std::get_if<core::Reply>(&command)) {
      spdlog::info("request {} on {}: {}{}", reply->request_id, reply->zone,
                   reply->ok ? "ok" : std::string(core::reason_code(reply->code)) + ": ",
                   reply->ok ? "" : reply->message);
      respond(codec_.encode_reply(*reply));
    }
  }

  // A result goes to the zone's result topic, and also — when the request came over MQTT 5
  // with a response topic — there, with the request's correlation data.
  void respond(const control::Outgoing& result) {
    publish(result);
    if (!asking_ || asking_->response_topic.empty() || !host_->transport().connected()) return;
    padtimer::mqtt::Message reply{asking_->response_topic,  result.payload, 1, false, "",
                                  asking_->correlation_data};
    host_->transport().publish(reply);
  }

  bool on_control(const padtimer::mqtt::Message& m) {
    control::Decoded decoded = codec_.decode(m.topic, m.payload, m.retained);
    if (decoded.ignored()) return false;
    asking_ = &m;  // the engine answers within handle(): the reply finds its asker here
    if (const auto* rejection = decoded.rejection()) {
      spdlog::info("bad request on {}: {}", m.topic, rejection->payload);
      respond(*rejection);
    } else if (const auto* request = decoded.request()) {
      host_->handle(*request);
    }
    asking_ = nullptr;
    return true;
  }

  // After every burst of engine work: a fresh connection gets every retained document
  // again, a waiting reload is applied once no session runs, and a shutdown finishes once
  // every device has confirmed OFF.
  void on_activity() {
    auto connects = host_->transport().connect_count();
    if (connects != published_for_connect_) {
      published_for_connect_ = connects;
      for (const auto& out : unsent_)
        publish(out);
      unsent_.clear();
      publish_retained();
      notifier_.status(status_line());
    }
    if (pending_config_ && !stopping_ && !applying_) apply_when_idle();
    if (!schedules_started_ && !stopping_ && connects > 0 && all_devices_off()) start_schedules();
    if (stopping_ && all_devices_off()) finish_stop();
  }

  // Asked after every message until the schedules start: O(devices) by index, not by name
  // (two map lookups per device made start-up quadratic: bench/README.md).
  bool all_devices_off() const { return host_->engine().all_off_confirmed(); }

  // ---- Reload (SIGHUP) ---------------------------------------------------------------

  void reload() {
    auto result = config::load_config(config_path_);
    if (!result.errors.empty()) {
      for (const auto& e : result.errors)
        spdlog::error("reload: {}", e.str());
      spdlog::error("reload: {} has {} error(s); keeping the running configuration", config_path_,
                    result.errors.size());
      return;
    }
    config::DaemonConfig next = std::move(*result.config);
    // Needs a new connection or another database: only a restart does that.
    const auto& ha = next.home_assistant;
    if (!same_connection(next.mqtt, config_.mqtt) || next.base_topic != config_.base_topic ||
        next.state_dir != config_.state_dir || ha.enabled() != config_.home_assistant.enabled() ||
        (ha.enabled() && ha.discovery_prefix != config_.home_assistant.discovery_prefix)) {
      spdlog::warn(
          "reload: changes to the mqtt section, base_topic, state_dir or home_assistant take "
          "effect at the next restart; the rest is applied");
    }
    next.mqtt = config_.mqtt;
    next.base_topic = config_.base_topic;
    next.state_dir = config_.state_dir;
    next.home_assistant = config_.home_assistant;
    pending_config_ = std::move(next);
    waiting_logged_ = false;
    apply_when_idle();
  }

  static bool same_connection(const padtimer::mqtt::Settings& a,
                              const padtimer::mqtt::Settings& b) {
    auto tls_key = [](const padtimer::mqtt::Settings& s) {
      if (!s.tls) return std::string();
      return s.tls->ca_file + '\n' + s.tls->cert_file + '\n' + s.tls->key_file + '\n' +
             s.tls->key_password + (s.tls->verify_hostname ? "1" : "0");
    };
    return a.url == b.url && a.client_id == b.client_id && a.username == b.username &&
           a.password == b.password && a.keep_alive == b.keep_alive && a.protocol == b.protocol &&
           tls_key(a) == tls_key(b);
  }

  void apply_when_idle() {
    std::string running;
    for (const auto& z : config_.engine.zones) {
      if (host_->engine().snapshot(z.id).phase_index >= 0)
        running += (running.empty() ? "" : ", ") + z.id;
    }
    if (!running.empty()) {
      if (!waiting_logged_) {
        spdlog::info(
            "reload: the new configuration is applied when the session(s) on {} end; they keep "
            "the routine and limits they started with",
            running);
        waiting_logged_ = true;
      }
      return;
    }
    applying_ = true;
    apply(std::move(*pending_config_));
    pending_config_.reset();
    applying_ = false;
  }

  void apply(config::DaemonConfig next) {
    core::Now t = now();
    // The new engine starts from the state database, as after a restart, but on the same
    // clock and alive now: latched faults, rest from the pads' last moment ON (a pad still
    // unconfirmed stays counted ON), today's exposure.
    save_safety();
    try {
      store_.heartbeat(t.wall);
    } catch (const std::exception& e) {
      spdlog::error("state database: {}", e.what());
    }
    auto history = load_history(t);
    // A zone that is gone takes its retained documents with it.
    std::set<std::string> next_zones = zone_names(next);
    for (const auto& z : config_.engine.zones) {
      if (next_zones.contains(z.id)) continue;
      publish({codec_.state_topic(z.id), "", 1, true});
      publish({codec_.history_topic(z.id), "", 1, true});
      spdlog::info("reload: zone {} removed", z.id);
    }
    if (!log_level_fixed_) {
      if (auto level = host::parse_log_level(next.log_level)) spdlog::set_level(*level);
    }
    auto drivers = config::make_drivers(next, config_.mqtt.client_id);
    config_ = std::move(next);
    codec_ = control::ControlCodec(config_.base_topic, zone_names(config_));
    host_->reconfigure(config_.engine, std::move(drivers), history);
    malloc_trim(0);  // the reloaded file's YAML tree, as at start-up
    make_scheduler(scheduler_->checked_until());
    if (schedules_started_) run_schedules();  // re-armed for the new schedules
    publish_retained();
    notifier_.status(status_line());
    spdlog::info("reload: applied {}: {} zone(s), {} device(s), {} routine(s), {} schedule(s)",
                 config_path_, config_.engine.zones.size(), config_.engine.devices.size(),
                 config_.engine.routines.size(), config_.schedules.size());
  }

  // ---- Schedules ----------------------------------------------------------------------

  void make_scheduler(core::WallTime checked_until) {
    scheduler_ = std::make_unique<schedule::Scheduler>(config_.schedules, checked_until);
    for (const auto& s : config_.schedules) {
      auto next = schedule::next_occurrence(s, now().wall);
      spdlog::info("schedule: {}{}", schedule::describe(s),
                   next ? ", next " + core::describe_moment(*next, now()) : "");
    }
  }

  // The first poll waits until the broker is connected and every device has confirmed its
  // start-up OFF: a start missed while padtimerd was down (within its grace) or due right
  // now would otherwise be refused as broker_offline or device_not_ready. It waits no
  // longer than a confirmation and its retry: then a start is refused and reported.
  void await_schedules() {
    schedule_timer_.expires_after(
        clock_.real_delay(2 * config_.engine.safety.confirm_timeout + std::chrono::seconds{1}));
    schedule_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) start_schedules();
    });
  }

  void start_schedules() {
    if (schedules_started_) return;
    schedules_started_ = true;
    // The start-up burst (every device's LWT, OFF and confirmation, every zone's retained
    // state) is over: glibc keeps the heap it grew to. 10,000 zones: 156 MB -> 44 MB.
    malloc_trim(0);
    run_schedules();
  }

  // Polls the schedules, starts what is due, and sleeps until the next occurrence — at
  // most a minute, so a wall clock that jumps is noticed within a minute.
  void run_schedules() {
    if (finished_) return;
    core::Now t = now();
    auto due = scheduler_->poll(t.wall);
    for (const auto& d : due)
      start_scheduled(d);
    // Saved when starts were handled, and once at the very first start: between two saves
    // no occurrence goes unhandled, so the next start-up knows exactly what it missed.
    if (!due.empty() || !checked_until_saved_) {
      checked_until_saved_ = true;
      try {
        store_.set_schedules_checked_until(scheduler_->checked_until());
      } catch (const std::exception& e) {
        spdlog::error("state database: {}", e.what());
      }
    }
    core::Duration wait = std::chrono::minutes{1};
    if (auto next = scheduler_->next_occurrence()) wait = std::min(wait, *next - t.wall);
    schedule_timer_.expires_after(clock_.real_delay(std::max(wait, core::Duration{1})));
    schedule_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) run_schedules();
    });
  }

  void start_scheduled(const schedule::Due& due) {
    const schedule::Schedule& s = scheduler_->schedules()[due.schedule];
    if (!due.run) {
      // Never run late: tell the phone what did not happen and why.
      core::ZoneEvent e;
      e.zone = s.zone;
      e.kind = core::EventKind::schedule_skipped;
      e.at = now().wall;
      e.routine = s.routine;
      e.reason = core::Reason::start_missed;
      e.message = "scheduled " + s.routine + " " + core::describe_moment(due.occurrence, now()) +
                  " was missed (padtimerd was not running or the clock jumped)" +
                  (due.count > 1 ? ", with " + std::to_string(due.count - 1) + " earlier" : "") +
                  "; it is not run late";
      on_command(core::PublishEvent{std::move(e)});
      return;
    }
    spdlog::info("schedule: starting {}", schedule::describe(s));
    host_->handle(core::Request{"schedule-" + std::to_string(++scheduled_starts_),
                                core::Action::start,
                                s.zone,
                                s.routine,
                                {},
                                true});
  }

  // ---- Signals and timers --------------------------------------------------------------

  void on_signal(const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      notifier_.reloading();
      if (stopping_) {
        spdlog::info("SIGHUP while stopping: ignored");
      } else {
        spdlog::info("SIGHUP: reloading {}", config_path_);
        reload();
      }
      notifier_.ready(status_line());
      signals_.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
      return;
    }
    if (stopping_) return;
    stopping_ = true;
    spdlog::info("{}: switching every device off before exiting", strsignal(sig));
    notifier_.stopping();
    host_->handle(core::Request{"shutdown", core::Action::stop_all, "", "", {}, false});
    // Confirmation or its timeout (with its retry): never wait longer than that.
    shutdown_timer_.expires_after(
        clock_.real_delay(2 * config_.engine.safety.confirm_timeout + std::chrono::seconds{1}));
    shutdown_timer_.async_wait([this](const boost::system::error_code& e) {
      if (e) return;
      spdlog::warn("not every device confirmed OFF before the shutdown timeout");
      finish_stop();
    });
    if (!host_->transport().connected() || all_devices_off()) finish_stop();
  }

  void finish_stop() {
    if (finished_) return;
    finished_ = true;
    shutdown_timer_.cancel();
    heartbeat_timer_.cancel();
    watchdog_timer_.cancel();
    schedule_timer_.cancel();
    signals_.cancel();
    host_->stop();
  }

  void heartbeat() {
    save_safety();
    try {
      store_.heartbeat(now().wall);
    } catch (const std::exception& e) {
      spdlog::error("state database: {}", e.what());
    }
    heartbeat_timer_.expires_after(clock_.real_delay(kHeartbeatPeriod));
    heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) heartbeat();
    });
  }

  // Pinged from the event loop itself, so a stuck loop trips systemd's watchdog.
  void watchdog() {
    auto interval = notifier_.watchdog_interval();
    if (!interval) return;
    notifier_.watchdog();
    watchdog_timer_.expires_after(*interval);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) watchdog();
    });
  }

  config::DaemonConfig config_;
  store::Store store_;
  std::string config_path_;
  bool log_level_fixed_;  // --log-level wins over the config, also after a reload
  host::Clock clock_;     // the host has a copy: same origin, same scale
  core::WallTime started_at_{};
  control::ControlCodec codec_;
  std::optional<control::HomeAssistantDiscovery> discovery_;  // when home_assistant.enabled()
  host::SystemdNotifier notifier_;
  asio::io_context io_;  // before the host, so the host (and its MQTT client) dies first
  asio::signal_set signals_;
  asio::steady_timer heartbeat_timer_;
  asio::steady_timer watchdog_timer_;
  asio::steady_timer shutdown_timer_;
  asio::steady_timer schedule_timer_;
  std::unique_ptr<schedule::Scheduler> scheduler_;
  std::uint64_t scheduled_starts_ = 0;
  bool checked_until_saved_ = false;
  bool schedules_started_ = false;  // the first poll waits for the broker and the devices
  std::unique_ptr<host::EngineHost> host_;
  std::uint64_t published_for_connect_ = 0;
  std::vector<control::Outgoing> unsent_;               // events from start-up, sent once connected
  const padtimer::mqtt::Message* asking_ = nullptr;     // the request being handled, if any
  std::optional<config::DaemonConfig> pending_config_;  // reloaded, waiting for idle zones
  bool waiting_logged_ = false;
  bool applying_ = false;
  bool stopping_ = false;
  bool finished_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string& into) -> bool {
      if (i + 1 >= argc) return false;
      into = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("padtimerd %s\n", kVersion);
      return 0;
    } else if (arg == "--config") {
      if (!value(args.config)) return usage_error("--config needs a FILE");
    } else if (arg == "--check-config") {
      if (!value(args.check_config)) return usage_error("--check-config needs a FILE");
    } else if (arg == "--state-dir") {
      if (!value(args.state_dir)) return usage_error("--state-dir needs a DIR");
    } else if (arg == "--time-scale") {
      std::string text;
      if (!value(text)) return usage_error("--time-scale needs a number N");
      char* end = nullptr;
      args.time_scale = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(args.time_scale >= 1.0) ||
          args.time_scale > host::Clock::kMaxScale) {
        return usage_error("--time-scale must be a number from 1 to 1000, got '" + text + "'");
      }
    } else if (arg == "--log-level") {
      if (!value(args.log_level)) return usage_error("--log-level needs a LEVEL");
      if (!host::parse_log_level(args.log_level)) {
        return usage_error("--log-level must be trace, debug, info, warn or error");
      }
    } else {
      return usage_error("unknown argument '" + arg + "'");
    }
  }

  if (!args.check_config.empty()) {
    auto result = config::load_config(args.check_config);
    if (!result.errors.empty()) return print_config_errors(result);
    const auto& c = result.config->engine;
    std::printf("%s: valid (%zu devices, %zu zones, %zu routines, %zu schedules)\n",
                args.check_config.c_str(), c.devices.size(), c.zones.size(), c.routines.size(),
                result.config->schedules.size());
    return 0;
  }
  if (args.config.empty()) return usage_error("--config FILE is required");

  auto loaded = config::load_config(args.config);
  if (!loaded.errors.empty()) return print_config_errors(loaded);
  config::DaemonConfig cfg = std::move(*loaded.config);

  auto level = host::parse_log_level(args.log_level.empty() ? cfg.log_level : args.log_level);
  host::setup_logging(level.value_or(spdlog::level::info), host::stderr_is_journal());

  if (args.time_scale != 1.0 && args.state_dir.empty()) {
    return usage_error(
        "--time-scale needs a --state-dir of its own: sessions in scaled time must not count "
        "toward real rest intervals and daily caps");
  }
  std::string state_dir = args.state_dir.empty() ? cfg.state_dir : args.state_dir;
  auto opened = store::Store::open(state_dir);
  if (!opened) {
    spdlog::error("{}", opened.error);
    return 1;
  }
  try {
    // A scaled clock goes on across restarts from the origin its state directory keeps.
    std::optional<core::WallTime> origin;
    if (args.time_scale != 1.0) {
      origin = opened.store->time_scale_origin();
      if (!origin) {
        origin = host::system_now().wall;
        opened.store->set_time_scale_origin(*origin);
      }
    }
    Daemon daemon(std::move(cfg), std::move(*opened.store), args.config,
                  host::Clock{args.time_scale, origin}, !args.log_level.empty());
    // yaml-cpp's node tree of the config (~9 MB per 1,000 zones) is freed by now, but glibc
    // keeps freed heap mapped: hand it back (10,000 zones: 229 MB anonymous -> 57 MB).
    malloc_trim(0);
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::error("cannot run: {}", e.what());
    return 1;
  }
}
