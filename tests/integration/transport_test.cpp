// padtimer::mqtt::Transport against a real mosquitto on a free loopback port: username and
// password, TLS (a CA and certificates made at test time with the openssl CLI), the
// retained status and last will, reconnecting after the broker restarts, MQTT 5's response
// topic and correlation data, MQTT 3.1.1, refused subscriptions, and a broker that refuses
// the protocol version (a few lines of fake broker, as no mosquitto setting does that).
//
// Waiting is always for an event: a handler of the Transport under test (recorded under a
// mutex, waking a condition variable), or a line mosquitto, mosquitto_sub or padtimer-sim
// prints, each bounded by a generous timeout. "Never connects" is shown the same way: the
// broker logs several refused attempts in a row, and the connected handler never fired.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "broker.h"
#include "io_thread.h"
#include "mqtt/transport.h"
#include "process.h"

namespace padtimer::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 15s;

// What the Transport's handlers reported.
struct Events {
  int connected = 0;
  int lost = 0;
  std::vector<mqtt::Message> messages;

  int count(const std::string& topic, const std::string& payload) const {
    int n = 0;
    for (const auto& m : messages) {
      if (m.topic == topic && m.payload == payload) ++n;
    }
    return n;
  }
  // The first message received on `topic`, if any.
  std::optional<mqtt::Message> first(const std::string& topic) const {
    for (const auto& m : messages) {
      if (m.topic == topic) return m;
    }
    return std::nullopt;
  }
};

// One Transport on its own io thread. Its handlers record events and wake the test thread;
// everything that touches the Transport itself runs on the io thread.
class TransportRunner {
 public:
  explicit TransportRunner(mqtt::Settings settings, std::vector<std::string> subscriptions = {}) {
    mqtt::Transport::Handlers handlers;
    handlers.connected = [this] { record([](Events& e) { ++e.connected; }); };
    handlers.lost = [this](const std::string&) { record([](Events& e) { ++e.lost; }); };
    handlers.message = [this](const mqtt::Message& m) {
      record([&m](Events& e) { e.messages.push_back(m); });
    };
    transport_ =
        std::make_unique<mqtt::Transport>(io_.io(), std::move(settings), std::move(handlers));
    transport_->set_subscriptions(std::move(subscriptions));
    boost::asio::post(io_.io(), [this] { transport_->start(); });
  }

  ~TransportRunner() {
    stop();
    io_.stop();
    transport_.reset();  // after the io thread: nothing runs the Transport any more
  }

  TransportRunner(const TransportRunner&) = delete;
  TransportRunner& operator=(const TransportRunner&) = delete;

  void stop() {
    run([this] { transport_->stop(); });
  }
  bool connected() {
    return run([this] { return transport_->connected(); });
  }
  std::uint64_t connect_count() {
    return run([this] { return transport_->connect_count(); });
  }
  bool publish(const std::string& topic, const std::string& payload, bool retained = false) {
    return run([&] { return transport_->publish(topic, payload, 1, retained); });
  }
  bool publish(const mqtt::Message& message) {
    return run([&] { return transport_->publish(message); });
  }

  Events events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

  // Waits until `pred(events)` holds, re-checked after each recorded event.
  template <typename Pred>
  bool wait_until(Pred pred, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return pred(events_); });
  }
  bool wait_connected(int times = 1) {
    return wait_until([times](const Events& e) { return e.connected >= times; });
  }
  bool wait_message(const std::string& topic, const std::string& payload, int times = 1) {
    return wait_until([&](const Events& e) { return e.count(topic, payload) >= times; });
  }

 private:
  template <typename F>
  auto run(F f) -> decltype(f()) {
    return io_.run(std::move(f));
  }

  template <typename F>
  void record(F f) {
    std::lock_guard lock(mutex_);
    f(events_);
    cv_.notify_all();
  }

  IoThread io_;  // declared before the Transport: it outlives it
  std::unique_ptr<mqtt::Transport> transport_;
  std::mutex mutex_;
  std::condition_variable cv_;
  Events events_;
};

mqtt::Settings settings_for(const std::string& url, const std::string& client_id) {
  mqtt::Settings s;
  s.url = url;
  s.client_id = client_id;
  // Short backoff: refused attempts follow each other quickly, a restart is noticed soon.
  s.reconnect_min = 100ms;
  s.reconnect_max = 500ms;
  return s;
}

