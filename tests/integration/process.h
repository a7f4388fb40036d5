// Child processes for integration tests: spawn a real program, wait for a line it prints
// (an event, not a sleep), signal it, reap it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace padtimer::testing {

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH) with its stdout and stderr merged into a pipe.
  explicit ChildProcess(std::vector<std::string> argv);
  ~ChildProcess();  // SIGKILL and reap if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads output until a line contains `needle`; returns that line, or nothing after
  // `timeout` or when the process closes its output.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout);

  // Everything read so far (for failure messages).
  const std::string& output() const { return output_; }

  // Reads whatever the child has written by now, without waiting: a long-running child must
  // never block on a full pipe while the test waits on something else.
  const std::string& drain();

  // Waits until any of `processes` has written something (at most `timeout`), then drains
  // them all. The way to wait on several children's events at once.
  static void read_any(const std::vector<ChildProcess*>& processes,
                       std::chrono::milliseconds timeout);

  void signal(int sig);
  // Waits for exit; returns the exit status as waitpid reports it, or -1 after `timeout`.
  int wait(std::chrono::milliseconds timeout);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  bool read_some(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
  std::size_t scanned_ = 0;  // output_ before this offset has been matched line by line
  std::optional<int> status_;
};

// A free TCP port on 127.0.0.1 (bind to port 0, read it back, release it).
int free_loopback_port();

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

}  // namespace padtimer::testing
