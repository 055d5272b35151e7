// laneway-bridge: serves laneway's web lanes (WebSocket, SSE + POST) over HTTPS and relays
// them to and from the broker over MQTT v5 with mTLS.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <memory>

#include "broker_link.h"
#include "config.h"
#include "hub.h"
#include "server.h"

namespace {

laneway::bridge::Server* g_server = nullptr;  // for the signal handler only

void on_signal(int) {
  if (g_server) g_server->stop();
}

int lws_level(const std::string& level) {
  // libwebsockets' own logging stays at errors and warnings (never request URIs).
  return level == "debug" ? (LLL_ERR | LLL_WARN | LLL_NOTICE) : (LLL_ERR | LLL_WARN);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"laneway-bridge: laneway's WebSocket and SSE + POST lanes"};
  std::string config_path;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "JSON configuration file (see docs/bridge.md)")
      ->required();
  app.add_flag("--check", check_only, "validate the configuration and exit");
  CLI11_PARSE(app, argc, argv);

  std::string error;
  auto config = laneway::bridge::load_config(config_path, error);
  if (!config) {
    std::fprintf(stderr, "laneway-bridge: %s\n", error.c_str());
    return 2;
  }
  if (check_only) {
    std::printf("laneway-bridge: configuration ok\n");
    return 0;
  }
  lws_set_log_level(lws_level(config->log_level), nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  laneway::bridge::Server* server_ptr = nullptr;
  laneway::bridge::BrokerLink broker(config->broker, config->limits.broker_inbox_max,
                                     [&server_ptr] {
                                       if (server_ptr) server_ptr->wake();
                                     });
  laneway::bridge::Hub hub(*config, broker);
  laneway::bridge::Server server(*config, hub, broker);
  if (!server.start(error)) {
    std::fprintf(stderr, "laneway-bridge: %s\n", error.c_str());
    return 1;
  }
  server_ptr = &server;
  if (!broker.start(error)) {
    std::fprintf(stderr, "laneway-bridge: %s\n", error.c_str());
    return 1;
  }
  g_server = &server;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  for (const auto& l : config->listen) {
    std::fprintf(stderr, "laneway-bridge: listening on https://%s:%d\n", l.host.c_str(), l.port);
  }
  std::fflush(stderr);
  server.run();
  g_server = nullptr;
  broker.stop();
  std::fprintf(stderr, "laneway-bridge: stopped\n");
  return 0;
}
