#include "sim/tasmota.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>

#include "json/json.h"
#include "sim/text.h"

namespace padtimer::sim {

std::optional<Seconds> pulse_time_duration(int setting) {
  if (setting <= 0 || setting > kPulseTimeMax) return std::nullopt;
  if (setting <= 111) return Seconds{setting / 10.0};
  return Seconds{static_cast<double>(setting - 100)};
}

int pulse_time_setting(Seconds left) {
  double s = std::max(0.0, left.count());
  if (s <= 0.0) return 0;
  if (s <= 11.1) return static_cast<int>(std::ceil(s * 10.0 - 1e-9));
  return std::min(kPulseTimeMax, static_cast<int>(std::ceil(s - 1e-9)) + 100);
}

std::optional<TasmotaCommandName> split_tasmota_command(std::string_view command) {
  std::size_t letters = 0;
  while (letters < command.size() && std::isalpha(static_cast<unsigned char>(command[letters])))
    ++letters;
  if (letters == 0) return std::nullopt;
  TasmotaCommandName out{lower(command.substr(0, letters)), std::nullopt};
  std::string_view digits = command.substr(letters);
  if (!digits.empty()) {
    if (digits.size() > 3) return std::nullopt;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    out.index = static_cast<int>(*parse_integer(digits));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_backlog(std::string_view payload) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!payload.empty() && out.size() < kBacklogMax) {
    std::size_t semi = payload.find(';');
    std::string_view entry = trim(payload.substr(0, semi));
    payload = semi == std::string_view::npos ? std::string_view{} : payload.substr(semi + 1);
    if (entry.empty()) continue;
    std::size_t space = entry.find_first_of(" \t");
    if (space == std::string_view::npos) {
      out.emplace_back(std::string(entry), std::string());
    } else {
      out.emplace_back(std::string(entry.substr(0, space)),
                       std::string(trim(entry.substr(space + 1))));
    }
  }
  return out;
}

std::string tasmota_time(WallTime wall) {
  std::time_t t = std::chrono::system_clock::to_time_t(wall);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

Tasmota::Tasmota(CommonSettings common, TasmotaSettings settings, Now start)
    : Device("tasmota", std::move(common), start),
      settings_(std::move(settings)),
      backlog_delay_ms_(std::clamp(settings_.backlog_delay_ms, 0, kBacklogDelayMax)),
      backlog_timer_(start.mono) {
  pulse_.at(static_cast<std::size_t>(settings_.relay - 1)) = settings_.pulse_time;
}

std::vector<std::string> Tasmota::backlog() const {
  std::vector<std::string> out;
  for (const auto& [command, param] : backlog_)
    out.push_back(param.empty() ? command : command + " " + param);
  return out;
}

std::vector<std::string> Tasmota::subscriptions() const {
  return {"cmnd/" + settings_.topic + "/+"};
}

Availability Tasmota::availability() const {
  return {"tele/" + settings_.topic + "/LWT", "Online", "Offline", true};
}

std::string Tasmota::power_key() const {
  return settings_.relays > 1 ? "POWER" + std::to_string(settings_.relay) : "POWER";
}

std::string Tasmota::stat_power_topic() const {
  return "stat/" + settings_.topic + "/" + power_key();
}

void Tasmota::result(Reaction& r, std::string payload) const {
  r.publish.push_back({"stat/" + settings_.topic + "/RESULT", std::move(payload)});
}

void Tasmota::publish_power(Reaction& r) const {
  const char* word = output() == Output::off ? "OFF" : "ON";
  result(r, json::Value::object({{power_key(), word}}).dump());
  r.publish.push_back({stat_power_topic(), word});
}

void Tasmota::on_message(std::string_view topic, std::string_view payload, Now now, Reaction& r) {
  std::string prefix = "cmnd/" + settings_.topic + "/";
  if (topic.substr(0, prefix.size()) != prefix) return ignored(r, topic, "not a command topic");
  // One pass of Tasmota's main loop: the MQTT message first (MqttDataHandler runs it at
  // once), then BacklogLoop, which may run a queued entry if its time has come.
  execute(topic.substr(prefix.size()), payload, now, r);
  loop_pass(now, r);
}

std::optional<Time> Tasmota::protocol_deadline() const {
  if (backlog_.empty()) return std::nullopt;
  return backlog_timer_;
}

void Tasmota::on_protocol_deadline(Now now, Reaction& r) {
  loop_pass(now, r);
}

void Tasmota::loop_pass(Now now, Reaction& r) {
  if (backlog_.empty() || backlog_timer_ > now.mono) return;
  auto [command, param] = std::move(backlog_.front());
  backlog_.pop_front();
  execute(command, param, now, r);  // pushes the timer to now + SetOption34
  // One entry per pass: the next one a pass later at the soonest, and with Backlog0 then,
  // without the SetOption34 wait.
  backlog_timer_ =
      std::max(backlog_nodelay_ ? now.mono : backlog_timer_, now.mono + kTasmotaLoopPass);
  if (backlog_.empty()) backlog_nodelay_ = false;
}

void Tasmota::execute(std::string_view command, std::string_view param, Now now, Reaction& r) {
  // CommandHandler, for every command from MQTT or from the Backlog queue alike.
  backlog_timer_ = now.mono + std::chrono::milliseconds{backlog_delay_ms_};
  auto unknown = [&](std::string_view why) {
    ignored(r, command, why);
    result(r, R"({"Command":"Unknown"})");
  };
  auto name = split_tasmota_command(command);
  if (!name) return unknown("unknown command");
  if (name->name == "power") return power(name->index.value_or(1), trim(param), now, r);
  if (name->name == "pulsetime") {
    return set_pulse_time(name->index.value_or(1), trim(param), now, r);
  }
  if (name->name == "setoption") return set_option(name->index, trim(param), r);
  if (name->name == "backlog") return queue_backlog(name->index, param, now, r);
  unknown("unknown command");
}

void Tasmota::queue_backlog(std::optional<int> index, std::string_view param, Now now,
                            Reaction& r) {
  // Backlog and Backlog1 wait SetOption34 between entries, Backlog0 does not; Backlog2 and
  // Backlog3 (no MQTT replies) are not simulated.
  if (index && *index != 0 && *index != 1) {
    ignored(r, "Backlog" + std::to_string(*index), "only Backlog, Backlog0 and Backlog1");
    return result(r, R"({"Command":"Unknown"})");
  }
  if (trim(param).empty()) {  // clears the queue
    result(r, backlog_.empty() ? R"({"Backlog":"Empty"})" : R"({"Backlog":"Aborted"})");
    if (!backlog_.empty()) r.lines.push_back("Backlog aborted");
    backlog_.clear();
    backlog_nodelay_ = false;
    return;
  }
  backlog_nodelay_ = index == 0;
  std::size_t queued = 0;
  for (auto [command, arg] : parse_backlog(param)) {
    // CmndBacklog drops a leading "Backlog" from each entry.
    while (lower(command) == "backlog" && !arg.empty()) {
      std::size_t space = arg.find_first_of(" \t");
      command = arg.substr(0, space);
      arg = space == std::string::npos ? std::string() : std::string(trim(arg.substr(space)));
    }
    if (lower(command) == "backlog") continue;
    backlog_.emplace_back(std::move(command), std::move(arg));
    ++queued;
  }
  backlog_timer_ = now.mono;  // the first entry runs in this very pass
  r.lines.push_back("Backlog" + std::string(backlog_nodelay_ ? "0" : "") + " queued " +
                    std::to_string(queued) + (queued == 1 ? " command" : " commands"));
}

void Tasmota::set_option(std::optional<int> index, std::string_view param, Reaction& r) {
  // Only SetOption34, the Backlog delay: 0..255 ms.
  if (index != 34) {
    ignored(r, "SetOption" + (index ? std::to_string(*index) : std::string()),
            "only SetOption34 is simulated");
    return result(r, R"({"Command":"Unknown"})");
  }
  if (!param.empty()) {
    auto value = parse_integer(param);
    if (!value || *value < 0 || *value > kBacklogDelayMax) {
      ignored(r, "SetOption34", "bad parameter '" + std::string(param) + "' (0..255)");
      return result(r, R"({"Command":"Error"})");
    }
    backlog_delay_ms_ = static_cast<int>(*value);
    r.lines.push_back("SetOption34 set to " + std::to_string(backlog_delay_ms_) +
                      " (Backlog delay in ms)");
  }
  result(r, json::Value::object({{"SetOption34", backlog_delay_ms_}}).dump());
}

void Tasmota::power(int index, std::string_view param, Now now, Reaction& r) {
  std::string command = "Power" + std::to_string(index);
  if (index < 1 || index > settings_.relays) {
    ignored(r, command, "no such relay");
    return result(r, R"({"Command":"Unknown"})");
  }
  // Another relay of the same plug: another sim device (same topic) may play it.
  if (index != settings_.relay) return;
  std::string word = lower(param);
  if (word.empty()) return publish_power(r);  // a query
  if (word == "1" || word == "true") word = "on";
  if (word == "0" || word == "false") word = "off";
  if (word == "2") word = "toggle";
  auto target = switch_word(word);
  if (!target) {
    ignored(r, command, "bad parameter '" + std::string(param) + "'");
    return result(r, R"({"Command":"Error"})");
  }
  auto pulse = pulse_time_duration(pulse_time(settings_.relay));
  switch_to(*target, auto_off_for(*target, pulse, now), now, r);
  publish_power(r);
}

void Tasmota::set_pulse_time(int index, std::string_view param, Now now, Reaction& r) {
  std::string command = "PulseTime" + std::to_string(index);
  if (index < 1 || index > kTasmotaMaxRelays) {
    ignored(r, command, "no such pulse timer");
    return result(r, R"({"Command":"Unknown"})");
  }
  std::size_t slot = static_cast<std::size_t>(index - 1);
  if (param.empty() && index != settings_.relay && index <= settings_.relays) return;
  if (!param.empty()) {
    auto value = parse_integer(param);
    if (!value || *value < 0 || *value > kPulseTimeMax) {
      ignored(r, command, "bad parameter '" + std::string(param) + "' (0..64900)");
      return result(r, R"({"Command":"Error"})");
    }
    pulse_[slot] = static_cast<int>(*value);
    if (index != settings_.relay && index <= settings_.relays) return;  // another relay's
    auto d = pulse_time_duration(pulse_[slot]);
    std::string line = command + " set to " + std::to_string(pulse_[slot]) +
                       (d ? " (" + format_seconds(*d) + " s)" : " (off)");
    if (index == settings_.relay) {
      // SetPulseTimer arms the countdown at once, ON or OFF: running out while OFF changes
      // nothing, and the next Power ON restarts it anyway.
      const bool had = timer().has_value();
      set_timer(d ? std::optional<Timer>(timer_after(*d, Output::off, now)) : std::nullopt, r);
      if (d) {
        line += ", auto-off in " + format_seconds(*d) + " s";
      } else if (had) {
        line += ", auto-off cancelled";
      }
    }
    r.lines.push_back(std::move(line));
  }
  int remaining = 0;
  if (index == settings_.relay) {
    if (auto left = auto_off_remaining(now.mono)) remaining = pulse_time_setting(*left);
  }
  result(r, json::Value::object(
                {{command, json::Value::object({{"Set", pulse_[slot]}, {"Remaining", remaining}})}})
                .dump());
}

void Tasmota::on_output_changed(Now, Reaction& r) {
  publish_power(r);
}

void Tasmota::on_connected(Now now, Reaction& r) {
  r.publish.push_back({stat_power_topic(), output() == Output::off ? "OFF" : "ON"});
  on_telemetry(now, r);
}

void Tasmota::on_telemetry(Now now, Reaction& r) {
  auto reading = sensor_reading(now.mono);
  if (!reading) return;
  r.publish.push_back(
      {"tele/" + settings_.topic + "/SENSOR",
       json::Value::object({{"Time", tasmota_time(now.wall)},
                            {settings_.sensor, json::Value::object({{"Temperature", *reading}})},
                            {"TempUnit", "C"}})
           .dump()});
}

}  // namespace padtimer::sim
