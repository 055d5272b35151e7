// A minimal WebTransport client on ngtcp2 0.12 + GnuTLS for tests that a browser cannot do:
// moving to a new local UDP port or address mid-session (connection migration), and
// sending deliberately malformed HTTP/3. Single-threaded; every wait is bounded.
#pragma once

#include <netinet/in.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "send_buffer.h"
#include "tls.h"

namespace laneway::test {

class QuicTestClient {
 public:
  ~QuicTestClient();
  // Connects from `local_ip`:0 to 127.0.0.1:`port` and completes the handshake.
  bool connect(const std::string& local_ip, std::uint16_t port, std::string* error);
  // Opens the H3 control/QPACK streams and sends an extended CONNECT for `path` on a new
  // bidi stream; returns the response status (0 on timeout).
  int open_session(const std::string& path, std::chrono::milliseconds timeout);
  std::int64_t session_id() const { return session_id_; }
  // The origin header of the CONNECT; empty sends none (a non-browser client).
  std::string origin = "https://test.invalid";

  // Opens a client bidi stream; `webtransport` prefixes 0x41 + session id.
  std::int64_t open_bidi(bool webtransport);
  std::int64_t open_uni();
  void send(std::int64_t stream_id, const std::string& data, bool fin = false);

  // Runs the loop until `done()` or `timeout`; true if done() became true.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  // Moves to a fresh UDP socket on `local_ip`:0 (new port). `active`: a deliberate
  // migration (RFC 9000 §9.2, new connection ID, ngtcp2_conn_initiate_immediate_migration);
  // otherwise a NAT rebinding (same connection ID, packets just come from a new address).
  bool migrate(const std::string& local_ip, bool active, std::string* error);
  std::uint16_t local_port() const;

  // --- non-blocking use, for driving many clients from one loop (the benchmark) -------
  // Starts the handshake without waiting for it (connect() = this + run_until done).
  bool start_connect(const std::string& local_ip, std::uint16_t port, std::string* error);
  bool handshake_done() const { return handshake_done_; }
  int fd() const { return fd_; }
  // When service() is next due even without input (ngtcp2's expiry), steady-clock ns.
  std::uint64_t expiry() const;
  // Reads what is waiting, runs due timers, writes what is ready. False once the
  // connection is gone.
  bool service();
  // Sends CONNECTION_CLOSE (H3_NO_ERROR) so the server forgets the connection at once
  // instead of at its idle timeout.
  void close();
  // Called with each received QUIC DATAGRAM payload (quarter stream id included).
  std::function<void(std::string_view)> on_datagram;

  // Bytes received per stream, resets received per stream, connection state.
  std::map<std::int64_t, std::string> received;
  std::map<std::int64_t, std::uint64_t> resets;  // RESET_STREAM or STOP_SENDING codes
  bool closed_by_peer() const { return closed_; }
  std::uint64_t close_code() const { return close_code_; }

 private:
  static int on_recv_stream_data(ngtcp2_conn*, std::uint32_t, std::int64_t, std::uint64_t,
                                 const std::uint8_t*, std::size_t, void*, void*);
  static int on_acked(ngtcp2_conn*, std::int64_t, std::uint64_t, std::uint64_t, void*, void*);
  static int on_stream_reset(ngtcp2_conn*, std::int64_t, std::uint64_t, std::uint64_t, void*,
                             void*);
  static int on_stop_sending(ngtcp2_conn*, std::int64_t, std::uint64_t, void*, void*);
  static int on_handshake_completed(ngtcp2_conn*, void*);
  static int on_recv_datagram(ngtcp2_conn*, std::uint32_t, const std::uint8_t*, std::size_t, void*);
  static int on_new_cid(ngtcp2_conn*, ngtcp2_cid*, std::uint8_t*, std::size_t, void*);
  static void on_rand(std::uint8_t*, std::size_t, const ngtcp2_rand_ctx*);
  static ngtcp2_conn* get_conn(ngtcp2_crypto_conn_ref*);

  // Our control stream (SETTINGS) and QPACK streams, once per connection.
  void start_h3();
  int bind_socket(const std::string& ip, sockaddr_in* local);
  bool read_packets();
  bool write_packets();

  struct ConnDeleter {
    void operator()(ngtcp2_conn* c) const { ngtcp2_conn_del(c); }
  };
  int fd_ = -1;
  int old_fd_ = -1;  // previous socket, still read briefly after a migration
  sockaddr_in local_{}, remote_{};
  ngtcp2_crypto_conn_ref conn_ref_{};
  gnutls_certificate_credentials_t cred_ = nullptr;
  webtransport::GnutlsSessionPtr tls_;
  std::unique_ptr<ngtcp2_conn, ConnDeleter> conn_;
  bool handshake_done_ = false;
  bool h3_started_ = false;
  bool closed_ = false;
  std::uint64_t close_code_ = 0;
  std::int64_t session_id_ = -1;
  std::map<std::int64_t, webtransport::SendBuffer> send_;
};

}  // namespace laneway::test
