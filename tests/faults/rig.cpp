#include "rig.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace padtimer::testing::faults {

namespace {

constexpr Millis kStartWait = 20s;
const std::string kMarker = "padtimer-faults/marker";

// Which protocol plays zone i's devices. Shelly Gen1 is left out on purpose: it has no
// auto-off over MQTT, so nothing but padtimerd can switch it off (see devices/README.md).
enum class Family { tasmota, shelly_rpc, zigbee2mqtt, json_pad };
struct ZoneFamilies {
  Family heat;
  Family cold;
  bool dual;  // one json_pad does both
};
ZoneFamilies families(int i) {
  switch (i % 4) {
    case 0: return {Family::tasmota, Family::shelly_rpc, false};
    case 1: return {Family::shelly_rpc, Family::zigbee2mqtt, false};
    case 2: return {Family::zigbee2mqtt, Family::tasmota, false};
    default: return {Family::json_pad, Family::json_pad, true};
  }
}

const char* family_name(Family f) {
  switch (f) {
    case Family::tasmota: return "tasmota";
    case Family::shelly_rpc: return "shelly_rpc";
    case Family::zigbee2mqtt: return "zigbee2mqtt";
    case Family::json_pad: return "json_pad";
  }
  return "";
}

std::string seconds_text(std::chrono::seconds s) {
  return std::to_string(s.count()) + "s";
}

}  // namespace

int rounds() {
  const char* text = std::getenv("PADTIMER_FAULT_ROUNDS");
  int n = text ? std::atoi(text) : 1;
  return n >= 1 ? n : 1;
}

Rig::Rig(RigOptions options) : options_(std::move(options)) {
  const char* seed_text = std::getenv("PADTIMER_FAULT_SEED");
  seed_ = seed_text ? static_cast<std::uint32_t>(std::strtoul(seed_text, nullptr, 10))
                    : std::random_device{}();
  random_.seed(seed_);
  std::cout << "fault rig: seed " << seed_ << " (PADTIMER_FAULT_SEED=" << seed_
            << " repeats the injection moments), time scale " << options_.time_scale << ", broker "
            << broker_.url() << std::endl;

  limits_.heat_max = real(20min);
  limits_.cold_max = real(15min);
  limits_.lease = real(options_.lease);
  limits_.tolerance = 250ms;

  std::filesystem::create_directory(dir_.file("state"));
  dir_.write("padtimer.yaml", config());
  publish(kMarker, "here", true);
  std::vector<std::string> argv{PADTIMER_SIM_PATH,
                                "--broker",
                                broker_.url(),
                                "--record",
                                dir_.file("record.jsonl"),
                                "--telemetry-period",
                                options_.telemetry_period};
  for (const std::string& a : sim_arguments())
    argv.push_back(a);
  sim_ = std::make_unique<ChildProcess>(argv);
  if (!sim_->wait_for_line("padtimer-sim: connected", kStartWait)) {
    throw std::runtime_error("padtimer-sim did not connect:\n" + sim_->output());
  }
  if (options_.faketime) jump_wall(0s);
}

Rig::~Rig() = default;

Millis Rig::real(std::chrono::seconds scaled) const {
  return std::chrono::duration_cast<Millis>(scaled) / options_.time_scale;
}

std::string Rig::heat_device(int i) const {
  return families(i).dual ? zone(i) + "_pad" : zone(i) + "_heat";
}

std::string Rig::cold_device(int i) const {
  return families(i).dual ? zone(i) + "_pad" : zone(i) + "_cold";
}

std::vector<std::string> Rig::sim_arguments() const {
  std::vector<std::string> args;
  for (int i = 0; i < options_.zones; ++i) {
    ZoneFamilies f = families(i);
    auto add = [&](Family family, const std::string& name, const std::string& role) {
      std::string spec = std::string(family_name(family)) + ":" + name + ",role=" + role;
      if (family == Family::zigbee2mqtt || family == Family::json_pad) spec += ",sensor=yes";
      args.push_back("--device");
      args.push_back(spec);
    };
    if (f.dual) {
      add(f.heat, heat_device(i), "dual");
    } else {
      add(f.heat, heat_device(i), "heat");
      add(f.cold, cold_device(i), "cold");
    }
  }
  return args;
}

