// padtimer-walkthrough: runs the safety engine through a scripted afternoon in simulated
// time and prints what it decides, so a newcomer can watch the rules work without MQTT.
// Devices here are perfect: they confirm every command at once.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "core/engine.h"
#include "core/time_format.h"

namespace {

using namespace padtimer::core;
using namespace std::chrono_literals;

class Walkthrough {
 public:
  explicit Walkthrough(bool verbose)
      : verbose_(verbose),
        now_{MonoTime{}, WallTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}} + 14h,
             std::chrono::minutes{0}},
        engine_(make_config(), {}, now_) {}

  void run() {
    say("padtimer engine walkthrough: lower_back has a heat pad with a temperature sensor and a");
    say("cold pack, 60 min rest between sessions and a 90 min daily cap. Times are simulated;");
    say("nothing sleeps.\n");
    say("Start-up drives every device OFF, and again once the broker connects:");
    print_commands();
    send(BrokerConnection{true});
    say("");
    ask(Action::start, "evening");
    wait(70min);
    ask(Action::start, "evening");  // refused: rest interval
    wait(60min);
    ask(Action::start, "heat_only");
    wait(4min);
    say(clock() + "  (the pad's sensor suddenly reads 46.5 °C)");
    send(TemperatureReading{"lb_heat", 46.5});
    ask(Action::start, "heat_only");  // refused: fault latched
    ask(Action::reset, "");
    wait(60min);
    ask(Action::start, "evening");  // refused: daily cap
    say("\nDone. Run with --verbose to also see every lease re-arm.");
  }

 private:
  static EngineConfig make_config() {
    EngineConfig c;
    SensorSpec sensor;
    sensor.max_c = 43.0;
    sensor.telemetry_timeout = 10min;
    c.devices = {{"lb_heat", DeviceRole::heat, true, sensor},
                 {"lb_cold", DeviceRole::cold, true, std::nullopt}};
    c.zones = {{"lower_back", "lb_heat", "lb_cold", 60min, 90min}};
    c.routines = {{"evening",
                   {{PhaseKind::heat, 20min},
                    {PhaseKind::rest, 5min},
                    {PhaseKind::cold, 15min},
                    {PhaseKind::rest, 5min},
                    {PhaseKind::heat, 15min}}},
                  {"heat_only", {{PhaseKind::heat, 20min}}}};
    return c;
  }

  void say(const std::string& text) { std::printf("%s\n", text.c_str()); }

  std::string clock() const {
    auto local = now_.wall.time_since_epoch() % std::chrono::days{1};
    auto h = std::chrono::duration_cast<std::chrono::hours>(local).count();
    auto m = std::chrono::duration_cast<std::chrono::minutes>(local).count() % 60;
    auto s = std::chrono::duration_cast<std::chrono::seconds>(local).count() % 60;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(s));
    return buf;
  }

  void ask(Action action, const std::string& routine) {
    say(clock() + "  > " + std::string(to_string(action)) + " lower_back" +
        (routine.empty() ? "" : " " + routine));
    send(Request{"demo", action, "lower_back", routine, {}, false});
  }

  void send(const Event& event) {
    engine_.handle(event, now_);
    print_commands();
  }

  // Steps the clock from deadline to deadline, as the daemon's single timer will, with the
  // pad's sensor reporting every minute in between.
  void wait(Duration d) {
    MonoTime until = now_.mono + d;
    while (true) {
      MonoTime next = std::min(until, next_reading_);
      if (auto deadline = engine_.next_deadline(); deadline && *deadline < next) next = *deadline;
      if (next >= until && next != next_reading_) break;
      move_to(next);
      if (now_.mono >= next_reading_) report_temperature();
      engine_.handle_timeout(now_);
      print_commands();
      if (now_.mono >= until) break;
    }
    move_to(until);
  }

  // A crude thermal model: the pad warms while heating and drifts back to 24 °C when off.
  void report_temperature() {
    next_reading_ = now_.mono + 1min;
    pad_c_ = outputs_["lb_heat"] == Output::heat ? std::min(41.0, pad_c_ + 1.5)
                                                 : pad_c_ + (24.0 - pad_c_) * 0.3;
    engine_.handle(TemperatureReading{"lb_heat", pad_c_}, now_);
  }

  void move_to(MonoTime t) {
    now_.wall += t - now_.mono;
    now_.mono = t;
  }

  void print_commands() {
    for (const Command& c : engine_.take_commands()) {
      if (const auto* set = std::get_if<SetOutput>(&c)) {
        bool rearm = outputs_[set->device] == set->output && set->output != Output::off;
        outputs_[set->device] = set->output;
        if (!rearm || verbose_) {
          std::string lease =
              set->auto_off ? " (auto-off in " + describe_duration(*set->auto_off) + ")" : "";
          say(clock() + "    " + set->device + " -> " + std::string(to_string(set->output)) +
              lease + (rearm ? " [lease re-armed]" : ""));
        }
        // A perfect device: it confirms at once.
        engine_.handle(DeviceReport{set->device, set->output}, now_);
        print_commands();
      } else if (const auto* ev = std::get_if<PublishEvent>(&c)) {
        say(clock() + "    event " + std::string(to_string(ev->event.kind)) + ": " +
            ev->event.message);
      } else if (const auto* reply = std::get_if<Reply>(&c)) {
        say(clock() + "  < " + (reply->ok ? "ok: " : std::string(reason_code(reply->code)) + ": ") +
            reply->message);
      }
    }
  }

  bool verbose_;
  Now now_;
  Engine engine_;
  std::map<std::string, Output> outputs_;
  MonoTime next_reading_{};
  double pad_c_ = 24.0;
};

}  // namespace

int main(int argc, char** argv) {
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--verbose") == 0 || std::strcmp(argv[i], "-v") == 0) {
      verbose = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf(
          "Usage: padtimer-walkthrough [--verbose]\n\n"
          "Runs padtimer's safety engine through a scripted afternoon in simulated time:\n"
          "a full heat/cold routine, a start refused by the rest interval, an over-temperature\n"
          "cutoff that latches until reset, and a start refused by the daily cap.\n\n"
          "  -v, --verbose  also print every auto-off lease re-arm\n"
          "  -h, --help     show this help\n");
      return 0;
    } else {
      std::fprintf(stderr, "padtimer-walkthrough: unknown option '%s' (try --help)\n", argv[i]);
      return 2;
    }
  }
  Walkthrough(verbose).run();
  return 0;
}
