// laneway-bridge: serves laneway's web lanes (WebSocket, SSE + POST) over HTTPS and relays
// them to and from the broker over MQTT v5 with mTLS.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <utility>

#include "broker_link.h"
#include "config.h"
#include "history_snapshot.h"
#include "hub.h"
#include "listen_address.h"
#include "server.h"

namespace {

laneway::bridge::Server* g_server = nullptr;  // for the signal handler only

void on_signal(int) {
  if (g_server) g_server->request_drain();
}

// Takes over the history the last graceful stop left in history.snapshot_file, then
// removes the file: after a crash later on, the next start must not bring this history
// back, since the crashed run went on numbering stream offsets past it.
void restore_history(const laneway::bridge::BridgeConfig& config, laneway::bridge::Hub& hub,
                     laneway::bridge::BrokerLink& broker) {
  const std::string& path = config.history_snapshot_file;
  if (path.empty()) return;
  std::string error;
  auto snapshot =
      laneway::bridge::read_history_snapshot(path, laneway::bridge::kMaxBrokerFrameBytes, error);
  if (!snapshot && error.empty()) return;  // none: a first start, or the last stop was a crash
  // Only a broker session that survived the downtime vouches for what happened meanwhile.
  const bool vouch = broker.resumed_session();
  if (snapshot && hub.restore_history(std::move(*snapshot), vouch, error)) {
    std::remove(path.c_str());
    std::fprintf(stderr, "laneway-bridge: history restored from %s: %zu topics%s\n", path.c_str(),
                 hub.history().topic_count(),
                 vouch ? "" : " (no resumed broker session: marked stale)");
    return;
  }
  const std::string rejected = path + ".rejected";
  std::rename(path.c_str(), rejected.c_str());
  std::fprintf(stderr, "laneway-bridge: history snapshot not used (%s); moved to %s\n",
               error.c_str(), rejected.c_str());
}

void save_history(const laneway::bridge::BridgeConfig& config, const laneway::bridge::Hub& hub) {
  const std::string& path = config.history_snapshot_file;
  if (path.empty()) return;
  std::string error;
  if (!laneway::bridge::write_history_snapshot(
          path, hub.snapshot_history(laneway::bridge::Server::now_us()), error)) {
    std::fprintf(stderr, "laneway-bridge: history not saved: %s\n", error.c_str());
    return;
  }
  std::fprintf(stderr, "laneway-bridge: history saved to %s: %zu topics, %zu bytes\n", path.c_str(),
               hub.history().topic_count(), hub.history().total_bytes());
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
  const laneway::bridge::LinkBudget link_budget{
      config->limits.broker_inbox_max, config->limits.broker_inbox_max_bytes,
      config->limits.upstream_inflight_max_bytes, config->limits.max_frame_bytes};
  laneway::bridge::BrokerLink broker(config->broker, link_budget, [&server_ptr] {
    if (server_ptr) server_ptr->wake_for_broker();
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
  restore_history(*config, hub, broker);
  g_server = &server;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  for (const auto& l : config->listen) {
    std::fprintf(stderr, "laneway-bridge: listening on https://%s:%d\n", l.host.c_str(), l.port);
  }
  // The bound port, not the configured one: with admin.listen port 0 this line is how
  // scripts and tests learn it (docs/bridge.md "The admin listener").
  std::fprintf(stderr, "laneway-bridge: admin listening on https://%s:%d\n",
               laneway::bridge::url_host(config->admin.listen.host).c_str(), server.admin_port());
  std::fflush(stderr);
  server.run();
  g_server = nullptr;
  // Graceful stop. Leave the broker first: from then on a persistent broker session queues
  // what is published. What it delivered before goes to history, and history to the next
  // start, so a client resumes from there with nothing lost (docs/bridge.md "Restart").
  broker.stop();
  server.drain_broker();
  save_history(*config, hub);
  std::fprintf(stderr, "laneway-bridge: stopped\n");
  return 0;
}