std::string Rig::config() const {
  std::string text = "mqtt:\n  url: " + broker_.url() +
                     "\n  client_id: padtimerd-faults\n"
                     "log_level: info\n"
                     "safety:\n"
                     "  confirm_timeout: " +
                     seconds_text(options_.confirm_timeout) +
                     "\n  lease: " + seconds_text(options_.lease) +
                     "\n  lease_rearm: " + seconds_text(options_.lease_rearm) +
                     "\n  lease_margin: 5s\n  phase_rest: 2m\n  broker_grace: " +
                     seconds_text(options_.broker_grace) + "\n  state_refresh: 10m\ndevices:\n";
  auto device = [&](Family family, const std::string& name, const std::string& role) {
    text += "  " + name + ":\n    driver: " + family_name(family) + "\n    role: " + role + "\n";
    switch (family) {
      case Family::tasmota: text += "    topic: " + name + "\n"; break;
      case Family::shelly_rpc: text += "    id: " + name + "\n"; break;
      case Family::zigbee2mqtt: text += "    name: " + name + "\n"; break;
      case Family::json_pad: text += "    id: " + name + "\n"; break;
    }
    text += "    sensor:\n";
    if (family == Family::tasmota) text += "      sensor: DS18B20\n";
    if (family == Family::shelly_rpc) text += "      temperature: temperature:100\n";
    text += "      telemetry_timeout: " + seconds_text(options_.telemetry_timeout) + "\n";
    if (role != "cold") {
      text += "      max_c: 45\n      heat_up:\n        min_change_c: 2\n        within: 10m\n";
    }
    if (role != "heat") {
      text += "      min_c: 2\n      cool_down:\n        min_change_c: 2\n        within: 10m\n";
    }
  };
  for (int i = 0; i < options_.zones; ++i) {
    ZoneFamilies f = families(i);
    if (f.dual) {
      device(f.heat, heat_device(i), "dual");
    } else {
      device(f.heat, heat_device(i), "heat");
      device(f.cold, cold_device(i), "cold");
    }
  }
  text += "zones:\n";
  for (int i = 0; i < options_.zones; ++i) {
    text += "  " + zone(i) + ":\n    heat: " + heat_device(i) + "\n    cold: " + cold_device(i) +
            "\n    min_rest: 20m\n    daily_cap: 8h\n";
  }
  text += std::string("routines:\n  ") + kRoutine + ":\n    - heat: 15m\n    - rest: 2m\n" +
          "    - cold: 10m\n";
  if (!options_.schedules.empty()) text += "schedules:\n" + options_.schedules;
  return text;
}

std::vector<ZoneLayout> Rig::layouts() const {
  std::vector<ZoneLayout> out;
  for (int i = 0; i < options_.zones; ++i)
    out.push_back({zone(i), heat_device(i), cold_device(i), real(20min)});
  return out;
}

void Rig::start_daemon() {
  std::vector<std::string> argv;
  if (options_.faketime) {
    // faketime moves only the wall clock (CLOCK_REALTIME), re-reading the offset file at
    // every call; the monotonic clock padtimerd times phases with stays real. An ASan build
    // must be told that a preloaded library comes before its runtime.
    const char* asan = std::getenv("ASAN_OPTIONS");
    argv = {"/usr/bin/env",
            std::string("LD_PRELOAD=") + FAKETIME_LIBRARY,
            "FAKETIME_TIMESTAMP_FILE=" + dir_.file("faketime"),
            "FAKETIME_NO_CACHE=1",
            "FAKETIME_DONT_FAKE_MONOTONIC=1",
            std::string("ASAN_OPTIONS=") + (asan ? std::string(asan) + ":" : "") +
                "verify_asan_link_order=0"};
  }
  for (const std::string& a :
       {std::string(PADTIMERD_PATH), std::string("--config"), dir_.file("padtimer.yaml"),
        std::string("--state-dir"), dir_.file("state"), std::string("--time-scale"),
        std::to_string(options_.time_scale)}) {
    argv.push_back(a);
  }
  // Up means its online status is out, not only connected: until then the broker still
  // holds the last will of the one before, and padtimerctl would say padtimerd is offline.
  std::size_t status_cursor = phone().output().size();
  daemon_ = std::make_unique<ChildProcess>(argv);
  if (!wait_line(phone(), status_cursor, {"padtimer/status online"}, kStartWait)) {
    throw std::runtime_error("padtimerd did not come online:\n" + daemon_->output());
  }
}

