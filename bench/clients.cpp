#include "clients.h"

#include <mqtt/async_client.h>

#include "mqtt/nodelay.h"

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace padtimer::bench {

// ---- MqttClient ---------------------------------------------------------------------------

MqttClient::MqttClient(const std::string& uri, const std::string& client_id, Handler handler)
    // Paho's command queue holds 100 messages by default, connected or not, and refuses
    // more (MQTTASYNC_MAX_BUFFERED_MESSAGES): the fleet answers thousands of commands at once.
    : client_(std::make_unique<::mqtt::async_client>(uri, client_id, 1'000'000)),
      handler_(std::move(handler)) {
  client_->set_message_callback([this](::mqtt::const_message_ptr msg) {
    // The receipt time first: nothing the bench does with the message may count in it.
    Clock::time_point at = Clock::now();
    if (!msg || !handler_) return;
    try {
      handler_(at, msg->get_topic(), msg->get_payload_str(), msg->is_retained());
    } catch (const std::exception&) {
      // Never let an exception reach Paho's thread (it would terminate).
    }
  });
  ::mqtt::connect_options opts;
  opts.set_mqtt_version(MQTTVERSION_3_1_1);
  opts.set_clean_session(true);
  opts.set_keep_alive_interval(std::chrono::seconds{60});
  client_->connect(opts)->wait_for(std::chrono::seconds{10});
  if (!client_->is_connected()) throw std::runtime_error("cannot connect to " + uri);
  padtimer::mqtt::disable_nagle_on_tcp_sockets();
}

MqttClient::~MqttClient() {
  try {
    if (client_->is_connected())
      client_->disconnect(std::chrono::seconds{1})->wait_for(std::chrono::seconds{2});
  } catch (const std::exception&) {
    // Already gone.
  }
}

void MqttClient::subscribe(const std::string& filter, int qos) {
  client_->subscribe(filter, qos)->wait_for(std::chrono::seconds{10});
}

void MqttClient::publish(const std::string& topic, const std::string& payload, int qos,
                         bool retained) {
  client_->publish(topic, payload.data(), payload.size(), qos, retained);
}

// ---- Fleet --------------------------------------------------------------------------------

std::string device_topic(int device) {
  return (device % 2 == 0 ? "h" : "c") + std::to_string(device / 2);
}

namespace {

// "h12" -> 24, "c12" -> 25; -1 for anything else.
int device_of(std::string_view topic) {
  if (topic.size() < 2 || (topic[0] != 'h' && topic[0] != 'c')) return -1;
  int n = 0;
  for (char ch : topic.substr(1)) {
    if (ch < '0' || ch > '9') return -1;
    n = n * 10 + (ch - '0');
  }
  return 2 * n + (topic[0] == 'c' ? 1 : 0);
}

}  // namespace

Fleet::Fleet(const std::string& uri, int zones)
    : devices_(2 * zones),
      on_(static_cast<std::size_t>(devices_), false),
      transitions_(static_cast<std::size_t>(devices_)) {
  client_ = std::make_unique<MqttClient>(
      uri, "bench-fleet",
      [this](Clock::time_point at, const std::string& topic, const std::string& payload, bool) {
        on_message(at, topic, payload);
      });
  // QoS 1, as padtimerd publishes its commands.
  client_->subscribe("cmnd/#", 1);
}

Fleet::~Fleet() {
  client_.reset();  // no callback runs after this
}

void Fleet::announce() {
  for (int d = 0; d < devices_; ++d)
    client_->publish("tele/" + device_topic(d) + "/LWT", "Online", 1, true);
}

// What a Tasmota does with cmnd/<topic>/PulseTime1 N and cmnd/<topic>/Power1 ON|OFF|"" (the
// driver sends the two as separate commands, never Backlog): set or switch, and answer on
// stat/<topic>/RESULT (the PulseTime echo, or the POWER state).
void Fleet::on_message(Clock::time_point at, const std::string& topic, const std::string& payload) {
  // cmnd/<device>/<command>
  auto first = topic.find('/');
  auto second = topic.find('/', first + 1);
  if (first == std::string::npos || second == std::string::npos) return;
  std::string device_name = topic.substr(first + 1, second - first - 1);
  std::string command = topic.substr(second + 1);
  int device = device_of(device_name);
  if (device < 0 || device >= devices_) return;
  std::optional<bool> want;
  std::string pulse;
  if (command == "Power1" || command == "Power") {
    if (payload == "ON" || payload == "1") want = true;
    if (payload == "OFF" || payload == "0") want = false;
  } else if (command == "PulseTime1") {
    pulse = std::to_string(std::atoi(payload.c_str()));
  } else {
    return;
  }
  bool state = false;
  {
    std::lock_guard lock(mutex_);
    ++commands_;
    auto i = static_cast<std::size_t>(device);
    if (want && *want != on_[i]) {
      on_[i] = *want;
      transitions_[i].push_back({at, *want});
    }
    state = on_[i];
  }
  changed_.notify_all();
  // As Tasmota: a PulseTime command is answered with its setting only (Remaining counts
  // down only while a pulse runs).
  const std::string reply = pulse.empty()
                                ? std::string("{\"POWER\":\"") + (state ? "ON" : "OFF") + "\"}"
                                : "{\"PulseTime1\":{\"Set\":" + pulse + ",\"Remaining\":0}}";
  client_->publish("stat/" + device_name + "/RESULT", reply, 0, false);
}

std::optional<Fleet::Transition> Fleet::wait_transition(int device, std::size_t index,
                                                        std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  auto& list = transitions_[static_cast<std::size_t>(device)];
  if (!changed_.wait_for(lock, timeout, [&] { return list.size() > index; })) return std::nullopt;
  return list[index];
}

std::size_t Fleet::transition_count(int device) const {
  std::lock_guard lock(mutex_);
  return transitions_[static_cast<std::size_t>(device)].size();
}

std::vector<Fleet::Transition> Fleet::transitions(int device) const {
  std::lock_guard lock(mutex_);
  return transitions_[static_cast<std::size_t>(device)];
}

std::uint64_t Fleet::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

// ---- Phone --------------------------------------------------------------------------------

Phone::Phone(const std::string& uri, const std::string& base, int zones)
    : base_(base),
      floor_topic_("bench/floor/" + std::to_string(::getpid())),
      zones_(static_cast<std::size_t>(zones)),
      results_(static_cast<std::size_t>(zones)) {
  client_ = std::make_unique<MqttClient>(
      uri, "bench-phone",
      [this](Clock::time_point at, const std::string& topic, const std::string& payload, bool) {
        on_message(at, topic, payload);
      });
  client_->subscribe(floor_topic_, 1);
  client_->subscribe(base_ + "/+/state", 1);
  client_->subscribe(base_ + "/+/result", 1);
}

Phone::~Phone() {
  client_.reset();
}

int Phone::zone_of(const std::string& topic, const std::string& suffix) const {
  // <base>/z<i>/<suffix>
  std::size_t prefix = base_.size() + 2;
  if (topic.size() <= prefix + suffix.size() + 1 || topic.compare(0, base_.size(), base_) != 0 ||
      topic[base_.size() + 1] != 'z' ||
      topic.compare(topic.size() - suffix.size() - 1, std::string::npos, "/" + suffix) != 0) {
    return -1;
  }
  int z = 0;
  for (std::size_t i = prefix; i < topic.size() - suffix.size() - 1; ++i) {
    if (topic[i] < '0' || topic[i] > '9') return -1;
    z = z * 10 + (topic[i] - '0');
  }
  return z < static_cast<int>(zones_.size()) ? z : -1;
}

void Phone::on_message(Clock::time_point at, const std::string& topic, const std::string& payload) {
  {
    std::lock_guard lock(mutex_);
    if (topic == floor_topic_) {
      floor_back_ = {std::strtoull(payload.c_str(), nullptr, 10), at};
    } else if (int z = zone_of(topic, "state"); z >= 0) {
      ZoneView& v = zones_[static_cast<std::size_t>(z)];
      bool was = v.ready && v.idle;
      ++v.version;
      v.at = at;
      v.ready = payload.find("\"ready\":true") != std::string::npos;
      v.idle = payload.find("\"status\":\"idle\"") != std::string::npos;
      v.fault = payload.find("\"status\":\"fault\"") != std::string::npos;
      ready_ += (v.ready && v.idle ? 1 : 0) - (was ? 1 : 0);
      if (!was && ready_ == static_cast<int>(zones_.size())) all_ready_at_ = at;
    } else if (int r = zone_of(topic, "result"); r >= 0) {
      ResultView& v = results_[static_cast<std::size_t>(r)];
      ++v.version;
      v.ok = payload.find("\"ok\":true") != std::string::npos;
      v.payload = payload;
    }
  }
  changed_.notify_all();
}

void Phone::request(const std::string& topic, const std::string& payload) {
  client_->publish(topic, payload, 1, false);
}

std::optional<double> Phone::floor_sample(std::chrono::milliseconds timeout) {
  std::uint64_t seq = 0;
  {
    std::lock_guard lock(mutex_);
    seq = ++floor_seq_;
  }
  Clock::time_point sent = Clock::now();
  client_->publish(floor_topic_, std::to_string(seq), 1, false);
  std::unique_lock lock(mutex_);
  bool back =
      changed_.wait_for(lock, timeout, [&] { return floor_back_ && floor_back_->first == seq; });
  if (!back) return std::nullopt;
  return std::chrono::duration<double, std::milli>(floor_back_->second - sent).count();
}

int Phone::wait_count(const std::function<bool(const ZoneView&)>& pred, int n,
                      std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  while (true) {
    int count = 0;
    {
      std::lock_guard lock(mutex_);
      for (const auto& v : zones_)
        count += pred(v) ? 1 : 0;
    }
    if (count >= n || Clock::now() >= until) return count;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
}

void Phone::forget_states() {
  std::lock_guard lock(mutex_);
  for (auto& v : zones_)
    v = ZoneView{};
  ready_ = 0;
}

Clock::time_point Phone::last_ready_at() const {
  std::lock_guard lock(mutex_);
  return all_ready_at_;
}

Phone::ZoneView Phone::zone(int z) const {
  std::lock_guard lock(mutex_);
  return zones_[static_cast<std::size_t>(z)];
}

Phone::ResultView Phone::result(int z) const {
  std::lock_guard lock(mutex_);
  return results_[static_cast<std::size_t>(z)];
}

bool Phone::wait_zone(int z, const std::function<bool(const ZoneView&)>& pred,
                      std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout,
                           [&] { return pred(zones_[static_cast<std::size_t>(z)]); });
}

int Phone::wait_all_ready(std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  std::vector<bool> reset_sent(zones_.size(), false);
  while (true) {
    std::vector<int> faulted;
    {
      std::unique_lock lock(mutex_);
      changed_.wait_until(lock, std::min(until, Clock::now() + std::chrono::milliseconds{200}),
                          [&] { return ready_ == static_cast<int>(zones_.size()); });
      if (ready_ == static_cast<int>(zones_.size()) || Clock::now() >= until) return ready_;
      for (std::size_t z = 0; z < zones_.size(); ++z) {
        if (zones_[z].fault && !reset_sent[z]) faulted.push_back(static_cast<int>(z));
      }
    }
    // A zone latched in a fault (an ack_timeout when padtimerd fell behind at start-up,
    // say) is reset as a user would; the count is reported.
    for (int z : faulted) {
      reset_sent[static_cast<std::size_t>(z)] = true;
      ++resets_;
      request(base_ + "/z" + std::to_string(z) + "/reset", "");
    }
  }
}

std::optional<Phone::ResultView> Phone::wait_result(int z, std::uint64_t after_version,
                                                    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  auto& r = results_[static_cast<std::size_t>(z)];
  if (!changed_.wait_for(lock, timeout, [&] { return r.version > after_version; }))
    return std::nullopt;
  return r;
}

}  // namespace padtimer::bench
