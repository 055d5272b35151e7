#include "server.h"

#include <chrono>
#include <cstdio>
#include <cstring>

#include "http_util.h"
#include "lws_callback_guard.h"
#include "sse_lane.h"
#include "wt_service.h"

namespace laneway::bridge {
namespace {

constexpr lws_usec_t kTickUs = 1'000'000;
// RPC deadlines are checked this often, so a short timeout is answered close to its time.
constexpr lws_usec_t kRpcTickUs = 50'000;

// Mounts route each path to its protocol handler; /v1/ws upgrades land on the WebSocket
// lane, the first (default) protocol. "/" (the static files: dashboard, SDK bundle) takes
// every other path. It must stay FIRST: for callback mounts libwebsockets 4.1 picks the
// last matching entry, not the longest, so every more specific mount follows it. /healthz
// and /metrics are not here: they live on the admin listener (admin_listener.cc), and here
// fall to the static files, which answer 404.
struct Mounts {
  static constexpr int kCount = 4;
  Mounts() {
    const char* paths[kCount] = {"/", "/v1/sse", "/v1/call", "/api/info"};
    const char* protocols[kCount] = {"laneway-static", "laneway-sse", "laneway-call",
                                     "laneway-info"};
    for (int i = 0; i < kCount; ++i) {
      struct lws_http_mount& m = table[i];
      std::memset(&m, 0, sizeof m);
      m.mount_next = i + 1 < kCount ? &table[i + 1] : nullptr;
      m.mountpoint = paths[i];
      m.mountpoint_len = static_cast<unsigned char>(std::strlen(paths[i]));
      m.origin = protocols[i];
      m.protocol = protocols[i];
      m.origin_protocol = LWSMPRO_CALLBACK;
    }
  }
  struct lws_http_mount table[kCount];
};

}  // namespace

int listen_family_options(const std::string& host) {
  if (host.find(':') != std::string::npos) {
    return LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY | LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
  }
  // An IPv4 address on lws' default IPv6 socket ends up bound to every interface (seen as
  // `*:port`); an IPv4 socket binds exactly the address asked for.
  return LWS_SERVER_OPTION_DISABLE_IPV6;
}

Server::Server(const BridgeConfig& config, Hub& hub, BrokerLink& broker)
    : config_(config), hub_(hub), broker_(broker) {
  tick_.server = this;
  rpc_tick_.server = this;
}

Server::~Server() {
  if (wt_) wt_->stop();  // leaves the loop while the context still exists
  if (context_) lws_context_destroy(context_);
}

Server& Server::from(struct lws* wsi) {
  return *static_cast<Server*>(lws_context_user(lws_get_context(wsi)));
}

std::int64_t Server::now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Server::start(std::string& error) {
  // The WebSocket lane stays first: lws hands /v1/ws upgrades to the default protocol.
  static const struct lws_protocols protocols[] = {
      kWsLaneProtocol,
      kSseLaneProtocol,
      kCallLaneProtocol,
      kInfoRoutesProtocol,
      kWtLaneProtocol,
      kStaticRoutesProtocol,
      {"laneway-loop", guarded_lws_callback<&Server::callback_loop_events>, 0, 0, 0, nullptr, 0},
      {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
  // WebSocket keepalive is the WS lane's own (ws_lane.cc). lws 4.1 re-arms a per-connection
  // validity timer in one sorted list (O(connections) per connect and pong) unless the
  // vhost's policy says no hang-up time, which this empty policy does (lws' default has
  // 300 s, so leaving it unset is not enough).
  static const lws_retry_bo_t no_validity_timers{};

  struct lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.user = this;
  context_ = lws_create_context(&info);
  if (!context_) {
    error = "https: cannot create the libwebsockets context";
    return false;
  }
  for (const ListenAddress& addr : config_.listen) {
    struct lws_context_creation_info vh;
    std::memset(&vh, 0, sizeof vh);
    vh.port = addr.port;
    vh.iface = addr.host.c_str();
    vh.protocols = protocols;
    static const Mounts mounts;
    vh.mounts = &mounts.table[0];
    vh.vhost_name = addr.host.c_str();
    vh.ssl_cert_filepath = config_.tls.cert_file.c_str();
    vh.ssl_private_key_filepath = config_.tls.key_file.c_str();
    vh.alpn = config_.tls.http2 ? "h2,http/1.1" : "http/1.1";
    vh.retry_and_idle_policy = &no_validity_timers;
    vh.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | listen_family_options(addr.host);
    struct lws_vhost* vhost = lws_create_vhost(context_, &vh);
    if (!vhost) {
      error = "https: cannot listen on " + addr.host + ":" + std::to_string(addr.port) +
              " (port in use, bad address, or TLS files not loadable)";
      return false;
    }
    vhosts_.push_back(vhost);
  }
  if (!start_admin(error)) return false;
  if (config_.webtransport.enabled) {
    wt_ = std::make_unique<WtService>(config_, hub_);
    if (!wt_->start(context_, vhosts_.front(), error)) return false;
  }
  lws_sul_schedule(context_, 0, &tick_.sul, guarded_lws_timer<&Server::on_tick>, kTickUs);
  lws_sul_schedule(context_, 0, &rpc_tick_.sul, guarded_lws_timer<&Server::on_rpc_tick>,
                   kRpcTickUs);
  return true;
}

void Server::on_rpc_tick(lws_sorted_usec_list_t* sul) {
  auto* timer = reinterpret_cast<TickTimer*>(sul);
  Server& self = *timer->server;
  lws_sul_schedule(self.context_, 0, &timer->sul, guarded_lws_timer<&Server::on_rpc_tick>,
                   kRpcTickUs);
  const std::int64_t now = now_us();
  self.hub_.expire_rpcs(now);
  self.stop_when_drained(now);  // sessions end as their final frame is written: look often
}

void Server::on_tick(lws_sorted_usec_list_t* sul) {
  auto* timer = reinterpret_cast<TickTimer*>(sul);
  Server& self = *timer->server;
  lws_sul_schedule(self.context_, 0, &timer->sul, guarded_lws_timer<&Server::on_tick>, kTickUs);
  const std::int64_t now = now_us();
  self.drain_broker();
  self.hub_.tick(now);
  for (SseStream* s : self.streams_) s->maybe_heartbeat(now);
  self.heap_trimmer_.maybe_trim(now);
  self.start_drain_if_requested();
  self.stop_when_drained(now);
}

void Server::run() {
  // What the broker delivered before the loop ran (a resumed session's queued backlog)
  // goes to history before the first client request is read.
  drain_broker();
  while (!stopping_.load()) {
    if (lws_service(context_, 0) < 0) break;
  }
}

void Server::stop() {
  stopping_ = true;
  if (context_) lws_cancel_service(context_);
}

void Server::request_drain() {
  if (drain_requested_.exchange(true) || config_.drain_ms == 0) {
    stop();
    return;
  }
  if (context_) lws_cancel_service(context_);
}

void Server::start_drain_if_requested() {
  if (drain_deadline_us_ != 0 || !drain_requested_.load()) return;
  const std::int64_t now = now_us();
  drain_deadline_us_ = now + std::int64_t{config_.drain_ms} * 1000;
  std::fprintf(stderr, "laneway-bridge: draining %zu sessions (at most %u ms)\n",
               hub_.session_count(), config_.drain_ms);
  // Clients may come back once this replica is up again; until then they go elsewhere.
  hub_.begin_drain(config_.drain_ms);
  stop_when_drained(now);
}

void Server::stop_when_drained(std::int64_t now_us) {
  if (drain_deadline_us_ == 0) return;
  if (hub_.session_count() == 0 || now_us >= drain_deadline_us_) {
    std::fprintf(stderr, "laneway-bridge: drained (%zu sessions left)\n", hub_.session_count());
    stopping_ = true;
  }
}

void Server::wake_for_broker() {
  broker_news_ = true;
  if (context_) lws_cancel_service(context_);
}

int Server::callback_loop_events(struct lws* wsi, enum lws_callback_reasons reason, void* user,
                                 void* in, std::size_t len) {
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    if (struct lws_context* ctx = lws_get_context(wsi)) {
      Server& self = *static_cast<Server*>(lws_context_user(ctx));
      if (self.broker_news_.exchange(false)) self.drain_broker();
      self.start_drain_if_requested();
    }
    return 0;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

void Server::drain_broker() {
  broker_.take_batch(batch_);
  hub_.on_broker_batch(batch_, now_us());
}

std::string Server::base_url(struct lws* wsi) const {
  if (!config_.public_url.empty()) return config_.public_url;
  std::string host = http::header(wsi, WSI_TOKEN_HTTP_COLON_AUTHORITY, 256);
  if (host.empty()) host = http::header(wsi, WSI_TOKEN_HOST, 256);
  // Only host[:port] characters; anything else falls back to the first listen address.
  const bool clean = !host.empty() && host.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789.-:[]") == std::string::npos;
  if (!clean) {
    const ListenAddress& a = config_.listen.front();
    host = (a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host) + ":" +
           std::to_string(a.port);
  }
  return "https://" + host;
}

}  // namespace laneway::bridge
