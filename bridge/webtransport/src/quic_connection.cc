#include "quic_connection.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdarg>
#include <cstdio>

#include "callback_failure.h"
#include "h3_constants.h"

namespace laneway::webtransport {

namespace {

constexpr std::size_t kScidLen = 18;
constexpr std::size_t kMaxPacketSize = 1452;  // fits a 1500-byte MTU over IPv6
constexpr std::size_t kMaxVecs = 16;

void log_printf(void* user_data, const char* fmt, ...) {
  (void)user_data;
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
}

}  // namespace

ngtcp2_tstamp quic_now() {
  return static_cast<ngtcp2_tstamp>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::string format_address(const ngtcp2_addr& addr) {
  char host[INET6_ADDRSTRLEN] = {};
  if (addr.addr->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(addr.addr);
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(ntohs(sin->sin_port));
  }
  if (addr.addr->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(addr.addr);
    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(sin6->sin6_port));
  }
  return "?";
}

QuicConnection::QuicConnection(ConnectionHost& host, std::uint64_t serial,
                               const ServerConfig& config,
                               std::shared_ptr<TlsCredentials> credentials, Handler& handler,
                               Stats& stats)
    : host_(host),
      serial_(serial),
      config_(config),
      credentials_(std::move(credentials)),
      handler_(handler),
      stats_(stats) {}

QuicConnection::~QuicConnection() {
  for (const auto& cid : registered_cids_) host_.unregister_cid(cid);
}

std::unique_ptr<QuicConnection> QuicConnection::accept(
    ConnectionHost& host, std::uint64_t serial, const ServerConfig& config,
    std::shared_ptr<TlsCredentials> credentials, Handler& handler, Stats& stats,
    const ngtcp2_pkt_hd& initial, const ngtcp2_path& path, std::string* error) {
  std::unique_ptr<QuicConnection> c(
      new QuicConnection(host, serial, config, std::move(credentials), handler, stats));

  ngtcp2_callbacks callbacks{};
  callbacks.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  callbacks.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  callbacks.encrypt = ngtcp2_crypto_encrypt_cb;
  callbacks.decrypt = ngtcp2_crypto_decrypt_cb;
  callbacks.hp_mask = ngtcp2_crypto_hp_mask_cb;
  callbacks.update_key = ngtcp2_crypto_update_key_cb;
  callbacks.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  callbacks.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  callbacks.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  callbacks.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  callbacks.recv_stream_data = on_recv_stream_data;
  callbacks.acked_stream_data_offset = on_acked_stream_data_offset;
  callbacks.stream_close = on_stream_close;
  callbacks.stream_reset = on_stream_reset;
  callbacks.stream_stop_sending = on_stream_stop_sending;
  callbacks.extend_max_stream_data = on_extend_max_stream_data;
  callbacks.handshake_completed = on_handshake_completed;
  callbacks.recv_datagram = on_recv_datagram;
  callbacks.get_new_connection_id = on_get_new_connection_id;
  callbacks.remove_connection_id = on_remove_connection_id;
  callbacks.path_validation = on_path_validation;
  callbacks.rand = on_rand;

  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = quic_now();
  settings.cc_algo = NGTCP2_CC_ALGO_CUBIC;
  settings.max_window = config.connection_window * 2;
  settings.max_stream_window = config.stream_window * 2;
  settings.max_tx_udp_payload_size = kMaxPacketSize;
  settings.handshake_timeout =
      static_cast<ngtcp2_duration>(config.handshake_timeout.count()) * NGTCP2_MILLISECONDS;
  if (config.debug_log) settings.log_printf = log_printf;

  ngtcp2_cid scid;
  scid.datalen = kScidLen;
  on_rand(scid.data, scid.datalen, nullptr);

  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = config.stream_window;
  params.initial_max_stream_data_bidi_remote = config.stream_window;
  params.initial_max_stream_data_uni = config.stream_window;
  params.initial_max_data = config.connection_window;
  params.initial_max_streams_bidi = config.max_streams_bidi;
  // The peer's control and two QPACK streams come on top of WebTransport uni streams.
  params.initial_max_streams_uni = config.max_streams_uni + 3;
  params.max_idle_timeout =
      static_cast<ngtcp2_duration>(config.idle_timeout.count()) * NGTCP2_MILLISECONDS;
  params.max_datagram_frame_size = 65535;
  params.active_connection_id_limit = 8;  // spare CIDs so the peer can migrate
  params.original_dcid = initial.dcid;
  params.stateless_reset_token_present = 1;
  if (!host.reset_token(scid, params.stateless_reset_token)) {
    *error = "cannot derive a stateless reset token";
    return nullptr;
  }

  ngtcp2_conn* raw = nullptr;
  if (int rv = ngtcp2_conn_server_new(&raw, &initial.scid, &scid, &path, initial.version,
                                      &callbacks, &settings, &params, nullptr, c.get());
      rv != 0) {
    *error = std::string("ngtcp2_conn_server_new: ") + ngtcp2_strerror(rv);
    return nullptr;
  }
  c->conn_.reset(raw);

  c->conn_ref_.get_conn = get_conn;
  c->conn_ref_.user_data = c.get();
  c->tls_ = make_server_tls_session(*c->credentials_, &c->conn_ref_, error);
  if (!c->tls_) return nullptr;
  ngtcp2_conn_set_tls_native_handle(raw, c->tls_.get());

  c->h3_ = std::make_unique<Http3Connection>(*c, handler, stats, serial, config);

  // Until the client switches to our SCID, its packets carry the DCID it chose.
  c->registered_cids_.push_back(scid);
  host.register_cid(scid, serial);
  c->registered_cids_.push_back(initial.dcid);
  host.register_cid(initial.dcid, serial);
  return c;
}

ngtcp2_conn* QuicConnection::get_conn(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<QuicConnection*>(ref->user_data)->conn_.get();
}

QuicConnection::Status QuicConnection::on_packet(const ngtcp2_path& path, const std::uint8_t* data,
                                                 std::size_t len) {
  switch (state_) {
    case State::kDraining:
      return Status::kAlive;  // RFC 9000 §10.2.2: send nothing while draining
    case State::kClosing:
      // Answer with our CONNECTION_CLOSE again (at most one per packet received).
      host_.send_packet(close_path_.path,
                        reinterpret_cast<const std::uint8_t*>(close_packet_.data()),
                        close_packet_.size());
      return Status::kAlive;
    default:
      break;
  }
  ngtcp2_pkt_info pi{};
  const int rv = ngtcp2_conn_read_pkt(conn_.get(), &path, &pi, data, len, quic_now());
  if (rv != 0) {
    switch (rv) {
      case NGTCP2_ERR_DRAINING:
        return enter_draining();
      case NGTCP2_ERR_DROP_CONN:
        return Status::kDrop;
      default:
        return handle_fatal(rv, "read packet");
    }
  }
  return flush();
}

QuicConnection::Status QuicConnection::on_timer() {
  const ngtcp2_tstamp now = quic_now();
  if (state_ == State::kClosing || state_ == State::kDraining) {
    return now >= close_deadline_ ? Status::kDrop : Status::kAlive;
  }
  if (int rv = ngtcp2_conn_handle_expiry(conn_.get(), now); rv != 0) {
    if (rv == NGTCP2_ERR_IDLE_CLOSE || rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
      close_h3();
      return Status::kDrop;  // silently, as RFC 9000 §10.1 says
    }
    return handle_fatal(rv, "timer");
  }
  return flush();
}

ngtcp2_tstamp QuicConnection::expiry() const {
  if (state_ == State::kClosing || state_ == State::kDraining) return close_deadline_;
  return ngtcp2_conn_get_expiry(conn_.get());
}

QuicConnection::Status QuicConnection::handle_fatal(int liberr, const char* where) {
  if (liberr == NGTCP2_ERR_CALLBACK_FAILURE && callback_failure_.set()) {
    std::fprintf(stderr, "wt: connection %llu: %s: a callback threw: %s\n",
                 static_cast<unsigned long long>(serial_), where, callback_failure_.what());
  } else {
    std::fprintf(stderr, "wt: connection %llu: %s: %s\n", static_cast<unsigned long long>(serial_),
                 where, ngtcp2_strerror(liberr));
  }
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  if (liberr == NGTCP2_ERR_CRYPTO) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(
        &ccerr, ngtcp2_conn_get_tls_alert(conn_.get()), nullptr, 0);
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, nullptr, 0);
  }
  return start_closing(ccerr);
}

