// The HTTP/3 layer of one QUIC connection, reduced to what WebTransport draft-02 needs:
// our control stream with SETTINGS, the peer's control and QPACK streams, extended CONNECT
// requests that open sessions, WebTransport streams (0x41 bidi, 0x54 uni), HTTP datagrams
// and the CLOSE_WEBTRANSPORT_SESSION capsule. Bad input closes the offending stream or the
// connection with the RFC 9114 error code; it never throws.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "capsule_reader.h"
#include "h3_frame_reader.h"
#include "laneway/webtransport/server.h"
#include "qpack.h"
#include "stream_io.h"
#include "varint.h"

namespace laneway::webtransport {

class Http3Connection {
 public:
  Http3Connection(StreamIo& io, Handler& handler, Stats& stats, std::uint64_t connection_serial,
                  const ServerConfig& config);
  Http3Connection(const Http3Connection&) = delete;
  Http3Connection& operator=(const Http3Connection&) = delete;

  // Opens our control and QPACK streams and sends SETTINGS. False if streams could not be
  // opened (the connection is then closed through StreamIo).
  bool on_handshake_completed();

  // --- events from the QUIC connection ---
  void on_stream_data(std::int64_t stream_id, std::string_view data, bool fin);
  // The peer reset its sending side (RESET_STREAM) or asked us to stop (STOP_SENDING).
  void on_stream_reset(std::int64_t stream_id, std::uint64_t error_code);
  // The peer acknowledged data we sent on a stream.
  void on_stream_acked(std::int64_t stream_id);
  // Both directions of a stream are finished; its state is dropped.
  void on_stream_closed(std::int64_t stream_id);
  void on_datagram(std::string_view payload);
  // The QUIC connection is gone: every open session is reported closed.
  void on_connection_closed();

  // --- the session API (see Server) ---
  bool send_stream(std::int64_t session_id, std::int64_t stream_id, std::string_view data, bool fin,
                   std::string* error);
  std::int64_t open_stream(std::int64_t session_id, bool bidi, std::string* error);
  bool send_datagram(std::int64_t session_id, std::string_view payload, std::string* error);
  void close_session(std::int64_t session_id, std::uint32_t error_code, std::string_view reason);

  std::size_t open_sessions() const { return sessions_.size(); }
  // True when `stream_id` is a WebTransport stream of `session_id`.
  bool owns_stream(std::int64_t session_id, std::int64_t stream_id) const;
  // The varint prefix send_datagram adds for this session.
  static std::size_t datagram_prefix_size(std::int64_t session_id);

 private:
  enum class StreamKind {
    kUnknown,       // first varint (stream type / first frame type) not complete yet
    kControl,       // peer's control stream
    kQpack,         // peer's QPACK encoder/decoder stream: read and discarded (capacity 0)
    kIgnored,       // unknown uni type or abandoned stream: discarded
    kRequest,       // HTTP/3 request stream (the CONNECT of a session lives here)
    kWebTransport,  // WebTransport stream: session id varint, then application bytes
  };

  struct StreamState {
    StreamKind kind = StreamKind::kUnknown;
    VarintReader head;       // the first varint
    std::string head_bytes;  // its raw bytes, replayed into the frame reader for requests
    bool session_id_known = false;
    VarintReader session_varint;
    std::int64_t session_id = -1;
    FrameReader frames;
    std::string frame_payload;  // HEADERS / SETTINGS payload being collected (bounded)
    bool headers_done = false;
    bool is_session = false;  // an accepted CONNECT stream
    CapsuleReader capsules;
  };

  struct Session {
    SessionRequest request;
    std::set<std::int64_t> streams;  // WebTransport streams of this session
  };

  class ControlFrames;
  class RequestFrames;
  friend class ControlFrames;
  friend class RequestFrames;

  void classify_uni(std::int64_t stream_id, StreamState& s, std::uint64_t type);
  void classify_bidi(std::int64_t stream_id, StreamState& s, std::uint64_t first);
  void on_webtransport_bytes(std::int64_t stream_id, StreamState& s, std::string_view data,
                             bool fin);
  void on_request_bytes(std::int64_t stream_id, StreamState& s, std::string_view data, bool fin);
  std::uint64_t on_request_headers(std::int64_t stream_id, StreamState& s);
  std::uint64_t parse_settings(std::string_view payload);

  // Sends a final response (with FIN) for a refused request.
  void respond_and_finish(std::int64_t stream_id, int status);
  // Stream error: reset the stream and stop reading it.
  void fail_stream(std::int64_t stream_id, std::uint64_t error_code, const char* why);
  // Connection error.
  void fail_connection(std::uint64_t error_code, const char* why);
  // Tears down a session whose end we learned of; `send_fin` ends our side of CONNECT.
  void end_session(std::int64_t session_id, std::uint32_t error_code, std::string_view reason,
                   bool send_fin);
  static bool is_connection_error(std::uint64_t error_code);

  StreamIo& io_;
  Handler& handler_;
  Stats& stats_;
  std::uint64_t serial_;
  const ServerConfig& config_;
  QpackDecoder decoder_;
  QpackEncoder encoder_;
  bool failed_ = false;  // a connection error was raised; ignore further input
  bool peer_control_seen_ = false;
  bool peer_settings_seen_ = false;
  std::unordered_map<std::int64_t, StreamState> streams_;
  std::map<std::int64_t, Session> sessions_;
  std::unordered_map<std::int64_t, std::int64_t> stream_session_;  // WT stream -> session
};

}  // namespace laneway::webtransport
