#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace padtimer::testing {

using Clock = std::chrono::steady_clock;

#ifdef PADTIMER_TEST_EMULATOR
// Cross builds only (cmake/aarch64-linux-gnu.cmake; compiled out otherwise): the project's
// own programs are built for the target, so they run through the emulator (qemu-aarch64),
// while mosquitto, openssl, sqlite3 and the shell run natively. Every argument that starts
// with the programs' directory gets the emulator in front: argv[0], the "$0" of
// `sh -c 'exec "$0" ...'` and the command string of `script -c`.
static std::vector<std::string> through_emulator(const std::vector<std::string>& argv) {
  const std::string program_dir = PADTIMER_TEST_PROGRAM_DIR "/";
  std::vector<std::string> emulator;
  std::istringstream words(PADTIMER_TEST_EMULATOR);
  for (std::string word; words >> word;)
    emulator.push_back(word);
  std::vector<std::string> out;
  for (const auto& arg : argv) {
    if (arg.rfind(program_dir, 0) != 0) {
      out.push_back(arg);
    } else if (arg.find(' ') == std::string::npos) {
      out.insert(out.end(), emulator.begin(), emulator.end());
      out.push_back(arg);
    } else {
      out.push_back(std::string(PADTIMER_TEST_EMULATOR) + " " + arg);
    }
  }
  return out;
}
#endif

ChildProcess::ChildProcess(std::vector<std::string> argv) {
#ifdef PADTIMER_TEST_EMULATOR
  argv = through_emulator(argv);
#endif
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  out_fd_ = fds[0];
}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds{5});
  }
  if (out_fd_ >= 0) close(out_fd_);
}

bool ChildProcess::read_some(std::chrono::milliseconds timeout) {
  if (out_fd_ < 0) return false;
  pollfd p{out_fd_, POLLIN, 0};
  int n = poll(&p, 1, static_cast<int>(timeout.count()));
  if (n <= 0) return n == 0;  // timeout: nothing yet, but still open
  char buf[4096];
  ssize_t got = read(out_fd_, buf, sizeof buf);
  if (got <= 0) {
    close(out_fd_);
    out_fd_ = -1;
    return false;
  }
  output_.append(buf, static_cast<std::size_t>(got));
  return true;
}

const std::string& ChildProcess::drain() {
  while (out_fd_ >= 0) {
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) break;
    if (!read_some(std::chrono::milliseconds::zero())) break;  // closed
  }
  return output_;
}

void ChildProcess::read_any(const std::vector<ChildProcess*>& processes,
                            std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  for (ChildProcess* p : processes) {
    if (p != nullptr && p->out_fd_ >= 0) fds.push_back({p->out_fd_, POLLIN, 0});
  }
  if (!fds.empty()) poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
  for (ChildProcess* p : processes) {
    if (p != nullptr) p->drain();
  }
}

std::optional<std::string> ChildProcess::wait_for_line(const std::string& needle,
                                                       std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    // Match complete lines only, each once.
    std::size_t end;
    while ((end = output_.find('\n', scanned_)) != std::string::npos) {
      std::string line = output_.substr(scanned_, end - scanned_);
      scanned_ = end + 1;
      if (line.find(needle) != std::string::npos) return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) return std::nullopt;
    if (!read_some(left) && out_fd_ < 0) return std::nullopt;
  }
}

void ChildProcess::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

bool ChildProcess::running() {
  if (status_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = status;
  return !status_;
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  // A pidfd becomes readable when the child exits: wait on it and on the output pipe
  // (drained so a chatty child cannot block on a full pipe while exiting).
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  while (running()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) break;
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {out_fd_, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left.count())) > 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
      read_some(std::chrono::milliseconds::zero());
    }
  }
  if (pidfd >= 0) close(pidfd);
  return status_ ? *status_ : -1;
}

int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "padtimer-test-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& contents) const {
  std::ofstream out(file(name));
  out << contents;
}

}  // namespace padtimer::testing