QuicConnection::Status QuicConnection::start_closing(const ngtcp2_connection_close_error& ccerr) {
  if (state_ == State::kClosing || state_ == State::kDraining) return Status::kAlive;
  close_h3();
  if (ngtcp2_conn_is_in_closing_period(conn_.get()) ||
      ngtcp2_conn_is_in_draining_period(conn_.get())) {
    return enter_draining();
  }
  std::array<std::uint8_t, kMaxPacketSize> buf;
  ngtcp2_path_storage_zero(&close_path_);
  ngtcp2_pkt_info pi{};
  const ngtcp2_ssize n = ngtcp2_conn_write_connection_close(
      conn_.get(), &close_path_.path, &pi, buf.data(), buf.size(), &ccerr, quic_now());
  if (n <= 0) return Status::kDrop;  // nothing can be sent (e.g. no keys yet)
  close_packet_.assign(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
  host_.send_packet(close_path_.path, buf.data(), static_cast<std::size_t>(n));
  state_ = State::kClosing;
  close_deadline_ = quic_now() + 3 * ngtcp2_conn_get_pto(conn_.get());
  return Status::kAlive;
}

void QuicConnection::close_h3() noexcept {
  // The peer is owed its CONNECTION_CLOSE even when a handler throws while its sessions end.
  try {
    h3_->on_connection_closed();
  } catch (...) {
    callback_failure_.record_current_exception();
    std::fprintf(stderr, "wt: connection %llu: closing its sessions: a handler threw: %s\n",
                 static_cast<unsigned long long>(serial_), callback_failure_.what());
  }
}

QuicConnection::Status QuicConnection::enter_draining() {
  if (state_ != State::kDraining) close_h3();
  state_ = State::kDraining;
  close_deadline_ = quic_now() + 3 * ngtcp2_conn_get_pto(conn_.get());
  return Status::kAlive;
}

QuicConnection::Status QuicConnection::flush() {
  if (state_ == State::kClosing || state_ == State::kDraining) return Status::kAlive;
  if (pending_close_) {
    ngtcp2_connection_close_error ccerr;
    ngtcp2_connection_close_error_default(&ccerr);
    ngtcp2_connection_close_error_set_application_error(&ccerr, pending_close_code_, nullptr, 0);
    return start_closing(ccerr);
  }
  const ngtcp2_tstamp ts = quic_now();
  const std::size_t payload = ngtcp2_conn_get_max_tx_udp_payload_size(conn_.get());
  const std::size_t max_packets =
      std::clamp<std::size_t>(ngtcp2_conn_get_send_quantum(conn_.get()) / payload, 1, 64);
  std::array<std::uint8_t, kMaxPacketSize> buf;
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  for (std::size_t sent = 0; sent < max_packets;) {
    const ngtcp2_ssize n = write_one_packet(&ps, buf.data(), std::min(payload, buf.size()), ts);
    if (n < 0) return handle_fatal(static_cast<int>(n), "write packet");
    if (n == 0) break;
    host_.send_packet(ps.path, buf.data(), static_cast<std::size_t>(n));
    ++sent;
  }
  ngtcp2_conn_update_pkt_tx_time(conn_.get(), ts);
  return Status::kAlive;
}

ngtcp2_ssize QuicConnection::write_one_packet(ngtcp2_path_storage* ps, std::uint8_t* buf,
                                              std::size_t buflen, ngtcp2_tstamp ts) {
  ngtcp2_pkt_info pi{};
  for (;;) {
    if (!datagrams_.empty()) {
      const std::string& d = datagrams_.front();
      ngtcp2_vec vec{reinterpret_cast<std::uint8_t*>(const_cast<char*>(d.data())), d.size()};
      int accepted = 0;
      const ngtcp2_ssize n =
          ngtcp2_conn_writev_datagram(conn_.get(), &ps->path, &pi, buf, buflen, &accepted,
                                      NGTCP2_WRITE_DATAGRAM_FLAG_MORE, 0, &vec, 1, ts);
      if (accepted) datagrams_.pop_front();
      if (n == NGTCP2_ERR_WRITE_MORE) continue;
      if (n == NGTCP2_ERR_INVALID_ARGUMENT) {  // larger than the peer accepts
        datagrams_.pop_front();
        ++stats_.datagrams_dropped;
        continue;
      }
      if (n != 0 || accepted) return n;
      // Could not fit now (congestion): fall through to streams and ACKs.
    }

    // Next stream with unsent data, round-robin after the last one written.
    auto it = send_.upper_bound(last_written_stream_);
    auto pick = send_.end();
    for (std::size_t i = 0; i < send_.size(); ++i, ++it) {
      if (it == send_.end()) it = send_.begin();
      if (it->second.has_unsent() && !it->second.blocked) {
        pick = it;
        break;
      }
    }
    std::int64_t stream_id = -1;
    std::array<ngtcp2_vec, kMaxVecs> vecs;
    std::size_t nvecs = 0;
    std::uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    std::size_t offered = 0;
    if (pick != send_.end()) {
      stream_id = pick->first;
      nvecs = pick->second.unsent(vecs.data(), vecs.size());
      for (std::size_t i = 0; i < nvecs; ++i) offered += vecs[i].len;
      // FIN only when every queued byte is in this call.
      if (pick->second.fin_pending() && nvecs < vecs.size()) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    }
    ngtcp2_ssize written = -1;
    const ngtcp2_ssize n =
        ngtcp2_conn_writev_stream(conn_.get(), &ps->path, &pi, buf, buflen, &written, flags,
                                  stream_id, vecs.data(), nvecs, ts);
    if (pick != send_.end()) last_written_stream_ = stream_id;
    if (written >= 0 && pick != send_.end()) {
      const bool fin_taken =
          (flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && static_cast<std::size_t>(written) == offered;
      pick->second.on_sent(static_cast<std::size_t>(written), fin_taken);
    }
    if (n == NGTCP2_ERR_WRITE_MORE) continue;
    if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
      pick->second.blocked = true;
      continue;
    }
    if (n == NGTCP2_ERR_STREAM_SHUT_WR || n == NGTCP2_ERR_STREAM_NOT_FOUND) {
      send_.erase(pick);  // the stream was reset or closed: its bytes will never go
      continue;
    }
    return n;
  }
}

// --- StreamIo --------------------------------------------------------------------------

std::int64_t QuicConnection::open_uni_stream() {
  std::int64_t id = -1;
  if (ngtcp2_conn_open_uni_stream(conn_.get(), &id, nullptr) != 0) return -1;
  return id;
}

std::int64_t QuicConnection::open_bidi_stream() {
  std::int64_t id = -1;
  if (ngtcp2_conn_open_bidi_stream(conn_.get(), &id, nullptr) != 0) return -1;
  return id;
}

bool QuicConnection::write_stream(std::int64_t stream_id, std::string_view data, bool fin,
                                  std::string* error) {
  if (state_ == State::kClosing || state_ == State::kDraining) {
    if (error) *error = "connection is closing";
    return false;
  }
  SendBuffer& buffer = send_[stream_id];
  if (buffer.fin_queued()) {
    if (error) *error = "stream already finished";
    return false;
  }
  if (buffer.buffered_bytes() + data.size() > config_.max_stream_send_buffer) {
    if (error) *error = "stream send buffer full";
    return false;
  }
  buffer.append(data);
  if (fin) buffer.append_fin();
  return true;
}

std::size_t QuicConnection::send_capacity(std::int64_t stream_id) const {
  if (state_ == State::kClosing || state_ == State::kDraining) return 0;
  auto it = send_.find(stream_id);
  if (it == send_.end()) return config_.max_stream_send_buffer;
  if (it->second.fin_queued()) return 0;
  const std::size_t used = it->second.buffered_bytes();
  return used >= config_.max_stream_send_buffer ? 0 : config_.max_stream_send_buffer - used;
}

std::size_t QuicConnection::max_datagram_frame_payload() const {
  if (state_ != State::kOpen) return 0;
  const ngtcp2_transport_params* peer = ngtcp2_conn_get_remote_transport_params(conn_.get());
  if (!peer || peer->max_datagram_frame_size == 0) return 0;
  // Short header (1) + the peer's DCID (at most 20) + packet number (at most 4) + AEAD tag
  // (16) + DATAGRAM frame type (1) and length (at most 4): 46 bytes of overhead at worst.
  constexpr std::size_t kOverhead = 1 + NGTCP2_MAX_CIDLEN + 4 + 16 + 1 + 4;
  const std::size_t udp = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_.get());
  if (udp <= kOverhead) return 0;
  // The frame-size limit covers the frame type and length too (RFC 9221 §3).
  const std::uint64_t frame_limit =
      peer->max_datagram_frame_size > 5 ? peer->max_datagram_frame_size - 5 : 0;
  return static_cast<std::size_t>(std::min<std::uint64_t>(udp - kOverhead, frame_limit));
}

