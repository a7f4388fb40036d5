// A private mosquitto for one test: a free loopback port (never 1883), a generated config,
// started and restarted on demand.
#pragma once

#include <memory>
#include <string>

#include "process.h"

namespace padtimer::testing {

class Broker {
 public:
  Broker();  // starts it; throws if it does not report that it is running
  ~Broker();

  int port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }

  void kill();     // SIGKILL, as a crash would
  void restart();  // start again on the same port
  bool running() const { return process_ != nullptr; }

 private:
  void launch();

  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace padtimer::testing