// Runs a tool to completion; throws with its output unless it exits with status 0.
void run_tool(std::vector<std::string> argv) {
  std::string name = argv.front();
  ChildProcess tool(std::move(argv));
  int status = tool.wait(60s);
  if (status != 0) {
    tool.wait_for_line("\x01", 2s);  // matches nothing: reads the rest of its output
    throw std::runtime_error(name + " failed (wait status " + std::to_string(status) + "):\n" +
                             tool.output());
  }
}

// The retained message on `topic` right now, as a fresh subscriber receives it.
std::string retained(const Broker& broker, const std::string& topic) {
  ChildProcess sub({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-t",
                    topic, "-C", "1", "-W", "10", "--retained-only"});
  auto line = sub.wait_for_line("", kWait);
  return line ? *line : "(nothing retained; mosquitto_sub said: " + sub.output() + ")";
}

// ---------------------------------------------------------------- username and password

class TransportPassword : public ::testing::Test {
 protected:
  static BrokerOptions options(const TempDir& dir) {
    run_tool({MOSQUITTO_PASSWD_PATH, "-b", "-c", dir.file("passwords"), "padtimer", "s3cret"});
    return {.extra_config = "password_file " + dir.file("passwords") + "\n",
            .allow_anonymous = false};
  }

  mqtt::Settings settings(const std::string& user, const std::string& password) const {
    auto s = settings_for(broker_.url(), "padtimer-it-auth");
    s.username = user;
    s.password = password;
    return s;
  }

  // The broker turned away `attempts` connections in a row and the transport never
  // reported a connection: after each refusal it tried again, and none got through.
  void expect_refused_repeatedly(TransportRunner& t, int attempts = 3) {
    for (int i = 0; i < attempts; ++i) {
      ASSERT_TRUE(broker_.wait_for_log("not authorised", kWait))
          << "attempt " << i + 1 << " not refused:\n"
          << broker_.log();
    }
    EXPECT_EQ(t.events().connected, 0);
    EXPECT_FALSE(t.connected());
    EXPECT_EQ(t.connect_count(), 0u);
    EXPECT_FALSE(t.publish("it/nowhere", "dropped"));
  }

  TempDir dir_;
  Broker broker_{options(dir_)};
};

TEST_F(TransportPassword, RightCredentialsConnectAndRoundTripAMessage) {
  TransportRunner t(settings("padtimer", "s3cret"), {"it/echo/#"});
  ASSERT_TRUE(t.wait_connected()) << broker_.log();
  EXPECT_TRUE(t.connected());
  EXPECT_EQ(t.connect_count(), 1u);
  ASSERT_TRUE(t.publish("it/echo/a", "hello"));
  ASSERT_TRUE(t.wait_message("it/echo/a", "hello")) << broker_.log();
  t.stop();
  EXPECT_FALSE(t.connected());
}

TEST_F(TransportPassword, WrongPasswordNeverConnectsAndKeepsRetrying) {
  TransportRunner t(settings("padtimer", "wrong"));
  expect_refused_repeatedly(t);
  t.stop();
  EXPECT_FALSE(t.connected());
  EXPECT_EQ(t.events().connected, 0);
}

TEST_F(TransportPassword, UnknownUserNeverConnects) {
  TransportRunner t(settings("intruder", "s3cret"));
  expect_refused_repeatedly(t);
  t.stop();
  EXPECT_EQ(t.events().connected, 0);
}

TEST_F(TransportPassword, NoCredentialsNeverConnect) {
  TransportRunner t(settings("", ""));
  expect_refused_repeatedly(t);
  t.stop();
  EXPECT_EQ(t.events().connected, 0);
}

// ---------------------------------------------------------------- TLS

// A CA, a server certificate for 127.0.0.1 (CN and IP SAN) and a client certificate signed
// by it, and a second, unrelated CA. Made once per run; EC keys, so it takes milliseconds.
struct Certs {
  TempDir dir;
  std::string file(const std::string& name) const { return dir.file(name); }

  void make_ca(const std::string& name) const {
    run_tool({OPENSSL_PATH,
              "req",
              "-x509",
              "-newkey",
              "ec",
              "-pkeyopt",
              "ec_paramgen_curve:prime256v1",
              "-nodes",
              "-keyout",
              file(name + ".key"),
              "-out",
              file(name + ".crt"),
              "-days",
              "2",
              "-subj",
              "/CN=padtimer test " + name,
              "-addext",
              "basicConstraints=critical,CA:TRUE",
              "-addext",
              "keyUsage=critical,keyCertSign,cRLSign"});
  }

