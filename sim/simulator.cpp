#include "sim/simulator.h"

#include <unistd.h>

#include <algorithm>

namespace padtimer::sim {

namespace asio = boost::asio;

Now Simulator::now() {
  return Now{std::chrono::steady_clock::now(), std::chrono::system_clock::now()};
}

Simulator::Simulator(asio::io_context& io, const std::string& broker,
                     std::vector<std::unique_ptr<Device>> devices, Printer print)
    : io_(io), broker_(broker), print_(std::move(print)) {
  // Client ids carry the pid, so a second sim on the same broker never kicks this one off.
  const std::string id_prefix = "padtimer-sim-" + std::to_string(::getpid());
  for (auto& device : devices) {
    auto slot = std::make_unique<Slot>();
    Slot* raw = slot.get();
    slot->device = std::move(device);
    mqtt::Settings settings;
    settings.url = broker_;
    settings.client_id = id_prefix + "-" + raw->device->name();
    settings.reconnect_max = std::chrono::seconds{2};
    Availability av = raw->device->availability();
    if (av.is_will) {
      settings.status_topic = av.topic;
      settings.status_online = av.online;
      settings.status_offline = av.offline;
    }
    mqtt::Transport::Handlers handlers;
    handlers.connected = [this, raw] { on_device_connected(*raw); };
    handlers.lost = [this, raw](const std::string& cause) { on_device_lost(*raw, cause); };
    handlers.message = [this, raw](const mqtt::Message& m) {
      apply(*raw, raw->device->handle(m.topic, m.payload, now()));
    };
    slot->transport = std::make_unique<mqtt::Transport>(io_, settings, std::move(handlers));
    slot->transport->set_subscriptions(raw->device->subscriptions());
    slot->timer = std::make_unique<asio::steady_timer>(io_);
    slots_.push_back(std::move(slot));
  }

  mqtt::Settings settings;
  settings.url = broker_;
  settings.client_id = id_prefix;
  settings.reconnect_max = std::chrono::seconds{2};
  settings.status_topic = std::string(kTopicPrefix) + "status";
  mqtt::Transport::Handlers handlers;
  handlers.connected = [this] {
    control_connected_ = true;
    for (const auto& slot : slots_)
      publish_physical(*slot);
    check_all_connected();
  };
  handlers.lost = [this](const std::string& cause) {
    control_connected_ = false;
    all_connected_ = false;
    print_("padtimer-sim: control client disconnected: " + cause);
  };
  handlers.message = [this](const mqtt::Message& m) { on_control_message(m); };
  control_ = std::make_unique<mqtt::Transport>(io_, settings, std::move(handlers));
  control_->set_subscriptions({std::string(kTopicPrefix) + "+/fault"});
}

Simulator::~Simulator() = default;

void Simulator::start() {
  for (auto& slot : slots_) {
    record(*slot);
    if (slot->device->link_wanted()) slot->transport->start();
    arm(*slot);
  }
  control_->start();
}

void Simulator::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& slot : slots_) {
    slot->timer->cancel();
    for (const auto& p : slot->device->shutdown_messages()) {
      slot->transport->publish(p.topic, p.payload, p.qos, p.retained);
    }
    slot->transport->stop();  // the will topic's offline word, then a clean disconnect
    slot->connected = false;
  }
  control_->stop();
}

void Simulator::apply(Slot& slot, Reaction reaction) {
  const std::string& name = slot.device->name();
  for (const auto& line : reaction.lines)
    print_(name + ": " + line);
  for (const auto& p : reaction.publish) {
    slot.transport->publish(p.topic, p.payload, p.qos, p.retained);
  }
  if (reaction.physical_changed) publish_physical(slot);
  if (slot.device->output() != slot.recorded) record(slot);
  if (!stopped_) {
    if (reaction.link == Link::go_offline) {
      slot.transport->stop();
      slot.connected = false;
      check_all_connected();
    } else if (reaction.link == Link::go_online) {
      slot.transport->start();
    }
  }
  arm(slot);
}

void Simulator::record(Slot& slot) {
  slot.recorded = slot.device->output();
  if (!record_) return;
  auto t = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
  // Device names are letters, digits, '_', '-' and '.' (checked by the config): no escaping.
  record_("{\"t_ns\":" + std::to_string(t.count()) + ",\"device\":\"" + slot.device->name() +
          "\",\"role\":\"" + std::string(to_string(slot.device->role())) + "\",\"output\":\"" +
          std::string(to_string(slot.recorded)) + "\"}");
}

void Simulator::arm(Slot& slot) {
  if (stopped_) return;
  slot.timer->expires_at(slot.device->next_deadline());
  slot.timer->async_wait([this, s = &slot](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    apply(*s, s->device->handle_timeout(now()));
  });
}

void Simulator::publish_physical(const Slot& slot) {
  if (!control_connected_) return;
  control_->publish(std::string(kTopicPrefix) + slot.device->name() + "/physical",
                    slot.device->physical_json(now().mono), 0, false);
}

void Simulator::on_device_connected(Slot& slot) {
  slot.connected = true;
  print_(slot.device->name() + ": connected");
  apply(slot, slot.device->connected(now()));
  check_all_connected();
}

void Simulator::on_device_lost(Slot& slot, const std::string& cause) {
  slot.connected = false;
  all_connected_ = false;
  print_(slot.device->name() + ": disconnected: " + cause);
}

void Simulator::on_control_message(const mqtt::Message& message) {
  // padtimer-sim/<name>/fault
  std::string_view topic = message.topic;
  std::string_view prefix = kTopicPrefix;
  std::string_view suffix = "/fault";
  if (topic.size() <= prefix.size() + suffix.size() || topic.substr(0, prefix.size()) != prefix ||
      topic.substr(topic.size() - suffix.size()) != suffix) {
    return;
  }
  std::string_view name = topic.substr(prefix.size(), topic.size() - prefix.size() - suffix.size());
  auto it = std::find_if(slots_.begin(), slots_.end(),
                         [&](const auto& s) { return s->device->name() == name; });
  if (it == slots_.end()) {
    print_("padtimer-sim: ignored fault for unknown device '" + std::string(name) + "'");
    return;
  }
  apply(**it, (*it)->device->fault_command(message.payload, now()));
}

void Simulator::check_all_connected() {
  if (all_connected_ || stopped_) return;
  if (!control_connected_) return;
  std::size_t offline = 0;
  for (const auto& slot : slots_) {
    if (!slot->device->link_wanted()) {
      ++offline;
    } else if (!slot->connected) {
      return;
    }
  }
  all_connected_ = true;
  std::string line = std::string("padtimer-sim: ") +
                     (announced_ ? "reconnected, " : "connected, ") +
                     std::to_string(slots_.size()) + " devices";
  if (offline > 0) line += " (" + std::to_string(offline) + " offline)";
  print_(line);
  announced_ = true;
}

}  // namespace padtimer::sim