void Rig::kill_daemon() {
  daemon_->signal(SIGKILL);
  daemon_->wait(kStartWait);
}

bool Rig::all_running() {
  return broker_.running() && sim_->running() && daemon_ && daemon_->running();
}

Outcome Rig::ctl(const std::vector<std::string>& args) {
  std::vector<std::string> all{"--broker", broker_.url(), "--timeout", "10s"};
  all.insert(all.end(), args.begin(), args.end());
  return run_ctl(all);
}

void Rig::publish(const std::string& topic, const std::string& payload, bool retained) {
  std::vector<std::string> argv{
      "mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_.port()), "-q", "1", "-t",
      topic,           "-m", payload};
  if (retained) argv.push_back("-r");
  ChildProcess pub(argv);
  if (exit_code(pub.wait(kStartWait)) != 0) {
    throw std::runtime_error("mosquitto_pub: " + pub.output());
  }
}

ChildProcess& Rig::phone() {
  if (!phone_ || !phone_->running()) {
    phone_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker_.port()), "-v", "-t",
        "padtimer/+/event", "-t", "padtimer/+/state", "-t", "padtimer/status", "-t", kMarker});
    if (!phone_->wait_for_line(kMarker, kStartWait)) {
      throw std::runtime_error("mosquitto_sub did not subscribe: " + phone_->output());
    }
  }
  return *phone_;
}

bool Rig::wait_ready(int i, Millis timeout) {
  const std::string prefix = "\npadtimer/" + zone(i) + "/state ";
  return wait_until(
      [&] {
        // The zone's latest state, as the phone last heard it.
        const std::string& out = phone().output();
        std::size_t at = out.rfind(prefix);
        if (at == std::string::npos) return false;
        std::size_t end = out.find('\n', at + 1);
        return end != std::string::npos &&
               out.substr(at, end - at).find(R"("ready":true)") != std::string::npos;
      },
      timeout);
}

bool Rig::wait_until(const std::function<bool()>& done, Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    // Every relay change is also a line on the sim's stdout, so its pipe wakes this up
    // whenever the record grows.
    ChildProcess::read_any({sim_.get(), daemon_.get(), phone_.get()}, std::min(left, Millis{200}));
  }
}

