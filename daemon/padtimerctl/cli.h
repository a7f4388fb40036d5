// padtimerctl's command line: the commands, their arguments and options, and the help.
// Parsing is pure (no I/O): the caller prints what comes back and exits with its code.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "padtimer/version.h"

namespace padtimer::ctl {

inline constexpr const char* kDefaultConfig = "/etc/padtimer/padtimer.yaml";
inline constexpr const char* kPasswordVariable = "PADTIMER_MQTT_PASSWORD";

// Exit statuses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;

enum class Command {
  status,
  start,
  stop,
  pause,
  resume,
  skip,
  extend,
  reset,
  stop_all,
  history,
  watch
};

struct Invocation {
  Command command = Command::status;
  std::string action;   // the request's "action" (start, stop, ...); empty for the others
  std::string zone;     // empty: every zone (status, history) or none (stop-all, watch)
  std::string routine;  // start
  int minutes = 0;      // extend
  std::optional<std::size_t> limit;  // history --limit
  bool json = false;
  bool verbose = false;
  std::chrono::milliseconds timeout{5000};
  std::string timeout_text = "5s";  // as given, for messages

  // Connection settings given on the command line; they override the config file's.
  std::optional<std::string> config;  // --config
  std::optional<std::string> broker;
  std::optional<std::string> base_topic;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<std::string> ca_file;
};

// Either an invocation to run, or text to print and an exit status (help, version, usage
// errors).
struct Parsed {
  std::optional<Invocation> invocation;
  int exit_code = kExitOk;
  std::string out;  // for stdout
  std::string err;  // for stderr
};

// `args` without the program name.
Parsed parse_command_line(const std::vector<std::string>& args);

// The full --help text.
std::string usage();

}  // namespace padtimer::ctl
