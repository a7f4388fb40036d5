// A private mosquitto for one test: a free loopback port (never 1883), a generated config,
// started and restarted on demand.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "process.h"

namespace padtimer::testing {

struct BrokerOptions {
  // Lines added right after the `listener` line, so listener options (cafile, certfile,
  // keyfile, require_certificate) apply to it; global ones (password_file) may go here too.
  std::string extra_config;
  bool allow_anonymous = true;
};

class Broker {
 public:
  Broker();  // starts it; throws if it does not report that it is running
  explicit Broker(const BrokerOptions& options);
  ~Broker();

  int port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }

  void kill();     // SIGKILL, as a crash would
  void restart();  // start again on the same port
  bool running() const { return process_ != nullptr; }

  // Reads mosquitto's log until a line contains `needle` (each line is matched once, so
  // repeated calls see repeated events); nothing after `timeout` or when it is not running.
  std::optional<std::string> wait_for_log(const std::string& needle,
                                          std::chrono::milliseconds timeout);
  std::string log() const { return process_ ? process_->output() : std::string{}; }

 private:
  void launch();

  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace padtimer::testing
