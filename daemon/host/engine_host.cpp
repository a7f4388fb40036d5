#include "host/engine_host.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <string_view>

#include "core/time_format.h"

namespace padtimer::host {

EngineHost::EngineHost(boost::asio::io_context& io, core::EngineConfig config, Drivers drivers,
                       const std::vector<core::ZoneHistory>& history, mqtt::Settings mqtt_settings,
                       Clock clock, Sink sink)
    : clock_(std::move(clock)),
      sink_(std::move(sink)),
      engine_(std::make_unique<core::Engine>(std::move(config), history, clock_.now())),
      transport_(io, std::move(mqtt_settings),
                 {[this] { handle(core::BrokerConnection{true}); },
                  [this](const std::string&) { handle(core::BrokerConnection{false}); },
                  [this](const mqtt::Message& m) { on_message(m); }}),
      timer_(io) {
  adopt_drivers(std::move(drivers));
  update_subscriptions();
  // The engine's first commands (every device OFF) cannot reach anyone yet; it sends
  // them again once the broker is connected.
  drain();
}

void EngineHost::adopt_drivers(Drivers drivers) {
  drivers_ = std::move(drivers);
  driver_by_device_.clear();
  topic_index_.clear();
  wildcard_drivers_.clear();
  for (std::size_t i = 0; i < drivers_.size(); ++i) {
    for (const auto& filter : drivers_[i]->subscriptions()) {
      if (filter.find_first_of("+#") != std::string::npos) {
        if (wildcard_drivers_.empty() || wildcard_drivers_.back() != i)
          wildcard_drivers_.push_back(i);
      } else {
        topic_index_.emplace_back(std::hash<std::string_view>{}(filter), i);
      }
    }
  }
  std::sort(topic_index_.begin(), topic_index_.end());
  topic_index_.erase(std::unique(topic_index_.begin(), topic_index_.end()), topic_index_.end());
  topic_index_.shrink_to_fit();
  reported_problems_.clear();
  for (const auto& driver : drivers_) {
    driver_by_device_[driver->device().id] = driver.get();
    for (const auto& note : driver->notes())
      spdlog::warn("{}: {}", driver->device().id, note);
  }
}

void EngineHost::update_subscriptions() {
  std::vector<std::string> filters = extra_filters_;
  for (const auto& driver : drivers_) {
    for (auto& f : driver->subscriptions())
      filters.push_back(std::move(f));
  }
  std::sort(filters.begin(), filters.end());
  filters.erase(std::unique(filters.begin(), filters.end()), filters.end());
  transport_.set_subscriptions(std::move(filters));
}

void EngineHost::add_topics(std::vector<std::string> filters, MessageHook hook) {
  extra_filters_.insert(extra_filters_.end(), filters.begin(), filters.end());
  update_subscriptions();
  if (hook) message_hook_ = std::move(hook);
}

void EngineHost::reconfigure(core::EngineConfig config, Drivers drivers,
                             const std::vector<core::ZoneHistory>& history) {
  // Whatever the old engine still had to say (its last states) goes out first.
  drain();
  // A device gone from the configuration is told OFF once more by its old driver: the new
  // engine will never speak to it, and it may not have confirmed its last OFF.
  std::set<std::string_view> kept;
  for (const core::DeviceSpec& d : config.devices)
    kept.insert(d.id);
  for (const auto& driver : drivers_) {
    const std::string& id = driver->device().id;
    if (kept.contains(id)) continue;
    if (!engine_->confirmed(id) || engine_->commanded(id) != core::Output::off) {
      spdlog::warn("{}: removed from the configuration before it confirmed OFF; told OFF again",
                   id);
    }
    for (const auto& out : driver->encode(core::SetOutput{id, core::Output::off, std::nullopt}))
      transport_.publish(out.topic, out.payload, out.qos, out.retained);
  }
  engine_ = std::make_unique<core::Engine>(std::move(config), history, clock_.now());
  adopt_drivers(std::move(drivers));
  update_subscriptions();
  // Like a fresh connection: every device is told OFF again and must confirm it.
  if (transport_.connected()) engine_->handle(core::BrokerConnection{true}, clock_.now());
  drain();
}

void EngineHost::start() {
  transport_.start();
  arm_timer();
}

void EngineHost::stop() {
  timer_.cancel();
  transport_.stop();
}

core::Now EngineHost::now_for_engine() {
  core::Now now = clock_.now();
  if (history_ && engine_->history_stale(now)) {
    spdlog::info("the wall clock moved (now {}): reading rest and exposure again for today",
                 core::describe_moment(now.wall, now));
    engine_->handle(core::StoredHistory{history_(now)}, now);
  }
  return now;
}

void EngineHost::handle(const core::Event& event) {
  core::Now now = now_for_engine();
  engine_->handle(event, now);
  drain();
}

void EngineHost::on_message(const mqtt::Message& message) {
  if (message_hook_ && message_hook_(message)) {
    drain();
    return;
  }
  bool matched = false;
  std::vector<std::size_t> listeners = wildcard_drivers_;
  const std::size_t hash = std::hash<std::string_view>{}(message.topic);
  auto first = std::lower_bound(topic_index_.begin(), topic_index_.end(),
                                std::pair<std::size_t, std::size_t>{hash, 0});
  for (auto it = first; it != topic_index_.end() && it->first == hash; ++it)
    listeners.push_back(it->second);
  // In configuration order, as when every driver was asked.
  if (!wildcard_drivers_.empty()) {
    std::sort(listeners.begin(), listeners.end());
    listeners.erase(std::unique(listeners.begin(), listeners.end()), listeners.end());
  }
  for (std::size_t index : listeners) {
    const auto& driver = drivers_[index];
    auto decoded = driver->decode(message.topic, message.payload);
    if (!decoded) continue;
    matched = true;
    if (!decoded->problem.empty()) {
      // Logged once per device and problem, then quietly: a chatty broken device must not
      // flood the journal.
      std::string key = driver->device().id + "\n" + decoded->problem;
      bool first = reported_problems_.insert(key).second;
      spdlog::log(first ? spdlog::level::warn : spdlog::level::debug,
                  "{}: ignored message on {}: {}", driver->device().id, message.topic,
                  decoded->problem);
    }
    for (auto& event : decoded->events) {
      // Drivers see payloads; whether the broker replayed it from its store is the host's.
      if (auto* availability = std::get_if<core::DeviceAvailability>(&event))
        availability->retained = message.retained;
      if (auto* report = std::get_if<core::DeviceReport>(&event))
        report->retained = message.retained;
      engine_->handle(event, now_for_engine());
    }
  }
  if (!matched) spdlog::debug("no device uses topic {}", message.topic);
  drain();
}

void EngineHost::drain() {
  for (const core::Command& command : engine_->take_commands()) {
    if (const auto* query = std::get_if<core::QueryState>(&command)) {
      auto it = driver_by_device_.find(query->device);
      if (it == driver_by_device_.end()) continue;
      for (const auto& out : it->second->encode(*query))
        transport_.publish(out.topic, out.payload, out.qos, out.retained);
      continue;
    }
    const auto* set = std::get_if<core::SetOutput>(&command);
    if (!set) {
      if (sink_) sink_(command);
      continue;
    }
    auto it = driver_by_device_.find(set->device);
    if (it == driver_by_device_.end()) {
      spdlog::error("engine commanded unknown device {}", set->device);
      continue;
    }
    // Devices keep real time: under --time-scale their auto-off lease shrinks with the clock,
    // so a pad still switches itself off when its phase would have ended.
    core::SetOutput device_command = *set;
    if (device_command.auto_off)
      device_command.auto_off = clock_.real_delay(*device_command.auto_off);
    for (const auto& out : it->second->encode(device_command)) {
      transport_.publish(out.topic, out.payload, out.qos, out.retained);
    }
  }
  arm_timer();
  if (activity_) activity_();
}

void EngineHost::arm_timer() {
  auto deadline = engine_->next_deadline();
  if (!deadline) {
    timer_.cancel();
    return;
  }
  core::Duration wait = *deadline - clock_.now().mono;
  timer_.expires_after(clock_.real_delay(std::max(wait, core::Duration::zero())));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: re-armed or stopping
    engine_->handle_timeout(now_for_engine());
    drain();
  });
}

}  // namespace padtimer::host
