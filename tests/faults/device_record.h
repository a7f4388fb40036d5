// The safety invariants, checked from the device side: what padtimer-sim's devices actually
// did, as it recorded with --record (one JSON line per output change, stamped by its own
// CLOCK_MONOTONIC). Nothing here trusts padtimerd's own account.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace padtimer::testing::faults {

using Nanos = std::chrono::nanoseconds;

struct OutputChange {
  std::int64_t t_ns = 0;  // CLOCK_MONOTONIC
  std::string device;
  std::string output;  // "off", "heat" or "cold"
};

// Reads a --record file; a line that is not a well-formed record is reported in `errors`
// (a half-written last line too: the sim flushes whole lines).
std::vector<OutputChange> read_record(const std::string& path, std::vector<std::string>& errors);

struct ZoneLayout {
  std::string zone;
  std::string heat_device;  // empty: none
  std::string cold_device;  // empty: none; equal to heat_device for a dual pad
  Nanos min_rest{};         // in real time
};

struct Limits {
  Nanos heat_max{};  // the product's longest heat phase, in real time
  Nanos cold_max{};  // the longest cold phase
  Nanos lease{};     // the auto-off lease sent with every ON, in real time
  // Slack for the time between a decision and the relay moving (message delivery and
  // process scheduling on a loaded machine); tiny next to the limits themselves.
  Nanos tolerance{};
};

// Every violation in `changes` up to `now_ns` (a device still ON counts as ON until then):
// - a device ON (in one mode) longer than that mode's phase maximum plus the lease;
// - a zone's heat and cold devices ON at the same time;
// - a session started inside the rest interval: less than min_rest between the moment the
//   zone's devices were all OFF again and the next switch to heat. The suite's routines
//   start with their only heat phase and nothing is ever resumed, so every switch to heat
//   is the start of a session.
std::vector<std::string> check_invariants(const std::vector<OutputChange>& changes,
                                          const std::vector<ZoneLayout>& zones,
                                          const Limits& limits, std::int64_t now_ns);

// CLOCK_MONOTONIC now, as the sim stamps it.
std::int64_t monotonic_ns();

}  // namespace padtimer::testing::faults
