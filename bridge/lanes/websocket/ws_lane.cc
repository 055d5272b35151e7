// WebSocket lane: wss://host/v1/ws, binary messages, one Frame each. A thin adapter: it
// reassembles fragmented messages up to max_frame_bytes, hands them to the hub, and writes
// the session queue's shared frames in place (the headroom before each frame takes the
// WebSocket header, so no per-session copy).
#include <openssl/ssl.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "http_util.h"
#include "lws_callback_guard.h"
#include "server.h"
#include "ws_message.h"

namespace laneway::bridge {
namespace {

static_assert(LWS_PRE <= kFrameHeadroom, "shared frames must leave room for lws headers");

// Keepalive (ws.ping_interval_ms): a session that sent nothing and answered no ping for the
// interval is pinged; one silent for twice the interval plus 5 s is closed. lws 4.1 can do
// this itself (a vhost retry_and_idle_policy), but it keeps every connection's timer in one
// sorted linked list that each re-arm walks from the head: at 10,000 sessions every new
// connection and every pong walked ~10,000 nodes, and that walk was 83 % of the bridge's
// CPU while sessions connected (perf). The lane keeps the same policy with one timer for
// all its connections instead: once a second it looks at each of them (a flat pass).
constexpr std::int64_t kKeepaliveTickUs = 1'000'000;

class Keepalive;

// Frames written per writable callback before yielding to other connections.
constexpr int kWritesPerCallback = 8;
constexpr std::size_t kBatchBytes = 64 * 1024;

class WsConnection : public LaneSink {
 public:
  WsConnection(struct lws* wsi, Server& server)
      : wsi_(wsi), server_(server), rx(server.config().limits.max_frame_bytes) {}
  void request_write() override {
    // Once per batch of queued frames: the fan-out queues many frames per socket between
    // two writable callbacks, and asking lws again changes nothing.
    if (write_requested_) return;
    write_requested_ = true;
    lws_callback_on_writable(wsi_);
  }
  // The writable callback is running: the next frame queued needs a new request.
  void writable() { write_requested_ = false; }

  struct lws* wsi_;
  Server& server_;
  Session* session = nullptr;
  MessageAssembler rx;  // the message being reassembled

  // Keepalive state (see Keepalive). The list link sits in a plain struct that points back
  // here: lws_container_of needs a standard-layout type, which this class is not.
  struct KeepaliveLink {
    lws_dll2_t link;
    WsConnection* conn;
  } keepalive_link{{}, this};
  std::int64_t valid_us = 0;  // last sign of life: established, a message or a pong
  bool ping_due = false;      // a ping is to be written on the next writable callback
  bool pinged = false;        // a ping went out and nothing came back since

 private:
  bool write_requested_ = false;
};

// One per vhost (lws per-vhost protocol storage holds a pointer to it): the lane's
// connections and the one timer that keeps them alive or closes them.
class Keepalive {
 public:
  Keepalive(struct lws_context* context, const BridgeConfig& config)
      : context_(context),
        ping_after_us_(std::int64_t{config.ws_ping_interval_ms} * 1000),
        hangup_after_us_((std::int64_t{config.ws_ping_interval_ms} / 1000 * 2 + 5) * 1'000'000) {
    lws_sul_schedule(context_, 0, &timer_.sul, &Keepalive::on_tick, kKeepaliveTickUs);
  }
  ~Keepalive() {
    lws_sul_schedule(context_, 0, &timer_.sul, nullptr, LWS_SET_TIMER_USEC_CANCEL);
    // Connections still listed (if lws tears the vhost down before closing them) must not
    // point at this object when their CLOSED callback unlinks them.
    lws_start_foreach_dll_safe(struct lws_dll2*, link, next, lws_dll2_get_head(&connections_)) {
      lws_dll2_remove(link);
    }
    lws_end_foreach_dll_safe(link, next);
  }
  Keepalive(const Keepalive&) = delete;
  Keepalive& operator=(const Keepalive&) = delete;

  void add(WsConnection& c) {
    c.valid_us = Server::now_us();
    lws_dll2_add_tail(&c.keepalive_link.link, &connections_);
  }
  static void remove(WsConnection& c) { lws_dll2_remove(&c.keepalive_link.link); }
  static void alive(WsConnection& c) {
    c.valid_us = Server::now_us();
    c.pinged = false;
  }

 private:
  static void on_tick(lws_sorted_usec_list_t* sul) {
    Keepalive* self = lws_container_of(sul, Timer, sul)->owner;
    self->sweep(Server::now_us());
    lws_sul_schedule(self->context_, 0, &self->timer_.sul, &Keepalive::on_tick, kKeepaliveTickUs);
  }

