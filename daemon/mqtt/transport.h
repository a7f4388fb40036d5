// The MQTT transport: Paho's async client on an Asio io_context.
//
// One io_context thread owns all state. Paho calls us on its own thread with its global
// lock held, so each Paho callback does exactly one thing: post the event onto the
// io_context and return. Everything else — subscribing, the online status, the user's
// handlers — runs on the io thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mqtt {
class async_client;
}

namespace padtimer::mqtt {

struct TlsSettings {
  std::string ca_file;    // trust store: the broker's CA certificate (PEM)
  std::string cert_file;  // optional client certificate (PEM)
  std::string key_file;   // its private key (PEM)
  std::string key_password;
  bool verify_hostname = true;
};

struct Settings {
  // The protocol version, used exactly (no fallback). MQTT 5 carries a request's response
  // topic and correlation data; 3.1.1 is for brokers that do not speak 5.
  enum class Protocol { mqtt311, mqtt5 };
  Protocol protocol = Protocol::mqtt5;
  // mqtt://host:port, mqtts://host:port (TLS), tcp:// and ssl:// are accepted too.
  std::string url = "mqtt://localhost:1883";
  std::string client_id = "padtimer";
  std::string username;
  std::string password;
  std::optional<TlsSettings> tls;
  // Last will: retained `status_offline` here, and `status_online` once connected.
  // Empty topic: none. (The simulator plays devices whose words differ: "Offline", "false".)
  std::string status_topic;
  std::string status_online = "online";
  std::string status_offline = "offline";
  std::chrono::seconds keep_alive{30};
  // Reconnect backoff: doubles from min to max after each failed attempt.
  std::chrono::milliseconds reconnect_min{1000};
  std::chrono::milliseconds reconnect_max{30000};
};

struct Message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
  // MQTT 5 request/response properties; always empty under 3.1.1, and when not sent.
  std::string response_topic;
  std::string correlation_data;  // binary: any bytes, NULs included
};

class Transport {
 public:
  struct Handlers {
    std::function<void()> connected;                     // after (re)subscribing
    std::function<void(const std::string& cause)> lost;  // connection dropped
    std::function<void(const Message&)> message;
  };

  // Throws std::invalid_argument for a URL Paho cannot use.
  Transport(boost::asio::io_context& io, Settings settings, Handlers handlers);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Topic filters subscribed (QoS 1) on every connect; Paho does not remember them. While
  // connected, new filters are subscribed and dropped ones unsubscribed at once.
  void set_subscriptions(std::vector<std::string> filters);

  // Connects, and keeps reconnecting with backoff until stop().
  void start();

  // Publishes if connected; returns false (and logs at debug) when the message is dropped.
  // Under MQTT 5 a non-empty response_topic and correlation_data go out as those
  // properties; under 3.1.1 they are not sent.
  bool publish(const Message& message);
  bool publish(const std::string& topic, const std::string& payload, int qos, bool retained);

  // Publishes the retained "offline" status, disconnects, and cancels the retry timer.
  void stop();

  bool connected() const { return connected_; }
  // How many times a connection came up (a reconnect shows as a new count).
  std::uint64_t connect_count() const { return connect_count_; }
  const Settings& settings() const { return settings_; }

  // "mqtt://h:1" -> "tcp://h:1"; "mqtts://" -> "ssl://". Empty when the scheme is unknown.
  static std::string paho_uri(const std::string& url);

 private:
  friend class ActionListener;
  struct Shared;  // what Paho's threads may touch: the io_context and an "alive" flag

  void connect();
  void on_connected();
  void on_connect_failed(const std::string& why, int reason);
  void on_lost(const std::string& cause);
  void on_subscribed(bool ok, int code);
  void schedule_retry();
  // Waits for messages in flight, publishes the offline status, disconnects.
  void say_goodbye();

  boost::asio::io_context& io_;
  Settings settings_;
  Handlers handlers_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<::mqtt::async_client> client_;
  std::unique_ptr<class ActionListener> listener_;
  std::unique_ptr<class ActionListener> subscribe_listener_;
  boost::asio::steady_timer retry_timer_;
  std::chrono::milliseconds backoff_;
  std::vector<std::string> subscriptions_;
  bool connected_ = false;
  std::uint64_t connect_count_ = 0;
  bool connecting_ = false;
  bool stopped_ = false;
};

}  // namespace padtimer::mqtt
