#include "host/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>
#include <mutex>

namespace padtimer::host {

namespace {

class StderrSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  StderrSink(bool journald, std::FILE* out) : journald_(journald), out_(out) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t text;
    formatter_->format(msg, text);
    if (journald_) std::fprintf(out_, "<%d>", journald_priority(msg.level));
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
  }
  void flush_() override { std::fflush(out_); }

 private:
  bool journald_;
  std::FILE* out_;
};

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(const std::string& text) {
  if (text == "trace") return spdlog::level::trace;
  if (text == "debug") return spdlog::level::debug;
  if (text == "info") return spdlog::level::info;
  if (text == "warn") return spdlog::level::warn;
  if (text == "error") return spdlog::level::err;
  return std::nullopt;
}

int journald_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical: return 2;
    case spdlog::level::err: return 3;
    case spdlog::level::warn: return 4;
    case spdlog::level::info: return 6;
    default: return 7;
  }
}

void setup_logging(spdlog::level::level_enum level, bool journald, std::FILE* out) {
  auto sink = std::make_shared<StderrSink>(journald, out);
  // The journal stamps time itself; a terminal reader wants it.
  sink->set_pattern(journald ? "%v" : "%Y-%m-%d %H:%M:%S.%e %l: %v");
  auto logger = std::make_shared<spdlog::logger>("padtimer", sink);
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  return stream != nullptr && *stream != '\0';
}

}  // namespace padtimer::host