void QuicConnection::reset_stream(std::int64_t stream_id, std::uint64_t error_code) {
  ngtcp2_conn_shutdown_stream(conn_.get(), stream_id, error_code);
}

void QuicConnection::stop_reading(std::int64_t stream_id, std::uint64_t error_code) {
  ngtcp2_conn_shutdown_stream_read(conn_.get(), stream_id, error_code);
}

bool QuicConnection::queue_datagram(std::string payload, std::string* error) {
  if (datagrams_.size() >= config_.max_datagram_queue) {
    if (error) *error = "datagram queue full";
    return false;
  }
  datagrams_.push_back(std::move(payload));
  return true;
}

void QuicConnection::close_connection(std::uint64_t error_code, std::string_view reason) {
  (void)reason;
  if (pending_close_) return;
  pending_close_ = true;
  pending_close_code_ = error_code;
}

std::string QuicConnection::remote_address() const {
  return format_address(ngtcp2_conn_get_path(conn_.get())->remote);
}

// --- ngtcp2 callbacks ------------------------------------------------------------------
// Each body runs through run_quic_callback: a throwing handler closes this connection only.

int QuicConnection::on_recv_stream_data(ngtcp2_conn* conn, std::uint32_t flags,
                                        std::int64_t stream_id, std::uint64_t offset,
                                        const std::uint8_t* data, std::size_t len, void* user_data,
                                        void* stream_user_data) noexcept {
  (void)offset, (void)stream_user_data;
  auto* self = static_cast<QuicConnection*>(user_data);
  return run_quic_callback(self->callback_failure_, [&] {
    self->h3_->on_stream_data(stream_id, std::string_view(reinterpret_cast<const char*>(data), len),
                              flags & NGTCP2_STREAM_DATA_FLAG_FIN);
    // Everything is consumed on delivery, so credit it back at once.
    ngtcp2_conn_extend_max_stream_offset(conn, stream_id, len);
    ngtcp2_conn_extend_max_offset(conn, len);
    return 0;
  });
}

