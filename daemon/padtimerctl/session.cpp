#include "padtimerctl/session.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <mutex>

#include "padtimerctl/cli.h"

namespace padtimer::ctl {

namespace {

namespace asio = boost::asio;

// Keeps the last warning the transport logged ("mqtt: cannot connect to URL: ..."), so a
// failure to connect can say what went wrong without showing the whole log.
class LastWarningSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string last() {
    std::lock_guard lock(mutex_);
    return last_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level >= spdlog::level::warn) last_.assign(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::string last_;
};

std::shared_ptr<LastWarningSink>& last_warning_sink() {
  static std::shared_ptr<LastWarningSink> sink = std::make_shared<LastWarningSink>();
  return sink;
}

// "mqtt: cannot connect to URL: connect failed (code 5); retrying in 1000 ms" ->
// "connect failed (code 5)".
std::string connect_problem(const std::string& url) {
  std::string text = last_warning_sink()->last();
  const std::string prefix = "mqtt: cannot connect to " + url + ": ";
  if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
  if (auto retry = text.find("; retrying"); retry != std::string::npos) text.resize(retry);
  if (text.rfind("mqtt: ", 0) == 0) text = text.substr(6);
  // The refusals people meet: MQTT 3.1.1 CONNACK codes 4 and 5, MQTT 5 reasons 0x86, 0x87.
  const auto has = [&text](const char* code) { return text.find(code) != std::string::npos; };
  if (has("(code 4)") || has("(code 134)")) text += ": bad user name or password";
  if (has("(code 5)") || has("(code 135)")) text += ": not authorized";
  return text;
}

}  // namespace

void setup_logging(bool verbose) {
  std::vector<spdlog::sink_ptr> sinks{last_warning_sink()};
  if (verbose) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto logger = std::make_shared<spdlog::logger>("padtimerctl", sinks.begin(), sinks.end());
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
  logger->set_pattern("padtimerctl: %v");
  spdlog::set_default_logger(std::move(logger));
}

Session::Session(Connection connection)
    : connection_(std::move(connection)), deadline_(io_), signals_(io_, SIGINT, SIGTERM) {
  // padtimerctl is not padtimerd: no last will, no "online" of its own.
  connection_.mqtt.status_topic.clear();
  mqtt::Transport::Handlers handlers;
  handlers.connected = [this] {
    ever_connected_ = true;
    if (!finished_) on_connected();
  };
  handlers.lost = [this](const std::string& cause) {
    if (!finished_) on_lost(cause);
  };
  handlers.message = [this](const mqtt::Message& m) { handle_message(m); };
  transport_ = std::make_unique<mqtt::Transport>(io_, connection_.mqtt, std::move(handlers));
}

Session::~Session() {
  transport_.reset();  // before the io_context it posts to
}

int Session::run() {
  // <base>/status first: its retained value arrives before the others'.
  std::vector<std::string> filters{topic("status")};
  for (auto& filter : subscriptions())
    filters.push_back(std::move(filter));
  transport_->set_subscriptions(std::move(filters));

  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (!ec && !finished_) on_signal(sig);
  });
  deadline_.expires_after(connection_.timeout);
  deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !finished_) on_timeout();
  });
  asio::post(io_, [this] { transport_->start(); });
  io_.run();
  return exit_code_;
}

void Session::on_timeout() {
  fail(kExitUnreachable, silence_message("answer"));
}

void Session::on_signal(int) {
  fail(130, "interrupted");
}

void Session::finish(int code) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = code;
  deadline_.cancel();
  signals_.cancel();
  std::fflush(stdout);
  transport_->stop();
  io_.stop();
}

void Session::fail(int code, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "padtimerctl: %s\n", message.c_str());
  finish(code);
}

void Session::cancel_deadline() {
  deadline_.cancel();
}

bool Session::publish(const std::string& to, const std::string& payload) {
  return transport_->publish(to, payload, 1, false);
}

std::string Session::topic(std::string_view rest) const {
  return connection_.base + "/" + std::string(rest);
}

std::string Session::silence_message(std::string_view what) const {
  const std::string& url = connection_.mqtt.url;
  const std::string& within = connection_.timeout_text;
  if (!ever_connected_) {
    std::string message = "cannot connect to the MQTT broker at " + url + " within " + within;
    if (std::string problem = connect_problem(url); !problem.empty()) {
      message += " (last attempt: " + problem + ")";
    }
    return message;
  }
  if (!transport_->connected()) {
    return "lost the connection to the MQTT broker at " + url + " and got no " + std::string(what) +
           " within " + within;
  }
  const std::string status_topic = topic("status");
  if (!daemon_status_) {
    return "no " + std::string(what) + " from padtimerd within " + within +
           ", and nothing was ever published on " + status_topic +
           ": is padtimerd running, with this broker and base topic '" + connection_.base + "'?";
  }
  if (*daemon_status_ == "online") {
    return "no " + std::string(what) + " from padtimerd within " + within + ", although " +
           status_topic + " is 'online'";
  }
  return "no " + std::string(what) + " from padtimerd within " + within + ": " + status_topic +
         " is '" + *daemon_status_ + "': is padtimerd running?";
}

void Session::handle_message(const mqtt::Message& m) {
  if (finished_) return;
  if (m.topic == topic("status")) {
    // An empty retained message clears the topic: as if never published.
    std::optional<std::string> status;
    if (!m.payload.empty()) status = m.payload;
    if (status != daemon_status_) {
      daemon_status_ = std::move(status);
      on_daemon_status();
    }
    return;
  }
  on_message(m);
}

}  // namespace padtimer::ctl
