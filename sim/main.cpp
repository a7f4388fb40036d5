// padtimer-sim: plays smart plugs and pads on an MQTT broker (see --help, sim/README.md).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/transport.h"
#include "sim/config.h"
#include "sim/simulator.h"

namespace {

// One line, flushed at once: tests read stdout through a pipe while the sim runs.
void print_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "padtimer-sim: error: %s\n(see padtimer-sim --help)\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace padtimer;
  std::vector<std::string> args(argv + 1, argv + argc);
  sim::CommandLine cli = sim::parse_command_line(args);
  if (cli.action == sim::CommandLine::Action::help) {
    std::fputs(sim::usage_text().c_str(), stdout);
    return 0;
  }
  if (cli.action == sim::CommandLine::Action::error) return usage_error(cli.error);
  if (padtimer::mqtt::Transport::paho_uri(cli.config.broker).rfind("tcp://", 0) != 0) {
    return usage_error(
        "broker URL '" + cli.config.broker +
        "' must start with mqtt:// or tcp:// (e.g. mqtt://127.0.0.1:1884); the simulator does "
        "not do TLS");
  }

  // Transport logs go to stderr, so stdout holds only the event lines.
  spdlog::set_default_logger(spdlog::stderr_logger_st("padtimer-sim"));
  spdlog::set_level(cli.config.verbose ? spdlog::level::debug : spdlog::level::warn);

  sim::Now start{std::chrono::steady_clock::now(), std::chrono::system_clock::now()};
  std::vector<std::string> problems;
  auto devices = sim::make_devices(cli.config, start, problems);
  if (!problems.empty()) {
    for (const auto& p : problems)
      std::fprintf(stderr, "padtimer-sim: error: %s\n", p.c_str());
    std::fprintf(stderr, "(see padtimer-sim --help)\n");
    return 2;
  }
  const std::size_t count = devices.size();

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> record_file(nullptr, &std::fclose);
  if (!cli.config.record_path.empty()) {
    record_file.reset(std::fopen(cli.config.record_path.c_str(), "a"));
    if (!record_file) {
      std::fprintf(stderr, "padtimer-sim: error: cannot open --record file '%s': %s\n",
                   cli.config.record_path.c_str(), std::strerror(errno));
      return 1;
    }
  }

  try {
    boost::asio::io_context io;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    sim::Simulator simulator(io, cli.config.broker, std::move(devices), print_line);
    if (record_file) {
      // Flushed per line: a test reads the file while the sim runs, and a killed sim loses
      // nothing it recorded.
      simulator.set_recorder([file = record_file.get()](const std::string& line) {
        std::fprintf(file, "%s\n", line.c_str());
        std::fflush(file);
      });
    }
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      print_line(std::string("padtimer-sim: stopping (") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                 ")");
      simulator.stop();
    });
    print_line("padtimer-sim: starting, " + std::to_string(count) + " devices, broker " +
               cli.config.broker);
    simulator.start();
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "padtimer-sim: error: %s\n", e.what());
    return 1;
  }
  print_line("padtimer-sim: stopped");
  return 0;
}
