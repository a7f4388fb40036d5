#include "mqtt/transport.h"

#include "mqtt/nodelay.h"

#include <spdlog/spdlog.h>

#include <mqtt/async_client.h>
#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <stdexcept>

namespace padtimer::mqtt {

namespace asio = boost::asio;

// Paho's threads reach the io_context only through this, and only while `alive`.
struct Transport::Shared {
  explicit Shared(asio::io_context& io) : io(io) {}
  asio::io_context& io;
  std::atomic<bool> alive{true};

  // The posted handler keeps `self` alive, so it may run after the Transport is gone.
  template <typename F>
  static void post(const std::shared_ptr<Shared>& self, F&& f) {
    if (!self->alive) return;
    asio::post(self->io, [self, f = std::forward<F>(f)]() mutable {
      if (self->alive) f();
    });
  }
};

// Reports how a Paho action (connect, subscribe) ended. Runs on Paho's thread: post and
// return; `done(ok, code)` then runs on the io thread. `code` is the broker's reason when
// it gave one (an MQTT 5 reason code, a 3.1.1 CONNACK return code, a SUBACK's 0x80), else
// Paho's own return code (negative for a local error). Nothing may throw out of here.
class ActionListener : public ::mqtt::iaction_listener {
 public:
  ActionListener(std::shared_ptr<Transport::Shared> shared, std::function<void(bool, int)> done)
      : shared_(std::move(shared)), done_(std::move(done)) {}
  void on_failure(const ::mqtt::token& tok) override {
    // MQTT 5 failures carry the broker's reason code (a single refused subscription arrives
    // here with return code 0 and reason 0x87, say); 3.1.1 ones only a return code.
    auto reason = tok.get_reason_code();
    int code = reason != ::mqtt::SUCCESS && reason != ::mqtt::MQTTPP_V3_CODE
                   ? static_cast<int>(reason)
                   : tok.get_return_code();
    report(false, code);
  }
  void on_success(const ::mqtt::token& tok) override {
    int code = code_of_refused(tok);
    report(code == 0, code);
  }

 private:
  // Paho reports a SUBACK that refuses one of several filters as a success (under 3.1.1
  // and 5 alike); the reason codes, one per filter, say which: 0x80 and up is a refusal.
  // The first such code, or 0.
  static int code_of_refused(const ::mqtt::token& tok) {
    if (tok.get_type() != ::mqtt::token::Type::SUBSCRIBE) return 0;
    try {
      // Complete by now (the token signals its listener after completing): no waiting.
      // Held by name: get_reason_codes() refers into it.
      const auto response = tok.get_subscribe_response();
      for (auto reason : response.get_reason_codes()) {
        if (reason >= ::mqtt::UNSPECIFIED_ERROR) return static_cast<int>(reason);
      }
    } catch (const std::exception&) {
      // No response to read: nothing says a filter was refused.
    }
    return 0;
  }

  void report(bool ok, int code) {
    Transport::Shared::post(shared_, [f = done_, ok, code] { f(ok, code); });
  }

