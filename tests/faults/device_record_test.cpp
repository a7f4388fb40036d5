// The invariant checker itself: it must catch each violation it is there for, and pass a
// clean record, or the fault suite's "0 violations" would mean nothing.
#include "device_record.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "process.h"

namespace padtimer::testing::faults {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kSecond = 1'000'000'000;

const std::vector<ZoneLayout> kZones = {{"back", "pad", "pack", 20s},
                                        {"knee", "dual", "dual", 20s}};
const Limits kLimits{20s, 15s, 2s, 100ms};

// A clean session on back: heat 15 s, rest 2 s, cold 10 s.
std::vector<OutputChange> clean_session(std::int64_t t0) {
  return {{t0, "pad", "heat"},
          {t0 + 15 * kSecond, "pad", "off"},
          {t0 + 17 * kSecond, "pack", "cold"},
          {t0 + 27 * kSecond, "pack", "off"}};
}

TEST(DeviceRecord, ACleanRecordHasNoViolation) {
  auto changes = clean_session(0);
  auto second = clean_session(27 * kSecond + 20 * kSecond);  // exactly the rest later
  changes.insert(changes.end(), second.begin(), second.end());
  changes.push_back({5 * kSecond, "dual", "heat"});
  changes.push_back({20 * kSecond, "dual", "off"});
  changes.push_back({22 * kSecond, "dual", "cold"});
  changes.push_back({30 * kSecond, "dual", "off"});
  EXPECT_EQ(check_invariants(changes, kZones, kLimits, 200 * kSecond), std::vector<std::string>{});
}

TEST(DeviceRecord, CatchesADeviceOnTooLong) {
  std::vector<OutputChange> changes = {{0, "pad", "heat"},
                                       {22 * kSecond + kSecond / 5, "pad", "off"}};
  auto v = check_invariants(changes, kZones, kLimits, 100 * kSecond);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("pad was ON (heat) for 22.200 s"), std::string::npos) << v[0];
  // Cold has its own, shorter maximum; and a device still ON counts until now.
  v = check_invariants({{0, "pack", "cold"}}, kZones, kLimits, 17 * kSecond + kSecond / 2);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("pack was ON (cold) for 17.500 s"), std::string::npos) << v[0];
  EXPECT_TRUE(check_invariants({{0, "pack", "cold"}}, kZones, kLimits, 17 * kSecond).empty());
}

TEST(DeviceRecord, CatchesHeatAndColdOnTogether) {
  std::vector<OutputChange> changes = {{0, "pad", "heat"},
                                       {5 * kSecond, "pack", "cold"},
                                       {6 * kSecond, "pad", "off"},
                                       {7 * kSecond, "pack", "off"}};
  auto v = check_invariants(changes, kZones, kLimits, 10 * kSecond);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("back: heat (pad) and cold (pack) both ON"), std::string::npos) << v[0];
}

TEST(DeviceRecord, CatchesAStartInsideTheRestInterval) {
  auto changes = clean_session(0);
  auto second = clean_session(27 * kSecond + 19 * kSecond);  // 19 s of rest, 20 s needed
  changes.insert(changes.end(), second.begin(), second.end());
  auto v = check_invariants(changes, kZones, kLimits, 200 * kSecond);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("back: a session started after 19.000 s of rest"), std::string::npos) << v[0];
  // A dual pad's heat after its cold counts the same way.
  v = check_invariants({{0, "dual", "heat"},
                        {kSecond, "dual", "off"},
                        {5 * kSecond, "dual", "heat"},
                        {6 * kSecond, "dual", "off"}},
                       kZones, kLimits, 10 * kSecond);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("knee: a session started after 4.000 s"), std::string::npos) << v[0];
}

TEST(DeviceRecord, ReadsTheSimsRecordLinesAndReportsBrokenOnes) {
  TempDir dir;
  dir.write("record.jsonl",
            "{\"t_ns\":12,\"device\":\"pad\",\"role\":\"heat\",\"output\":\"off\"}\n"
            "{\"t_ns\":15,\"device\":\"pad\",\"role\":\"heat\",\"output\":\"heat\"}\n"
            "{\"t_ns\":17,\"device\"\n");
  std::vector<std::string> errors;
  auto changes = read_record(dir.file("record.jsonl"), errors);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].t_ns, 15);
  EXPECT_EQ(changes[1].device, "pad");
  EXPECT_EQ(changes[1].output, "heat");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("record.jsonl:3: not a record"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace padtimer::testing::faults