int QuicConnection::on_acked_stream_data_offset(ngtcp2_conn*, std::int64_t stream_id,
                                                std::uint64_t offset, std::uint64_t len,
                                                void* user_data, void*) noexcept {
  auto* self = static_cast<QuicConnection*>(user_data);
  return run_quic_callback(self->callback_failure_, [&] {
    auto it = self->send_.find(stream_id);
    if (it != self->send_.end()) it->second.on_acked(offset + len);
    self->h3_->on_stream_acked(stream_id);
    return 0;
  });
}

int QuicConnection::on_stream_close(ngtcp2_conn*, std::uint32_t flags, std::int64_t stream_id,
                                    std::uint64_t app_error_code, void* user_data, void*) noexcept {
  (void)flags, (void)app_error_code;
  auto* self = static_cast<QuicConnection*>(user_data);
  return run_quic_callback(self->callback_failure_, [&] {
    self->send_.erase(stream_id);
    self->h3_->on_stream_closed(stream_id);
    return 0;
  });
}

int QuicConnection::on_stream_reset(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t,
                                    std::uint64_t app_error_code, void* user_data, void*) noexcept {
  auto* self = static_cast<QuicConnection*>(user_data);
  return run_quic_callback(self->callback_failure_, [&] {
    self->h3_->on_stream_reset(stream_id, app_error_code);
    return 0;
  });
}

