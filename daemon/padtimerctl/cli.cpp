#include "padtimerctl/cli.h"

#include <array>
#include <charconv>
#include <string_view>

#include "config/config.h"
#include "control/control.h"
#include "core/validate.h"
#include "mqtt/transport.h"

namespace padtimer::ctl {

namespace {

struct CommandSpec {
  std::string_view name;
  Command command;
  std::string_view action;  // the request's "action"; empty: not a zone request
  std::string_view args;    // e.g. "ZONE ROUTINE"
  std::size_t required;     // positional arguments that must be given
  std::size_t allowed;      // at most this many
  std::string_view help;    // for `padtimerctl COMMAND --help`
};

constexpr std::array<CommandSpec, 11> kCommands{{
    {"status", Command::status, "", "[ZONE]", 0, 1,
     "Prints every zone's state (or only ZONE's) from the retained <base>/<zone>/state\n"
     "topics: status, routine, phase n/m, time left, whether a start would be accepted now\n"
     "(ready), today's exposure and the daily cap, the next allowed start (local time), a\n"
     "latched fault and its message, and each device's output and temperature. With --json,\n"
     "prints the documents as padtimerd published them.\n"},
    {"start", Command::start, "start", "ZONE ROUTINE", 2, 2,
     "Starts ROUTINE (a routine id of padtimerd's config) in ZONE. padtimerd refuses while\n"
     "a session runs, during the rest interval, past the daily cap, or while a device is not\n"
     "ready; the reason is printed and the exit status is 1.\n"},
    {"stop", Command::stop, "stop", "ZONE", 1, 1,
     "Stops ZONE's session: every device of the zone is switched OFF.\n"},
    {"pause", Command::pause, "pause", "ZONE", 1, 1,
     "Pauses ZONE's session. Its devices are OFF while paused; a pause longer than the\n"
     "configured max_pause ends the session.\n"},
    {"resume", Command::resume, "resume", "ZONE", 1, 1, "Resumes ZONE's paused session.\n"},
    {"skip", Command::skip, "skip", "ZONE", 1, 1,
     "Ends ZONE's current phase now and goes on to the next one.\n"},
    {"extend", Command::extend, "extend", "ZONE MINUTES", 2, 2,
     "Makes ZONE's current phase MINUTES longer: a whole number from 1 to 20. padtimerd\n"
     "refuses to go past the phase's maximum (phase_max).\n"},
    {"reset", Command::reset, "reset", "ZONE", 1, 1,
     "Clears ZONE's latched fault. Check the device first: a fault means padtimerd saw\n"
     "something unsafe (a temperature cutoff, a device that went offline, ...).\n"},
    {"stop-all", Command::stop_all, "", "", 0, 0,
     "Emergency stop: ends the session of every zone and switches every device OFF.\n"
     "padtimerd answers on <base>/result.\n"},
    {"history", Command::history, "", "[ZONE]", 0, 1,
     "Prints the recent sessions of every zone (or only ZONE's), newest first, with their\n"
     "phases, outcome and exposure. padtimerd publishes them from its database on the\n"
     "retained topic <base>/<zone>/history (the newest 20 sessions per zone).\n"
     "--limit N shows only the newest N sessions of each zone.\n"},
    {"watch", Command::watch, "", "", 0, 0,
     "A live view of every zone until Ctrl-C (or SIGTERM; the exit status is then 0):\n"
     "status, phase, a countdown of the time left, temperatures, and events as they arrive.\n"
     "On a terminal the table is redrawn every second. Otherwise (a pipe, a file) one line is\n"
     "printed per state change and per event, each flushed at once, for example\n"
     "  16:37:33 lower_back heat 1/3 evening 14:59 left pad 38.2°C\n"
     "  16:52:33 lower_back event phase_ended: phase 1 (heat), on 15:00\n"
     "A lost broker connection is reported and retried until it comes back; --timeout\n"
     "bounds only the first connection.\n"},
}};

constexpr const char* kUsage =
    R"(Usage: padtimerctl [OPTIONS] COMMAND [ARGS]
       padtimerctl COMMAND --help
       padtimerctl --help | --version

padtimerctl controls padtimerd, the heat and cold therapy timer, over MQTT exactly as the
phone app does: it publishes requests on <base>/<zone>/set and reads what padtimerd
publishes under <base>/. It needs the broker, not the machine padtimerd runs on.

Commands:
  status [ZONE]          every zone (or ZONE): status, routine, phase n/m, time left,
                         ready (a start would not be refused for device or broker
                         readiness), today's exposure and the daily cap, the next allowed
                         start (local time), a latched fault and its message, device
                         outputs and temperatures
  start ZONE ROUTINE     start ROUTINE (a routine id of padtimerd's config) in ZONE
  stop ZONE              stop ZONE's session: its devices OFF
  pause ZONE             pause ZONE's session (devices OFF; a long pause ends it)
  resume ZONE            resume ZONE's paused session
  skip ZONE              end the current phase and go on to the next
  extend ZONE MINUTES    make the current phase MINUTES (1-20) longer, within its maximum
  reset ZONE             clear ZONE's latched fault, once you have checked the device
  stop-all               emergency stop: every zone's session ends, every device OFF
  history [ZONE] [--limit N]
                         recent sessions, newest first, with their phases, outcome and
                         exposure: padtimerd publishes them from its database on the
                         retained topic <base>/<zone>/history (the newest 20 per zone);
                         --limit N shows the newest N of each zone
  watch                  a live view of every zone until Ctrl-C: status, phase, countdown,
                         temperatures, and events as they arrive. On a terminal the table
                         is redrawn every second; otherwise (a pipe, a file) one line is
                         printed per state change and per event. A lost broker connection
                         is reported and retried until it comes back.

Options (before or after the command):
  --config FILE       read the broker settings (mqtt url, username, password, tls) and the
                      base topic from padtimerd's YAML configuration; default:
                      /etc/padtimer/padtimer.yaml when it exists. The options below
                      override it.
  --broker URL        mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS (default: the
                      config's url, else mqtt://localhost:1883)
  --base-topic T      padtimerd's base topic (default: the config's, else padtimer)
  --username U        MQTT user name (default: the config's)
  --password P        MQTT password (default: $PADTIMER_MQTT_PASSWORD, else the config's).
                      Other users can see it in ps: prefer the environment variable.
  --ca-file F         the broker's CA certificate (PEM) for mqtts:// (default: the
                      config's ca_file, else the system's trusted CAs)
  --timeout DURATION  how long to wait for the broker and for padtimerd's answer, with a
                      unit: 5s, 500ms, 1m (default 5s)
  --limit N           history: the newest N sessions of each zone
  --json              status, history: print one JSON object holding what padtimerd
                      published, as published:
                        {"status": "online"|"offline"|null, "info": {...}|null,
                         "zones": {"<zone>": {...state or history...}, ...}}
                      (history --limit N keeps the newest N sessions of each zone)
  --verbose           log the MQTT connection's progress to stderr
  --help              print this help; after a command, that command's help
  --version           print the version

Environment:
  PADTIMER_MQTT_PASSWORD  the MQTT password when --password is not given
  TZ                      the time zone of the local times shown

Exit status:
  0  done: padtimerd accepted the request, or the state was printed
  1  padtimerd refused the request; stderr says why, with padtimerd's reason code:
       padtimerctl: refused (rest_interval): the zone may start again at 14:20
     (also: status or history of a zone padtimerd does not have)
  2  bad usage, or an invalid configuration file
  3  the broker cannot be reached, or padtimerd did not answer within --timeout;
     stderr then says whether <base>/status read "offline" or was never published

Examples:
  padtimerctl status
  padtimerctl start lower_back evening
  padtimerctl extend lower_back 5
  padtimerctl --broker mqtts://broker.example.net:8883 --ca-file ca.crt watch
  padtimerctl history neck --limit 3
  padtimerctl status --json | jq '.zones.neck.remaining_s'
)";

const CommandSpec* find_command(std::string_view name) {
  if (name == "stop_all") name = "stop-all";
  for (const CommandSpec& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string command_names() {
  std::string out;
  for (const CommandSpec& c : kCommands) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

std::string synopsis(const CommandSpec& c) {
  std::string s = "padtimerctl [OPTIONS] " + std::string(c.name);
  if (!c.args.empty()) s += " " + std::string(c.args);
  if (c.command == Command::history) s += " [--limit N]";
  return s;
}

std::string command_help(const CommandSpec& c) {
  return "Usage: " + synopsis(c) + "\n\n" + std::string(c.help) +
         "\nOptions (--broker, --config, --timeout, ...) and exit statuses: padtimerctl --help\n";
}

Parsed usage_error(const std::string& message, const CommandSpec* command = nullptr) {
  Parsed p;
  p.exit_code = kExitUsage;
  p.err = "padtimerctl: " + message + "\n";
  if (command) {
    p.err += "Usage: " + synopsis(*command) + "\n";
    p.err += "Try 'padtimerctl " + std::string(command->name) + " --help' for more information.\n";
  } else {
    p.err += "Try 'padtimerctl --help' for more information.\n";
  }
  return p;
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

bool is_whole_number(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Options that take a value, and what to call it in messages.
struct ValueOption {
  std::string_view name;
  std::string_view what;
};
constexpr std::array<ValueOption, 8> kValueOptions{{
    {"--config", "a FILE"},
    {"--broker", "a URL such as mqtt://localhost:1883"},
    {"--base-topic", "a topic such as padtimer"},
    {"--username", "a user name"},
    {"--password", "a password"},
    {"--ca-file", "a FILE"},
    {"--timeout", "a DURATION such as 5s"},
    {"--limit", "a number N"},
}};

}  // namespace

std::string usage() {
  return kUsage;
}

Parsed parse_command_line(const std::vector<std::string>& args) {
  Invocation inv;
  std::vector<std::string> positional;
  std::optional<std::string> first_error;
  bool help = false, version = false;
  auto error = [&first_error](std::string message) {
    if (!first_error) first_error = std::move(message);
  };

  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // "-5" is a (bad) number for extend, not an option.
    const bool looks_like_option =
        !options_done && arg.size() > 1 && arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9');
    if (!looks_like_option) {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    if (name == "--help" || name == "-h") {
      help = true;
      continue;
    }
    if (name == "--version" || name == "--json" || name == "--verbose") {
      if (inline_value) {
        error(name + " takes no value");
      } else if (name == "--version") {
        version = true;
      } else if (name == "--json") {
        inv.json = true;
      } else {
        inv.verbose = true;
      }
      continue;
    }
    const ValueOption* option = nullptr;
    for (const ValueOption& o : kValueOptions) {
      if (o.name == name) option = &o;
    }
    if (!option) {
      error("unknown option " + quoted(name));
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error(name + " needs " + std::string(option->what));
      continue;
    }
    if (name == "--config") {
      inv.config = value;
    } else if (name == "--broker") {
      if (mqtt::Transport::paho_uri(value).empty()) {
        error("--broker must be a URL starting with mqtt://, mqtts://, tcp:// or ssl://, got " +
              quoted(value));
      }
      inv.broker = value;
    } else if (name == "--base-topic") {
      try {
        control::ControlCodec check(value, {});
      } catch (const std::invalid_argument& e) {
        error(std::string("--base-topic: ") + e.what());
      }
      inv.base_topic = value;
    } else if (name == "--username") {
      inv.username = value;
    } else if (name == "--password") {
      inv.password = value;
    } else if (name == "--ca-file") {
      if (value.empty()) error("--ca-file needs a FILE");
      inv.ca_file = value;
    } else if (name == "--timeout") {
      std::string why;
      auto d = config::parse_duration(value, why);
      if (!d) {
        error("--timeout: " + why);
      } else if (*d < std::chrono::milliseconds{1}) {
        error("--timeout must be longer than 0, got " + quoted(value));
      } else {
        inv.timeout = std::chrono::ceil<std::chrono::milliseconds>(*d);
        inv.timeout_text = value;
      }
    } else if (name == "--limit") {
      if (!is_whole_number(value) || to_int(value) < 1) {
        error("--limit must be a whole number of sessions, 1 or more, got " + quoted(value));
      } else {
        inv.limit = static_cast<std::size_t>(to_int(value));
      }
    }
  }

  const CommandSpec* command = positional.empty() ? nullptr : find_command(positional[0]);
  if (help) {
    Parsed p;
    p.out = command ? command_help(*command) : usage();
    return p;
  }
  if (version) {
    Parsed p;
    p.out = std::string("padtimerctl ") + kVersion + "\n";
    return p;
  }
  if (first_error) return usage_error(*first_error, command);
  if (positional.empty()) {
    return usage_error("missing COMMAND: one of " + command_names());
  }
  if (!command) {
    return usage_error("unknown command " + quoted(positional[0]) +
                       "; commands: " + command_names());
  }

  const std::vector<std::string> rest(positional.begin() + 1, positional.end());
  if (rest.size() < command->required) {
    return usage_error(std::string(command->name) + " needs " + std::string(command->args),
                       command);
  }
  if (rest.size() > command->allowed) {
    return usage_error("unexpected argument " + quoted(rest[command->allowed]) + " after " +
                           std::string(command->name) +
                           (command->args.empty() ? "" : " " + std::string(command->args)),
                       command);
  }
  inv.command = command->command;
  inv.action = std::string(command->action);

  if (!rest.empty()) {
    inv.zone = rest[0];
    if (!core::is_valid_id(inv.zone)) {
      return usage_error(
          "zone " + quoted(inv.zone) + " is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -",
          command);
    }
  }
  if (inv.command == Command::start) {
    inv.routine = rest[1];
    if (!core::is_valid_id(inv.routine)) {
      return usage_error("routine " + quoted(inv.routine) +
                             " is not a valid name: 1-64 characters of A-Z a-z 0-9 _ -",
                         command);
    }
  }
  if (inv.command == Command::extend) {
    const std::string& m = rest[1];
    const bool ok = is_whole_number(m) && to_int(m) >= control::kMinExtendMinutes &&
                    to_int(m) <= control::kMaxExtendMinutes;
    if (!ok) {
      return usage_error("extend: MINUTES must be a whole number from " +
                             std::to_string(control::kMinExtendMinutes) + " to " +
                             std::to_string(control::kMaxExtendMinutes) + ", got " + quoted(m),
                         command);
    }
    inv.minutes = to_int(m);
  }
  if (inv.limit && inv.command != Command::history) {
    return usage_error("--limit goes with history only", command);
  }
  if (inv.json && inv.command != Command::status && inv.command != Command::history) {
    return usage_error("--json goes with status and history only", command);
  }
  Parsed p;
  p.invocation = std::move(inv);
  return p;
}

}  // namespace padtimer::ctl
