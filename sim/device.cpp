#include "sim/device.h"

#include <algorithm>

#include "json/json.h"

namespace padtimer::sim {

namespace {

std::chrono::steady_clock::duration to_steady(Seconds s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(s);
}

std::string on_words(Output output) {
  return output == Output::off ? "OFF" : "ON (" + std::string(to_string(output)) + ")";
}

}  // namespace

Device::Device(std::string family, CommonSettings settings, Now start)
    : family_(std::move(family)),
      settings_(std::move(settings)),
      thermal_(settings_.thermal, settings_.initial_temperature.value_or(settings_.thermal.room),
               start.mono),
      next_telemetry_(start.mono + to_steady(settings_.telemetry_period)) {}

Timer Device::timer_after(Seconds after, Output target, Now now) {
  return Timer{now.mono + to_steady(after), target, now.mono};
}

std::optional<Timer> Device::auto_off_for(Output target, std::optional<Seconds> after, Now now) {
  if (target == Output::off || !after) return std::nullopt;
  return timer_after(*after, Output::off, now);
}

std::optional<Output> Device::switch_word(std::string_view word) const {
  if (word == "on") return on_output();
  if (word == "off") return Output::off;
  if (word == "toggle") return output_ == Output::off ? on_output() : Output::off;
  return std::nullopt;
}

void Device::ignored(Reaction& r, std::string_view topic, std::string_view why) {
  r.lines.push_back("ignored " + std::string(topic) + ": " + std::string(why));
}

Reaction Device::handle(std::string_view topic, std::string_view payload, Now now) {
  Reaction r;
  if (faults_.has(Fault::offline)) {
    r.lines.push_back("offline, ignored " + std::string(topic));
  } else if (faults_.has(Fault::silent)) {
    r.lines.push_back("silent, ignored " + std::string(topic));
  } else {
    on_message(topic, payload, now, r);
  }
  return r;
}

Reaction Device::connected(Now now) {
  Reaction r;
  Availability av = availability();
  bool offline = faults_.has(Fault::offline);
  if (!av.is_will && !av.topic.empty()) {
    r.publish.push_back({av.topic, offline ? av.offline : av.online, 1, true});
  }
  if (!offline) on_connected(now, r);
  r.physical_changed = true;
  return r;
}

Time Device::next_deadline() const {
  Time next = next_telemetry_;
  if (timer_ && timer_->at < next) next = timer_->at;
  if (auto own = protocol_deadline(); own && *own < next) next = *own;
  return next;
}

Reaction Device::handle_timeout(Now now) {
  Reaction r;
  if (timer_ && timer_->at <= now.mono) fire_timer(now, r);
  if (auto own = protocol_deadline(); own && *own <= now.mono) on_protocol_deadline(now, r);
  if (next_telemetry_ <= now.mono) {
    on_telemetry(now, r);
    r.physical_changed = true;
    auto period = std::max(to_steady(settings_.telemetry_period),
                           std::chrono::steady_clock::duration{std::chrono::milliseconds{1}});
    // Whole periods from the first, so telemetry never drifts; missed ones are skipped.
    auto behind = (now.mono - next_telemetry_) / period;
    next_telemetry_ += (behind + 1) * period;
  }
  // Nothing gets out of a device that is offline (the relay still does what it does).
  if (faults_.has(Fault::offline)) r.publish.clear();
  return r;
}

void Device::fire_timer(Now now, Reaction& r) {
  Timer t = *timer_;
  timer_.reset();
  r.physical_changed = true;
  commanded_ = t.target;
  const char* what = t.target == Output::off ? "auto-off fired" : "auto-on fired";
  if (faults_.has(Fault::welded) && output_ != Output::off && t.target != output_) {
    r.lines.push_back(std::string(what) + ", relay welded, stays " + on_words(output_));
    return;
  }
  if (output_ == t.target) {
    r.lines.push_back(std::string(what) + ", relay already " + on_words(output_));
    return;
  }
  apply_output(t.target, t.at);
  r.lines.push_back(std::string(what) + ", relay " + on_words(output_));
  on_output_changed(now, r);
}

void Device::apply_output(Output output, Time at) {
  output_ = output;
  thermal_.set(output, thermal_.level(), at);
}

bool Device::switch_to(Output target, std::optional<Timer> timer, Now now, Reaction& r) {
  Output before = output_;
  commanded_ = target;
  bool stuck = faults_.has(Fault::welded) && before != Output::off && target != before;
  Output result = stuck ? before : target;
  timer_ = timer;
  bool changed = result != before;
  if (changed) apply_output(result, now.mono);
  r.physical_changed = true;

  std::string line;
  if (stuck) {
    line = "relay welded, stays " + on_words(before) + ", told " +
           (target == Output::off ? std::string("OFF") : on_words(target));
  } else if (changed) {
    line = "relay " + on_words(result);
  } else {
    line = "relay still " + on_words(result);
  }
  if (timer_) {
    line += timer_->target == Output::off ? ", auto-off in " : ", auto-on in ";
    line += format_seconds(timer_->at - now.mono) + " s";
  }
  r.lines.push_back(std::move(line));
  return changed;
}

void Device::set_timer(std::optional<Timer> timer, Reaction& r) {
  timer_ = timer;
  r.physical_changed = true;
}

void Device::set_level(int level, Time now) {
  thermal_.set(output_, level, now);
}

std::optional<double> Device::sensor_reading(Time now) const {
  if (!settings_.has_sensor || faults_.has(Fault::sensor_silent)) return std::nullopt;
  if (faults_.has(Fault::sensor_hot)) return kHotReading;
  if (faults_.has(Fault::sensor_stuck)) return stuck_reading_;
  return round1(thermal_.temperature(now));
}

std::optional<Seconds> Device::auto_off_remaining(Time now) const {
  if (!timer_ || timer_->target != Output::off) return std::nullopt;
  return std::max(Seconds{0}, Seconds(timer_->at - now));
}

std::string Device::physical_json(Time now) const {
  json::Value faults = json::Value::array();
  for (const auto& name : faults_.names())
    faults.push_back(name);
  json::Value remaining;
  if (auto left = auto_off_remaining(now)) remaining = round1(left->count());
  return json::Value::object({{"output", to_string(output_)},
                              {"temperature", round1(thermal_.temperature(now))},
                              {"auto_off_remaining", remaining},
                              {"faults", faults}})
      .dump();
}

Reaction Device::fault_command(std::string_view payload, Now now) {
  FaultParse parsed = parse_fault_command(payload);
  if (!parsed.command) {
    Reaction r;
    r.lines.push_back("ignored fault command: " + parsed.error);
    return r;
  }
  return apply_faults(*parsed.command, now);
}

Reaction Device::apply_faults(const FaultCommand& command, Now now) {
  Reaction r;
  r.physical_changed = true;
  const Faults before = faults_;
  if (command.clear) {
    for (Fault f : kAllFaults)
      faults_.set(f, false);
    r.lines.push_back("faults cleared");
  }
  for (auto [fault, on] : command.changes) {
    if (fault == Fault::sensor_stuck && on && !faults_.has(Fault::sensor_stuck)) {
      stuck_reading_ =
          faults_.has(Fault::sensor_hot) ? kHotReading : round1(thermal_.temperature(now.mono));
    }
    faults_.set(fault, on);
    r.lines.push_back("fault " + std::string(to_string(fault)) + (on ? " set" : " cleared"));
  }
  auto changed = [&](Fault f) { return before.has(f) != faults_.has(f); };
  const bool offline = faults_.has(Fault::offline);

  if (changed(Fault::offline)) {
    Availability av = availability();
    if (av.is_will) {
      r.link = offline ? Link::go_offline : Link::go_online;  // the transport says the word
    } else if (!av.topic.empty()) {
      r.publish.push_back({av.topic, offline ? av.offline : av.online, 1, true});
      if (!offline) on_connected(now, r);
    }
  }
  // A weld that gives way: the relay follows what it was last told.
  if (changed(Fault::welded) && !faults_.has(Fault::welded) && output_ != commanded_) {
    apply_output(commanded_, now.mono);
    r.lines.push_back("weld released, relay " + on_words(output_));
    if (!offline) on_output_changed(now, r);
  }
  // A sensor that goes hot or sticks shows it in a report right away.
  if (!offline && (changed(Fault::sensor_hot) || changed(Fault::sensor_stuck)) &&
      sensor_reading(now.mono)) {
    on_telemetry(now, r);
  }
  return r;
}

std::vector<Publish> Device::shutdown_messages() const {
  Availability av = availability();
  if (av.is_will || av.topic.empty() || faults_.has(Fault::offline)) return {};
  return {{av.topic, av.offline, 1, true}};
}

bool Device::link_wanted() const {
  return !(faults_.has(Fault::offline) && availability().is_will);
}

}  // namespace padtimer::sim