std::optional<std::string> Rig::wait_line(ChildProcess& p, std::size_t& cursor,
                                          const std::vector<std::string>& parts, Millis timeout) {
  std::optional<std::string> found;
  wait_until(
      [&] {
        const std::string& out = p.output();
        std::size_t end;
        while ((end = out.find('\n', cursor)) != std::string::npos) {
          std::string line = out.substr(cursor, end - cursor);
          cursor = end + 1;
          bool all = true;
          for (const std::string& part : parts)
            all = all && line.find(part) != std::string::npos;
          if (all) {
            found = line;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

void Rig::let_pass(Millis d) {
  wait_until([] { return false; }, d);
}

std::vector<OutputChange> Rig::record() {
  std::vector<std::string> errors;
  auto changes = read_record(dir_.file("record.jsonl"), errors);
  for (const std::string& e : errors)
    ADD_FAILURE() << e;
  return changes;
}

namespace {

// The last lines of `log` that name zone `zone` (or one of its devices, "<zone>_…"): what
// a process said about the moments of a violation, for a report that only has the output.
std::string lines_about(const std::string& log, const std::string& zone) {
  constexpr std::size_t kMaxLines = 60;
  std::vector<std::string> found;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    for (std::size_t at = line.find(zone); at != std::string::npos; at = line.find(zone, at + 1)) {
      const std::size_t end = at + zone.size();
      const bool starts = at == 0 || !std::isalnum(static_cast<unsigned char>(line[at - 1]));
      const bool ends = end == line.size() || !std::isdigit(static_cast<unsigned char>(line[end]));
      if (starts && ends) {
        found.push_back(line);
        break;
      }
    }
  }
  std::string out;
  for (std::size_t i = found.size() > kMaxLines ? found.size() - kMaxLines : 0; i < found.size();
       ++i)
    out += "  " + found[i] + "\n";
  return out;
}

}  // namespace

int Rig::check_invariants(Tally& tally) {
  const auto changes = record();
  auto violations = faults::check_invariants(changes, layouts(), limits_, monotonic_ns());
  if (!violations.empty() && tally.violations == 0) {
    // The device-side evidence, once: every output change, with seconds since the first.
    std::string evidence;
    for (const OutputChange& c : changes) {
      evidence += std::to_string((c.t_ns - changes.front().t_ns) / 1'000'000) + " ms " + c.device +
                  " " + c.output + "\n";
    }
    ADD_FAILURE() << "the device record:\n" << evidence;
    // padtimerd's and the sim's own account of the same moments, whole, for the post-mortem.
    const std::string dir = PADTIMER_FAULT_TALLY_DIR;
    std::filesystem::create_directories(dir);
    const std::string stem = dir + "/" + tally.scenario + "-" + std::to_string(seed_);
    std::ofstream(stem + ".padtimerd.log") << daemon().output();
    std::ofstream(stem + ".sim.log") << sim().output();
    // Violations start with the zone ("z1: …") or one of its devices ("z1_heat was …").
    const std::string zone = violations.front().substr(0, violations.front().find_first_of(":_ "));
    ADD_FAILURE() << "logs saved: " << stem << ".{padtimerd,sim}.log\n"
                  << "padtimerd, the lines about " << zone << ":\n"
                  << lines_about(daemon().output(), zone) << "padtimer-sim, the same:\n"
                  << lines_about(sim().output(), zone);
  }
  for (std::size_t i = static_cast<std::size_t>(tally.violations); i < violations.size(); ++i)
    ADD_FAILURE() << "invariant violated: " << violations[i];
  tally.violations = static_cast<int>(violations.size());
  return tally.violations;
}

std::vector<OutputChange> Rig::changes_of(const std::string& device, std::int64_t since_ns) {
  std::vector<OutputChange> out;
  for (const OutputChange& c : record()) {
    if (c.device == device && c.t_ns > since_ns) out.push_back(c);
  }
  return out;
}

void Rig::jump_wall(std::chrono::seconds offset) {
  // faketime's relative form: "+N" / "-N" seconds from the real clock.
  std::string text = (offset.count() >= 0 ? "+" : "") + std::to_string(offset.count());
  std::ofstream(dir_.file("faketime.tmp")) << text << "\n";
  std::filesystem::rename(dir_.file("faketime.tmp"), dir_.file("faketime"));
}

std::string Rig::last_outcome(const std::string& zone) {
  ChildProcess q({SQLITE3_PATH, "-readonly", dir_.file("state") + "/padtimer.db",
                  "SELECT coalesce(outcome, '') FROM sessions WHERE zone = '" + zone +
                      "' ORDER BY id DESC LIMIT 1"});
  q.wait(kStartWait);
  q.drain();
  std::string out = q.output();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

void report(const Tally& t) {
  std::cout << "fault summary: " << t.scenario << ": " << t.injected << " faults injected, "
            << t.survived << " survived, " << t.violations << " invariant violations, "
            << t.sessions << " sessions started" << std::endl;
  std::filesystem::create_directories(PADTIMER_FAULT_TALLY_DIR);
  std::ofstream(std::string(PADTIMER_FAULT_TALLY_DIR) + "/" + t.scenario + ".tally")
      << t.scenario << " " << t.injected << " " << t.survived << " " << t.violations << " "
      << t.sessions << "\n";
}

}  // namespace padtimer::testing::faults