  void sweep(std::int64_t now_us) {
    lws_start_foreach_dll_safe(struct lws_dll2*, link, next, lws_dll2_get_head(&connections_)) {
      WsConnection* c = lws_container_of(link, WsConnection::KeepaliveLink, link)->conn;
      const std::int64_t silent_us = now_us - c->valid_us;
      if (silent_us >= hangup_after_us_) {
        // Closed from outside its callbacks: lws closes it on its next service pass.
        remove(*c);
        lws_set_timeout(c->wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
      } else if (silent_us >= ping_after_us_ && !c->pinged) {
        c->pinged = true;
        c->ping_due = true;
        lws_callback_on_writable(c->wsi_);
      }
    }
    lws_end_foreach_dll_safe(link, next);
  }

  struct lws_context* context_;
  const std::int64_t ping_after_us_;
  const std::int64_t hangup_after_us_;
  struct Timer {  // standard layout, for lws_container_of
    lws_sorted_usec_list_t sul;
    Keepalive* owner;
  } timer_{{}, this};
  lws_dll2_owner_t connections_{};
};

Keepalive* keepalive_of(struct lws* wsi) {
  auto* slot =
      static_cast<Keepalive**>(lws_protocol_vh_priv_get(lws_get_vhost(wsi), lws_get_protocol(wsi)));
  return slot ? *slot : nullptr;
}

struct PerSession {
  WsConnection* conn;
};

int on_receive(WsConnection& c, const char* data, std::size_t len) {
  Keepalive::alive(c);
  const bool last = lws_is_final_fragment(c.wsi_) && lws_remaining_packet_payload(c.wsi_) == 0;
  const auto result = c.rx.add(std::string_view(data, len), lws_is_first_fragment(c.wsi_) != 0,
                               last, lws_frame_is_binary(c.wsi_) != 0);
  Hub& hub = c.server_.hub();
  switch (result) {
    case MessageAssembler::Result::kIncomplete:
      return 0;
    case MessageAssembler::Result::kTooLarge:
      hub.refuse_oversized(*c.session);
      break;
    case MessageAssembler::Result::kText:
      hub.refuse_text_message(*c.session);
      break;
    case MessageAssembler::Result::kBinary:
      hub.on_client_frame(*c.session, c.rx.message(), Server::now_us());
      break;
  }
  c.rx.release();
  return 0;
}

// Several queued frames go out in one TLS write: one syscall instead of one per frame.
// The frames are still the shared buffers; gathering them is one memcpy into the socket
// batch, which TLS encryption (per session by nature) would copy anyway.
int write_batch(WsConnection& c, LaneCounters& counters) {
  Session& s = *c.session;
  // One gather buffer for every connection: the event loop is single-threaded and
  // lws_write hands the bytes to TLS (or copies what the socket did not take) before it
  // returns, so no session has to keep a buffer of its own between writes.
  static std::string batch;
  batch.assign(LWS_PRE, '\0');
  while (!s.queue.empty() && batch.size() < kBatchBytes) {
    const QueuedFrame& item = s.queue.front();
    append_ws_frame(batch, item.frame->bytes());
    counters.frames_out++;
    counters.bytes_out += item.frame->size();
    s.queue.pop();
  }
  const std::size_t n = batch.size() - LWS_PRE;
  const int written =
      lws_write(c.wsi_, reinterpret_cast<unsigned char*>(batch.data()) + LWS_PRE, n, LWS_WRITE_RAW);
  if (batch.capacity() > 4 * kBatchBytes) batch.shrink_to_fit();
  return written < static_cast<int>(n) ? -1 : 0;
}

int on_writable(WsConnection& c) {
  c.writable();
  Session& s = *c.session;
  LaneCounters& counters = c.server_.hub().metrics().lane(Lane::kWebSocket);
  if (c.ping_due) {
    c.ping_due = false;
    // With a payload: lws 4.1 does not report an empty pong to the protocol.
    unsigned char ping[LWS_PRE + 2] = {};
    ping[LWS_PRE] = 'l';
    ping[LWS_PRE + 1] = 'w';
    if (lws_write(c.wsi_, ping + LWS_PRE, 2, LWS_WRITE_PING) < 2) return -1;
    if (lws_send_pipe_choked(c.wsi_)) {
      if (!s.queue.empty() || s.closing) c.request_write();
      return 0;
    }
  }
  // Only on a connection of its own: a WebSocket over an h2 stream needs h2 framing.
  if (s.queue.size() > 1 && lws_get_network_wsi(c.wsi_) == c.wsi_) {
    if (write_batch(c, counters) < 0) return -1;
  }
  for (int i = 0; i < kWritesPerCallback && !s.queue.empty(); ++i) {
    const QueuedFrame& item = s.queue.front();
    const std::size_t size = item.frame->size();
    if (lws_write(c.wsi_, item.frame->payload_with_headroom(), size, LWS_WRITE_BINARY) <
        static_cast<int>(size)) {
      return -1;
    }
    counters.frames_out++;
    counters.bytes_out += size;
    s.queue.pop();
    if (lws_send_pipe_choked(c.wsi_)) break;
  }
  if (!s.queue.empty()) {
    c.request_write();
    return 0;
  }
  if (s.closing) {
    static const char reason[] = "laneway: session closed";
    lws_close_reason(c.wsi_, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                     reinterpret_cast<unsigned char*>(const_cast<char*>(reason)),
                     sizeof reason - 1);
    return -1;
  }
  return 0;
}

int callback_ws(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                std::size_t len) {
  auto* pss = static_cast<PerSession*>(user);
  switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      // Upgrades are served on /v1/ws only, and only while the lane is switched on; a
      // switched-off lane answers the upgrade with a plain 404.
      if (http::request_path(wsi) != "/v1/ws") return -1;
      if (!Server::from(wsi).config().lanes.ws) {
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "the WebSocket lane is disabled");
        return -1;
      }
      return 0;

