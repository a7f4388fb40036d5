// Shared by the fuzz targets: the input format, MQTT topic matching and invariant checks.
//
// Input format of the message targets (control and every driver), chosen so the seed
// corpora are readable real messages: one or more messages separated by a line "%%";
// in each, the first line is the MQTT topic and the rest is the payload (a message
// without '\n' is a topic with an empty payload). Several messages let the fuzzer reach
// state kept between them (Shelly RPC request ids, Tasmota's confirmed PulseTime).
//
//   stat/plug/RESULT
//   {"POWER":"ON"}
//   %%
//   tele/plug/LWT
//   Online
//
// Every check that fails prints what was violated and aborts: libFuzzer records the
// input as a crash, and the replay runner (replay_main.cpp) fails its CTest test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace padtimer::fuzz {

[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz invariant violated: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, std::string_view what) {
  if (!ok) fail(what);
}

struct Message {
  std::string_view topic;
  std::string_view payload;
};

inline std::vector<Message> split_messages(std::string_view input) {
  constexpr std::string_view separator = "\n%%\n";
  std::vector<Message> out;
  while (true) {
    const std::size_t end = input.find(separator);
    const std::string_view one = input.substr(0, end);
    const std::size_t newline = one.find('\n');
    if (newline == std::string_view::npos) {
      out.push_back({one, {}});
    } else {
      out.push_back({one.substr(0, newline), one.substr(newline + 1)});
    }
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + separator.size());
  }
  return out;
}

// MQTT filter matching ('+' one level, '#' the rest), to check that a decoder ignores
// every topic its subscriptions cannot deliver.
inline bool topic_matches(std::string_view filter, std::string_view topic) {
  while (true) {
    const std::size_t fs = filter.find('/');
    const std::size_t ts = topic.find('/');
    const std::string_view f = filter.substr(0, fs);
    const std::string_view t = topic.substr(0, ts);
    if (f == "#") return true;
    if (f != "+" && f != t) return false;
    if (fs == std::string_view::npos || ts == std::string_view::npos) {
      // "a/#" also matches "a".
      return fs == ts || (ts == std::string_view::npos && filter.substr(fs + 1) == "#");
    }
    filter.remove_prefix(fs + 1);
    topic.remove_prefix(ts + 1);
  }
}

inline bool matches_any(const std::vector<std::string>& filters, std::string_view topic) {
  for (const auto& f : filters) {
    if (topic_matches(f, topic)) return true;
  }
  return false;
}

// Runs one input; an exception escaping the code under test is a finding too.
template <class F>
int run_guarded(F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    fail(std::string("exception escaped: ") + e.what());
  } catch (...) {
    fail("non-standard exception escaped");
  }
  return 0;
}

}  // namespace padtimer::fuzz

// The entry point libFuzzer calls, and the replay runner too.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
