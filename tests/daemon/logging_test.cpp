#include "host/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

namespace {

std::string read_all(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[256];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    out.append(buf, n);
  return out;
}

TEST(Logging, ParsesTheDocumentedLevelsOnly) {
  EXPECT_EQ(padtimer::host::parse_log_level("debug"), spdlog::level::debug);
  EXPECT_EQ(padtimer::host::parse_log_level("error"), spdlog::level::err);
  EXPECT_FALSE(padtimer::host::parse_log_level("verbose").has_value());
  EXPECT_FALSE(padtimer::host::parse_log_level("INFO").has_value());
}

TEST(Logging, JournaldLinesCarryTheirPriority) {
  std::FILE* f = std::tmpfile();
  padtimer::host::setup_logging(spdlog::level::debug, /*journald=*/true, f);
  spdlog::error("pad {} overheated", "lb_heat");
  spdlog::warn("broker lost");
  spdlog::info("started");
  spdlog::debug("detail");
  spdlog::trace("hidden below the level");
  EXPECT_EQ(read_all(f), "<3>pad lb_heat overheated\n<4>broker lost\n<6>started\n<7>detail\n");
  spdlog::set_default_logger(nullptr);
  std::fclose(f);
}

TEST(Logging, TerminalLinesCarryTimeAndLevelInstead) {
  std::FILE* f = std::tmpfile();
  padtimer::host::setup_logging(spdlog::level::info, /*journald=*/false, f);
  spdlog::warn("broker lost");
  std::string out = read_all(f);
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_NE(out.find(" warning: broker lost\n"), std::string::npos) << out;
  spdlog::set_default_logger(nullptr);
  std::fclose(f);
}

}  // namespace