  // Its key is encrypted with `key_password` unless that is empty.
  void make_leaf(const std::string& name, const std::string& cn, const std::string& extensions,
                 const std::string& key_password = "") const {
    std::vector<std::string> req{OPENSSL_PATH,
                                 "req",
                                 "-new",
                                 "-newkey",
                                 "ec",
                                 "-pkeyopt",
                                 "ec_paramgen_curve:prime256v1",
                                 "-keyout",
                                 file(name + ".key"),
                                 "-out",
                                 file(name + ".csr"),
                                 "-subj",
                                 "/CN=" + cn};
    if (key_password.empty()) {
      req.push_back("-nodes");
    } else {
      req.insert(req.end(), {"-passout", "pass:" + key_password});
    }
    run_tool(std::move(req));
    dir.write(name + ".ext", extensions);
    run_tool({OPENSSL_PATH, "x509", "-req", "-in", file(name + ".csr"), "-CA", file("ca.crt"),
              "-CAkey", file("ca.key"), "-CAcreateserial", "-out", file(name + ".crt"), "-days",
              "2", "-extfile", file(name + ".ext")});
  }

  Certs() {
    make_ca("ca");
    make_ca("other-ca");
    make_leaf("server", "127.0.0.1",
              "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n"
              "extendedKeyUsage=serverAuth\n");
    make_leaf("elsewhere", "elsewhere.invalid",
              "basicConstraints=CA:FALSE\nsubjectAltName=DNS:elsewhere.invalid\n"
              "extendedKeyUsage=serverAuth\n");
    make_leaf("client", "padtimer-it-client",
              "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
    make_leaf("locked-client", "padtimer-it-locked-client",
              "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n", kKeyPassword);
  }

  static constexpr const char* kKeyPassword = "padlock";
};

const Certs& certs() {
  static const Certs made;  // a failure throws here, and fails the test that asked
  return made;
}

// `server`: the broker's certificate, "server" (127.0.0.1) or "elsewhere" (another name).
BrokerOptions tls_options(bool require_client_cert, const std::string& server = "server") {
  const Certs& c = certs();
  std::string config = "cafile " + c.file("ca.crt") + "\ncertfile " + c.file(server + ".crt") +
                       "\nkeyfile " + c.file(server + ".key") + "\n";
  if (require_client_cert) config += "require_certificate true\n";
  return {.extra_config = config, .allow_anonymous = true};
}

class TransportTls : public ::testing::Test {
 protected:
  static std::string tls_url(const Broker& broker) {
    return "mqtts://127.0.0.1:" + std::to_string(broker.port());
  }

  // Trusts `ca` (a file in certs()); presents certs()'s `client` certificate if named.
  static mqtt::Settings settings(const Broker& broker, const std::string& ca,
                                 const std::string& client = "") {
    auto s = settings_for(tls_url(broker), "padtimer-it-tls");
    mqtt::TlsSettings tls;
    tls.ca_file = certs().file(ca + ".crt");
    if (!client.empty()) {
      tls.cert_file = certs().file(client + ".crt");
      tls.key_file = certs().file(client + ".key");
    }
    s.tls = tls;
    return s;
  }

  static void expect_round_trip(TransportRunner& t, const Broker& broker) {
    ASSERT_TRUE(t.wait_connected()) << broker.log();
    EXPECT_TRUE(t.connected());
    ASSERT_TRUE(t.publish("it/tls/a", "sealed"));
    EXPECT_TRUE(t.wait_message("it/tls/a", "sealed")) << broker.log();
  }

