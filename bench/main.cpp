// padtimer-bench: the real padtimerd against a private mosquitto, with every device played
// by one MQTT client. Prints one table: command latency next to the broker's own round
// trip, timing accuracy of phase transitions, footprint (RSS, CPU, wake-ups per thread) and
// start-up time. bench/README.md says what each figure means and how it is measured.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "clients.h"
#include "harness.h"

namespace padtimer::bench {
namespace {

using namespace std::chrono_literals;
using Ms = std::chrono::duration<double, std::milli>;

const std::string kBase = "padtimer";
// The bench routine: heat 15 min, rest 2 min, cold 10 min (the shortest the product allows).
constexpr double kHeatMin = 15, kRestMin = 2, kColdMin = 10;
constexpr double kMinRestMin = 20;  // between sessions of a zone (the product's floor)

struct Options {
  std::string padtimerd;
  std::string mosquitto = MOSQUITTO_PATH;
  std::string daemon_log_level = "info";
  std::string protocol;  // padtimerd's mqtt.protocol; empty: its default (MQTT 5)
  // Extra mosquitto.conf lines (--broker-option). No limit on QoS 1 messages in flight per
  // client: with mosquitto's default (20, which MQTT 5 announces as Receive Maximum) Paho C
  // 1.3 sends what is over the limit only on its 1 s tick when nothing else wakes it, and
  // start-up and shutdown take seconds to minutes (bench/README.md, findings). The start-up
  // part also runs with the default, to show it.
  std::string broker_config = "max_inflight_messages 0\n";
  std::set<std::string> only;  // empty: everything
  // Command latency.
  std::vector<int> latency_zones{1, 100, 1000};
  std::vector<int> latency_samples{15, 200, 300};
  double latency_scale = 1000;
  int tmpfs_zones = 100;  // one more latency row with the state database on tmpfs; 0: none
  int tmpfs_samples = 100;
  // Timing accuracy.
  int accuracy_zones = 1000;
  double accuracy_scale = 100;
  bool accuracy_heat_only = false;
  double accuracy_spread_s = -1;  // starts spread over this; < 0: one heat phase
  // Footprint.
  std::vector<int> footprint_zones{10, 1000, 10000};
  double idle_window_s = 20;
  double session_window_s = 5;
  double settle_s = 1;          // pause before each footprint measurement
  bool footprint_tmpfs = true;  // keep 10,000 starts from waiting on 20,000 fsyncs
  // Start-up.
  int startup_zones = 100;
  int startup_runs = 5;
  std::string state_parent;  // where state databases live (default $TMPDIR or /tmp)
};

bool wanted(const Options& o, const std::string& part) {
  return o.only.empty() || o.only.contains(part);
}

double ms(Clock::duration d) {
  return Ms(d).count();
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string machine_line() {
  std::string cpuinfo = read_file("/proc/cpuinfo");
  std::string model = "unknown CPU";
  if (auto p = cpuinfo.find("model name"); p != std::string::npos) {
    auto colon = cpuinfo.find(':', p);
    model = cpuinfo.substr(colon + 2, cpuinfo.find('\n', colon) - colon - 2);
  }
  std::string load = read_file("/proc/loadavg");
  load = load.substr(0, load.find(' ', load.find(' ', load.find(' ') + 1) + 1));
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) +
         " cores, load average " + load;
}

// ---- The site: a padtimerd config with N zones, and the daemon -----------------------------

// scaled: the longest timings (time-scaled runs); defaults: the product's defaults; large:
// the defaults but a 60 s confirmation timeout (and a 3 min lease to fit it), so that the
// minute a 10,000-zone start-up takes does not look like dead devices.
enum class Safety { scaled, defaults, large };

std::string make_config(int zones, const std::string& url, Safety safety,
                        const std::string& protocol) {
  std::string c;
  c.reserve(static_cast<std::size_t>(zones) * 200 + 1000);
  c += "mqtt:\n  url: " + url + "\n  client_id: padtimerd-bench\n  base_topic: " + kBase + "\n";
  if (!protocol.empty()) c += "  protocol: \"" + protocol + "\"\n";
  c += "safety:\n  phase_rest: 2m\n";
  if (safety == Safety::scaled) {
    // Under --time-scale every safety timing shrinks too: at 1000 a 10 s confirmation
    // timeout is 10 ms of real time. The longest allowed ones keep a busy moment of the
    // machine from looking like a dead device.
    c += "  confirm_timeout: 60s\n  lease: 10m\n  lease_rearm: 5m\n  broker_grace: 10m\n"
         "  state_refresh: 10m\n  max_pause: 4h\n";
  } else if (safety == Safety::large) {
    c += "  confirm_timeout: 60s\n  lease: 3m\n";
  }
  c += "devices:\n";
  for (int z = 0; z < zones; ++z) {
    std::string n = std::to_string(z);
    c += "  h" + n + ": {driver: tasmota, role: heat, topic: h" + n + "}\n";
    c += "  c" + n + ": {driver: tasmota, role: cold, topic: c" + n + "}\n";
  }
  c += "zones:\n";
  for (int z = 0; z < zones; ++z) {
    std::string n = std::to_string(z);
    c += "  z" + n + ": {heat: h" + n + ", cold: c" + n + ", min_rest: 20m, daily_cap: 8h}\n";
  }
  c += "routines:\n  bench:\n    - heat: 15m\n    - rest: 2m\n    - cold: 10m\n"
       "  heat:\n    - heat: 15m\n";
  return c;
}

class Site {
 public:
  Site(const Options& o, const Broker& broker, int zones, double scale, Safety safety,
       const std::string& state_parent)
      : options_(o), state_(state_parent.empty() ? o.state_parent : state_parent), scale_(scale) {
    dir_.write("padtimerd.yaml", make_config(zones, broker.url(), safety, o.protocol));
  }
  ~Site() { stop(); }

