// What padtimer-bench needs around the processes it measures: temporary directories, child
// processes with their output in a log file, a private mosquitto, the systemd notify socket,
// and readings from /proc (memory, CPU time, context switches per thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace padtimer::bench {

using Clock = std::chrono::steady_clock;

// A fresh directory under `parent` (default: $TMPDIR or /tmp), removed with its contents.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = {});
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

// A child process; stdout and stderr go to `log_file` (a file, not a pipe: a chatty child
// can never block on a full pipe the bench forgot to drain).
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log_file,
        const std::vector<std::string>& extra_env = {});
  ~Child();  // SIGKILL and reap if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  Clock::time_point started_at() const { return started_at_; }  // just before fork()
  void signal(int sig) const;
  // Waits for the exit; the waitpid status, or nothing after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  // The log file's contents.
  std::string log() const;
  // Waits (polling the log file) until it contains `needle`; false after `timeout`.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  pid_t pid_ = -1;
  std::string log_file_;
  Clock::time_point started_at_;
  bool reaped_ = false;
};

// A private mosquitto on a free loopback port (never 1883) with a generated config:
// set_tcp_nodelay (small QoS 1 messages otherwise wait ~40 ms for delayed ACKs), no
// persistence, log to stderr, no limit on queued messages per client (thousands of devices
// report at once), `user root` when run as root.
class Broker {
 public:
  // `extra_config`: more lines for mosquitto.conf (the bench's --broker-option).
  explicit Broker(const std::string& mosquitto_path, const std::string& extra_config = {});
  int port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  std::string paho_uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return child_->pid(); }
  std::string log() const { return child_->log(); }
  static std::string config_text(int port, const std::string& extra_config);

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Child> child_;
};

// The AF_UNIX datagram socket systemd would pass as $NOTIFY_SOCKET. Each datagram's
// receipt time is taken right after recv().
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  const std::string& path() const { return path_; }
  struct Datagram {
    Clock::time_point at;
    std::string text;
  };
  // The next datagram, or nothing after `timeout`.
  std::optional<Datagram> receive(std::chrono::milliseconds timeout);
  // Every datagram already queued, without waiting.
  std::vector<Datagram> drain();

 private:
  std::string path_;
  int fd_ = -1;
};

int free_loopback_port();

// ---- /proc ------------------------------------------------------------------------------

struct ThreadSample {
  pid_t tid = 0;
  std::string comm;   // the thread's name (/proc/<pid>/task/<tid>/comm)
  std::string wchan;  // where it sleeps in the kernel, e.g. do_epoll_wait, futex_wait_queue
  std::uint64_t voluntary = 0;
  std::uint64_t involuntary = 0;
  std::uint64_t cpu_ns = 0;  // schedstat run time
};

struct ProcessSample {
  Clock::time_point at;
  std::uint64_t rss_kb = 0;
  std::uint64_t anon_kb = 0;  // RssAnon: the process's own memory (heap, stacks)
  std::uint64_t file_kb = 0;  // RssFile: mapped files, shared libraries included
  std::uint64_t pss_kb = 0;   // shared pages divided among the processes that map them
  std::uint64_t hwm_kb = 0;   // peak RSS
  std::uint64_t cpu_ns = 0;   // all threads
  std::vector<ThreadSample> threads;
};

ProcessSample sample_process(pid_t pid);

// Per thread between two samples of the same process (threads matched by tid).
struct ThreadDelta {
  pid_t tid = 0;
  std::string comm;
  std::string wchan;
  bool main_thread = false;    // tid == pid: padtimerd's io thread runs io_context::run() here
  std::uint64_t switches = 0;  // voluntary + involuntary
  std::uint64_t cpu_ns = 0;
};
std::vector<ThreadDelta> thread_deltas(pid_t pid, const ProcessSample& a, const ProcessSample& b);

// ---- Statistics ---------------------------------------------------------------------------

// Nearest-rank percentile (p in 0..100) of `v`, which it sorts. 0 for an empty vector.
double percentile(std::vector<double>& v, double p);
double median(std::vector<double> v);

}  // namespace padtimer::bench