  // Each of `attempts` TLS handshakes failed as mosquitto's log line `reason` says (it logs
  // every one), and the transport, retrying after each, never reported a connection.
  static void expect_handshakes_fail(TransportRunner& t, Broker& broker, const std::string& reason,
                                     int attempts = 3) {
    for (int i = 0; i < attempts; ++i) {
      ASSERT_TRUE(broker.wait_for_log(reason, kWait))
          << "attempt " << i + 1 << " not seen failing with '" << reason << "':\n"
          << broker.log();
    }
    EXPECT_EQ(t.events().connected, 0);
    EXPECT_FALSE(t.connected());
    EXPECT_EQ(t.connect_count(), 0u);
  }
};

TEST_F(TransportTls, ConnectsWithTheBrokersCa) {
  Broker broker(tls_options(/*require_client_cert=*/false));
  TransportRunner t(settings(broker, "ca"), {"it/tls/#"});
  expect_round_trip(t, broker);
}

TEST_F(TransportTls, ConnectsWithAClientCertificateWhenRequired) {
  Broker broker(tls_options(/*require_client_cert=*/true));
  TransportRunner t(settings(broker, "ca", "client"), {"it/tls/#"});
  expect_round_trip(t, broker);
}

TEST_F(TransportTls, ConnectsWithAPasswordProtectedClientKey) {
  Broker broker(tls_options(/*require_client_cert=*/true));
  auto s = settings(broker, "ca", "locked-client");
  s.tls->key_password = Certs::kKeyPassword;
  TransportRunner t(s, {"it/tls/#"});
  expect_round_trip(t, broker);
}

TEST_F(TransportTls, WrongCaNeverConnects) {
  Broker broker(tls_options(/*require_client_cert=*/false));
  TransportRunner t(settings(broker, "other-ca"));
  // The transport rejected the broker's certificate, and said so with a TLS alert.
  expect_handshakes_fail(t, broker, "tlsv1 alert unknown ca");
  t.stop();
  EXPECT_EQ(t.events().connected, 0);
}

TEST_F(TransportTls, NoClientCertificateWhenRequiredNeverConnects) {
  Broker broker(tls_options(/*require_client_cert=*/true));
  TransportRunner t(settings(broker, "ca"));
  expect_handshakes_fail(t, broker, "peer did not return a certificate");
  t.stop();
  EXPECT_EQ(t.events().connected, 0);
}

TEST_F(TransportTls, CertificateForAnotherHostNeverConnects) {
  Broker broker(tls_options(/*require_client_cert=*/false, "elsewhere"));
  TransportRunner t(settings(broker, "ca"));
  // The handshake itself succeeds; the transport then finds 127.0.0.1 is not the name in
  // the certificate and hangs up before sending CONNECT.
  expect_handshakes_fail(t, broker, "Client <unknown> closed its connection");
  t.stop();
  EXPECT_EQ(t.events().connected, 0);
}

TEST_F(TransportTls, CertificateForAnotherHostConnectsWithoutHostnameVerification) {
  Broker broker(tls_options(/*require_client_cert=*/false, "elsewhere"));
  auto s = settings(broker, "ca");
  s.tls->verify_hostname = false;
  TransportRunner t(s, {"it/tls/#"});
  expect_round_trip(t, broker);
}

// ---------------------------------------------------------------- status and last will

void expect_retained_online_then_offline(mqtt::Settings::Protocol protocol) {
  Broker broker;
  auto s = settings_for(broker.url(), "padtimer-it-status");
  s.protocol = protocol;
  s.status_topic = "it/status";
  // Subscribed to its own status: receiving "online" shows the broker has stored it.
  TransportRunner t(s, {"it/status"});
  ASSERT_TRUE(t.wait_connected()) << broker.log();
  ASSERT_TRUE(t.wait_message("it/status", "online")) << broker.log();
  EXPECT_EQ(retained(broker, "it/status"), "online");

  t.stop();  // returns once the offline status is acknowledged and the client disconnected
  EXPECT_FALSE(t.connected());
  EXPECT_EQ(retained(broker, "it/status"), "offline");
}

TEST(TransportStatus, RetainedOnlineWhileConnectedAndOfflineAfterStop) {
  expect_retained_online_then_offline(mqtt::Settings::Protocol::mqtt5);
}

TEST(TransportStatus, RetainedOnlineAndOfflineUnderMqtt311) {
  expect_retained_online_then_offline(mqtt::Settings::Protocol::mqtt311);
}

TEST(TransportStatus, BrokerPublishesTheWillWhenAClientDiesWithoutDisconnecting) {
  Broker broker;
  ChildProcess sim({PADTIMER_SIM_PATH, "--broker", broker.url(), "--device", "json_pad:p1"});
  ASSERT_TRUE(sim.wait_for_line("p1: connected", kWait)) << sim.output();
  // Its transports speak MQTT 5 (the default): mosquitto logs the protocol as p5.
  EXPECT_TRUE(broker.wait_for_log("(p5, c1", kWait)) << broker.log();

  // Subscribed after the device connected, the watcher's first message is its "online"
  // (retained, or live if the broker had not stored it yet).
  const std::string topic = "padtimer/pads/p1/availability";
  ChildProcess watcher(
      {"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-v", "-t", topic});
  auto first = watcher.wait_for_line(topic, kWait);
  ASSERT_TRUE(first) << watcher.output();
  EXPECT_EQ(*first, topic + " online");

  // Dies as a crash would: no offline from the sim itself, so only the will can say it.
  sim.signal(SIGKILL);
  ASSERT_NE(sim.wait(kWait), -1);
  auto will = watcher.wait_for_line(topic, kWait);
  ASSERT_TRUE(will) << watcher.output() << "\n" << broker.log();
  EXPECT_EQ(*will, topic + " offline");
  EXPECT_EQ(retained(broker, topic), "offline");
}

// ---------------------------------------------------------------- reconnect

TEST(TransportReconnect, BrokerRestartReconnectsResubscribesAndRepublishesStatus) {
  Broker broker;
  auto s = settings_for(broker.url(), "padtimer-it-reconnect");
  s.status_topic = "it/status";
  TransportRunner t(s, {"it/echo/#", "it/status"});
  ASSERT_TRUE(t.wait_connected()) << broker.log();
  ASSERT_TRUE(t.publish("it/echo/a", "before"));
  ASSERT_TRUE(t.wait_message("it/echo/a", "before"));
  ASSERT_TRUE(t.wait_message("it/status", "online"));
  EXPECT_EQ(t.connect_count(), 1u);

  broker.kill();
  ASSERT_TRUE(t.wait_until([](const Events& e) { return e.lost >= 1; }));
  EXPECT_FALSE(t.connected());
  EXPECT_FALSE(t.publish("it/echo/a", "while down"));  // dropped, not queued

  broker.restart();  // same port, empty (persistence false): nothing retained, no sessions
  ASSERT_TRUE(t.wait_connected(2)) << broker.log();
  EXPECT_TRUE(t.connected());
  EXPECT_EQ(t.connect_count(), 2u);
  EXPECT_EQ(t.events().lost, 1);

  // Resubscribed: a message published after the restart arrives, and so does the
  // status it published again on the fresh broker.
  ASSERT_TRUE(t.publish("it/echo/a", "after"));
  EXPECT_TRUE(t.wait_message("it/echo/a", "after")) << broker.log();
  EXPECT_TRUE(t.wait_message("it/status", "online", 2)) << broker.log();
  EXPECT_EQ(retained(broker, "it/status"), "online");
  EXPECT_EQ(t.events().count("it/echo/a", "while down"), 0);
}

// ---------------------------------------------------------------- MQTT 5 and 3.1.1

using Protocol = mqtt::Settings::Protocol;

mqtt::Settings settings_for(const std::string& url, const std::string& client_id,
                            Protocol protocol) {
  auto s = settings_for(url, client_id);
  s.protocol = protocol;
  return s;
}

// Publishes one message with mosquitto_pub; `extra` adds options (-V mqttv5, -D ...).
void mosquitto_pub(const Broker& broker, const std::string& topic, const std::string& payload,
                   const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{
      "mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-q", "1", "-t",
      topic,           "-m", payload};
  argv.insert(argv.end(), extra.begin(), extra.end());
  run_tool(std::move(argv));
}

// mosquitto_pub sends "ping" to `topic` as an MQTT 5 request (response topic some/topic,
// correlation data abc); what `t` received of it.
std::optional<mqtt::Message> request_via_mosquitto_pub(const Broker& broker, TransportRunner& t,
                                                       const std::string& topic) {
  mosquitto_pub(broker, topic, "ping",
                {"-V", "mqttv5", "-D", "publish", "response-topic", "some/topic", "-D", "publish",
                 "correlation-data", "abc"});
  if (!t.wait_message(topic, "ping")) return std::nullopt;
  return t.events().first(topic);
}

// What the Transport logs (through spdlog's default logger) while this lives, still passed
// on to the previous logger's sinks. A test waits for a line as for any other event.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()), sink_(std::make_shared<Sink>()) {
    std::vector<spdlog::sink_ptr> sinks = previous_->sinks();
    sinks.push_back(sink_);
    auto logger = std::make_shared<spdlog::logger>("capture", sinks.begin(), sinks.end());
    logger->set_level(previous_->level());
    spdlog::set_default_logger(std::move(logger));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Waits until `times` logged lines contain `needle`.
  bool wait_for(const std::string& needle, int times = 1) {
    return sink_->wait_for(needle, times, kWait);
  }
  std::string text() const { return sink_->text(); }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    bool wait_for(const std::string& needle, int times, std::chrono::milliseconds timeout) {
      std::unique_lock lock(lines_mutex_);
      return cv_.wait_for(lock, timeout, [&] {
        int n = 0;
        for (const auto& line : lines_)
          n += line.find(needle) != std::string::npos;
        return n >= times;
      });
    }
    std::string text() {
      std::lock_guard lock(lines_mutex_);
      std::string out;
      for (const auto& line : lines_)
        out += line + "\n";
      return out;
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      std::lock_guard lock(lines_mutex_);
      lines_.emplace_back(msg.payload.data(), msg.payload.size());
      cv_.notify_all();
    }
    void flush_() override {}