    case LWS_CALLBACK_ESTABLISHED: {
      Server& server = Server::from(wsi);
      auto* conn = new WsConnection(wsi, server);
      conn->session = server.hub().open(Lane::kWebSocket, conn,
                                        http::header(wsi, WSI_TOKEN_ORIGIN, 512), Server::now_us());
      if (!conn->session) {
        delete conn;
        return -1;  // at max_sessions
      }
      pss->conn = conn;
      if (Keepalive* keepalive = keepalive_of(wsi)) keepalive->add(*conn);
      return 0;
    }

    case LWS_CALLBACK_RECEIVE_PONG:
      if (pss && pss->conn) Keepalive::alive(*pss->conn);
      return 0;

    case LWS_CALLBACK_PROTOCOL_INIT: {
      // Once per vhost: its keepalive timer and connection list.
      auto* slot = static_cast<Keepalive**>(lws_protocol_vh_priv_zalloc(
          lws_get_vhost(wsi), lws_get_protocol(wsi), sizeof(Keepalive*)));
      if (!slot) return -1;
      *slot = new Keepalive(lws_get_context(wsi), Server::from(wsi).config());
      return 0;
    }

    case LWS_CALLBACK_PROTOCOL_DESTROY:
      if (Keepalive* keepalive = keepalive_of(wsi)) {
        delete keepalive;
        *static_cast<Keepalive**>(
            lws_protocol_vh_priv_get(lws_get_vhost(wsi), lws_get_protocol(wsi))) = nullptr;
      }
      return 0;

    case LWS_CALLBACK_RECEIVE:
      if (!pss || !pss->conn || !pss->conn->session) return -1;
      return on_receive(*pss->conn, static_cast<const char*>(in), len);

    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (!pss || !pss->conn || !pss->conn->session) return -1;
      return on_writable(*pss->conn);

    case LWS_CALLBACK_CLOSED:
      if (pss && pss->conn) {
        Keepalive::remove(*pss->conn);
        pss->conn->server_.hub().close(pss->conn->session);
        delete pss->conn;
        pss->conn = nullptr;
      }
      return 0;

    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
      // Sent to protocols[0] with each vhost's SSL_CTX: idle connections hand their TLS
      // read and write buffers back instead of holding them while nothing moves.
      if (user) {
        SSL_CTX* ctx = static_cast<SSL_CTX*>(user);
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_num_tickets(ctx, 0);
      }
      return 0;

    case LWS_CALLBACK_HTTP: {
      // Anything that reached the default protocol as plain HTTP is not ours.
      const bool ws_path =
          http::request_path(wsi) == "/v1/ws" && Server::from(wsi).config().lanes.ws;
      lws_return_http_status(wsi, ws_path ? 426 : HTTP_STATUS_NOT_FOUND,
                             ws_path ? "WebSocket upgrade required" : "not found");
      return lws_http_transaction_completed(wsi) ? -1 : 0;
    }

    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace

// lws keeps a receive buffer of rx_buffer_size per WebSocket connection for its whole life,
// so it is kept small: messages arrive in pieces and on_receive reassembles them anyway.
// tx_packet_size is set because 0 would cap every send at rx_buffer_size.
constexpr std::size_t kRxBufferBytes = 1024;
constexpr std::size_t kTxPacketBytes = 256 * 1024;

const struct lws_protocols kWsLaneProtocol = {"laneway-ws",
                                              guarded_lws_callback<callback_ws>,
                                              sizeof(PerSession),
                                              kRxBufferBytes,
                                              0,
                                              nullptr,
                                              kTxPacketBytes};

}  // namespace laneway::bridge
