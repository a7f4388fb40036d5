// Logging for padtimerd: spdlog to stderr. Under systemd (JOURNAL_STREAM is set) each line
// starts with its syslog priority, "<3>" for errors ... "<7>" for debug, which journald
// reads; elsewhere lines carry a timestamp instead.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include <spdlog/common.h>

namespace padtimer::host {

// "trace", "debug", "info", "warn", "error"; nothing for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(const std::string& text);

// The syslog priority journald expects for a spdlog level.
int journald_priority(spdlog::level::level_enum level);

// Installs the default logger writing to `out` (stderr by default).
void setup_logging(spdlog::level::level_enum level, bool journald, std::FILE* out = stderr);

// True when stderr is connected to the journal.
bool stderr_is_journal();

}  // namespace padtimer::host
