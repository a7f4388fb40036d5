// Runs the engine at the edge: the one io_context thread feeds it events and the time,
// carries its SetOutput commands to device drivers and the transport, turns device
// messages into engine events, and keeps exactly one timer armed for its next deadline.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/engine.h"
#include "devices/driver.h"
#include "host/clock.h"
#include "mqtt/transport.h"

namespace padtimer::host {

class EngineHost {
 public:
  using Drivers = std::vector<std::unique_ptr<devices::Driver>>;
  // Receives every command that is not a device command: PersistSafety, PublishState,
  // PublishEvent, Reply. It is called in the engine's order, so a PersistSafety is kept
  // before the ON that follows it goes out.
  using Sink = std::function<void(const core::Command&)>;
  // What persistence knows at a given time: the host hands it to the engine whenever the
  // wall clock has moved (Engine::history_stale), before the event that noticed it.
  using HistorySource = std::function<std::vector<core::ZoneHistory>(const core::Now&)>;
  // Called after every batch of engine work (tests wait on it instead of sleeping).
  using Activity = std::function<void()>;

  // Builds the engine (which commands every device OFF) and wires the transport's
  // handlers. The transport must not be started yet; call start().
  EngineHost(boost::asio::io_context& io, core::EngineConfig config, Drivers drivers,
             const std::vector<core::ZoneHistory>& history, mqtt::Settings mqtt_settings,
             Clock clock, Sink sink);

  void start();
  void stop();

  // Replaces the engine and the device drivers (a reloaded configuration). The new engine
  // starts as at start-up: every device commanded OFF, nothing running; `history` carries
  // rest intervals, exposure and latched faults over. Subscriptions follow the new drivers.
  void reconfigure(core::EngineConfig config, Drivers drivers,
                   const std::vector<core::ZoneHistory>& history);

  // Feeds an event (a request from the control API, say) at the current time.
  void handle(const core::Event& event);

  const core::Engine& engine() const { return *engine_; }
  mqtt::Transport& transport() { return transport_; }
  void on_activity(Activity activity) { activity_ = std::move(activity); }
  void history_source(HistorySource source) { history_ = std::move(source); }

  // Messages on other topics (the control API): `filters` are subscribed with the device
  // topics, and `hook` sees every message first; returning true means it was handled.
  using MessageHook = std::function<bool(const mqtt::Message&)>;
  void add_topics(std::vector<std::string> filters, MessageHook hook);

 private:
  void on_message(const mqtt::Message& message);
  // The time for the next engine call, with history read again first if the wall clock
  // moved since the engine last took it.
  core::Now now_for_engine();
  void drain();
  void arm_timer();
  void adopt_drivers(Drivers drivers);
  void update_subscriptions();

  Clock clock_;
  Sink sink_;
  Drivers drivers_;
  std::map<std::string, devices::Driver*> driver_by_device_;
  // A message is decoded by the drivers that subscribe to its topic, not by every driver (at
  // 20,000 devices that loop was most of the daemon's CPU time; bench/README.md). Sorted
  // (hash of an exact topic, driver index) pairs: 16 bytes per topic, and a hash collision
  // only asks one more driver, whose decode() checks the topic itself. Drivers with a
  // wildcard filter are asked about every message.
  std::vector<std::pair<std::size_t, std::size_t>> topic_index_;
  std::vector<std::size_t> wildcard_drivers_;
  std::unique_ptr<core::Engine> engine_;
  mqtt::Transport transport_;
  boost::asio::steady_timer timer_;
  Activity activity_;
  MessageHook message_hook_;
  HistorySource history_;
  std::vector<std::string> extra_filters_;   // add_topics()
  std::set<std::string> reported_problems_;  // each bad-message kind is logged once at warn
};

}  // namespace padtimer::host
