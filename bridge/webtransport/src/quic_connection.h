// One QUIC connection on the server: an ngtcp2_conn with its GnuTLS session, per-stream
// send buffers, the datagram queue, the close/drain state machine, and the HTTP/3 layer
// on top. Packets in and out go through ConnectionHost (the server), which routes by
// connection ID, never by address, so a peer that changes address keeps its connection.
#pragma once

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "callback_failure.h"
#include "h3_connection.h"
#include "laneway/webtransport/server.h"
#include "send_buffer.h"
#include "stream_io.h"
#include "tls.h"

namespace laneway::webtransport {

class QuicConnection;

class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  virtual void send_packet(const ngtcp2_path& path, const std::uint8_t* data, std::size_t len) = 0;
  virtual void register_cid(const ngtcp2_cid& cid, std::uint64_t connection) = 0;
  virtual void unregister_cid(const ngtcp2_cid& cid) = 0;
  // Stateless reset token for `cid` (derived from the server's secret, RFC 9000 §10.3.2).
  virtual bool reset_token(const ngtcp2_cid& cid, std::uint8_t* token) = 0;
};

ngtcp2_tstamp quic_now();
std::string format_address(const ngtcp2_addr& addr);

class QuicConnection : public StreamIo {
 public:
  enum class Status {
    kAlive,  // keep it
    kDrop,   // remove it now (idle timeout, close/drain period over, fatal error)
  };

  // Creates the server side of a connection from the client's first Initial packet.
  static std::unique_ptr<QuicConnection> accept(ConnectionHost& host, std::uint64_t serial,
                                                const ServerConfig& config,
                                                std::shared_ptr<TlsCredentials> credentials,
                                                Handler& handler, Stats& stats,
                                                const ngtcp2_pkt_hd& initial,
                                                const ngtcp2_path& path, std::string* error);
  ~QuicConnection() override;

  Status on_packet(const ngtcp2_path& path, const std::uint8_t* data, std::size_t len);
  Status on_timer();
  // Writes whatever is ready (stream data, datagrams, ACKs, close).
  Status flush();
  ngtcp2_tstamp expiry() const;
  std::uint64_t serial() const { return serial_; }
  Http3Connection& h3() { return *h3_; }
  // Free send buffer on a stream (0 when finished or the connection is closing).
  std::size_t send_capacity(std::int64_t stream_id) const;
  // Largest QUIC DATAGRAM frame payload that fits one packet on the current path.
  std::size_t max_datagram_frame_payload() const;

  // --- StreamIo ---
  std::int64_t open_uni_stream() override;
  std::int64_t open_bidi_stream() override;
  bool write_stream(std::int64_t stream_id, std::string_view data, bool fin,
                    std::string* error) override;
  void reset_stream(std::int64_t stream_id, std::uint64_t error_code) override;
  void stop_reading(std::int64_t stream_id, std::uint64_t error_code) override;
  bool queue_datagram(std::string payload, std::string* error) override;
  void close_connection(std::uint64_t error_code, std::string_view reason) override;
  std::string remote_address() const override;

 private:
  enum class State { kHandshaking, kOpen, kClosing, kDraining };

  QuicConnection(ConnectionHost& host, std::uint64_t serial, const ServerConfig& config,
                 std::shared_ptr<TlsCredentials> credentials, Handler& handler, Stats& stats);

  // ngtcp2 callbacks, named after the protocol event they handle.
  static int on_recv_stream_data(ngtcp2_conn*, std::uint32_t flags, std::int64_t stream_id,
                                 std::uint64_t offset, const std::uint8_t* data, std::size_t len,
                                 void* user_data, void* stream_user_data) noexcept;
  static int on_acked_stream_data_offset(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t offset,
                                         std::uint64_t len, void* user_data,
                                         void* stream_user_data) noexcept;
  static int on_stream_close(ngtcp2_conn*, std::uint32_t flags, std::int64_t stream_id,
                             std::uint64_t app_error_code, void* user_data,
                             void* stream_user_data) noexcept;
  static int on_stream_reset(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t final_size,
                             std::uint64_t app_error_code, void* user_data,
                             void* stream_user_data) noexcept;
  static int on_stream_stop_sending(ngtcp2_conn*, std::int64_t stream_id,
                                    std::uint64_t app_error_code, void* user_data,
                                    void* stream_user_data) noexcept;
  static int on_extend_max_stream_data(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t max_data,
                                       void* user_data, void* stream_user_data) noexcept;
  static int on_handshake_completed(ngtcp2_conn*, void* user_data) noexcept;
  static int on_recv_datagram(ngtcp2_conn*, std::uint32_t flags, const std::uint8_t* data,
                              std::size_t len, void* user_data) noexcept;
  static int on_get_new_connection_id(ngtcp2_conn*, ngtcp2_cid* cid, std::uint8_t* token,
                                      std::size_t cidlen, void* user_data) noexcept;
  static int on_remove_connection_id(ngtcp2_conn*, const ngtcp2_cid* cid, void* user_data) noexcept;
  static int on_path_validation(ngtcp2_conn*, std::uint32_t flags, const ngtcp2_path* path,
                                ngtcp2_path_validation_result res, void* user_data) noexcept;
  static void on_rand(std::uint8_t* dest, std::size_t len, const ngtcp2_rand_ctx* ctx) noexcept;
  static ngtcp2_conn* get_conn(ngtcp2_crypto_conn_ref* ref);

  // Enters the closing period with a CONNECTION_CLOSE built from `ccerr`.
  Status start_closing(const ngtcp2_connection_close_error& ccerr);
  Status enter_draining();
  Status handle_fatal(int liberr, const char* where);
  // Tells the HTTP/3 layer (and so the handler) the connection is gone; never throws.
  void close_h3() noexcept;
  // One packet's worth of pending stream data or a datagram; returns bytes written, 0 if
  // nothing more can go out now, or a negative ngtcp2 error.
  ngtcp2_ssize write_one_packet(ngtcp2_path_storage* ps, std::uint8_t* buf, std::size_t buflen,
                                ngtcp2_tstamp ts);

  struct ConnDeleter {
    void operator()(ngtcp2_conn* conn) const { ngtcp2_conn_del(conn); }
  };

  ConnectionHost& host_;
  std::uint64_t serial_;
  const ServerConfig& config_;
  std::shared_ptr<TlsCredentials> credentials_;  // kept alive for this connection's TLS
  Handler& handler_;
  Stats& stats_;
  CallbackFailure callback_failure_;  // what the callback that failed threw
  State state_ = State::kHandshaking;
  ngtcp2_crypto_conn_ref conn_ref_{};
  GnutlsSessionPtr tls_;
  std::unique_ptr<ngtcp2_conn, ConnDeleter> conn_;  // declared after tls_: deleted first
  std::unique_ptr<Http3Connection> h3_;
  std::map<std::int64_t, SendBuffer> send_;
  std::int64_t last_written_stream_ = -1;  // round-robin cursor
  std::deque<std::string> datagrams_;
  bool pending_close_ = false;
  std::uint64_t pending_close_code_ = 0;
  std::string close_packet_;  // CONNECTION_CLOSE resent during the closing period
  ngtcp2_path_storage close_path_{};
  ngtcp2_tstamp close_deadline_ = 0;
  std::vector<ngtcp2_cid> registered_cids_;
};

}  // namespace laneway::webtransport
