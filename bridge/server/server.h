// The HTTPS server: one libwebsockets context (TLS always, ALPN h2 + http/1.1), one vhost
// per listen address, one protocol handler per lane or route, a one-second timer, and the
// hand-over of broker messages to the event-loop thread. The only mutable state outside
// per-connection structs lives here, reachable from callbacks through the context's user
// pointer.
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
class WtLane;

class Server {
 public:
  Server(const BridgeConfig& config, Hub& hub, BrokerLink& broker);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates the context and listening vhosts. False (with `error`) when a port cannot be
  // bound or the TLS files do not load.
  bool start(std::string& error);
  // Serves until stop() (callable from a signal handler or another thread).
  void run();
  void stop();
  // Wakes the event loop from another thread (the MQTT thread).
  void wake();

  Hub& hub() { return hub_; }
  // The WebTransport lane; null unless webtransport.enabled.
  const WtLane* wt_lane() const { return wt_.get(); }
  bool broker_connected() const { return broker_.connected(); }
  const BridgeConfig& config() const { return config_; }
  static Server& from(struct lws* wsi);
  static std::int64_t now_us();

  // SSE streams register for heartbeats.
  void add_stream(SseStream* s) { streams_.insert(s); }
  void remove_stream(SseStream* s) { streams_.erase(s); }

  // Pulls broker messages into the hub (event-loop thread).
  void drain_broker();
  // The advertised base URL for /api/info: public_url, else from the request's Host.
  std::string base_url(struct lws* wsi) const;

 private:
  static void on_tick(lws_sorted_usec_list_t* sul);
  static void on_rpc_tick(lws_sorted_usec_list_t* sul);

  const BridgeConfig& config_;
  Hub& hub_;
  BrokerLink& broker_;
  struct lws_context* context_ = nullptr;
  std::vector<struct lws_vhost*> vhosts_;
  std::atomic<bool> stopping_{false};
  struct TickTimer {
    lws_sorted_usec_list_t sul;  // first member: the callback casts back to it
    Server* server;
  } tick_{}, rpc_tick_{};
  std::set<SseStream*> streams_;
  HeapTrimmer heap_trimmer_;
  std::vector<BrokerMessage> drained_;
  std::vector<std::pair<int, int>> acks_;
  std::uint64_t broker_connections_seen_ = 0;
  std::unique_ptr<WtLane> wt_;
};

// Protocol tables (defined in each lane's file).
extern const struct lws_protocols kWsLaneProtocol;
extern const struct lws_protocols kSseLaneProtocol;
extern const struct lws_protocols kCallLaneProtocol;
extern const struct lws_protocols kInfoRoutesProtocol;
extern const struct lws_protocols kStaticRoutesProtocol;

}  // namespace laneway::bridge
