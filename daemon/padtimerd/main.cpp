// padtimerd: the daemon. One io_context thread runs everything: the engine host (engine,
// device drivers, MQTT transport), the control API, the state store, signals and the
// systemd watchdog.
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <string>

#include "config/config.h"
#include "control/control.h"
#include "host/clock.h"
#include "host/engine_host.h"
#include "host/logging.h"
#include "host/sd_notify.h"
#include "store/store.h"

namespace {

using namespace padtimer;
namespace asio = boost::asio;

constexpr const char* kVersion = "0.1.0";
constexpr auto kHeartbeatPeriod = std::chrono::seconds{30};

constexpr const char* kUsage =
    R"(Usage: padtimerd --config FILE [--state-dir DIR] [--log-level LEVEL]
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
  --version            print the version
  --help               print this help

Signals: SIGTERM and SIGINT switch every device OFF (confirmed or timed out), then exit 0.
SIGHUP validates the configuration file again and logs the result; a changed
configuration takes effect at the next restart.

Exit status: 0 after a clean stop, 1 when it cannot run (state database, broker URL),
2 for bad arguments or an invalid configuration.
)";

struct Arguments {
  std::string config;
  std::string check_config;
  std::string state_dir;
  std::string log_level;
};

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
  Daemon(config::DaemonConfig cfg, store::Store store, std::string config_path)
      : config_(std::move(cfg)),
        store_(std::move(store)),
        config_path_(std::move(config_path)),
        codec_(config_.base_topic, zone_names(config_)),
        signals_(io_, SIGINT, SIGTERM, SIGHUP),
        heartbeat_timer_(io_),
        watchdog_timer_(io_),
        shutdown_timer_(io_) {
    core::Now now = host::system_now();
    auto history = store_.load_history(now.wall, now.utc_offset);
    padtimer::mqtt::Settings mqtt = config_.mqtt;
    if (mqtt.status_topic.empty()) mqtt.status_topic = config_.base_topic + "/status";
    host_ = std::make_unique<host::EngineHost>(
        io_, config_.engine, config::make_drivers(config_, mqtt.client_id), history, mqtt,
        host::system_now, [this](const core::Command& c) { on_command(c); });
    // The engine has taken the interrupted sessions as history: close them in the store.
    if (int n = store_.mark_interrupted(); n > 0) {
      spdlog::warn("{} session(s) were running when padtimerd stopped; none is resumed", n);
    }
    host_->add_topics(codec_.subscriptions(),
                      [this](const padtimer::mqtt::Message& m) { return on_control(m); });
    host_->on_activity([this] { on_activity(); });
  }

  int run() {
    signals_.async_wait(
        [this](const boost::system::error_code& ec, int sig) { on_signal(ec, sig); });
    host_->start();
    heartbeat();
    watchdog();
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

  std::string status_line() const {
    return std::to_string(config_.engine.zones.size()) + " zone(s), broker " +
           (host_->transport().connected() ? "connected" : "not connected");
  }

  void publish(const control::Outgoing& out) {
    // Before the first connection (e.g. the start-up session_interrupted event), events
    // and results wait for it; retained state is re-published on connect anyway.
    if (!host_ || !host_->transport().connected()) {
      if (!out.retained && host_ == nullptr) unsent_.push_back(out);
      return;
    }
    host_->transport().publish(out.topic, out.payload, out.qos, out.retained);
  }

  void on_command(const core::Command& command) {
    if (const auto* state = std::get_if<core::PublishState>(&command)) {
      publish(codec_.encode_state(state->snapshot, host::system_now().wall));
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
    } else if (const auto* reply = std::get_if<core::Reply>(&command)) {
      spdlog::info("request {} on {}: {}{}", reply->request_id, reply->zone,
                   reply->ok ? "ok" : std::string(core::reason_code(reply->code)) + ": ",
                   reply->ok ? "" : reply->message);
      publish(codec_.encode_reply(*reply));
    }
  }

  bool on_control(const padtimer::mqtt::Message& m) {
    control::Decoded decoded = codec_.decode(m.topic, m.payload, m.retained);
    if (decoded.ignored()) return false;
    if (const auto* rejection = decoded.rejection()) {
      spdlog::info("bad request on {}: {}", m.topic, rejection->payload);
      publish(*rejection);
    } else if (const auto* request = decoded.request()) {
      host_->handle(*request);
    }
    return true;
  }

  // After every burst of engine work: a fresh connection gets every zone's retained state
  // again, and a shutdown finishes once every device has confirmed OFF.
  void on_activity() {
    auto connects = host_->transport().connect_count();
    if (connects != published_for_connect_) {
      published_for_connect_ = connects;
      for (const auto& out : unsent_)
        publish(out);
      unsent_.clear();
      for (const auto& z : config_.engine.zones) {
        publish(codec_.encode_state(host_->engine().snapshot(z.id), host::system_now().wall));
      }
      notifier_.status(status_line());
    }
    if (stopping_ && all_devices_off()) finish_stop();
  }

  bool all_devices_off() const {
    for (const auto& d : config_.engine.devices) {
      if (host_->engine().commanded(d.id) != core::Output::off) return false;
      if (!host_->engine().confirmed(d.id)) return false;
    }
    return true;
  }

  void on_signal(const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      auto result = config::load_config(config_path_);
      if (result.errors.empty()) {
        spdlog::info("SIGHUP: {} is valid; changes take effect at the next restart", config_path_);
      } else {
        for (const auto& e : result.errors)
          spdlog::error("SIGHUP: {}", e.str());
        spdlog::error("SIGHUP: the new configuration is invalid; keeping the running one");
      }
      signals_.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
      return;
    }
    if (stopping_) return;
    stopping_ = true;
    spdlog::info("{}: switching every device off before exiting", strsignal(sig));
    notifier_.stopping();
    host_->handle(core::Request{"shutdown", core::Action::stop_all, "", "", {}, false});
    // Confirmation or its timeout (with its retry): never wait longer than that.
    shutdown_timer_.expires_after(2 * config_.engine.safety.confirm_timeout +
                                  std::chrono::seconds{1});
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
    signals_.cancel();
    host_->stop();
  }

  void heartbeat() {
    try {
      store_.heartbeat(host::system_now().wall);
    } catch (const std::exception& e) {
      spdlog::error("state database: {}", e.what());
    }
    heartbeat_timer_.expires_after(kHeartbeatPeriod);
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
  control::ControlCodec codec_;
  host::SystemdNotifier notifier_;
  asio::io_context io_;  // before the host, so the host (and its MQTT client) dies first
  asio::signal_set signals_;
  asio::steady_timer heartbeat_timer_;
  asio::steady_timer watchdog_timer_;
  asio::steady_timer shutdown_timer_;
  std::unique_ptr<host::EngineHost> host_;
  std::uint64_t published_for_connect_ = 0;
  std::vector<control::Outgoing> unsent_;  // events from start-up, sent once connected
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

  std::string state_dir = args.state_dir.empty() ? cfg.state_dir : args.state_dir;
  auto opened = store::Store::open(state_dir);
  if (!opened) {
    spdlog::error("{}", opened.error);
    return 1;
  }
  try {
    Daemon daemon(std::move(cfg), std::move(*opened.store), args.config);
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::error("cannot run: {}", e.what());
    return 1;
  }
}
