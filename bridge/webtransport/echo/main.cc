// laneway-wt-echo: a WebTransport echo server on the laneway_webtransport core, for tests
// and for trying the lane by hand. Echoes every bidirectional stream's bytes back on that
// stream (FIN for FIN), every unidirectional stream back on a new server stream, and every
// datagram back as a datagram.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "laneway/webtransport/server.h"

namespace wt = laneway::webtransport;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop = true;
}

class EchoHandler : public wt::Handler {
 public:
  explicit EchoHandler(std::vector<std::string> allowed_origins)
      : allowed_origins_(std::move(allowed_origins)) {}
  void attach(wt::Server* server) { server_ = server; }

  int on_session_request(const wt::SessionRequest& request) override {
    if (!allowed_origins_.empty()) {
      bool allowed = false;
      for (const auto& o : allowed_origins_) allowed = allowed || o == request.origin;
      if (!allowed) {
        std::printf("refused origin '%s'\n", request.origin.c_str());
        std::fflush(stdout);
        return 403;
      }
    }
    return 200;
  }

  void on_session_opened(wt::SessionRef s, const wt::SessionRequest& request) override {
    std::printf("session %llu/%lld opened path=%s query=%s origin=%s remote=%s\n",
                static_cast<unsigned long long>(s.connection), static_cast<long long>(s.session_id),
                request.path.c_str(), request.query.c_str(), request.origin.c_str(),
                request.remote.c_str());
    std::fflush(stdout);
  }

  void on_stream_data(wt::SessionRef s, std::int64_t stream_id, std::string_view data,
                      bool fin) override {
    std::string error;
    std::int64_t target = stream_id;
    const bool uni = (stream_id & 0x2) != 0;
    if (uni) {
      // Answer a client uni stream on a server uni stream, opened on its first bytes.
      auto it = uni_replies_.find({s, stream_id});
      if (it == uni_replies_.end()) {
        target = server_->open_uni_stream(s, &error);
        if (target < 0) {
          std::fprintf(stderr, "echo: cannot open uni stream: %s\n", error.c_str());
          return;
        }
        uni_replies_[{s, stream_id}] = target;
      } else {
        target = it->second;
      }
      if (fin) uni_replies_.erase({s, stream_id});
    }
    if (!server_->send_stream(s, target, data, fin, &error)) {
      std::fprintf(stderr, "echo: stream %lld: %s\n", static_cast<long long>(target),
                   error.c_str());
    }
  }

  void on_datagram(wt::SessionRef s, std::string_view payload) override {
    std::string error;
    if (!server_->send_datagram(s, payload, &error)) {
      std::fprintf(stderr, "echo: datagram: %s\n", error.c_str());
    }
  }

  void on_session_closed(wt::SessionRef s, std::uint32_t code, std::string_view reason) override {
    std::printf("session %llu/%lld closed code=%u reason=%.*s\n",
                static_cast<unsigned long long>(s.connection), static_cast<long long>(s.session_id),
                code, static_cast<int>(reason.size()), reason.data());
    std::fflush(stdout);
  }

  void on_connection_migrated(std::uint64_t connection, std::string_view remote) override {
    std::printf("connection %llu migrated to %.*s\n", static_cast<unsigned long long>(connection),
                static_cast<int>(remote.size()), remote.data());
    std::fflush(stdout);
  }

 private:
  std::vector<std::string> allowed_origins_;
  wt::Server* server_ = nullptr;
  std::map<std::pair<wt::SessionRef, std::int64_t>, std::int64_t> uni_replies_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"laneway-wt-echo: WebTransport (HTTP/3 draft-02) echo server"};
  wt::ServerConfig config;
  config.addresses.clear();
  std::vector<std::string> origins;
  app.add_option("--cert", config.cert_file, "certificate PEM (ECDSA P-256)")->required();
  app.add_option("--key", config.key_file, "private key PEM")->required();
  app.add_option("--port", config.port, "UDP port (0: pick one)")->capture_default_str();
  app.add_option("--address", config.addresses, "address to bind (repeatable)");
  app.add_option("--path", config.path, "WebTransport path")->capture_default_str();
  app.add_option("--origin", origins, "allowed Origin (repeatable; none: any)");
  app.add_flag("--debug", config.debug_log, "ngtcp2 packet log on stderr");
  CLI11_PARSE(app, argc, argv);
  if (config.addresses.empty()) config.addresses = {"127.0.0.1", "::1"};

  EchoHandler handler(origins);
  std::string error;
  auto server = wt::Server::create(config, handler, &error);
  if (!server) {
    std::fprintf(stderr, "laneway-wt-echo: %s\n", error.c_str());
    return 1;
  }
  handler.attach(server.get());
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::printf("listening on udp port %u\n", server->port());
  std::fflush(stdout);
  server->run(g_stop);
  const wt::Stats st = server->stats();
  std::printf(
      "stats connections_total=%llu sessions_total=%llu sessions_rejected=%llu streams_total=%llu "
      "datagrams_in=%llu datagrams_out=%llu migrations=%llu stateless_resets=%llu "
      "protocol_errors=%llu\n",
      (unsigned long long)st.connections_total, (unsigned long long)st.sessions_total,
      (unsigned long long)st.sessions_rejected, (unsigned long long)st.streams_total,
      (unsigned long long)st.datagrams_in, (unsigned long long)st.datagrams_out,
      (unsigned long long)st.migrations, (unsigned long long)st.stateless_resets,
      (unsigned long long)st.protocol_errors);
  return 0;
}
