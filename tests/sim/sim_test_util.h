// Helpers for the simulator's tests: a fake clock, building devices from the same
// "FAMILY:NAME,key=value" text as the command line, and reading what a device published.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "json/json.h"
#include "sim/config.h"
#include "sim/device.h"

namespace padtimer::sim::testing {

// The fake clock: `seconds` after an arbitrary start (the wall clock reads 2027-01-15).
inline Now at(double seconds) {
  auto offset = std::chrono::duration_cast<std::chrono::steady_clock::duration>(Seconds{seconds});
  return Now{Time{} + offset, WallTime{} + std::chrono::seconds{1'800'000'000} +
                                  std::chrono::duration_cast<WallTime::duration>(Seconds{seconds})};
}

inline double seconds_of(Time t) {
  return Seconds(t - Time{}).count();
}

// A device from command-line text, created at t = 0 with a 10 s telemetry period.
inline std::unique_ptr<Device> make(const std::string& arg, double telemetry = 10.0) {
  std::string error;
  auto spec = parse_device_arg(arg, error);
  EXPECT_TRUE(spec) << error;
  if (!spec) return nullptr;
  std::vector<std::string> problems;
  auto device = make_device(*spec, Seconds{telemetry}, at(0), problems);
  EXPECT_TRUE(device) << (problems.empty() ? "" : problems.front());
  if (!device) return nullptr;
  for (const auto& word : spec->faults) {  // fault=... as --device takes it
    auto command = parse_fault_command(word);
    EXPECT_TRUE(command.command) << command.error;
    if (command.command) device->apply_faults(*command.command, at(0));
  }
  return device;
}

inline void append(Reaction& into, Reaction from) {
  for (auto& p : from.publish)
    into.publish.push_back(std::move(p));
  for (auto& l : from.lines)
    into.lines.push_back(std::move(l));
  into.physical_changed = into.physical_changed || from.physical_changed;
  if (from.link != Link::keep) into.link = from.link;
}

// Steps simulated time to `until`, handling every deadline on the way at its exact time
// (as the runtime's timer would), and returns everything that happened.
inline Reaction run_until(Device& device, double until) {
  Reaction all;
  while (seconds_of(device.next_deadline()) <= until) {
    append(all, device.handle_timeout(at(seconds_of(device.next_deadline()))));
  }
  return all;
}

inline std::vector<Publish> on_topic(const Reaction& r, const std::string& topic) {
  std::vector<Publish> out;
  for (const auto& p : r.publish) {
    if (p.topic == topic) out.push_back(p);
  }
  return out;
}

inline std::vector<std::string> payloads(const Reaction& r, const std::string& topic) {
  std::vector<std::string> out;
  for (const auto& p : on_topic(r, topic))
    out.push_back(p.payload);
  return out;
}

inline json::Value parse_json(const std::string& text) {
  auto result = json::parse(text);
  EXPECT_TRUE(result) << result.error.message << " in " << text;
  return result ? *result.value : json::Value{};
}

inline bool has_line(const Reaction& r, const std::string& needle) {
  for (const auto& l : r.lines) {
    if (l.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace padtimer::sim::testing