  void start(const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv{
        options_.padtimerd, "--config",    dir_.file("padtimerd.yaml"), "--state-dir",
        state_.path(),      "--log-level", options_.daemon_log_level};
    if (scale_ != 1.0) {
      argv.push_back("--time-scale");
      argv.push_back(fmt("%g", scale_));
    }
    process_ = std::make_unique<Child>(
        argv, dir_.file("padtimerd." + std::to_string(++runs_) + ".log"), env);
  }

  // SIGTERM: padtimerd switches every device off (the fleet confirms), then exits. Waited
  // for up to 15 s, then SIGKILL. Returns the time to exit in ms, or -1 when it was killed.
  // `graceful` false: SIGKILL at once (the run's figures are taken; a shutdown of thousands
  // of devices under MQTT 5 takes long: bench/README.md, findings).
  double stop(bool graceful = false) {
    if (!process_) return 0;
    double took = -1;
    Clock::time_point t0 = Clock::now();
    if (graceful) {
      process_->signal(SIGTERM);
      if (process_->wait(15s)) took = ms(Clock::now() - t0);
    }
    if (took < 0) {
      process_->signal(SIGKILL);
      process_->wait(5s);
    }
    last_log_ = process_->log();
    process_.reset();
    return took;
  }

  Child& process() { return *process_; }
  pid_t pid() const { return process_->pid(); }
  std::string log() const { return process_ ? process_->log() : last_log_; }
  const TempDir& state() const { return state_; }

