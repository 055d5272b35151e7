// WebSocket lane: wss://host/v1/ws, binary messages, one Frame each. A thin adapter: it
// reassembles fragmented messages up to max_frame_bytes, hands them to the hub, and writes
// the session queue's shared frames in place (the headroom before each frame takes the
// WebSocket header, so no per-session copy).
#include <openssl/ssl.h>

#include <cstring>
#include <string>

#include "http_util.h"
#include "server.h"

namespace laneway::bridge {
namespace {

static_assert(LWS_PRE <= kFrameHeadroom, "shared frames must leave room for lws headers");

// Frames written per writable callback before yielding to other connections.
constexpr int kWritesPerCallback = 8;
constexpr std::size_t kBatchBytes = 64 * 1024;

class WsConnection : public LaneSink {
 public:
  WsConnection(struct lws* wsi, Server& server) : wsi_(wsi), server_(server) {}
  void request_write() override { lws_callback_on_writable(wsi_); }

  struct lws* wsi_;
  Server& server_;
  Session* session = nullptr;
  std::string rx;  // the message being reassembled; released once it is handled
  bool rx_too_large = false;
  bool rx_text = false;
};

struct PerSession {
  WsConnection* conn;
};

int on_receive(WsConnection& c, const char* data, std::size_t len) {
  Hub& hub = c.server_.hub();
  const std::size_t max = hub.config().limits.max_frame_bytes;
  if (lws_is_first_fragment(c.wsi_)) {
    c.rx.clear();
    c.rx_too_large = false;
    c.rx_text = !lws_frame_is_binary(c.wsi_);
  }
  if (!c.rx_too_large) {
    if (c.rx.size() + len > max) {
      c.rx_too_large = true;
      c.rx.clear();
      c.rx.shrink_to_fit();
    } else {
      c.rx.append(data, len);
    }
  }
  if (!lws_is_final_fragment(c.wsi_) || lws_remaining_packet_payload(c.wsi_) > 0) return 0;
  if (c.rx_too_large) {
    hub.metrics().lane(Lane::kWebSocket).frames_in++;
    hub.refuse_oversized(*c.session);
  } else if (c.rx_text) {
    hub.metrics().lane(Lane::kWebSocket).frames_in++;
    hub.queue_call(*c.session, Hub::error_frame(0, v1::ERROR_CODE_BAD_REQUEST,
                                                "text messages are not frames; send binary"));
  } else {
    hub.on_client_frame(*c.session, c.rx, Server::now_us());
  }
  // Released rather than cleared: client messages are rare next to the idle time, and an
  // idle session should not hold the capacity of its largest message.
  std::string().swap(c.rx);
  return 0;
}

// Appends one unmasked server-to-client binary WebSocket frame (RFC 6455 §5.2).
void append_ws_frame(std::string& out, std::string_view payload) {
  out.push_back(static_cast<char>(0x82));  // FIN + binary
  const std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    out.push_back(126);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  }
  out.append(payload);
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
  Session& s = *c.session;
  LaneCounters& counters = c.server_.hub().metrics().lane(Lane::kWebSocket);
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
    lws_callback_on_writable(c.wsi_);
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
      return 0;
    }

    case LWS_CALLBACK_RECEIVE:
      if (!pss || !pss->conn || !pss->conn->session) return -1;
      return on_receive(*pss->conn, static_cast<const char*>(in), len);

    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (!pss || !pss->conn || !pss->conn->session) return -1;
      return on_writable(*pss->conn);

    case LWS_CALLBACK_CLOSED:
      if (pss && pss->conn) {
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

    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      // Another thread (the MQTT link) poked the loop: broker messages are waiting.
      if (struct lws_context* ctx = lws_get_context(wsi)) {
        static_cast<Server*>(lws_context_user(ctx))->drain_broker();
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

const struct lws_protocols kWsLaneProtocol = {
    "laneway-ws", callback_ws, sizeof(PerSession), kRxBufferBytes, 0, nullptr, kTxPacketBytes};

}  // namespace laneway::bridge
