// The bench's MQTT clients. Every receipt time is read with steady_clock first thing in
// Paho's callback, on Paho's receive thread, before anything else is done with the message.
//
// Fleet plays every Tasmota device of the bench config on ONE connection (padtimer-sim
// runs a connection per device: 20,000 of them would measure the simulator, not padtimerd).
// Phone is a phone app: it publishes requests, reads the retained zone states and results,
// and measures the broker's own round trip (it publishes to a topic it subscribes to).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"

namespace mqtt {
class async_client;
}

namespace padtimer::bench {

class MqttClient {
 public:
  using Handler = std::function<void(Clock::time_point at, const std::string& topic,
                                     const std::string& payload, bool retained)>;
  // Connects (MQTT 3.1.1, clean session) and returns once connected.
  MqttClient(const std::string& uri, const std::string& client_id, Handler handler);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  void subscribe(const std::string& filter, int qos);  // returns once acknowledged
  // Does not wait (safe on Paho's callback thread).
  void publish(const std::string& topic, const std::string& payload, int qos, bool retained);

 private:
  std::unique_ptr<::mqtt::async_client> client_;
  Handler handler_;
};

// Device names: zone i has heat device h<i> and cold device c<i>, Tasmota topics the same.
inline int heat_device(int zone) {
  return 2 * zone;
}
inline int cold_device(int zone) {
  return 2 * zone + 1;
}
std::string device_topic(int device);

class Fleet {
 public:
  struct Transition {
    Clock::time_point at;  // receipt of the command on the broker, by this client
    bool on = false;
  };

  Fleet(const std::string& uri, int zones);
  ~Fleet();

  // Each device's retained LWT "Online", as a Tasmota publishes it when it connects.
  void announce();

  // The `index`-th (0-based) change of a device's relay (OFF->ON or ON->OFF) caused by a
  // command; waits up to `timeout` for it.
  std::optional<Transition> wait_transition(int device, std::size_t index,
                                            std::chrono::milliseconds timeout);
  std::size_t transition_count(int device) const;
  std::vector<Transition> transitions(int device) const;
  std::uint64_t commands() const;

 private:
  void on_message(Clock::time_point at, const std::string& topic, const std::string& payload);

  int devices_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> on_;
  std::vector<std::vector<Transition>> transitions_;
  std::uint64_t commands_ = 0;
  std::unique_ptr<MqttClient> client_;
};

class Phone {
 public:
  struct ZoneView {
    std::uint64_t version = 0;  // states received for the zone
    bool ready = false;         // "ready":true
    bool idle = false;          // "status":"idle"
    bool fault = false;         // "status":"fault"
    Clock::time_point at;
  };
  struct ResultView {
    std::uint64_t version = 0;
    bool ok = false;
    std::string payload;
  };

  Phone(const std::string& uri, const std::string& base, int zones);
  ~Phone();

  // QoS 1, not retained (as padtimerctl).
  void request(const std::string& topic, const std::string& payload);
  // One broker round trip: publish QoS 1 to a topic this client subscribes to, time until
  // it comes back. Milliseconds; nothing after `timeout`.
  std::optional<double> floor_sample(std::chrono::milliseconds timeout);

  ZoneView zone(int z) const;
  ResultView result(int z) const;
  // Waits until `pred(zone view)` holds for zone z.
  bool wait_zone(int z, const std::function<bool(const ZoneView&)>& pred,
                 std::chrono::milliseconds timeout);
  // Waits until every zone is ready and idle; returns how many are. Zones latched in a fault
  // are reset (counted in resets()).
  int wait_all_ready(std::chrono::milliseconds timeout);
  // Waits until a result for z newer than `after_version` arrives.
  std::optional<ResultView> wait_result(int z, std::uint64_t after_version,
                                        std::chrono::milliseconds timeout);
  // How many zones' latest state satisfies `pred`, polled until it is `n` or `timeout`.
  int wait_count(const std::function<bool(const ZoneView&)>& pred, int n,
                 std::chrono::milliseconds timeout);
  int resets() const { return resets_; }
  // Forgets every zone state seen so far (the retained ones of a padtimerd that stopped).
  void forget_states();
  // When the last zone became ready (receipt of the state that made every zone ready).
  Clock::time_point last_ready_at() const;

 private:
  void on_message(Clock::time_point at, const std::string& topic, const std::string& payload);
  int zone_of(const std::string& topic, const std::string& suffix) const;

  std::string base_;
  std::string floor_topic_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ZoneView> zones_;
  std::vector<ResultView> results_;
  int ready_ = 0;
  Clock::time_point all_ready_at_{};
  std::uint64_t floor_seq_ = 0;
  std::optional<std::pair<std::uint64_t, Clock::time_point>> floor_back_;
  int resets_ = 0;
  std::unique_ptr<MqttClient> client_;
};

}  // namespace padtimer::bench