 private:
  const Options& options_;
  TempDir dir_;
  TempDir state_;
  double scale_;
  int runs_ = 0;
  std::unique_ptr<Child> process_;
  std::string last_log_;
};

void require_ready(Phone& phone, int zones, std::chrono::milliseconds timeout,
                   const std::string& what, Site& site) {
  int ready = phone.wait_all_ready(timeout);
  if (ready != zones) {
    std::string log = site.log();
    if (log.size() > 3000) log = log.substr(log.size() - 3000);
    throw std::runtime_error(what + ": only " + std::to_string(ready) + " of " +
                             std::to_string(zones) + " zones became ready; padtimerd log:\n" + log);
  }
}

std::chrono::milliseconds ready_timeout(int zones) {
  return 30s + std::chrono::milliseconds{zones * 20};
}

// Waits for the `index`-th relay change of `device` (expected ON or OFF) after `t0`, or for
// a refusal of the request in the zone's result.
struct CommandSeen {
  std::optional<double> ms;
  std::string refusal;
};
CommandSeen wait_command(Fleet& fleet, Phone& phone, int zone, int device, std::size_t index,
                         bool expect_on, std::uint64_t result_version, Clock::time_point t0) {
  auto until = t0 + 5s;
  while (Clock::now() < until) {
    if (auto t = fleet.wait_transition(device, index, 20ms)) {
      if (t->on != expect_on) return {std::nullopt, "unexpected relay change"};
      return {ms(t->at - t0), {}};
    }
    auto r = phone.result(zone);
    if (r.version > result_version && !r.ok) return {std::nullopt, r.payload};
  }
  return {std::nullopt, "no device command within 5 s"};
}

// ---- Command latency ----------------------------------------------------------------------

struct LatencyRow {
  int zones = 0;
  int samples = 0;
  double scale = 1;
  std::string state;
  std::vector<double> floor, start, stop;
  int refused = 0;
  int resets = 0;
  std::string note;
};

LatencyRow run_latency(const Options& o, int zones, int samples, const std::string& state_parent,
                       const std::string& state_name) {
  LatencyRow row;
  row.zones = zones;
  // A zone used again must wait out its 20 min rest: the fast clock only where zones are
  // reused; otherwise a slower one, whose 60 s confirmation timeout (0.6 s real) a
  // 1,000-zone start-up does not outrun.
  row.scale = samples > zones ? o.latency_scale : std::min(o.latency_scale, 100.0);
  row.state = state_name;
  Broker broker(o.mosquitto, o.broker_config);
  Fleet fleet(broker.paho_uri(), zones);
  fleet.announce();
  Phone phone(broker.paho_uri(), kBase, zones);
  Site site(o, broker, zones, row.scale, Safety::scaled, state_parent);
  site.start();
  require_ready(phone, zones, ready_timeout(zones), "latency", site);

  const auto rest =
      std::chrono::duration_cast<Clock::duration>(Ms(kMinRestMin * 60'000.0 / row.scale) + 30ms);
  std::vector<std::optional<Clock::time_point>> last_stop(static_cast<std::size_t>(zones));
  for (int k = 0; k < samples; ++k) {
    // Distinct zones while there are enough; round robin (waiting out the rest) after.
    int z = samples <= zones ? static_cast<int>(static_cast<long>(k) * zones / samples) : k % zones;
    auto& stopped = last_stop[static_cast<std::size_t>(z)];
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (stopped) std::this_thread::sleep_until(*stopped + rest);
      phone.wait_zone(
          z, [](const Phone::ZoneView& v) { return v.ready && v.idle; }, 5s);
      // The floor, interleaved: the same moment's machine, broker and clients.
      if (auto f = phone.floor_sample(2s)) row.floor.push_back(*f);

      int dev = heat_device(z);
      std::size_t index = fleet.transition_count(dev);
      std::uint64_t rv = phone.result(z).version;
      Clock::time_point t0 = Clock::now();
      phone.request(kBase + "/z" + std::to_string(z) + "/start", "bench");
      CommandSeen on = wait_command(fleet, phone, z, dev, index, true, rv, t0);
      if (!on.ms) {
        ++row.refused;
        if (row.note.empty()) row.note = "start refused: " + on.refusal;
        stopped = Clock::now();
        continue;  // e.g. rest_interval: wait it out and try again
      }
      row.start.push_back(*on.ms);

      rv = phone.result(z).version;
      t0 = Clock::now();
      phone.request(kBase + "/z" + std::to_string(z) + "/stop", "");
      CommandSeen off = wait_command(fleet, phone, z, dev, index + 1, false, rv, t0);
      stopped = Clock::now();
      if (off.ms) row.stop.push_back(*off.ms);
      // Everything the stop set off (history, states) is done before the next request.
      phone.wait_zone(
          z, [](const Phone::ZoneView& v) { return v.ready && v.idle; }, 5s);
      break;
    }
  }
  row.samples = static_cast<int>(row.start.size());
  row.resets = phone.resets();
  site.stop();
  return row;
}

// ---- Timing accuracy ----------------------------------------------------------------------

struct AccuracyResult {
  int zones = 0;
  double scale = 1;
  bool heat_only = false;
  double start_all_s = 0;
  double spread_s = 0;
  // Lateness of each kind of transition, ms (negative: earlier than due).
  std::vector<double> heat_end, rest_end, cold_end;
  int incomplete = 0;
  int resets = 0;
  std::string note;
};

AccuracyResult run_accuracy(const Options& o) {
  AccuracyResult r;
  r.zones = o.accuracy_zones;
  r.scale = o.accuracy_scale;
  r.heat_only = o.accuracy_heat_only;
  int zones = o.accuracy_zones;
  Broker broker(o.mosquitto, o.broker_config);
  Fleet fleet(broker.paho_uri(), zones);
  fleet.announce();
  Phone phone(broker.paho_uri(), kBase, zones);
  Site site(o, broker, zones, o.accuracy_scale, Safety::scaled, {});
  site.start();
  require_ready(phone, zones, ready_timeout(zones), "accuracy", site);

  const double heat_ms = kHeatMin * 60'000.0 / o.accuracy_scale;
  const double rest_ms = kRestMin * 60'000.0 / o.accuracy_scale;
  const double cold_ms = kColdMin * 60'000.0 / o.accuracy_scale;
  const std::string routine = o.accuracy_heat_only ? "heat" : "bench";
  // Starts spread evenly over one heat phase (15 scaled minutes), each after the previous
  // one's heat is ON: 1,000 zones running at once, started as people press buttons, not all
  // in the same second. Their transitions spread the same way.
  const double spread_ms = o.accuracy_spread_s >= 0 ? o.accuracy_spread_s * 1000.0 : heat_ms;
  r.spread_s = spread_ms / 1000.0;
  Clock::time_point first = Clock::now();
  for (int z = 0; z < zones; ++z) {
    std::this_thread::sleep_until(
        first + std::chrono::duration_cast<Clock::duration>(Ms(spread_ms * z / zones)));
    std::uint64_t rv = phone.result(z).version;
    Clock::time_point t0 = Clock::now();
    phone.request(kBase + "/z" + std::to_string(z) + "/start", routine);
    CommandSeen on = wait_command(fleet, phone, z, heat_device(z), 0, true, rv, t0);
    if (!on.ms && r.note.empty()) r.note = "zone z" + std::to_string(z) + ": " + on.refusal;
  }
  r.start_all_s = ms(Clock::now() - first) / 1000.0;
  // Every zone's last command: the OFF that ends its last therapy phase.
  auto routine_ms = o.accuracy_heat_only ? heat_ms : heat_ms + rest_ms + cold_ms;
  auto deadline = Clock::now() + std::chrono::milliseconds{static_cast<long>(routine_ms)} + 30s;
  for (int z = 0; z < zones; ++z) {
    int last = o.accuracy_heat_only ? heat_device(z) : cold_device(z);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    fleet.wait_transition(last, 1, std::max(left, 0ms));
  }
  for (int z = 0; z < zones; ++z) {
    auto h = fleet.transitions(heat_device(z));
    auto c = fleet.transitions(cold_device(z));
    bool heat_ok = h.size() == 2 && h[0].on && !h[1].on;
    bool cold_ok = o.accuracy_heat_only ? c.empty() : (c.size() == 2 && c[0].on && !c[1].on);
    if (!heat_ok || !cold_ok) {
      ++r.incomplete;
      continue;
    }
    // A phase's clock starts when padtimerd commands its device ON (engine.cpp
    // try_switch_on: running_since = now, before any confirmation), and a rest's clock when
    // the phase before it ended (enter_phase right after that phase's OFF). So each phase
    // is due to end its own length after the command that began it; lateness is the
    // observed end command minus that.
    r.heat_end.push_back(ms(h[1].at - h[0].at) - heat_ms);
    if (!o.accuracy_heat_only) {
      r.rest_end.push_back(ms(c[0].at - h[1].at) - rest_ms);
      r.cold_end.push_back(ms(c[1].at - c[0].at) - cold_ms);
    }
  }
  r.resets = phone.resets();
  site.stop();
  return r;
}

// ---- Footprint ----------------------------------------------------------------------------

struct FootprintRow {
  int zones = 0;
  double exec_to_ready_ms = 0;      // READY=1 on the notify socket
  double exec_to_all_ready_ms = 0;  // every zone's state ready:true (devices confirmed OFF)
  double idle_rss_mb = 0, idle_anon_mb = 0, idle_file_mb = 0, idle_pss_mb = 0;
  double idle_cpu_pct = 0, idle_switches_per_min = 0;
  double start_all_s = 0, start_cpu_s = 0;
  double session_rss_mb = 0, session_anon_mb = 0, session_cpu_pct = 0;
  double peak_rss_mb = 0;
  int watchdog_pings = 0;
  double stop_all_ms = 0;  // stop_all -> the last heat plug's OFF; -1: not all seen
  double sigterm_ms = 0;   // SIGTERM -> exit; -1: not within 15 s
  double idle_window_s = 0;
  std::vector<ThreadDelta> idle_threads;
  int resets = 0;
  int sessions = 0;
  std::string note;
};

double cpu_pct(const ProcessSample& a, const ProcessSample& b) {
  double wall_ns = std::chrono::duration<double, std::nano>(b.at - a.at).count();
  return wall_ns > 0 ? 100.0 * static_cast<double>(b.cpu_ns - a.cpu_ns) / wall_ns : 0.0;
}

double mb(std::uint64_t kb) {
  return static_cast<double>(kb) / 1024.0;
}

FootprintRow run_footprint(const Options& o, int zones, double idle_window_s) {
  FootprintRow row;
  row.zones = zones;
  Broker broker(o.mosquitto, o.broker_config);
  Fleet fleet(broker.paho_uri(), zones);
  fleet.announce();
  Phone phone(broker.paho_uri(), kBase, zones);
  TempDir sock_dir;
  NotifySocket notify(sock_dir.file("notify"));
  std::string state_parent = o.footprint_tmpfs && std::filesystem::is_directory("/dev/shm")
                                 ? std::string("/dev/shm")
                                 : std::string();
  Site site(o, broker, zones, 1.0, Safety::large, state_parent);
  // As systemd runs it: Type=notify with WatchdogSec=30s (systemd/padtimerd.service).
  site.start({"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=30000000"});
  Clock::time_point exec = site.process().started_at();
  while (auto d = notify.receive(ready_timeout(zones))) {
    if (d->text.find("READY=1") != std::string::npos) {
      row.exec_to_ready_ms = ms(d->at - exec);
      break;
    }
  }
  require_ready(phone, zones, ready_timeout(zones), "footprint", site);
  row.exec_to_all_ready_ms = ms(phone.last_ready_at() - exec);
  pid_t pid = site.pid();

  // Idle: nothing running, every device confirmed OFF.
  std::this_thread::sleep_for(Ms(o.settle_s * 1000.0));
  notify.drain();
  ProcessSample a = sample_process(pid);
  std::this_thread::sleep_for(Ms(idle_window_s * 1000.0));
  ProcessSample b = sample_process(pid);
  for (const auto& d : notify.drain())
    row.watchdog_pings += d.text.find("WATCHDOG=1") != std::string::npos ? 1 : 0;
  row.idle_window_s = std::chrono::duration<double>(b.at - a.at).count();
  row.idle_rss_mb = mb(b.rss_kb);
  row.idle_anon_mb = mb(b.anon_kb);
  row.idle_file_mb = mb(b.file_kb);
  row.idle_pss_mb = mb(b.pss_kb);
  row.idle_cpu_pct = cpu_pct(a, b);
  row.idle_threads = thread_deltas(pid, a, b);
  std::uint64_t switches = 0;
  for (const auto& t : row.idle_threads)
    switches += t.switches;
  row.idle_switches_per_min = static_cast<double>(switches) * 60.0 / row.idle_window_s;

  // Sessions: every zone started at once (a burst of requests), heat ON in each.
  ProcessSample before_start = sample_process(pid);
  Clock::time_point t0 = Clock::now();
  for (int z = 0; z < zones; ++z)
    phone.request(kBase + "/z" + std::to_string(z) + "/start", "bench");
  auto until = Clock::now() + ready_timeout(zones) + std::chrono::milliseconds{zones * 10};
  for (int z = 0; z < zones; ++z) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (fleet.wait_transition(heat_device(z), 0, std::max(left, 0ms))) ++row.sessions;
  }
  row.start_all_s = ms(Clock::now() - t0) / 1000.0;
  // The burst is over once every zone's state says its heat plug confirmed ON.
  phone.wait_count([](const Phone::ZoneView& v) { return v.ready && !v.idle; }, zones,
                   ready_timeout(zones));
  std::this_thread::sleep_for(Ms(o.settle_s * 1000.0));
  ProcessSample c = sample_process(pid);
  row.start_cpu_s = static_cast<double>(c.cpu_ns - before_start.cpu_ns) / 1e9;
  std::this_thread::sleep_for(Ms(o.session_window_s * 1000.0));
  ProcessSample d = sample_process(pid);
  row.session_rss_mb = mb(d.rss_kb);
  row.session_anon_mb = mb(d.anon_kb);
  row.session_cpu_pct = cpu_pct(c, d);
  row.peak_rss_mb = mb(d.hwm_kb);
  row.resets = phone.resets();
  // The emergency stop: stop_all, until every heat plug has been told OFF.
  Clock::time_point stop = Clock::now();
  phone.request(kBase + "/stop_all", "");
  auto stop_until = Clock::now() + ready_timeout(zones);
  Clock::time_point last_off = stop;
  int off = 0;
  for (int z = 0; z < zones; ++z) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(stop_until - Clock::now());
    if (auto t = fleet.wait_transition(heat_device(z), 1, std::max(left, 0ms))) {
      ++off;
      last_off = std::max(last_off, t->at);
    }
  }
  row.stop_all_ms = off == zones ? ms(last_off - stop) : -1;
  row.sigterm_ms = site.stop(true);
  return row;
}

// ---- Start-up -----------------------------------------------------------------------------

struct StartupResult {
  std::string broker;  // what differs in the broker's config
  int zones = 0;
  std::vector<double> to_ready_ms;      // exec -> READY=1
  std::vector<double> to_all_ready_ms;  // exec -> every zone ready:true: first start, restart
};

StartupResult run_startup(const Options& o, const std::string& broker_config,
                          const std::string& label) {
  StartupResult r;
  r.broker = label;
  r.zones = o.startup_zones;
  int zones = o.startup_zones;
  Broker broker(o.mosquitto, broker_config);
  Fleet fleet(broker.paho_uri(), zones);
  fleet.announce();
  Phone phone(broker.paho_uri(), kBase, zones);
  TempDir sock_dir;
  NotifySocket notify(sock_dir.file("notify"));
  // One state directory for every run, as a service restarts on its existing database.
  Site site(o, broker, zones, 1.0, Safety::defaults, {});
  for (int run = 0; run < o.startup_runs; ++run) {
    notify.drain();
    phone.forget_states();
    site.start({"NOTIFY_SOCKET=" + notify.path()});
    Clock::time_point exec = site.process().started_at();
    while (auto d = notify.receive(10s)) {
      if (d->text.find("READY=1") != std::string::npos) {
        r.to_ready_ms.push_back(ms(d->at - exec));
        break;
      }
    }
    // Until every zone is ready: for the first start only (a new database), as it takes
    // seconds under MQTT 5 (bench/README.md, findings).
    if (run == 0 && phone.wait_all_ready(ready_timeout(zones)) == zones)
      r.to_all_ready_ms.push_back(ms(phone.last_ready_at() - exec));
    site.stop();
  }
  return r;
}

// ---- The table ----------------------------------------------------------------------------

void print_latency(const std::vector<LatencyRow>& rows) {
  std::printf(
      "\nCommand latency: a phone client publishes <base>/<zone>/start (QoS 1); time until the\n"
      "device client receives the ON (cmnd/<dev>/Power1 ON after its PulseTime1, QoS 1).\n"
      "floor = the broker's own round trip measured in the same run, interleaved with the\n"
      "samples (one client publishing QoS 1 to a topic it subscribes to). stop = the stop\n"
      "request to the OFF command. Target: start p50 <= 2.5x floor p50, start p99 <= 5 ms.\n\n");
  std::printf(
      "| zones | state db | time scale | samples | floor p50 | floor p99 | start p50 | start p99 "
      "| p50 / floor | stop p50 | stop p99 | target |\n"
      "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (auto r : rows) {
    double fp50 = percentile(r.floor, 50), fp99 = percentile(r.floor, 99);
    double sp50 = percentile(r.start, 50), sp99 = percentile(r.start, 99);
    double ratio = fp50 > 0 ? sp50 / fp50 : 0;
    bool met = ratio <= 2.5 && sp99 <= 5.0 && !r.start.empty();
    std::printf(
        "| %d | %s | %g | %d | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.1fx | %.3f ms | %.3f ms "
        "| %s |\n",
        r.zones, r.state.c_str(), r.scale, r.samples, fp50, fp99, sp50, sp99, ratio,
        percentile(r.stop, 50), percentile(r.stop, 99),
        met ? "met"
            : (ratio > 2.5 && sp99 > 5 ? "missed (p50, p99)"
               : ratio > 2.5           ? "missed (p50)"
                                       : "missed (p99)"));
  }
  for (const auto& r : rows) {
    if (r.refused || r.resets || !r.note.empty()) {
      std::printf("  note (%d zones): %d start(s) refused and retried, %d zone(s) reset; %s\n",
                  r.zones, r.refused, r.resets, r.note.c_str());
    }
  }
  std::printf(
      "  (time scale: padtimerd --time-scale, so that a zone may start again after its 20 min\n"
      "  rest in 1.2 s at 1000; it changes only the clock, not the command path)\n");
}

void print_accuracy(const AccuracyResult& r) {
  std::printf(
      "\nTiming accuracy: %d zones, padtimerd --time-scale %g, routine %s. The zones are\n"
      "started one after another, spread over %.1f s (took %.1f s). Lateness = the observed\n"
      "command that ends a phase minus (the observed command that started the phase's clock +\n"
      "the phase's length in real time); bench/README.md says why. Target: p99 <= 5 ms.\n\n",
      r.zones, r.scale, r.heat_only ? "heat 15m" : "heat 15m, rest 2m, cold 10m", r.spread_s,
      r.start_all_s);
  std::printf(
      "| transition | count | p50 | p99 | max | min | target "
      "|\n|---|---:|---:|---:|---:|---:|---|\n");
  auto line = [](const char* name, std::vector<double> v) {
    if (v.empty()) return;
    double p99 = percentile(v, 99);
    std::printf("| %s | %zu | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %s |\n", name, v.size(),
                percentile(v, 50), p99, v.back(), v.front(), p99 <= 5.0 ? "met" : "missed");
  };
  line("heat end (heat OFF)", r.heat_end);
  line("rest end (cold ON)", r.rest_end);
  line("cold end (cold OFF)", r.cold_end);
  std::vector<double> all = r.heat_end;
  all.insert(all.end(), r.rest_end.begin(), r.rest_end.end());
  all.insert(all.end(), r.cold_end.begin(), r.cold_end.end());
  line("all", all);
  if (r.incomplete || r.resets || !r.note.empty()) {
    std::printf("  note: %d zone(s) without a complete routine, %d reset; %s\n", r.incomplete,
                r.resets, r.note.c_str());
  }
}

void print_footprint(const std::vector<FootprintRow>& rows, double idle_window_s,
                     double session_window_s) {
  std::printf(
      "\nFootprint of padtimerd (real time; default safety settings but confirm_timeout 60s and\n"
      "lease 3m; every zone with a heat and a cold Tasmota plug; NOTIFY_SOCKET and\n"
      "WATCHDOG_USEC=30 s as systemd gives them; state database on /dev/shm). Idle: %.0f s (the\n"
      "first size; 5 s at most for the others) after start-up with every device confirmed OFF.\n"
      "Sessions: every zone started at once (a burst of requests), measured for %.0f s once every\n"
      "zone's state shows its heat plug confirmed ON. stop_all -> last OFF: the emergency stop\n"
      "request until the last heat plug receives its OFF command; then SIGTERM until padtimerd\n"
      "exits (it switches every device off first). RSS counts the shared\n"
      "libraries' resident pages (files); PSS divides\n"
      "them among the processes mapping them. CPU %% is of one core. Targets: RSS <= 8 MB at\n"
      "10 zones, <= 64 MB at 10,000; idle CPU ~ 0.\n\n",
      idle_window_s, session_window_s);
  std::printf(
      "| zones | exec->READY | exec->all ready | idle RSS (anon + files) | idle PSS | idle CPU "
      "| idle wake-ups/min | start all | CPU to start all | session RSS (anon) | session CPU "
      "| stop_all -> last OFF | SIGTERM -> exit | peak RSS | target |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (const auto& r : rows) {
    // Judged on the running daemon (idle and in session); the peak (VmHWM) is shown apart.
    double rss = std::max(r.idle_rss_mb, r.session_rss_mb);
    std::string target = "-";
    if (r.zones <= 10) target = rss <= 8 ? "RSS met (<= 8 MB)" : "RSS missed (> 8 MB)";
    if (r.zones >= 10000) target = rss <= 64 ? "RSS met (<= 64 MB)" : "RSS missed (> 64 MB)";
    target += r.idle_cpu_pct < 0.1 ? ", idle CPU met" : ", idle CPU missed";
    std::printf(
        "| %d | %.0f ms | %.0f ms | %.1f MB (%.1f + %.1f) | %.1f MB | %.3f %% | %.0f | %.2f s | "
        "%.2f s | %.1f MB (%.1f) | %.3f %% | %.0f ms | %s | %.1f MB | %s |\n",
        r.zones, r.exec_to_ready_ms, r.exec_to_all_ready_ms, r.idle_rss_mb, r.idle_anon_mb,
        r.idle_file_mb, r.idle_pss_mb, r.idle_cpu_pct, r.idle_switches_per_min, r.start_all_s,
        r.start_cpu_s, r.session_rss_mb, r.session_anon_mb, r.session_cpu_pct, r.stop_all_ms,
        r.sigterm_ms < 0 ? "> 15 s" : fmt("%.0f ms", r.sigterm_ms).c_str(), r.peak_rss_mb,
        target.c_str());
  }
  for (const auto& r : rows) {
    if (r.sessions != r.zones || r.resets) {
      std::printf("  note (%d zones): %d session(s) ON, %d zone(s) reset after a fault\n", r.zones,
                  r.sessions, r.resets);
    }
  }
  if (rows.empty()) return;
  const FootprintRow& r = rows.front();
  std::printf(
      "\nIdle wake-ups per thread (%d zones; context switches over %.1f s, per minute). The io\n"
      "thread is padtimerd's main thread (tid = pid) running io_context::run(); the others are\n"
      "Paho's (its C library names them MQTTAsync_send and MQTTAsync_rcv).\n\n"
      "| thread | tid | sleeps in | wake-ups/min | CPU ms/min |\n|---|---:|---|---:|---:|\n",
      r.zones, r.idle_window_s);
  for (const auto& t : r.idle_threads) {
    std::string name = t.main_thread ? "io (padtimerd main)" : "paho (" + t.comm + ")";
    std::printf("| %s | %d | %s | %.1f | %.2f |\n", name.c_str(), t.tid, t.wchan.c_str(),
                static_cast<double>(t.switches) * 60.0 / r.idle_window_s,
                static_cast<double>(t.cpu_ns) / 1e6 * 60.0 / r.idle_window_s);
  }
  std::printf("  watchdog pings in the idle window: %d (WatchdogSec=30s: one every 15 s)\n",
              r.watchdog_pings);
}

void print_startup(const std::vector<StartupResult>& runs) {
  std::printf(
      "\nStart-up, %d zones, %zu runs on the same state database: fork/exec -> READY=1 received\n"
      "on the NOTIFY_SOCKET datagram socket. padtimerd sends READY=1 once its config, database\n"
      "and engine are set up and the MQTT connection is under way; 'all ready' is until every\n"
      "zone's retained state says ready:true (broker connected, every device confirmed OFF),\n"
      "for the first start (a new database). Between runs padtimerd is killed (SIGKILL).\n"
      "Target: <= 100 ms to READY.\n\n",
      runs.front().zones, runs.front().to_ready_ms.size());
  std::printf(
      "| zones | broker | READY median | READY min | READY max | all ready (first start) | "
      "target |\n|---:|---|---:|---:|---:|---:|---|\n");
  for (const StartupResult& r : runs) {
    auto v = r.to_ready_ms;
    double med = median(v);
    std::sort(v.begin(), v.end());
    double all = r.to_all_ready_ms.empty() ? -1.0 : r.to_all_ready_ms.front();
    std::printf("| %d | %s | %.1f ms | %.1f ms | %.1f ms | %s | %s |\n", r.zones, r.broker.c_str(),
                med, v.empty() ? 0 : v.front(), v.empty() ? 0 : v.back(),
                all < 0 ? "not within the timeout" : fmt("%.1f ms", all).c_str(),
                !v.empty() && med <= 100 ? "met" : "missed");
  }
}

// ---- Arguments ----------------------------------------------------------------------------

constexpr const char* kUsage =
    R"(Usage: padtimer-bench [--smoke] [options]

Runs the real padtimerd against a private mosquitto (free loopback port, set_tcp_nodelay
true) and prints the benchmark table. Options (lists are comma-separated):
  --smoke                  tiny sizes, a few seconds in all: proves it builds and works
  --only PARTS             latency,accuracy,footprint,startup (default: all)
  --padtimerd PATH         default: padtimerd next to this program
  --mosquitto PATH         default: )" MOSQUITTO_PATH R"(
  --latency-zones LIST     default 1,100,1000
  --latency-samples LIST   starts measured per size, default 15,200,300
  --latency-scale N        padtimerd --time-scale for the latency runs, default 1000
  --tmpfs-zones N          one more latency row with the state database on /dev/shm
                           (default 100; 0: none)
  --tmpfs-samples N        default 100
  --accuracy-zones N       default 1000
  --accuracy-scale N       default 100
  --accuracy-heat-only     the routine is heat 15m only (the smoke run)
  --accuracy-spread S      starts spread over S seconds (default: one heat phase, 15 min
                           of padtimerd's clock; 0: as fast as padtimerd takes them)
  --footprint-zones LIST   default 10,1000,10000
  --idle-window S          seconds of idle measured for the first size, default 20
                           (the others: 5 at most)
  --session-window S       seconds measured during sessions, default 5
  --footprint-state-on-disk  keep the footprint runs' database under $TMPDIR (default /dev/shm)
  --startup-zones N        default 100
  --startup-runs N         default 5
  --state-parent DIR       where state databases live (default $TMPDIR or /tmp)
  --daemon-log-level L     padtimerd --log-level, default info
  --protocol 5|3.1.1       padtimerd's mqtt.protocol (default: padtimerd's default, 5)
  --broker-option LINE     one more mosquitto.conf line
  --broker-default-inflight  leave out the bench's "max_inflight_messages 0" (and any
                           --broker-option before this one)
)";

