// padtimer::mqtt::Transport against a real mosquitto on a free loopback port: username and
// password, TLS (a CA and certificates made at test time with the openssl CLI), the
// retained status and last will, and reconnecting after the broker restarts.
//
// Waiting is always for an event: a handler of the Transport under test (recorded under a
// mutex, waking a condition variable), or a line mosquitto, mosquitto_sub or padtimer-sim
// prints, each bounded by a generous timeout. "Never connects" is shown the same way: the
// broker logs several refused attempts in a row, and the connected handler never fired.
#include <gtest/gtest.h>
#include <signal.h>

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
    transport_ = std::make_unique<mqtt::Transport>(io_, std::move(settings), std::move(handlers));
    transport_->set_subscriptions(std::move(subscriptions));
    boost::asio::post(io_, [this] { transport_->start(); });
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TransportRunner() {
    stop();
    work_.reset();
    io_.stop();
    thread_.join();
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
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  template <typename F>
  void record(F f) {
    std::lock_guard lock(mutex_);
    f(events_);
    cv_.notify_all();
  }

  // Declared before the Transport and the thread: it outlives both.
  boost::asio::io_context io_;
  // Paho's threads post into io_ at any time: keep run() going with nothing else queued.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<mqtt::Transport> transport_;
  std::thread thread_;
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

TEST(TransportStatus, RetainedOnlineWhileConnectedAndOfflineAfterStop) {
  Broker broker;
  auto s = settings_for(broker.url(), "padtimer-it-status");
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

TEST(TransportStatus, BrokerPublishesTheWillWhenAClientDiesWithoutDisconnecting) {
  Broker broker;
  ChildProcess sim({PADTIMER_SIM_PATH, "--broker", broker.url(), "--device", "json_pad:p1"});
  ASSERT_TRUE(sim.wait_for_line("p1: connected", kWait)) << sim.output();

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

}  // namespace
}  // namespace padtimer::testing
