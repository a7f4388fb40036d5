// Running the real padtimerctl as a user would: its exit status and what it printed (both
// streams, or one of them). For targets that define PADTIMERCTL_PATH.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <string>
#include <vector>

#include "process.h"

namespace padtimer::testing {

enum class Stream { both, stdout_only, stderr_only };

struct Outcome {
  int exit_code = -1;  // -1: killed or still running after the timeout
  std::string output;

  bool has(const std::string& text) const { return output.find(text) != std::string::npos; }
};

// The exit code from a waitpid status; -1 when it did not exit (killed, or -1 itself).
inline int exit_code(int wait_status) {
  return wait_status >= 0 && WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

// padtimerctl's command line, through /bin/sh when only one of its streams is wanted.
inline std::vector<std::string> ctl_argv(const std::vector<std::string>& args, Stream stream) {
  std::vector<std::string> argv;
  if (stream == Stream::stderr_only) {
    argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1 >/dev/null", PADTIMERCTL_PATH};
  } else if (stream == Stream::stdout_only) {
    argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>/dev/null", PADTIMERCTL_PATH};
  } else {
    argv = {PADTIMERCTL_PATH};
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Runs padtimerctl to its exit (at most `timeout`).
inline Outcome run_ctl(const std::vector<std::string>& args, Stream stream = Stream::both,
                       std::chrono::milliseconds timeout = std::chrono::seconds{20}) {
  ChildProcess ctl(ctl_argv(args, stream));
  const int status = ctl.wait(timeout);
  ctl.wait_for_line("\x01", std::chrono::seconds{2});  // matches nothing: reads the rest
  return {exit_code(status), ctl.output()};
}

}  // namespace padtimer::testing
