// laneway's WebTransport transport core: a QUIC server (ngtcp2 0.12 + GnuTLS) with the
// small HTTP/3 layer WebTransport draft-02 needs, as Chromium speaks it. It knows nothing
// about laneway frames: the bridge plugs it in as a lane through Handler.
//
// Threading: a Server and every call on it belong to one thread (the one driving its event
// loop). Handler callbacks run on that thread, inside on_readable()/on_timer()/run().
#pragma once

#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace laneway::webtransport {

// Names one WebTransport session: the QUIC connection it lives on (a server-unique serial)
// and its session id (the stream id of its CONNECT request).
struct SessionRef {
  std::uint64_t connection = 0;
  std::int64_t session_id = -1;
  auto operator<=>(const SessionRef&) const = default;
};

// What a browser asked for in its extended CONNECT.
struct SessionRequest {
  std::string authority;  // :authority, e.g. "127.0.0.1:8443"
  std::string path;       // :path without the query, e.g. "/v1/wt"
  std::string query;      // after '?', without it; empty if none
  std::string origin;     // origin header; empty if absent
  std::string remote;     // peer address, "ip:port" or "[ip]:port"
};

class Handler {
 public:
  virtual ~Handler() = default;
  // A CONNECT for the configured path. Return 200 to accept, or the HTTP status to refuse
  // with (403 for a bad origin, 401 for bad credentials, ...). Accepting calls
  // on_session_opened right after.
  virtual int on_session_request(const SessionRequest& request) = 0;
  virtual void on_session_opened(SessionRef session, const SessionRequest& request) = 0;
  // Bytes on one of the session's WebTransport streams (client- or server-opened, bidi or
  // uni). `fin` marks the end of the peer's side of the stream.
  virtual void on_stream_data(SessionRef session, std::int64_t stream_id, std::string_view data,
                              bool fin) = 0;
  // The peer reset (or stopped) one of the session's streams.
  virtual void on_stream_reset(SessionRef session, std::int64_t stream_id,
                               std::uint64_t error_code) {
    (void)session, (void)stream_id, (void)error_code;
  }
  virtual void on_datagram(SessionRef session, std::string_view payload) = 0;
  // The peer acknowledged data we sent on one of the session's streams: send buffer space
  // was released (see Server::send_capacity). Lets a writer that stopped at a full buffer
  // resume without polling.
  virtual void on_stream_acked(SessionRef session, std::int64_t stream_id) {
    (void)session, (void)stream_id;
  }
  // Called once per opened session, whoever closed it (capsule, FIN, reset, connection loss).
  virtual void on_session_closed(SessionRef session, std::uint32_t error_code,
                                 std::string_view reason) = 0;
  // The connection's peer moved to a new validated path (NAT rebinding or migration).
  virtual void on_connection_migrated(std::uint64_t connection, std::string_view new_remote) {
    (void)connection, (void)new_remote;
  }
};

struct ServerConfig {
  // Local addresses to bind, one UDP socket each ("127.0.0.1", "::1", "0.0.0.0", "::").
  std::vector<std::string> addresses = {"127.0.0.1", "::1"};
  std::uint16_t port = 8443;  // 0: the kernel picks one (same port for all addresses)
  std::string cert_file;      // PEM, ECDSA P-256 for browsers using serverCertificateHashes
  std::string key_file;
  std::string path = "/v1/wt";  // the only path served; others get 404

  std::size_t max_connections = 4096;
  std::size_t max_sessions_per_connection = 4;
  std::uint64_t max_streams_bidi = 100;  // peer-opened, per connection (QUIC limit)
  std::uint64_t max_streams_uni = 100;
  std::uint64_t stream_window = 1 << 20;         // per-stream receive window, bytes
  std::uint64_t connection_window = 8 << 20;     // per-connection receive window
  std::size_t max_stream_send_buffer = 4 << 20;  // per-stream unacknowledged bytes we hold
  std::size_t max_datagram_queue = 256;          // datagrams waiting to go out
  std::size_t max_header_section = 16 << 10;     // HEADERS / SETTINGS payload bytes
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds handshake_timeout{10000};
  bool debug_log = false;  // ngtcp2's packet log on stderr
};

struct Stats {
  std::uint64_t connections = 0;  // currently open
  std::uint64_t connections_total = 0;
  std::uint64_t sessions = 0;  // currently open
  std::uint64_t sessions_total = 0;
  std::uint64_t sessions_rejected = 0;
  std::uint64_t streams_total = 0;  // WebTransport streams opened, either side
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t datagrams_dropped = 0;  // queue full or too large for the peer
  std::uint64_t migrations = 0;         // validated path changes
  std::uint64_t stateless_resets = 0;
  std::uint64_t protocol_errors = 0;  // stream or connection closed for bad input
};

class Server {
 public:
  // Binds the sockets and loads the certificate. nullptr and `error` on failure.
  static std::unique_ptr<Server> create(const ServerConfig& config, Handler& handler,
                                        std::string* error);
  virtual ~Server() = default;

  // --- event loop ---------------------------------------------------------------------
  // Sockets to poll for readability.
  virtual std::vector<int> fds() const = 0;
  // Reads and processes every datagram waiting on the sockets.
  virtual void on_readable() = 0;
  // Milliseconds until on_timer() is due (-1: no timer armed).
  virtual int timeout_ms() const = 0;
  // Runs expired QUIC timers (loss detection, idle, pacing, close/drain periods).
  virtual void on_timer() = 0;
  // A ready-made loop over the three calls above, until `stop` becomes true (checked at
  // least every 100 ms). Returns 0.
  virtual int run(const std::atomic<bool>& stop) = 0;

  // --- sessions ------------------------------------------------------------------------
  // Queues bytes on a WebTransport stream of `session`. False (and `error`) if the session
  // or stream is gone, the stream is closed for writing, or its send buffer is full.
  virtual bool send_stream(SessionRef session, std::int64_t stream_id, std::string_view data,
                           bool fin, std::string* error = nullptr) = 0;
  // Bytes send_stream would accept on that stream right now (the per-stream send buffer
  // still free); 0 if the session or stream is gone or finished.
  virtual std::size_t send_capacity(SessionRef session, std::int64_t stream_id) const = 0;
  // Opens a server-initiated stream; -1 (and `error`) if the peer's stream limit is hit.
  virtual std::int64_t open_bidi_stream(SessionRef session, std::string* error = nullptr) = 0;
  virtual std::int64_t open_uni_stream(SessionRef session, std::string* error = nullptr) = 0;
  // Largest payload send_datagram can carry on the connection's current path: the peer's
  // max_datagram_frame_size and the path's UDP payload size, minus QUIC and HTTP/3 framing.
  // 0 if the peer accepts no datagrams or the session is gone.
  virtual std::size_t max_datagram_payload(SessionRef session) const = 0;
  // Queues one datagram. False if the peer accepts none this large or the queue is full.
  virtual bool send_datagram(SessionRef session, std::string_view payload,
                             std::string* error = nullptr) = 0;
  // Sends CLOSE_WEBTRANSPORT_SESSION and ends the CONNECT stream.
  virtual void close_session(SessionRef session, std::uint32_t error_code,
                             std::string_view reason) = 0;

  // Swaps the certificate for new connections; open ones keep theirs (rotation without
  // dropping sessions).
  virtual bool reload_certificate(const std::string& cert_file, const std::string& key_file,
                                  std::string* error) = 0;

  virtual Stats stats() const = 0;
  // The bound UDP port (useful with port 0).
  virtual std::uint16_t port() const = 0;
};

}  // namespace laneway::webtransport