  std::shared_ptr<Transport::Shared> shared_;
  std::function<void(bool, int)> done_;
};

namespace {

// Room for every message of the largest burst padtimerd makes (a few per device and zone).
constexpr int kMaxQueuedMessages = 1'000'000;

bool is_v5(const Settings& s) {
  return s.protocol == Settings::Protocol::mqtt5;
}

const char* protocol_name(Settings::Protocol p) {
  return p == Settings::Protocol::mqtt5 ? "MQTT 5" : "MQTT 3.1.1";
}

// Reads a string or binary property of an incoming message; empty when absent.
std::string property_text(const ::mqtt::properties& props, ::mqtt::property::code code) {
  if (!props.contains(code)) return {};
  return ::mqtt::get<std::string>(props, code);
}

}  // namespace

std::string Transport::paho_uri(const std::string& url) {
  auto replace = [&url](const std::string& from,
                        const std::string& to) -> std::optional<std::string> {
    if (url.rfind(from, 0) == 0) return to + url.substr(from.size());
    return std::nullopt;
  };
  for (auto [from, to] : {std::pair{"mqtt://", "tcp://"}, std::pair{"mqtts://", "ssl://"},
                          std::pair{"tcp://", "tcp://"}, std::pair{"ssl://", "ssl://"}}) {
    if (auto uri = replace(from, to)) return *uri;
  }
  return {};
}

Transport::Transport(asio::io_context& io, Settings settings, Handlers handlers)
    : io_(io),
      settings_(std::move(settings)),
      handlers_(std::move(handlers)),
      shared_(std::make_shared<Shared>(io)),
      retry_timer_(io),
      backoff_(settings_.reconnect_min) {
  std::string uri = paho_uri(settings_.url);
  if (uri.empty()) {
    throw std::invalid_argument("MQTT url '" + settings_.url +
                                "' must start with mqtt://, mqtts://, tcp:// or ssl://");
  }
  // In-memory persistence (no persistence argument); no offline queue: a command that
  // cannot be delivered now is re-sent by the engine after reconnect, with a fresh lease.
  // An MQTT 5 connect needs a client created for MQTT 5 (else Paho refuses it with
  // MQTTASYNC_WRONG_MQTT_VERSION).
  ::mqtt::create_options create(is_v5(settings_) ? MQTTVERSION_5 : MQTTVERSION_DEFAULT);
  create.set_send_while_disconnected(false);
  // Paho's queue of messages not yet written holds 100 by default, also while connected,
  // and refuses more (MQTTASYNC_MAX_BUFFERED_MESSAGES): a burst such as every device's OFF
  // and every zone's retained state at connect, or a stop_all, lost commands from ~50
  // devices up (bench/ found 1082 failed publishes at start-up with 100 zones).
  create.set_max_buffered_messages(kMaxQueuedMessages);
  client_ = std::make_unique<::mqtt::async_client>(uri, settings_.client_id, create);
  // The connected handler does the work of a successful connect.
  listener_ = std::make_unique<ActionListener>(shared_, [this](bool ok, int code) {
    if (!ok) on_connect_failed("connect failed (code " + std::to_string(code) + ")", code);
  });
  subscribe_listener_ = std::make_unique<ActionListener>(
      shared_, [this](bool ok, int code) { on_subscribed(ok, code); });
  // All handlers are registered before the first connect (Paho 1.2 cannot change them on
  // a running client without risking a deadlock).
  client_->set_connected_handler(
      [s = shared_, this](const std::string&) { Shared::post(s, [this] { on_connected(); }); });
  client_->set_connection_lost_handler([s = shared_, this](const std::string& cause) {
    Shared::post(s, [this, cause] { on_lost(cause.empty() ? "connection lost" : cause); });
  });
  client_->set_message_callback([s = shared_, this](::mqtt::const_message_ptr msg) {
    if (!msg) return;
    try {
      Message m;
      m.topic = msg->get_topic();
      m.payload = msg->get_payload_str();
      m.qos = msg->get_qos();
      m.retained = msg->is_retained();
      // Under 3.1.1 the property list is always empty.
      const auto& props = msg->get_properties();
      m.response_topic = property_text(props, ::mqtt::property::RESPONSE_TOPIC);
      m.correlation_data = property_text(props, ::mqtt::property::CORRELATION_DATA);
      Shared::post(s, [this, m = std::move(m)] {
        if (handlers_.message) handlers_.message(m);
      });
    } catch (const std::exception&) {
      // Out of memory copying it: drop the message rather than let Paho's thread terminate.
    }
  });
}

Transport::~Transport() {
  shared_->alive = false;
  retry_timer_.cancel();
  if (client_) {
    try {
      if (client_->is_connected())
        client_->disconnect(std::chrono::seconds{1})->wait_for(std::chrono::seconds{2});
    } catch (const std::exception&) {
      // Already gone: nothing to close.
    }
  }
  // The client goes before listener_ (declared after it, so otherwise destroyed first):
  // a connect attempt still in flight may call the listener until the client is gone.
  client_.reset();
}

void Transport::set_subscriptions(std::vector<std::string> filters) {
  if (connected_ && !stopped_) {
    // Live change (a reloaded configuration): subscribe what is new, drop what is gone.
    auto missing_from = [](const std::vector<std::string>& from,
                           const std::vector<std::string>& of) {
      std::vector<std::string> out;
      for (const auto& f : of) {
        if (std::find(from.begin(), from.end(), f) == from.end()) out.push_back(f);
      }
      return out;
    };
    auto added = missing_from(subscriptions_, filters);
    auto removed = missing_from(filters, subscriptions_);
    try {
      if (!added.empty()) {
        client_->subscribe(::mqtt::string_collection::create(added),
                           ::mqtt::iasync_client::qos_collection(added.size(), 1));
      }
      if (!removed.empty()) client_->unsubscribe(::mqtt::string_collection::create(removed));
    } catch (const std::exception& e) {
      spdlog::warn("mqtt: changing subscriptions failed: {}", e.what());
    }
  }
  subscriptions_ = std::move(filters);
}

void Transport::start() {
  stopped_ = false;
  connect();
}

void Transport::connect() {
  if (stopped_ || connected_ || connecting_) return;
  ::mqtt::connect_options opts;
  // set_mqtt_version() clears the flag of the other version (3.1.1: clean start, 5: clean
  // session), and Paho rejects a connect that has the wrong one set: the flag comes after.
  if (is_v5(settings_)) {
    opts.set_mqtt_version(MQTTVERSION_5);
    opts.set_clean_start(true);
    // No session outlives the connection (0 is also the default when absent).
    opts.set_properties(::mqtt::properties{{::mqtt::property::SESSION_EXPIRY_INTERVAL, 0}});
  } else {
    opts.set_mqtt_version(MQTTVERSION_3_1_1);
    opts.set_clean_session(true);
  }
  opts.set_keep_alive_interval(settings_.keep_alive);
  opts.set_connect_timeout(std::chrono::seconds{10});
  opts.set_automatic_reconnect(false);  // our own backoff below handles every retry
  if (!settings_.username.empty()) opts.set_user_name(settings_.username);
  if (!settings_.password.empty()) opts.set_password(settings_.password);
  if (!settings_.status_topic.empty()) {
    opts.set_will(::mqtt::will_options(settings_.status_topic, settings_.status_offline, 1, true));
  }
  if (settings_.tls) {
    ::mqtt::ssl_options ssl;
    ssl.set_trust_store(settings_.tls->ca_file);  // ca_path() is broken in Paho C++ 1.2.0
    if (!settings_.tls->cert_file.empty()) ssl.set_key_store(settings_.tls->cert_file);
    if (!settings_.tls->key_file.empty()) ssl.set_private_key(settings_.tls->key_file);
    if (!settings_.tls->key_password.empty()) {
      ssl.set_private_key_password(settings_.tls->key_password);
    }
    ssl.set_enable_server_cert_auth(true);
    ssl.set_verify(settings_.tls->verify_hostname);
    opts.set_ssl(ssl);
  }
  connecting_ = true;
  try {
    client_->connect(opts, nullptr, *listener_);
  } catch (const std::exception& e) {
    on_connect_failed(e.what(), 0);
  }
}

void Transport::on_connected() {
  connecting_ = false;
  if (stopped_) {
    // stop() came while this attempt was under way (it returns at once when not yet
    // connected): finish its job, or the client would stay connected behind our back.
    say_goodbye();
    return;
  }
  connected_ = true;
  ++connect_count_;
  backoff_ = settings_.reconnect_min;
  disable_nagle_on_tcp_sockets();
  spdlog::info("mqtt: connected to {} ({})", settings_.url, protocol_name(settings_.protocol));
  if (subscriptions_.empty()) {
    on_subscribed(true, 0);
    return;
  }
  // Handlers hear of the connection only once the broker has acknowledged every
  // subscription: a command sent earlier could be answered before we listen.
  try {
    auto filters = ::mqtt::string_collection::create(subscriptions_);
    client_->subscribe(filters, ::mqtt::iasync_client::qos_collection(subscriptions_.size(), 1),
                       nullptr, *subscribe_listener_);
  } catch (const std::exception& e) {
    spdlog::warn("mqtt: subscribing after connect failed: {}", e.what());
    on_subscribed(false, -1);
  }
}

void Transport::on_subscribed(bool ok, int code) {
  if (!connected_ || stopped_) return;
  if (!ok) spdlog::warn("mqtt: the broker refused a subscription (code {})", code);
  try {
    if (!settings_.status_topic.empty()) {
      client_->publish(settings_.status_topic, settings_.status_online, 1, true);
    }
  } catch (const std::exception& e) {
    spdlog::warn("mqtt: publishing the online status failed: {}", e.what());
  }
  if (handlers_.connected) handlers_.connected();
}

void Transport::on_connect_failed(const std::string& why, int reason) {
  connecting_ = false;
  if (stopped_ || connected_) return;
  // Refused the protocol version: MQTT 5's reason code 0x84, or the 3.1.1 CONNACK return
  // code 1 ("unacceptable protocol version") from a broker that predates MQTT 5.
  if (reason == ::mqtt::UNSUPPORTED_PROTOCOL_VERSION || reason == 1) {
    bool v5 = is_v5(settings_);
    spdlog::error(
        "mqtt: the broker at {} does not accept {} (code {}): set protocol: \"{}\" in the "
        "mqtt section of the config; retrying in {} ms",
        settings_.url, protocol_name(settings_.protocol), reason, v5 ? "3.1.1" : "5",
        backoff_.count());
  } else {
    spdlog::warn("mqtt: cannot connect to {}: {}; retrying in {} ms", settings_.url, why,
                 backoff_.count());
  }
  schedule_retry();
}

void Transport::schedule_retry() {
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, settings_.reconnect_max);
  retry_timer_.async_wait([this, alive = shared_](const boost::system::error_code& ec) {
    if (!ec && alive->alive) connect();
  });
}

