// The simulator's vocabulary: time, outputs, faults, and what a simulated device asks the
// runtime to do (publish, print, report its physical state, go off or on the network).
//
// Everything in sim/ except simulator.* and main.cpp is pure: no I/O, no clock reads. The
// current time is always a parameter, so tests drive devices with a fake clock.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace padtimer::sim {

using Time = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Seconds = std::chrono::duration<double>;

// Both clocks: the monotonic one for every duration (auto-off, telemetry, the thermal
// model); the wall clock only for timestamps inside payloads (Shelly "ts", Tasmota "Time").
struct Now {
  Time mono;
  WallTime wall;
};

// What the pad is physically doing.
enum class Output { off, heat, cold };
// What a device can do: a heat pad, a cold pack, or a pad with both modes.
enum class Role { heat, cold, dual };

std::string_view to_string(Output output);
std::string_view to_string(Role role);
std::optional<Role> role_from_string(std::string_view text);
// The output a plain relay means when ON: heat for heat and dual devices, cold for cold.
Output on_output(Role role);

// Fault knobs.
enum class Fault { silent, offline, sensor_stuck, sensor_hot, sensor_silent, welded };
inline constexpr std::array<Fault, 6> kAllFaults = {Fault::silent,        Fault::offline,
                                                    Fault::sensor_stuck,  Fault::sensor_hot,
                                                    Fault::sensor_silent, Fault::welded};
std::string_view to_string(Fault fault);
std::optional<Fault> fault_from_string(std::string_view text);

class Faults {
 public:
  bool has(Fault f) const { return flags_[static_cast<std::size_t>(f)]; }
  void set(Fault f, bool on) { flags_[static_cast<std::size_t>(f)] = on; }
  bool any() const;
  std::vector<std::string> names() const;  // set faults, in kAllFaults order

 private:
  std::array<bool, kAllFaults.size()> flags_{};
};

// A fault command from `padtimer-sim/<name>/fault` or `--fault`: one word (a fault name,
// `online` or `clear`) or a JSON object of flags ({"silent":true,"welded":false},
// "online":bool, "clear":true).
struct FaultCommand {
  bool clear = false;                           // all faults off first
  std::vector<std::pair<Fault, bool>> changes;  // then these, in order
};
struct FaultParse {
  std::optional<FaultCommand> command;
  std::string error;  // when command is empty
};
FaultParse parse_fault_command(std::string_view payload);

// An MQTT message a device publishes. Availability is QoS 1 and retained; the rest QoS 0,
// as the devices themselves do.
struct Publish {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
};

// Whether the device's own MQTT client should be connected (a device with a last will
// that goes `offline` really leaves the broker, so the broker has its offline word).
enum class Link { keep, go_offline, go_online };

// What one input did to a device.
struct Reaction {
  std::vector<Publish> publish;    // on the device's own MQTT client
  std::vector<std::string> lines;  // notable events, printed as "<name>: <line>"
  bool physical_changed = false;   // publish padtimer-sim/<name>/physical
  Link link = Link::keep;
};

// "120.0": seconds with one decimal, as the stdout lines print them.
std::string format_seconds(Seconds s);
// Rounds to one decimal, as the devices report temperatures.
double round1(double value);

}  // namespace padtimer::sim
