// padtimerctl: the command-line client of padtimerd. It speaks MQTT exactly as the phone app
// does (daemon/control/README.md): requests on <base>/<zone>/set, answers on
// <base>/<zone>/result, and the retained documents padtimerd publishes under <base>/.
// `padtimerctl --help` describes the commands; cli.h parses them, commands.h runs them.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "padtimerctl/cli.h"
#include "padtimerctl/commands.h"
#include "padtimerctl/session.h"

namespace {

using namespace padtimer;
using namespace padtimer::ctl;

// A client id of our own: reusing padtimerd's would make the broker disconnect it.
std::string make_client_id() {
  std::random_device random;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(random() & 0xffff));
  return "padtimerctl-" + std::to_string(::getpid()) + "-" + suffix;
}

int config_errors(const config::LoadResult& result) {
  for (const auto& e : result.errors)
    std::fprintf(stderr, "%s\n", e.str().c_str());
  std::fprintf(stderr, "padtimerctl: the configuration file is not valid\n");
  return kExitUsage;
}

// The broker settings: built-in defaults, then padtimerd's config file, then the command
// line and the environment. Returns an exit status when they cannot be used.
std::variant<Connection, int> resolve_connection(const Invocation& inv) {
  std::optional<config::DaemonConfig> cfg;
  if (inv.config) {
    auto loaded = config::load_config(*inv.config);
    if (!loaded.errors.empty()) return config_errors(loaded);
    cfg = std::move(loaded.config);
  } else if (::access(kDefaultConfig, F_OK) == 0) {
    // The default file is often readable by padtimerd's user only: then go on without it.
    if (::access(kDefaultConfig, R_OK) != 0) {
      std::fprintf(stderr, "padtimerctl: cannot read %s (%s); using the command line only\n",
                   kDefaultConfig, std::strerror(errno));
    } else {
      auto loaded = config::load_config(kDefaultConfig);
      if (!loaded.errors.empty()) {
        std::fprintf(stderr, "padtimerctl: ignoring %s, which is not valid: %s\n", kDefaultConfig,
                     loaded.errors.front().str().c_str());
      } else {
        cfg = std::move(loaded.config);
      }
    }
  }

  Connection c;
  if (cfg) {
    c.mqtt = cfg->mqtt;
    c.base = cfg->base_topic;
  }
  if (inv.broker) c.mqtt.url = *inv.broker;
  if (inv.base_topic) c.base = *inv.base_topic;
  if (inv.username) c.mqtt.username = *inv.username;
  if (inv.password) {
    c.mqtt.password = *inv.password;
  } else if (const char* env = std::getenv(kPasswordVariable); env && *env) {
    c.mqtt.password = env;
  }
  const bool secure = padtimer::mqtt::Transport::paho_uri(c.mqtt.url).rfind("ssl://", 0) == 0;
  if (secure) {
    padtimer::mqtt::TlsSettings tls = c.mqtt.tls.value_or(padtimer::mqtt::TlsSettings{});
    if (inv.ca_file) tls.ca_file = *inv.ca_file;
    c.mqtt.tls = tls;
  } else {
    if (inv.ca_file) {
      std::fprintf(stderr,
                   "padtimerctl: --ca-file is for TLS, but the broker URL %s is not mqtts://\n"
                   "Try 'padtimerctl --help' for more information.\n",
                   c.mqtt.url.c_str());
      return kExitUsage;
    }
    c.mqtt.tls.reset();
  }
  c.mqtt.client_id = make_client_id();
  // A person is waiting: retry a failed connection soon.
  c.mqtt.reconnect_min = std::chrono::milliseconds{500};
  c.mqtt.reconnect_max = std::chrono::seconds{5};
  c.timeout = inv.timeout;
  c.timeout_text = inv.timeout_text;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Parsed parsed = parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.invocation) {
    std::fputs(parsed.out.c_str(), stdout);
    std::fputs(parsed.err.c_str(), stderr);
    return parsed.exit_code;
  }
  const Invocation& invocation = *parsed.invocation;
  setup_logging(invocation.verbose);

  auto connection = resolve_connection(invocation);
  if (const int* code = std::get_if<int>(&connection)) return *code;
  try {
    auto command = make_command(invocation, std::move(std::get<Connection>(connection)));
    const int code = command->run();
    // run() has disconnected cleanly and said everything. Destroying the Paho client can
    // still race its worker threads (eclipse-paho/paho.mqtt.c#1669; seen here once as
    // "corrupted double-linked list" after a successful start): a finished command has
    // nothing left to clean up, so it leaves without running destructors.
    std::fflush(stdout);
    std::fflush(stderr);
    spdlog::default_logger()->flush();
    std::_Exit(code);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "padtimerctl: %s\n", e.what());
    return kExitUsage;
  }
}
