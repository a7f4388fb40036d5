// One run of padtimerctl against the broker. Like padtimerd, it runs on one io_context thread:
// the MQTT transport, the --timeout deadline and SIGINT/SIGTERM are all handled there, and
// the commands (commands.h) only react to what the Session tells them.
//
// The Session always listens to <base>/status (padtimerd's retained "online"/"offline"), so
// a command that hears nothing can say why: padtimerd is offline, or never published here.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/transport.h"

namespace padtimer::ctl {

struct Connection {
  mqtt::Settings mqtt;
  std::string base = "padtimer";
  std::chrono::milliseconds timeout{5000};
  std::string timeout_text = "5s";  // as the user wrote it
};

// Routes the transport's log (spdlog) away from stdout: to stderr with `verbose`, otherwise
// nowhere, keeping the last warning for error messages.
void setup_logging(bool verbose);

class Session {
 public:
  explicit Session(Connection connection);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects and runs until a command calls finish(); returns its exit status.
  int run();

 protected:
  // Topic filters to subscribe to, besides <base>/status.
  virtual std::vector<std::string> subscriptions() const = 0;
  // After every (re)connect, once the broker has acknowledged the subscriptions: retained
  // messages arrive right after this.
  virtual void on_connected() = 0;
  virtual void on_message(const mqtt::Message& message) = 0;
  virtual void on_lost(const std::string& /*cause*/) {}
  // <base>/status changed (daemon_status() has the new value).
  virtual void on_daemon_status() {}
  // --timeout passed. By default: exit 3 with silence_message("answer").
  virtual void on_timeout();
  // SIGINT or SIGTERM. By default: exit 130.
  virtual void on_signal(int signal);

  // Stops everything; run() returns `code`.
  void finish(int code);
  // "padtimerctl: MESSAGE" on stderr, then finish(code).
  void fail(int code, const std::string& message);
  void cancel_deadline();

  bool publish(const std::string& topic, const std::string& payload);
  // <base>/<rest>
  std::string topic(std::string_view rest) const;

  // Why nothing came: the broker was never reached, or padtimerd is offline, absent, or
  // silent although online. `what` names what was awaited: "answer", "state".
  std::string silence_message(std::string_view what) const;

  const Connection& connection() const { return connection_; }
  const std::string& client_id() const { return connection_.mqtt.client_id; }
  // The payload of <base>/status; nothing while none has arrived.
  const std::optional<std::string>& daemon_status() const { return daemon_status_; }
  bool ever_connected() const { return ever_connected_; }
  bool finished() const { return finished_; }

  boost::asio::io_context& io() { return io_; }

 private:
  void handle_message(const mqtt::Message& message);

  Connection connection_;
  boost::asio::io_context io_;  // before the transport, so the transport dies first
  boost::asio::steady_timer deadline_;
  boost::asio::signal_set signals_;
  std::unique_ptr<mqtt::Transport> transport_;
  std::optional<std::string> daemon_status_;
  bool ever_connected_ = false;
  bool finished_ = false;
  int exit_code_ = 0;
};

}  // namespace padtimer::ctl