std::vector<int> int_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ','))
    out.push_back(std::stoi(item));
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  o.padtimerd = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "padtimerd";
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--smoke") {
      o.latency_zones = {1, 20};
      o.latency_samples = {1, 20};
      o.tmpfs_zones = 0;
      o.accuracy_zones = 10;
      o.accuracy_scale = 1000;
      o.accuracy_heat_only = true;
      o.footprint_zones = {10};
      o.idle_window_s = 0.5;
      o.session_window_s = 0.2;
      o.settle_s = 0.1;
      o.startup_zones = 10;
      o.startup_runs = 1;
    } else if (a == "--only") {
      std::stringstream s(next());
      std::string part;
      while (std::getline(s, part, ','))
        o.only.insert(part);
    } else if (a == "--padtimerd") {
      o.padtimerd = next();
    } else if (a == "--mosquitto") {
      o.mosquitto = next();
    } else if (a == "--latency-zones") {
      o.latency_zones = int_list(next());
    } else if (a == "--latency-samples") {
      o.latency_samples = int_list(next());
    } else if (a == "--latency-scale") {
      o.latency_scale = std::stod(next());
    } else if (a == "--tmpfs-zones") {
      o.tmpfs_zones = std::stoi(next());
    } else if (a == "--tmpfs-samples") {
      o.tmpfs_samples = std::stoi(next());
    } else if (a == "--accuracy-zones") {
      o.accuracy_zones = std::stoi(next());
    } else if (a == "--accuracy-scale") {
      o.accuracy_scale = std::stod(next());
    } else if (a == "--accuracy-spread") {
      o.accuracy_spread_s = std::stod(next());
    } else if (a == "--accuracy-heat-only") {
      o.accuracy_heat_only = true;
    } else if (a == "--footprint-zones") {
      o.footprint_zones = int_list(next());
    } else if (a == "--idle-window") {
      o.idle_window_s = std::stod(next());
    } else if (a == "--session-window") {
      o.session_window_s = std::stod(next());
    } else if (a == "--footprint-state-on-disk") {
      o.footprint_tmpfs = false;
    } else if (a == "--startup-zones") {
      o.startup_zones = std::stoi(next());
    } else if (a == "--startup-runs") {
      o.startup_runs = std::stoi(next());
    } else if (a == "--state-parent") {
      o.state_parent = next();
    } else if (a == "--broker-option") {
      o.broker_config += next() + "\n";
    } else if (a == "--broker-default-inflight") {
      o.broker_config.clear();
    } else if (a == "--protocol") {
      o.protocol = next();
    } else if (a == "--daemon-log-level") {
      o.daemon_log_level = next();
    } else {
      throw std::invalid_argument("unknown argument '" + a + "' (try --help)");
    }
  }
  if (o.latency_samples.size() < o.latency_zones.size())
    o.latency_samples.resize(o.latency_zones.size(),
                             o.latency_samples.empty() ? 100 : o.latency_samples.back());
  return o;
}

