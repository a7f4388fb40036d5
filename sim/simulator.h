// The simulator's edge: every device's MQTT client, its timer, and the control client that
// takes fault commands and publishes physical states. One io_context thread; no locks.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/transport.h"
#include "sim/device.h"

namespace padtimer::sim {

class Simulator {
 public:
  using Printer = std::function<void(const std::string& line)>;

  // Throws std::invalid_argument for a broker URL the transport cannot use.
  Simulator(boost::asio::io_context& io, const std::string& broker,
            std::vector<std::unique_ptr<Device>> devices, Printer print);
  ~Simulator();

  // Called with one JSON line per device at start and at every change of a device's
  // physical output (see --record). Set before start().
  void set_recorder(Printer record) { record_ = std::move(record); }

  void start();
  // Publishes every offline availability, disconnects every client and cancels every timer,
  // so io_context::run() returns.
  void stop();

  static constexpr const char* kTopicPrefix = "padtimer-sim/";

 private:
  struct Slot {
    std::unique_ptr<Device> device;
    std::unique_ptr<mqtt::Transport> transport;
    std::unique_ptr<boost::asio::steady_timer> timer;
    bool connected = false;
    Output recorded = Output::off;  // the output last given to the recorder
  };

  static Now now();
  void apply(Slot& slot, Reaction reaction);
  void arm(Slot& slot);
  void record(Slot& slot);
  void publish_physical(const Slot& slot);
  void on_device_connected(Slot& slot);
  void on_device_lost(Slot& slot, const std::string& cause);
  void on_control_message(const mqtt::Message& message);
  void check_all_connected();

  boost::asio::io_context& io_;
  std::string broker_;
  Printer print_;
  Printer record_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<mqtt::Transport> control_;
  bool control_connected_ = false;
  bool announced_ = false;      // "connected, N devices" printed
  bool all_connected_ = false;  // as of the last check
  bool stopped_ = false;
};

}  // namespace padtimer::sim
