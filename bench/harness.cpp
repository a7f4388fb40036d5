#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace padtimer::bench {

namespace fs = std::filesystem;

// ---- TempDir ------------------------------------------------------------------------------

TempDir::TempDir(const std::string& parent) {
  std::string base = parent;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = tmp && *tmp ? tmp : "/tmp";
  }
  std::string pattern = base + "/padtimer-bench-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp " + pattern + ": " + strerror(errno));
  path_ = buf.data();
}

TempDir::~TempDir() {
  // PADTIMER_BENCH_KEEP=1 keeps every directory (configs, logs, databases) for a look after.
  if (const char* keep = std::getenv("PADTIMER_BENCH_KEEP"); keep && *keep == '1') return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& contents) const {
  std::ofstream out(file(name), std::ios::binary | std::ios::trunc);
  out << contents;
  if (!out) throw std::runtime_error("cannot write " + file(name));
}

// ---- Child --------------------------------------------------------------------------------

Child::Child(const std::vector<std::string>& argv, const std::string& log_file,
             const std::vector<std::string>& extra_env)
    : log_file_(log_file) {
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe
  // calls (the bench has Paho threads running).
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    bool replaced = std::any_of(extra_env.begin(), extra_env.end(), [&](const std::string& x) {
      return x.substr(0, x.find('=')) == key;
    });
    if (!replaced) env_text.push_back(entry);
  }
  env_text.insert(env_text.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> env;
  for (auto& e : env_text)
    env.push_back(e.data());
  env.push_back(nullptr);
  int log = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error("cannot open " + log_file);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  started_at_ = Clock::now();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid_ == 0) {
    dup2(devnull, 0);
    dup2(log, 1);
    dup2(log, 2);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  close(log);
  close(devnull);
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds{5});
  }
}

void Child::signal(int sig) const {
  if (!reaped_ && pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  while (!reaped_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (Clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
  return 0;
}

bool Child::running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

std::string Child::log() const {
  std::ifstream in(log_file_, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Child::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const {
  auto until = Clock::now() + timeout;
  while (true) {
    if (log().find(needle) != std::string::npos) return true;
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

// ---- Broker -------------------------------------------------------------------------------

int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("no free loopback port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string Broker::config_text(int port, const std::string& extra_config) {
  std::string c = "listener " + std::to_string(port) +
                  " 127.0.0.1\n"
                  "allow_anonymous true\n"
                  "set_tcp_nodelay true\n"
                  "persistence false\n"
                  // 20,000 devices report at once at start-up: the default (1000 queued QoS 1
                  // messages per client) would drop some.
                  "max_queued_messages 0\n"
                  "log_dest stderr\n"
                  "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
  if (geteuid() == 0) c += "user root\n";
  return c + extra_config;
}

Broker::Broker(const std::string& mosquitto_path, const std::string& extra_config) {
  // The port is chosen free, then bound by mosquitto: another process may take it in
  // between, so a failed start is retried on another port.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    dir_.write("mosquitto.conf", config_text(port_, extra_config));
    child_ = std::make_unique<Child>(
        std::vector<std::string>{mosquitto_path, "-c", dir_.file("mosquitto.conf")},
        dir_.file("mosquitto.log"));
    auto until = Clock::now() + std::chrono::seconds{10};
    while (Clock::now() < until && child_->running()) {
      if (child_->log().find(" running") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
  }
  throw std::runtime_error("mosquitto did not start:\n" + child_->log());
}

// ---- NotifySocket -------------------------------------------------------------------------

NotifySocket::NotifySocket(const std::string& path) : path_(path) {
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd_ < 0 || path.size() >= sizeof addr.sun_path)
    throw std::runtime_error("notify socket " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  unlink(path.c_str());
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("bind " + path + ": " + strerror(errno));
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) close(fd_);
  unlink(path_.c_str());
}

std::optional<NotifySocket::Datagram> NotifySocket::receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char buf[4096];
  ssize_t n = recv(fd_, buf, sizeof buf, 0);
  Clock::time_point at = Clock::now();
  if (n < 0) return std::nullopt;
  return Datagram{at, std::string(buf, static_cast<std::size_t>(n))};
}

std::vector<NotifySocket::Datagram> NotifySocket::drain() {
  std::vector<Datagram> out;
  while (auto d = receive(std::chrono::milliseconds{0}))
    out.push_back(std::move(*d));
  return out;
}

// ---- /proc --------------------------------------------------------------------------------

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::uint64_t status_field(const std::string& status, const std::string& key) {
  auto pos = status.find("\n" + key + ":");
  if (pos == std::string::npos) return 0;
  return std::strtoull(status.c_str() + pos + key.size() + 2, nullptr, 10);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

}  // namespace

ProcessSample sample_process(pid_t pid) {
  ProcessSample s;
  s.at = Clock::now();
  std::string proc = "/proc/" + std::to_string(pid);
  std::string status = "\n" + read_text(proc + "/status");
  s.rss_kb = status_field(status, "VmRSS");
  s.hwm_kb = status_field(status, "VmHWM");
  s.anon_kb = status_field(status, "RssAnon");
  s.file_kb = status_field(status, "RssFile");
  s.pss_kb = status_field("\n" + read_text(proc + "/smaps_rollup"), "Pss");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(proc + "/task", ec)) {
    std::string dir = entry.path().string();
    ThreadSample t;
    t.tid = static_cast<pid_t>(std::strtol(entry.path().filename().c_str(), nullptr, 10));
    t.comm = trimmed(read_text(dir + "/comm"));
    t.wchan = trimmed(read_text(dir + "/wchan"));
    std::string ts = "\n" + read_text(dir + "/status");
    t.voluntary = status_field(ts, "voluntary_ctxt_switches");
    t.involuntary = status_field(ts, "nonvoluntary_ctxt_switches");
    t.cpu_ns = std::strtoull(read_text(dir + "/schedstat").c_str(), nullptr, 10);
    s.cpu_ns += t.cpu_ns;
    s.threads.push_back(std::move(t));
  }
  std::sort(s.threads.begin(), s.threads.end(),
            [](const ThreadSample& a, const ThreadSample& b) { return a.tid < b.tid; });
  return s;
}

std::vector<ThreadDelta> thread_deltas(pid_t pid, const ProcessSample& a, const ProcessSample& b) {
  std::vector<ThreadDelta> out;
  for (const ThreadSample& tb : b.threads) {
    auto ta = std::find_if(a.threads.begin(), a.threads.end(),
                           [&](const ThreadSample& t) { return t.tid == tb.tid; });
    ThreadDelta d;
    d.tid = tb.tid;
    d.comm = tb.comm;
    d.wchan =
        tb.wchan.empty() || tb.wchan == "0" ? (ta != a.threads.end() ? ta->wchan : "") : tb.wchan;
    d.main_thread = tb.tid == pid;
    std::uint64_t before_switches = ta == a.threads.end() ? 0 : ta->voluntary + ta->involuntary;
    d.switches = tb.voluntary + tb.involuntary - before_switches;
    d.cpu_ns = tb.cpu_ns - (ta == a.threads.end() ? 0 : ta->cpu_ns);
    out.push_back(d);
  }
  return out;
}

// ---- Statistics ---------------------------------------------------------------------------

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

double median(std::vector<double> v) {
  return percentile(v, 50.0);
}

}  // namespace padtimer::bench