int QuicConnection::on_stream_stop_sending(ngtcp2_conn*, std::int64_t stream_id,
                                           std::uint64_t app_error_code, void* user_data,
                                           void*) noexcept {
  auto* self = static_cast<QuicConnection*>(user_data);
  return run_quic_callback(self->callback_failure_, [&] {
    self->h3_->on_stream_reset(stream_id, app_error_code);
    return 0;
  });
}

int QuicConnection::on_extend_max_stream_data(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t,
                                              void* user_data, void*) noexcept {
  auto* self = static_cast<QuicConnection*>(user_data);
  auto it = self->send_.find(stream_id);
  if (it != self->send_.end()) it->second.blocked = false;
  return 0;
}

int QuicConnection::on_handshake_completed(ngtcp2_conn*, void* user_data) noexcept {
  auto* self = static_cast<QuicConnection*>(user_data);
  return run_quic_callback(self->callback_failure_, [&] {
    self->state_ = State::kOpen;
    self->h3_->on_handshake_completed();
    return 0;
  });
}

int QuicConnection::on_recv_datagram(ngtcp2_conn*, std::uint32_t, const std::uint8_t* data,
                                     std::size_t len, void* user_data) noexcept {
  auto* self = static_cast<QuicConnection*>(user_data);
  return run_quic_callback(self->callback_failure_, [&] {
    self->h3_->on_datagram(std::string_view(reinterpret_cast<const char*>(data), len));
    return 0;
  });
}

