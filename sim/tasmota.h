// Tasmota, device side: one relay of a Tasmota plug.
//
//   cmnd/<topic>/Power<n>       ON | OFF | TOGGLE (also 1/0/2, true/false); empty = query
//   cmnd/<topic>/Power          the same for relay 1
//   cmnd/<topic>/PulseTime<n>   0..64900 (see pulse_time_duration); empty = query
//   cmnd/<topic>/SetOption34    0..255: the Backlog delay in ms (default 200); empty = query
//   cmnd/<topic>/Backlog        "PulseTime1 220; Power1 ON": queued, run one by one (below);
//                               Backlog0 without the delay; empty payload = clear the queue
//   stat/<topic>/RESULT         {"POWER":"ON"} ("POWER<n>" on a multi-relay device),
//                               {"PulseTime1":{"Set":220,"Remaining":215}},
//                               {"SetOption34":200}, {"Backlog":"Empty"|"Aborted"},
//                               {"Command":"Unknown"} / {"Command":"Error"}
//   stat/<topic>/POWER[<n>]     ON | OFF, after every Power command and every change
//   tele/<topic>/LWT            Online | Offline, retained (the last will)
//   tele/<topic>/SENSOR         {"Time":"...","DS18B20":{"Temperature":38.2},"TempUnit":"C"}
//
// PulseTime is the device-side auto-off. It is a persistent setting; setting it arms the
// countdown at once, also while the relay is OFF (CmndPulsetime -> SetPulseTimer), every
// Power ON (TOGGLE included) restarts the countdown from it, and Power OFF cancels it
// (ExecuteCommandPower). When it runs out the relay switches OFF and the change is
// published.
//
// Backlog, as Tasmota does it (CmndBacklog in support_command.ino, BacklogLoop in
// tasmota.ino): the entries are only queued, and the main loop runs ONE entry per pass,
// after the MQTT messages of that pass, once backlog_timer has expired. The Backlog command
// sets the timer to now, so the first entry runs at once; every command, a plain one from
// MQTT included, pushes it to now + SetOption34 (CommandHandler). So a plain command sent
// after a Backlog runs before the Backlog's later entries. The sim's main loop passes are
// exact: an entry runs at its deadline (Device::protocol_deadline), but never sooner than
// one pass (kTasmotaLoopPass) after the one before, which is how far Backlog0 spaces them.
//
// A plug with several relays can be played by several sim devices on the same topic
// (relays=2, relay=1 and relay=2): each answers only for its own relay, and each keeps its
// own copy of the plug's Backlog queue (they all receive the same commands).
#pragma once

#include <array>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/device.h"

namespace padtimer::sim {

struct TasmotaSettings {
  std::string topic;
  int relay = 1;   // which relay this device is (1..8)
  int relays = 1;  // how many the plug has; more than one: keys are "POWER<n>"
  std::string sensor = "DS18B20";
  int pulse_time = 0;          // the PulseTime setting at start
  int backlog_delay_ms = 200;  // SetOption34 at start: Tasmota's default, 200 ms
};

inline constexpr int kTasmotaMaxRelays = 8;
inline constexpr int kPulseTimeMax = 64900;
inline constexpr int kBacklogDelayMax = 255;  // SetOption34 is one byte
// One pass of Tasmota's main loop (Sleep 50, its default): the least time between two
// Backlog entries, with Backlog0 or SetOption34 0.
inline constexpr std::chrono::milliseconds kTasmotaLoopPass{50};

// PulseTime encoding: 0 = off; 1..111 = tenths of a second; 112..64900 = seconds + 100.
// Empty for 0 and for values outside 0..64900.
std::optional<Seconds> pulse_time_duration(int setting);
// The setting that encodes `left` (rounded up), as Tasmota reports "Remaining".
int pulse_time_setting(Seconds left);

// "Power1" -> {"power", 1}; "Backlog" -> {"backlog", nullopt}. Names are lower-cased.
// Empty when the text is not letters followed by optional digits.
struct TasmotaCommandName {
  std::string name;
  std::optional<int> index;
};
std::optional<TasmotaCommandName> split_tasmota_command(std::string_view command);

// "PulseTime1 220; Power1 ON" -> {{"PulseTime1","220"},{"Power1","ON"}}: entries are
// trimmed, empty ones skipped, the parameter is what follows the first space.
std::vector<std::pair<std::string, std::string>> parse_backlog(std::string_view payload);
inline constexpr std::size_t kBacklogMax = 30;  // entries beyond are dropped, as on the device

// "2026-11-24T15:20:48" (UTC).
std::string tasmota_time(WallTime wall);

class Tasmota : public Device {
 public:
  Tasmota(CommonSettings common, TasmotaSettings settings, Now start);

  std::vector<std::string> subscriptions() const override;
  Availability availability() const override;

  int pulse_time(int relay) const { return pulse_.at(static_cast<std::size_t>(relay - 1)); }
  int backlog_delay_ms() const { return backlog_delay_ms_; }
  // The Backlog entries still queued ("Power1 ON"), next first.
  std::vector<std::string> backlog() const;

 protected:
  void on_message(std::string_view topic, std::string_view payload, Now now, Reaction& r) override;
  void on_output_changed(Now now, Reaction& r) override;
  void on_connected(Now now, Reaction& r) override;
  void on_telemetry(Now now, Reaction& r) override;
  std::optional<Time> protocol_deadline() const override;
  void on_protocol_deadline(Now now, Reaction& r) override;

 private:
  // Tasmota's CommandHandler: pushes the Backlog timer back, then runs the command.
  void execute(std::string_view command, std::string_view param, Now now, Reaction& r);
  // Tasmota's BacklogLoop, once per pass of the main loop: the next entry, when it is due.
  void loop_pass(Now now, Reaction& r);
  void queue_backlog(std::optional<int> index, std::string_view param, Now now, Reaction& r);
  void power(int index, std::string_view param, Now now, Reaction& r);
  void set_pulse_time(int index, std::string_view param, Now now, Reaction& r);
  void set_option(std::optional<int> index, std::string_view param, Reaction& r);
  void result(Reaction& r, std::string payload) const;
  void publish_power(Reaction& r) const;
  std::string power_key() const;
  std::string stat_power_topic() const;

  TasmotaSettings settings_;
  std::array<int, kTasmotaMaxRelays> pulse_{};
  int backlog_delay_ms_ = 200;                               // SetOption34
  std::deque<std::pair<std::string, std::string>> backlog_;  // queued: command, parameter
  Time backlog_timer_{};                                     // the next entry runs from then
  bool backlog_nodelay_ = false;                             // queued by Backlog0
};

}  // namespace padtimer::sim
