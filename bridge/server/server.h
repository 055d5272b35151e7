// The HTTPS server: one libwebsockets context (TLS always, ALPN h2 + http/1.1), one vhost
// per listen address plus the admin listener's, one protocol handler per lane or route, a
// one-second timer, and the hand-over of broker batches to the event-loop thread. The only mutable
// state outside per-connection structs lives here, reachable from callbacks through the context's
// user pointer (docs/architecture.md "The bridge's threads, and what crosses between them").
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker_link.h"
#include "config.h"
#include "heap_trimmer.h"
#include "hub.h"

namespace laneway::bridge {

class SseStream;
class WtService;

class Server {
 public:
  Server(const BridgeConfig& config, Hub& hub, BrokerLink& broker);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates the context and listening vhosts (the admin listener's too). False (with
  // `error`) when a port cannot be bound or the TLS files do not load.
  bool start(std::string& error);
  // The port the admin listener is bound to (admin.listen's, or the one the kernel chose
  // for port 0); -1 before start().
  int admin_port() const;
  // Serves until stop() (callable from a signal handler or another thread).
  void run();
  void stop();
  // A graceful stop (SIGTERM, SIGINT; callable from a signal handler): the loop drains
  // first (Hub::begin_drain, the admin /healthz 503 "draining") and stops once every session is
  // gone or `drain_ms` has passed. A second request stops at once.
  void request_drain();
  bool draining() const { return drain_deadline_us_ != 0; }
  // The MQTT thread has news (messages, acknowledgements, a link state change): wakes the
  // event loop, which then takes one broker batch (any thread).
  void wake_for_broker();

  Hub& hub() { return hub_; }
  // The WebTransport lane; null unless webtransport.enabled.
  const WtService* webtransport() const { return wt_.get(); }
  bool broker_connected() const { return broker_.connected(); }
  const BridgeConfig& config() const { return config_; }
  static Server& from(struct lws* wsi);
  static std::int64_t now_us();

  // SSE streams register for heartbeats.
  void add_stream(SseStream* s) { streams_.insert(s); }
  void remove_stream(SseStream* s) { streams_.erase(s); }

  // Takes one batch from the broker link into the hub (event-loop thread). The loop calls
  // it when woken for the broker and once a second; main() once more after the link stops.
  void drain_broker();
  // The advertised base URL for /api/info: public_url, else from the request's Host.
  std::string base_url(struct lws* wsi) const;

 private:
  static void on_tick(lws_sorted_usec_list_t* sul);
  static int callback_loop_events(struct lws* wsi, enum lws_callback_reasons reason, void* user,
                                  void* in, std::size_t len);
  static void on_rpc_tick(lws_sorted_usec_list_t* sul);
  // admin_listener.cc: the vhost of /healthz and /metrics (docs/bridge.md "The admin
  // listener").
  bool start_admin(std::string& error);

  const BridgeConfig& config_;
  Hub& hub_;
  BrokerLink& broker_;
  struct lws_context* context_ = nullptr;
  std::vector<struct lws_vhost*> vhosts_;
  struct lws_vhost* admin_vhost_ = nullptr;
  std::atomic<bool> stopping_{false};
  struct TickTimer {
    lws_sorted_usec_list_t sul;  // first member: the callback casts back to it
    Server* server;
  } tick_{}, rpc_tick_{};
  std::set<SseStream*> streams_;
  HeapTrimmer heap_trimmer_;
  // Raised by wake_for_broker(), cleared by the first EVENT_WAIT_CANCELLED callback that
  // sees it: lws sends that event to every protocol of every vhost, the drain runs once.
  std::atomic<bool> broker_news_{false};
  std::atomic<bool> drain_requested_{false};
  std::int64_t drain_deadline_us_ = 0;  // set when the drain starts (event loop only)
  void start_drain_if_requested();
  void stop_when_drained(std::int64_t now_us);
  BrokerBatch batch_;  // reused between drains
  std::unique_ptr<WtService> wt_;
};

// Protocol tables (defined in each lane's or route's file).
extern const struct lws_protocols kWsLaneProtocol;
extern const struct lws_protocols kSseLaneProtocol;
extern const struct lws_protocols kCallLaneProtocol;
extern const struct lws_protocols kInfoRoutesProtocol;
extern const struct lws_protocols kStaticRoutesProtocol;
extern const struct lws_protocols kAdminRoutesProtocol;

// vhost options that bind `host` exactly: v6-only for an IPv6 address, no IPv6 socket for
// an IPv4 one.
int listen_family_options(const std::string& host);

}  // namespace laneway::bridge