int QuicConnection::on_get_new_connection_id(ngtcp2_conn*, ngtcp2_cid* cid, std::uint8_t* token,
                                             std::size_t cidlen, void* user_data) noexcept {
  auto* self = static_cast<QuicConnection*>(user_data);
  return run_quic_callback(self->callback_failure_, [&] {
    cid->datalen = cidlen;
    on_rand(cid->data, cidlen, nullptr);
    if (!self->host_.reset_token(*cid, token)) return int{NGTCP2_ERR_CALLBACK_FAILURE};
    self->registered_cids_.push_back(*cid);
    self->host_.register_cid(*cid, self->serial_);
    return 0;
  });
}

int QuicConnection::on_remove_connection_id(ngtcp2_conn*, const ngtcp2_cid* cid,
                                            void* user_data) noexcept {
  auto* self = static_cast<QuicConnection*>(user_data);
  self->host_.unregister_cid(*cid);  // an unordered_map erase: cannot throw
  auto& cids = self->registered_cids_;
  cids.erase(std::remove_if(cids.begin(), cids.end(),
                            [&](const ngtcp2_cid& c) { return ngtcp2_cid_eq(&c, cid); }),
             cids.end());
  return 0;
}

int QuicConnection::on_path_validation(ngtcp2_conn*, std::uint32_t flags, const ngtcp2_path* path,
                                       ngtcp2_path_validation_result res,
                                       void* user_data) noexcept {
  (void)flags;
  auto* self = static_cast<QuicConnection*>(user_data);
  if (res != NGTCP2_PATH_VALIDATION_RESULT_SUCCESS) return 0;
  return run_quic_callback(self->callback_failure_, [&] {
    ++self->stats_.migrations;
    const std::string remote = format_address(path->remote);
    std::fprintf(stderr, "wt: connection %llu migrated to %s\n",
                 static_cast<unsigned long long>(self->serial_), remote.c_str());
    self->handler_.on_connection_migrated(self->serial_, remote);
    return 0;
  });
}

void QuicConnection::on_rand(std::uint8_t* dest, std::size_t len, const ngtcp2_rand_ctx*) noexcept {
  // GNUTLS_RND_NONCE: unpredictable, for connection IDs and padding, not for keys.
  gnutls_rnd(GNUTLS_RND_NONCE, dest, len);
}

}  // namespace laneway::webtransport