   private:
    std::mutex lines_mutex_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
  };

  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<Sink> sink_;
};

TEST(TransportMqtt5, ReceivesResponseTopicAndCorrelationDataFromMosquittoPub) {
  Broker broker;
  TransportRunner t(settings_for(broker.url(), "padtimer-it-v5"), {"it/request/#"});
  ASSERT_TRUE(t.wait_connected()) << broker.log();
  // MQTT 5 is the default, with clean start: mosquitto logs that as (p5, c1, ...).
  EXPECT_TRUE(broker.wait_for_log("as padtimer-it-v5 (p5, c1", kWait)) << broker.log();

  auto m = request_via_mosquitto_pub(broker, t, "it/request/a");
  ASSERT_TRUE(m) << broker.log();
  EXPECT_EQ(m->response_topic, "some/topic");
  EXPECT_EQ(m->correlation_data, "abc");
  EXPECT_EQ(m->qos, 1);

  // Without the properties, the fields are empty.
  mosquitto_pub(broker, "it/request/b", "plain", {"-V", "mqttv5"});
  ASSERT_TRUE(t.wait_message("it/request/b", "plain")) << broker.log();
  m = t.events().first("it/request/b");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->response_topic, "");
  EXPECT_EQ(m->correlation_data, "");
}

TEST(TransportMqtt5, CorrelationDataRoundTripsByteForByte) {
  Broker broker;
  TransportRunner receiver(settings_for(broker.url(), "padtimer-it-v5-rx"), {"it/rpc/#"});
  TransportRunner sender(settings_for(broker.url(), "padtimer-it-v5-tx"));
  ASSERT_TRUE(receiver.wait_connected()) << broker.log();
  ASSERT_TRUE(sender.wait_connected()) << broker.log();

  // A NUL, bytes above 0x7f, and no valid UTF-8: binary, not text.
  const std::string correlation("id\0\xff\x01\xc3(", 7);
  mqtt::Message request;
  request.topic = "it/rpc/request";
  request.payload = R"({"op":"start"})";
  request.qos = 1;
  request.response_topic = "it/rpc/reply/phone-1";
  request.correlation_data = correlation;
  ASSERT_TRUE(sender.publish(request));

  ASSERT_TRUE(receiver.wait_message(request.topic, request.payload)) << broker.log();
  auto m = receiver.events().first(request.topic);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->correlation_data.size(), correlation.size());
  EXPECT_EQ(m->correlation_data, correlation);
  EXPECT_EQ(m->response_topic, "it/rpc/reply/phone-1");
  EXPECT_EQ(m->qos, 1);
  EXPECT_FALSE(m->retained);

  // The reply the other way carries the same bytes back, with no response topic of its own.
  mqtt::Message reply;
  reply.topic = m->response_topic;
  reply.payload = R"({"ok":true})";
  reply.qos = 1;
  reply.correlation_data = m->correlation_data;
  ASSERT_TRUE(receiver.publish(reply));
  ASSERT_TRUE(receiver.wait_message(reply.topic, reply.payload)) << broker.log();
  auto r = receiver.events().first(reply.topic);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->correlation_data, correlation);
  EXPECT_EQ(r->response_topic, "");
}

