// laneway-bridge configuration, loaded from one JSON file. Every option is documented in
// docs/bridge.md; unknown keys are refused so a typo never silently falls back to a default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "history.h"

namespace laneway::bridge {

struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 8443;
};

struct TlsConfig {
  std::string cert_file;
  std::string key_file;
  // Offer h2 in ALPN besides http/1.1. Off by default: Debian 12's libwebsockets 4.1.6 drops
  // request headers it does not know on HTTP/2 streams, which loses EventSource's
  // Last-Event-ID and the X-Laneway-Session header (docs/bridge.md, "HTTP/2").
  bool http2 = false;
};

struct BrokerAddress {
  std::string host;
  int port = 8883;
};

struct BrokerConfig {
  std::string host = "127.0.0.1";
  int port = 8883;
  // Standby brokers (a cluster's standby core, docs/scale.md): tried in turn when the one in
  // use fails; the first (host, port) is returned to when it is back (broker_addresses.h).
  std::vector<BrokerAddress> standby;
  std::string ca_file;
  std::string cert_file;  // the `bridge` service certificate
  std::string key_file;
  std::string client_id = "laneway-bridge";
  int keepalive_s = 30;
  // Reconnect backoff in whole seconds, doubling from min to max (mqtt_network_loop.h).
  int reconnect_min_s = 1;
  int reconnect_max_s = 30;
  // A persistent MQTT v5 session (clean start off, this Session Expiry Interval): the broker
  // queues the bridge's envelopes while it is down, so a restart loses nothing.
  // 0, or no state_file = clean session, nothing queued (docs/bridge.md "Restart").
  std::uint32_t session_expiry_s = 300;
  // Where the bridge keeps the list of its broker-side subscriptions (written atomically on
  // every change), so a restart knows which ones its broker session still holds. Empty: none.
  std::string state_file;
  // On start with a resumed broker session: how long at most the bridge waits for the
  // broker's queued backlog before it serves clients.
  std::uint32_t backlog_wait_ms = 3000;
};

// The WebTransport lane (HTTP/3 over QUIC, UDP): docs/bridge.md "WebTransport".
struct WebTransportConfig {
  bool enabled = false;
  std::vector<std::string> hosts;  // UDP addresses; empty: the hosts of listen[]
  int port = 8443;                 // UDP port, shared by every host
  std::string cert_file;           // ECDSA P-256, at most 14 days (laneway-certs wt-cert)
  std::string key_file;
  std::string public_url;  // base URL advertised for wt; default: the request's host + port
  std::size_t max_sessions = 10000;  // WebTransport sessions, whole bridge
  std::size_t max_sessions_per_connection = 4;
  std::uint64_t max_streams = 100;  // peer-opened streams per connection, each direction
  std::uint32_t idle_timeout_ms = 30000;
  // The client's ping period on this lane (ConnectResult.ping_interval_ms). Shorter than
  // WebSocket's: a bridge process that dies sends nothing over UDP, so a page learns it
  // only from a packet of its own going unanswered (docs/scale.md "Bridge replicas").
  std::uint32_t ping_interval_ms = 5000;
  bool datagrams = true;               // QoS 0 envelopes as datagrams when a subscription asks
  std::uint32_t cert_check_ms = 1000;  // how often the cert/key files are checked for rotation
  std::uint32_t cert_warn_days = 3;    // warn when the certificate expires within this
};

enum class JwtAlg { kHS256, kRS256, kES256 };

struct JwtKey {
  JwtAlg alg = JwtAlg::kHS256;
  std::string kid;       // optional; when both token and key have one they must match
  std::string material;  // HMAC secret bytes, or a PEM public key
};

struct AppConfig {
  std::string id;
  std::vector<JwtKey> keys;
  std::vector<std::string> origins;    // exact origins, or "*" for any
  std::vector<std::string> subscribe;  // filters the app may ever subscribe to
  std::vector<std::string> publish;    // filters the app may ever publish to
  // RPC request topics (`devices/<id>/rpc/<method>`) the app may ever call, as filters.
  std::vector<std::string> rpc;
  // Standalone SSE streams carry the JWT in their URL, where proxies and access logs keep it;
  // refused unless the app opts in (docs/bridge.md "SSE attach tickets").
  bool sse_url_token = false;
};

