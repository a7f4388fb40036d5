// Tasmota, device side: one relay of a Tasmota plug.
//
//   cmnd/<topic>/Power<n>       ON | OFF | TOGGLE (also 1/0/2, true/false); empty = query
//   cmnd/<topic>/Power          the same for relay 1
//   cmnd/<topic>/PulseTime<n>   0..64900 (see pulse_time_duration); empty = query
//   cmnd/<topic>/Backlog        "PulseTime1 220; Power1 ON": commands run in order
//   stat/<topic>/RESULT         {"POWER":"ON"} ("POWER<n>" on a multi-relay device),
//                               {"PulseTime1":{"Set":220,"Remaining":215}},
//                               {"Command":"Unknown"} / {"Command":"Error"}
//   stat/<topic>/POWER[<n>]     ON | OFF, after every Power command and every change
//   tele/<topic>/LWT            Online | Offline, retained (the last will)
//   tele/<topic>/SENSOR         {"Time":"...","DS18B20":{"Temperature":38.2},"TempUnit":"C"}
//
// PulseTime is the device-side auto-off. It is a persistent setting; every Power ON
// (TOGGLE included) restarts the countdown from it, Power OFF cancels it, and setting it
// while the relay is ON restarts the countdown with the new value (as the firmware does).
// When it runs out the relay switches OFF and the change is published.
//
// A plug with several relays can be played by several sim devices on the same topic
// (relays=2, relay=1 and relay=2): each answers only for its own relay.
#pragma once

#include <array>
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
  int pulse_time = 0;  // the PulseTime setting at start
};

inline constexpr int kTasmotaMaxRelays = 8;
inline constexpr int kPulseTimeMax = 64900;

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

 protected:
  void on_message(std::string_view topic, std::string_view payload, Now now, Reaction& r) override;
  void on_output_changed(Now now, Reaction& r) override;
  void on_connected(Now now, Reaction& r) override;
  void on_telemetry(Now now, Reaction& r) override;

 private:
  void execute(std::string_view command, std::string_view param, Now now, Reaction& r,
               bool in_backlog);
  void power(int index, std::string_view param, Now now, Reaction& r);
  void set_pulse_time(int index, std::string_view param, Now now, Reaction& r);
  void result(Reaction& r, std::string payload) const;
  void publish_power(Reaction& r) const;
  std::string power_key() const;
  std::string stat_power_topic() const;

  TasmotaSettings settings_;
  std::array<int, kTasmotaMaxRelays> pulse_{};
};

}  // namespace padtimer::sim
