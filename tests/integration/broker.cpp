#include "broker.h"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>

namespace padtimer::testing {

Broker::Broker() : Broker(BrokerOptions{}) {}

Broker::Broker(const BrokerOptions& options) : port_(free_loopback_port()) {
  std::string config =
      "listener " + std::to_string(port_) + " 127.0.0.1\n" + options.extra_config +
      (options.allow_anonymous ? "allow_anonymous true\n" : "allow_anonymous false\n") +
      // Small QoS 1 messages otherwise wait ~40 ms on delayed ACKs.
      "set_tcp_nodelay true\n"
      "persistence false\n"
      "log_dest stderr\n"
      "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
  // As root, mosquitto would switch to the `mosquitto` user; stay who we are.
  if (geteuid() == 0) config += "user root\n";
  dir_.write("mosquitto.conf", config);
  launch();
}

Broker::~Broker() {
  kill();
}

void Broker::launch() {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{MOSQUITTO_PATH, "-c", dir_.file("mosquitto.conf")});
  if (!process_->wait_for_line("running", std::chrono::seconds{10})) {
    std::string out = process_->output();
    process_.reset();
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ":\n" +
                             out);
  }
}

void Broker::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds{5});
  process_.reset();
}

std::optional<std::string> Broker::wait_for_log(const std::string& needle,
                                                std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  return process_->wait_for_line(needle, timeout);
}

void Broker::restart() {
  kill();
  launch();
}

}  // namespace padtimer::testing