struct Limits {
  std::size_t max_frame_bytes = 64 * 1024;
  std::size_t queue_max_bytes = 1024 * 1024;
  double publish_rate_per_s = 20;
  double publish_burst = 40;
  double call_rate_per_s = 100;
  double call_burst = 200;
  std::size_t max_subscriptions = 64;
  std::size_t max_sessions = 100000;
  std::uint32_t rpc_timeout_max_ms = 30000;
  std::uint32_t rpc_timeout_default_ms = 5000;  // when a request names no timeout
  std::size_t rpc_pending_per_session = 16;     // RPCs in flight per session
  std::size_t rpc_pending_max = 10000;          // RPCs in flight, whole bridge
  std::uint32_t history_request_max = 1000;
  std::size_t broker_inbox_max = 100000;           // messages waiting between MQTT and event loop
  std::size_t broker_inbox_max_bytes = 64u << 20;  // the same, in payload bytes
  // Upstream messages (browser publishes, RPC requests) queued to the broker and not yet
  // written (QoS 0) or acknowledged (QoS 1): by count (PUBACKs outstanding) and by bytes.
  std::size_t upstream_inflight_max = 10000;
  std::size_t upstream_inflight_max_bytes = 64u << 20;
  std::size_t presence_max_devices = 100000;  // devices whose presence is kept
  std::uint32_t presence_page_max = 500;      // devices per presence result
};

// The admin listener: /healthz and /metrics, kept off the public port (docs/bridge.md
// "The admin listener"). Loopback unless a bearer token guards it.
// The admin routes read at most this much of an Authorization header (admin_routes.cc).
constexpr std::size_t kMaxAdminTokenBytes = 1024;

struct AdminConfig {
  ListenAddress listen{"127.0.0.1", 9464};  // port 0: any free port, announced on stderr
  // Bearer token every admin request must carry; empty = none (loopback listen only).
  std::string token;
};

// Which web lanes this bridge serves. A disabled lane is left out of /api/info and its
// endpoints answer 404, so an operator can turn one off (and the SDK falls back).
struct LaneSwitches {
  bool ws = true;
  bool sse = true;  // GET /v1/sse and POST /v1/call
};

struct BridgeConfig {
  std::vector<ListenAddress> listen{ListenAddress{}};
  std::string public_url;  // base URL advertised by /api/info; derived when empty
  // Base URLs (https://host:port) of every replica of this bridge tier, this one included,
  // listed in /api/info so the SDK can move between them (docs/scale.md "Bridge replicas").
  std::vector<std::string> replicas;
  TlsConfig tls;
  AdminConfig admin;
  LaneSwitches lanes;
  BrokerConfig broker;
  std::vector<AppConfig> apps;
  Limits limits;
  HistoryLimits history;
  // history.snapshot_file: where a graceful stop leaves the history for the next start
  // (docs/bridge.md "Restart"); empty = history starts empty on every start.
  std::string history_snapshot_file;
  std::uint32_t sse_heartbeat_ms = 15000;
  std::uint32_t ws_ping_interval_ms = 20000;
  // How long an SSE session waits for its event stream to (re)attach before it is closed.
  std::uint32_t sse_resume_window_ms = 30000;
  // On SIGTERM/SIGINT: how long the bridge waits, after telling every session to move
  // (UNAVAILABLE with retry_after_ms) and answering /healthz 503 "draining", for them to
  // go before it stops (docs/bridge.md "Draining"). 0: stop at once.
  std::uint32_t drain_ms = 3000;
  std::string log_level = "info";
  WebTransportConfig webtransport;
  // Folder of static files served at `/` (the dashboard and /sdk/laneway.js, built by
  // scripts/build.sh); empty serves none.
  std::string web_root;

  const AppConfig* find_app(const std::string& id) const;
};

// Parses a JSON document. Relative file paths resolve against `base_dir`. Returns nullopt
// and sets `error` (one line, naming the option) on any problem.
std::optional<BridgeConfig> parse_config(const std::string& json_text, const std::string& base_dir,
                                         std::string& error);
std::optional<BridgeConfig> load_config(const std::string& path, std::string& error);

const char* jwt_alg_name(JwtAlg alg);

}  // namespace laneway::bridge
