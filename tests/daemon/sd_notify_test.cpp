// The sd_notify protocol against a real AF_UNIX datagram socket, as systemd listens.
#include "host/sd_notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace {

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& name) : name_(name) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    if (name[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      unlink(name.c_str());
      len += 1;
    }
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
  }
  ~NotifySocket() {
    close(fd_);
    if (name_[0] != '@') unlink(name_.c_str());
  }
  std::string receive() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) return "<nothing>";
    char buf[512];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n < 0 ? "<error>" : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::string name_;
  int fd_;
};

class SdNotify : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
  }
};

TEST_F(SdNotify, WithoutNotifySocketEverythingIsANoOp) {
  unsetenv("NOTIFY_SOCKET");
  padtimer::host::SystemdNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_TRUE(n.ready("running"));
  EXPECT_FALSE(n.watchdog_interval().has_value());
}

TEST_F(SdNotify, SendsToAFilesystemSocket) {
  std::string path = "/tmp/padtimer-notify-" + std::to_string(getpid());
  NotifySocket sock(path);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  padtimer::host::SystemdNotifier n;
  ASSERT_TRUE(n.enabled());
  EXPECT_TRUE(n.ready("2 zones idle"));
  EXPECT_EQ(sock.receive(), "READY=1\nSTATUS=2 zones idle");
  EXPECT_TRUE(n.stopping());
  EXPECT_EQ(sock.receive(), "STOPPING=1");
}

TEST_F(SdNotify, SendsToAnAbstractSocket) {
  std::string name = "@padtimer-notify-" + std::to_string(getpid());
  NotifySocket sock(name);
  setenv("NOTIFY_SOCKET", name.c_str(), 1);
  padtimer::host::SystemdNotifier n;
  EXPECT_TRUE(n.watchdog());
  EXPECT_EQ(sock.receive(), "WATCHDOG=1");
}

TEST_F(SdNotify, WatchdogPingsAtHalfTheIntervalOnlyForItsOwnPid) {
  setenv("WATCHDOG_USEC", "20000000", 1);
  {
    padtimer::host::SystemdNotifier n;
    ASSERT_TRUE(n.watchdog_interval().has_value());
    EXPECT_EQ(n.watchdog_interval()->count(), 10000000);
  }
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_TRUE(padtimer::host::SystemdNotifier().watchdog_interval().has_value());
  setenv("WATCHDOG_PID", "1", 1);
  EXPECT_FALSE(padtimer::host::SystemdNotifier().watchdog_interval().has_value());
}

}  // namespace
