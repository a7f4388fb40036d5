// systemd's notification protocol without libsystemd: one datagram of KEY=VALUE lines to
// the AF_UNIX socket named in $NOTIFY_SOCKET (a leading '@' is the abstract namespace).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace padtimer::host {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment. Without
  // NOTIFY_SOCKET (not started by systemd) every call does nothing and returns true.
  SystemdNotifier();

  bool enabled() const { return !socket_path_.empty(); }

  // Sends e.g. "READY=1\nSTATUS=running" ; returns false if the datagram was not sent.
  bool notify(const std::string& state) const;
  bool ready(const std::string& status) const { return notify("READY=1\nSTATUS=" + status); }
  bool status(const std::string& status) const { return notify("STATUS=" + status); }
  bool stopping() const { return notify("STOPPING=1"); }
  // Between this and the next ready(), systemd shows the unit as "reloading".
  bool reloading() const { return notify("RELOADING=1"); }
  bool watchdog() const { return notify("WATCHDOG=1"); }

  // How often to ping the watchdog: half its interval, when systemd asked for one and
  // WATCHDOG_PID is unset or ours.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

 private:
  std::string socket_path_;
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace padtimer::host