TEST(TransportMqtt311, ConnectsSubscribesAndReceivesWithoutProperties) {
  Broker broker;
  TransportRunner t(settings_for(broker.url(), "padtimer-it-v311", Protocol::mqtt311),
                    {"it/echo/#"});
  // Started together: Paho notices a second client's connect late (~2 s) once another is up.
  TransportRunner listener(settings_for(broker.url(), "padtimer-it-v5-listener"), {"it/echo/#"});
  ASSERT_TRUE(t.wait_connected()) << broker.log();
  ASSERT_TRUE(listener.wait_connected()) << broker.log();
  EXPECT_TRUE(broker.wait_for_log("as padtimer-it-v311 (p2, c1", kWait)) << broker.log();
  ASSERT_TRUE(t.publish("it/echo/a", "hello"));
  ASSERT_TRUE(t.wait_message("it/echo/a", "hello")) << broker.log();

  // An MQTT 5 request reaches a 3.1.1 client without its properties.
  auto m = request_via_mosquitto_pub(broker, t, "it/echo/v5");
  ASSERT_TRUE(m) << broker.log();
  EXPECT_EQ(m->response_topic, "");
  EXPECT_EQ(m->correlation_data, "");

  // And it publishes a Message's properties nowhere: an MQTT 5 listener sees none.
  mqtt::Message out;
  out.topic = "it/echo/out";
  out.payload = "from 3.1.1";
  out.qos = 1;
  out.response_topic = "it/echo/reply";
  out.correlation_data = "abc";
  ASSERT_TRUE(t.publish(out));
  ASSERT_TRUE(listener.wait_message(out.topic, out.payload)) << broker.log();
  m = listener.events().first(out.topic);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->response_topic, "");
  EXPECT_EQ(m->correlation_data, "");
}