void Transport::on_lost(const std::string& cause) {
  if (!connected_) return;
  connected_ = false;
  spdlog::warn("mqtt: lost connection to {}: {}", settings_.url, cause);
  if (handlers_.lost) handlers_.lost(cause);
  if (stopped_) return;
  spdlog::info("mqtt: reconnecting in {} ms", backoff_.count());
  schedule_retry();
}

bool Transport::publish(const std::string& topic, const std::string& payload, int qos,
                        bool retained) {
  Message m;
  m.topic = topic;
  m.payload = payload;
  m.qos = qos;
  m.retained = retained;
  return publish(m);
}

bool Transport::publish(const Message& message) {
  if (!connected_) {
    spdlog::debug("mqtt: not connected, dropped message to {}", message.topic);
    return false;
  }
  try {
    auto msg = ::mqtt::message::create(message.topic, message.payload.data(),
                                       message.payload.size(), message.qos, message.retained);
    if (is_v5(settings_)) {
      // A string_ref keeps its length, so binary correlation data goes out byte for byte.
      ::mqtt::properties props;
      if (!message.response_topic.empty())
        props.add({::mqtt::property::RESPONSE_TOPIC, message.response_topic});
      if (!message.correlation_data.empty())
        props.add({::mqtt::property::CORRELATION_DATA, message.correlation_data});
      if (!props.empty()) msg->set_properties(std::move(props));
    }
    client_->publish(msg);
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("mqtt: publish to {} failed: {}", message.topic, e.what());
    return false;
  }
}

void Transport::stop() {
  stopped_ = true;
  retry_timer_.cancel();
  if (!connected_) return;
  say_goodbye();
  connected_ = false;
}

void Transport::say_goodbye() {
  try {
    // Let messages already published (e.g. final OFF commands) finish first: Paho's
    // disconnect notices completed QoS 1 flows only on its 1 s housekeeping tick, so with
    // one still in flight it waits out its whole timeout (measured: publish + stop took 3 s,
    // with these waits a few ms).
    for (const auto& tok : client_->get_pending_delivery_tokens()) {
      if (tok) tok->wait_for(std::chrono::seconds{2});
    }
    if (!settings_.status_topic.empty()) {
      client_->publish(settings_.status_topic, settings_.status_offline, 1, true)
          ->wait_for(std::chrono::seconds{2});
    }
    client_->disconnect(std::chrono::seconds{2})->wait_for(std::chrono::seconds{3});
  } catch (const std::exception& e) {
    spdlog::debug("mqtt: disconnect: {}", e.what());
  }
}

}  // namespace padtimer::mqtt
