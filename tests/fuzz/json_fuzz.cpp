// Fuzz target: the JSON parser every driver and the control API read untrusted payloads
// with (json::parse). Input: the text.
//
// Besides not crashing: an error points inside the input; a parsed value writes out as
// JSON that parses back to an equal value and the same text (dump is canonical).
#include <string>

#include "fuzz_support.h"
#include "json/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace padtimer;
  using fuzz::check;
  return fuzz::run_guarded([&] {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // The limits the drivers and the control API use (4 KiB, depth 32 and 8).
    for (const json::Limits limits : {json::Limits{4096, 32}, json::Limits{4096, 8}}) {
      const json::ParseResult parsed = json::parse(text, limits);
      if (!parsed) {
        check(parsed.error.offset <= text.size(), "error offset beyond the input");
        check(!parsed.error.message.empty(), "error without a message");
        continue;
      }
      check(text.size() <= limits.max_bytes, "input over max_bytes was parsed");
      const std::string dumped = parsed.value->dump();
      const json::ParseResult again = json::parse(dumped, json::Limits{1 << 20, 64});
      check(again.value.has_value(), "dump() wrote text the parser refuses");
      check(*again.value == *parsed.value, "dump() then parse() changed the value");
      check(again.value->dump() == dumped, "dump() is not canonical");
    }
  });
}