// A broker that refuses every subscription but it/# (mosquitto's dynamic security plugin:
// its plain acl_file filters delivery but grants every SUBSCRIBE). The transport still
// reports its connection, subscribed to what it may, and logs the refusal with its code.
void expect_refused_subscription_logged(Protocol protocol, std::vector<std::string> filters,
                                        int code) {
  const std::string plugin = MOSQUITTO_DYNSEC_PLUGIN_PATH;
  if (plugin.find("NOTFOUND") != std::string::npos)
    GTEST_SKIP() << "mosquitto_dynamic_security.so not found";
  TempDir dir;
  dir.write("dynsec.json", R"({
  "defaultACLAccess": {"publishClientSend": false, "publishClientReceive": true,
                       "subscribe": false, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "it"}]}],
  "roles": [{"rolename": "it", "acls": [
    {"acltype": "subscribePattern", "topic": "it/#", "allow": true},
    {"acltype": "publishClientSend", "topic": "it/#", "allow": true}]}],
  "anonymousGroup": "anonymous"
})");
  Broker broker({.extra_config = "plugin " + plugin + "\nplugin_opt_config_file " +
                                 dir.file("dynsec.json") + "\n"});
  bool echo = std::find(filters.begin(), filters.end(), "it/ok/#") != filters.end();
  LogCapture log;  // outlives the transport
  TransportRunner t(settings_for(broker.url(), "padtimer-it-acl", protocol), std::move(filters));
  ASSERT_TRUE(t.wait_connected()) << broker.log();
  EXPECT_TRUE(log.wait_for("the broker refused a subscription (code " + std::to_string(code) + ")"))
      << log.text();
  if (echo) {  // the subscription it was granted works
    ASSERT_TRUE(t.publish("it/ok/a", "allowed"));
    EXPECT_TRUE(t.wait_message("it/ok/a", "allowed")) << broker.log();
  }
}

TEST(TransportSubscribe, Mqtt5OneRefusedOfSeveralIsReportedAsNotAuthorized) {
  expect_refused_subscription_logged(Protocol::mqtt5, {"it/ok/#", "secret/#"}, 0x87);
}

TEST(TransportSubscribe, Mqtt5OnlySubscriptionRefusedIsReportedAsNotAuthorized) {
  expect_refused_subscription_logged(Protocol::mqtt5, {"secret/#"}, 0x87);
}

TEST(TransportSubscribe, Mqtt311OneRefusedOfSeveralIsReportedAsFailure) {
  expect_refused_subscription_logged(Protocol::mqtt311, {"it/ok/#", "secret/#"}, 0x80);
}

TEST(TransportSubscribe, Mqtt311OnlySubscriptionRefusedIsReportedAsFailure) {
  expect_refused_subscription_logged(Protocol::mqtt311, {"secret/#"}, 0x80);
}