int run(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (access(o.padtimerd.c_str(), X_OK) != 0)
    throw std::runtime_error("no padtimerd at " + o.padtimerd + " (build it, or --padtimerd)");
  Clock::time_point begun = Clock::now();
  std::printf("padtimer-bench: %s\n", machine_line().c_str());
  std::printf(
      "padtimerd: %s (MQTT %s); broker: %s, private, 127.0.0.1, set_tcp_nodelay true,\n"
      "max_queued_messages 0 (20,000 devices report at once)\n%s",
      o.padtimerd.c_str(), o.protocol.empty() ? "5, its default" : o.protocol.c_str(),
      o.mosquitto.c_str(), o.broker_config.empty() ? "" : ("and:\n" + o.broker_config).c_str());
  std::fflush(stdout);

  std::vector<LatencyRow> latency;
  if (wanted(o, "latency")) {
    for (std::size_t i = 0; i < o.latency_zones.size(); ++i) {
      std::fprintf(stderr, "bench: latency, %d zone(s)...\n", o.latency_zones[i]);
      latency.push_back(
          run_latency(o, o.latency_zones[i], o.latency_samples[i], o.state_parent, "disk"));
    }
    if (o.tmpfs_zones > 0 && std::filesystem::is_directory("/dev/shm")) {
      std::fprintf(stderr, "bench: latency, %d zones, state on tmpfs...\n", o.tmpfs_zones);
      latency.push_back(run_latency(o, o.tmpfs_zones, o.tmpfs_samples, "/dev/shm", "tmpfs"));
    }
    print_latency(latency);
    std::fflush(stdout);
  }
  if (wanted(o, "accuracy")) {
    std::fprintf(stderr, "bench: accuracy, %d zones...\n", o.accuracy_zones);
    print_accuracy(run_accuracy(o));
    std::fflush(stdout);
  }
  if (wanted(o, "footprint")) {
    std::vector<FootprintRow> rows;
    for (int zones : o.footprint_zones) {
      std::fprintf(stderr, "bench: footprint, %d zones...\n", zones);
      // The first size gets the whole idle window (its per-thread wake-ups are printed);
      // the others a shorter one (their idle CPU and memory settle at once).
      double window = rows.empty() ? o.idle_window_s : std::min(o.idle_window_s, 5.0);
      rows.push_back(run_footprint(o, zones, window));
    }
    print_footprint(rows, o.idle_window_s, o.session_window_s);
    std::fflush(stdout);
  }
  if (wanted(o, "startup")) {
    std::fprintf(stderr, "bench: start-up, %d zones...\n", o.startup_zones);
    std::vector<StartupResult> runs{run_startup(o, o.broker_config, "as the other parts")};
    if (!o.broker_config.empty()) {
      std::fprintf(stderr, "bench: start-up, %d zones, mosquitto's default inflight limit...\n",
                   o.startup_zones);
      runs.push_back(run_startup(o, "", "mosquitto's defaults (max_inflight_messages 20)"));
    }
    print_startup(runs);
  }
  std::printf("\npadtimer-bench: done in %.1f s; %s\n", ms(Clock::now() - begun) / 1000.0,
              machine_line().c_str());
  return 0;
}

}  // namespace
}  // namespace padtimer::bench

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  try {
    return padtimer::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "padtimer-bench: %s\n", e.what());
    return 1;
  }
}