// Answers every CONNECT with one fixed CONNACK and hangs up: a broker that refuses the
// protocol version, which no mosquitto setting makes it do. Records the protocol level
// each CONNECT asked for (4: 3.1.1, 5: MQTT 5).
class RefusingBroker {
 public:
  explicit RefusingBroker(std::string connack) : connack_(std::move(connack)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("RefusingBroker: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RefusingBroker() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes the accept() below
    thread_.join();
    ::close(fd_);
  }
  RefusingBroker(const RefusingBroker&) = delete;
  RefusingBroker& operator=(const RefusingBroker&) = delete;

  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
  std::vector<int> levels() {
    std::lock_guard lock(mutex_);
    return levels_;
  }

 private:
  void serve() {
    for (;;) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR) continue;
        return;
      }
      timeval limit{5, 0};  // a client that goes quiet cannot hold up the destructor
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      if (auto level = read_connect(c)) {
        {
          std::lock_guard lock(mutex_);
          levels_.push_back(*level);
        }
        [[maybe_unused]] auto n = ::send(c, connack_.data(), connack_.size(), MSG_NOSIGNAL);
      }
      // Let the client read the CONNACK and hang up first: closing with its bytes unread
      // would reset the connection under it.
      char buf[256];
      while (::recv(c, buf, sizeof buf, 0) > 0) {
      }
      ::close(c);
    }
  }

  // Reads one CONNECT packet; its protocol level byte, or nothing.
  static std::optional<int> read_connect(int c) {
    auto byte = [c]() -> std::optional<unsigned char> {
      unsigned char b = 0;
      if (::recv(c, &b, 1, MSG_WAITALL) != 1) return std::nullopt;
      return b;
    };
    auto type = byte();
    if (!type || (*type >> 4) != 1) return std::nullopt;
    std::size_t length = 0;
    for (int shift = 0; shift < 28; shift += 7) {
      auto b = byte();
      if (!b) return std::nullopt;
      length |= std::size_t(*b & 0x7f) << shift;
      if (!(*b & 0x80)) break;
    }
    std::string body(length, '\0');
    if (length < 7 || ::recv(c, body.data(), length, MSG_WAITALL) != ssize_t(length))
      return std::nullopt;
    return static_cast<unsigned char>(body[6]);  // after the "\0\4MQTT" protocol name
  }

  std::string connack_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<int> levels_;
};

// The transport connects to a broker that refuses its protocol version with `connack`,
// logs (at least twice: it keeps retrying) an error naming the setting to change, and never
// reports a connection.
void expect_protocol_refused(Protocol protocol, const std::string& connack,
                             const std::string& advice) {
  LogCapture log;
  RefusingBroker broker(connack);
  {
    TransportRunner t(settings_for(broker.url(), "padtimer-it-refused", protocol));
    EXPECT_TRUE(log.wait_for(advice, 2)) << log.text();
    EXPECT_EQ(t.events().connected, 0);
    EXPECT_FALSE(t.connected());
  }
  auto levels = broker.levels();
  ASSERT_GE(levels.size(), 2u);
  for (int level : levels)
    EXPECT_EQ(level, protocol == Protocol::mqtt5 ? 5 : 4);
}

TEST(TransportProtocol, Mqtt5RefusedByA311BrokerSaysToSet311) {
  // CONNACK as MQTT 3.1.1 has it: return code 1, unacceptable protocol version.
  expect_protocol_refused(Protocol::mqtt5, std::string("\x20\x02\x00\x01", 4),
                          "set protocol: \"3.1.1\" in the mqtt section");
}

TEST(TransportProtocol, Mqtt5RefusedWithReasonCode0x84SaysToSet311) {
  // CONNACK as MQTT 5 has it: reason code 0x84, unsupported protocol version, no properties.
  expect_protocol_refused(Protocol::mqtt5, std::string("\x20\x03\x00\x84\x00", 5),
                          "set protocol: \"3.1.1\" in the mqtt section");
}

TEST(TransportProtocol, Mqtt311RefusedSaysToSet5) {
  expect_protocol_refused(Protocol::mqtt311, std::string("\x20\x02\x00\x01", 4),
                          "set protocol: \"5\" in the mqtt section");
}

}  // namespace
}  // namespace padtimer::testing
