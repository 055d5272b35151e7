#include "quic_test_client.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include "h3_constants.h"
#include "qpack.h"
#include "varint.h"

namespace laneway::test {

namespace wt = laneway::webtransport;
namespace h3 = laneway::webtransport::h3;

namespace {

ngtcp2_tstamp now_ns() {
  return static_cast<ngtcp2_tstamp>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::string varint(std::uint64_t v) {
  std::string s;
  wt::append_varint(v, s);
  return s;
}

std::string frame(std::uint64_t type, const std::string& payload) {
  return varint(type) + varint(payload.size()) + payload;
}

}  // namespace

QuicTestClient::~QuicTestClient() {
  conn_.reset();
  tls_.reset();
  if (cred_) gnutls_certificate_free_credentials(cred_);
  if (fd_ >= 0) ::close(fd_);
  if (old_fd_ >= 0) ::close(old_fd_);
}

int QuicTestClient::bind_socket(const std::string& ip, sockaddr_in* local) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  // The benchmark services a thousand of these from one thread: room for a burst.
  int buffer_bytes = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
  *local = {};
  local->sin_family = AF_INET;
  inet_pton(AF_INET, ip.c_str(), &local->sin_addr);
  socklen_t len = sizeof(*local);
  if (bind(fd, reinterpret_cast<sockaddr*>(local), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(local), &len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::uint16_t QuicTestClient::local_port() const {
  return ntohs(local_.sin_port);
}

bool QuicTestClient::connect(const std::string& local_ip, std::uint16_t port, std::string* error) {
  if (!start_connect(local_ip, port, error)) return false;
  if (!run_until([&] { return handshake_done_; }, std::chrono::seconds(10))) {
    *error = "handshake did not complete";
    return false;
  }
  return true;
}

std::uint64_t QuicTestClient::expiry() const {
  return ngtcp2_conn_get_expiry(conn_.get());
}

bool QuicTestClient::service() {
  if (closed_ || !conn_) return false;
  if (!read_packets()) return false;
  if (ngtcp2_conn_get_expiry(conn_.get()) <= now_ns() &&
      ngtcp2_conn_handle_expiry(conn_.get(), now_ns()) != 0) {
    return false;
  }
  return write_packets();
}

void QuicTestClient::close() {
  if (!conn_ || closed_ || fd_ < 0) return;
  closed_ = true;
  std::array<std::uint8_t, 1452> buf;
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_set_application_error(&ccerr, h3::kNoError, nullptr, 0);
  const ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn_.get(), &ps.path, &pi, buf.data(),
                                                            buf.size(), &ccerr, now_ns());
  if (n > 0) {
    sendto(fd_, buf.data(), static_cast<std::size_t>(n), 0, ps.path.remote.addr,
           ps.path.remote.addrlen);
  }
}

bool QuicTestClient::start_connect(const std::string& local_ip, std::uint16_t port,
                                   std::string* error) {
  fd_ = bind_socket(local_ip, &local_);
  if (fd_ < 0) {
    *error = "bind " + local_ip;
    return false;
  }
  remote_.sin_family = AF_INET;
  remote_.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &remote_.sin_addr);

  ngtcp2_callbacks cb{};
  cb.client_initial = ngtcp2_crypto_client_initial_cb;
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.rand = on_rand;
  cb.get_new_connection_id = on_new_cid;
  cb.recv_stream_data = on_recv_stream_data;
  cb.acked_stream_data_offset = on_acked;
  cb.stream_reset = on_stream_reset;
  cb.stream_stop_sending = on_stop_sending;
  cb.handshake_completed = on_handshake_completed;
  cb.recv_datagram = on_recv_datagram;

  ngtcp2_cid dcid, scid;
  dcid.datalen = 18;
  scid.datalen = 18;
  on_rand(dcid.data, dcid.datalen, nullptr);
  on_rand(scid.data, scid.datalen, nullptr);
  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = now_ns();
  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  params.initial_max_streams_bidi = 100;
  params.initial_max_streams_uni = 100;
  params.initial_max_stream_data_bidi_local = 1 << 20;
  params.initial_max_stream_data_bidi_remote = 1 << 20;
  params.initial_max_stream_data_uni = 1 << 20;
  params.initial_max_data = 4 << 20;
  params.max_idle_timeout = 30 * NGTCP2_SECONDS;
  params.max_datagram_frame_size = 65535;
  params.active_connection_id_limit = 8;
  ngtcp2_path path{{reinterpret_cast<sockaddr*>(&local_), sizeof(local_)},
                   {reinterpret_cast<sockaddr*>(&remote_), sizeof(remote_)},
                   nullptr};
  ngtcp2_conn* raw = nullptr;
  if (ngtcp2_conn_client_new(&raw, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb, &settings,
                             &params, nullptr, this) != 0) {
    *error = "ngtcp2_conn_client_new";
    return false;
  }
  conn_.reset(raw);

  gnutls_session_t session = nullptr;
  gnutls_certificate_allocate_credentials(&cred_);
  if (gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA) != 0) {
    *error = "gnutls_init";
    return false;
  }
  tls_.reset(session);
  // The test trusts the server it started; certificate verification is not under test.
  gnutls_priority_set_direct(session, "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3",
                             nullptr);
  gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred_);
  static const unsigned char kH3[] = "h3";
  gnutls_datum_t alpn{const_cast<unsigned char*>(kH3), 2};
  gnutls_alpn_set_protocols(session, &alpn, 1, 0);
  if (ngtcp2_crypto_gnutls_configure_client_session(session) != 0) {
    *error = "configure_client_session";
    return false;
  }
  conn_ref_.get_conn = get_conn;
  conn_ref_.user_data = this;
  gnutls_session_set_ptr(session, &conn_ref_);
  ngtcp2_conn_set_tls_native_handle(raw, session);
  return write_packets();
}

void QuicTestClient::start_h3() {
  const std::int64_t control = open_uni();
  std::string settings = varint(h3::kSettingQpackMaxTableCapacity) + varint(0) +
                         varint(h3::kSettingH3Datagram) + varint(1) +
                         varint(h3::kSettingEnableWebTransportDraft02) + varint(1);
  send(control, varint(h3::kStreamControl) + frame(h3::kFrameSettings, settings));
  send(open_uni(), varint(h3::kStreamQpackEncoder));
  send(open_uni(), varint(h3::kStreamQpackDecoder));
}

int QuicTestClient::open_session(const std::string& path, std::chrono::milliseconds timeout) {
  if (!h3_started_) {
    h3_started_ = true;
    start_h3();
  }
  const std::int64_t id = open_bidi(false);
  wt::QpackEncoder encoder;
  std::string block;
  std::vector<wt::HeaderField> headers = {{":method", "CONNECT"},
                                          {":protocol", "webtransport"},
                                          {":scheme", "https"},
                                          {":authority", "127.0.0.1"},
                                          {":path", path}};
  if (!origin.empty()) headers.push_back({"origin", origin});
  encoder.encode(id, headers, &block);
  send(id, frame(h3::kFrameHeaders, block));
  // The response is one HEADERS frame; wait until it is complete.
  std::string status;
  auto parsed = [&] {
    const std::string& bytes = received[id];
    std::uint64_t type = 0, len = 0;
    auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const std::size_t n = wt::decode_varint(p, bytes.size(), &type);
    if (n == 0) return false;
    const std::size_t m = wt::decode_varint(p + n, bytes.size() - n, &len);
    if (m == 0 || bytes.size() < n + m + len) return false;
    wt::QpackDecoder decoder(64, 4096);
    std::vector<wt::HeaderField> fields;
    decoder.decode(id, bytes.substr(n + m, len), &fields);
    for (const auto& f : fields) {
      if (f.name == ":status") status = f.value;
    }
    received[id].erase(0, n + m + len);
    return true;
  };
  if (!run_until(parsed, timeout)) return 0;
  if (status == "200") session_id_ = id;
  return status.empty() ? 0 : std::stoi(status);
}

std::int64_t QuicTestClient::open_bidi(bool webtransport) {
  std::int64_t id = -1;
  if (ngtcp2_conn_open_bidi_stream(conn_.get(), &id, nullptr) != 0) return -1;
  if (webtransport) {
    send(id, varint(h3::kFrameWebTransportBidi) + varint(static_cast<std::uint64_t>(session_id_)));
  }
  return id;
}

std::int64_t QuicTestClient::open_uni() {
  std::int64_t id = -1;
  if (ngtcp2_conn_open_uni_stream(conn_.get(), &id, nullptr) != 0) return -1;
  return id;
}

void QuicTestClient::send(std::int64_t stream_id, const std::string& data, bool fin) {
  auto& buffer = send_[stream_id];
  buffer.append(data);
  if (fin) buffer.append_fin();
}

bool QuicTestClient::migrate(const std::string& local_ip, bool active, std::string* error) {
  sockaddr_in fresh{};
  const int fd = bind_socket(local_ip, &fresh);
  if (fd < 0) {
    *error = "bind " + local_ip;
    return false;
  }
  if (old_fd_ >= 0) ::close(old_fd_);
  old_fd_ = fd_;
  fd_ = fd;
  local_ = fresh;
  if (active) {
    ngtcp2_path path{{reinterpret_cast<sockaddr*>(&local_), sizeof(local_)},
                     {reinterpret_cast<sockaddr*>(&remote_), sizeof(remote_)},
                     nullptr};
    if (int rv = ngtcp2_conn_initiate_immediate_migration(conn_.get(), &path, now_ns()); rv != 0) {
      *error = std::string("initiate_immediate_migration: ") + ngtcp2_strerror(rv);
      return false;
    }
    return true;
  }
  ngtcp2_addr addr{reinterpret_cast<sockaddr*>(&local_), sizeof(local_)};
  ngtcp2_conn_set_local_addr(conn_.get(), &addr);
  return true;
}

bool QuicTestClient::run_until(const std::function<bool()>& done,
                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (closed_ || std::chrono::steady_clock::now() >= deadline) return false;
    if (!write_packets()) return false;
    const ngtcp2_tstamp expiry = ngtcp2_conn_get_expiry(conn_.get());
    const ngtcp2_tstamp now = now_ns();
    int wait_ms = expiry <= now
                      ? 0
                      : static_cast<int>(std::min<ngtcp2_tstamp>((expiry - now) / 1000000 + 1, 50));
    pollfd fds[2] = {{fd_, POLLIN, 0}, {old_fd_, POLLIN, 0}};
    poll(fds, old_fd_ >= 0 ? 2 : 1, wait_ms);
    if (!read_packets()) return false;
    if (ngtcp2_conn_get_expiry(conn_.get()) <= now_ns() &&
        ngtcp2_conn_handle_expiry(conn_.get(), now_ns()) != 0) {
      return false;
    }
  }
  return true;
}

bool QuicTestClient::read_packets() {
  std::array<std::uint8_t, 65536> buf;
  for (int fd : {fd_, old_fd_}) {
    if (fd < 0) continue;
    sockaddr_in local{};
    socklen_t llen = sizeof(local);
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen);
    for (;;) {
      sockaddr_in from{};
      socklen_t flen = sizeof(from);
      const ssize_t n =
          recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n <= 0) break;
      ngtcp2_path path{{reinterpret_cast<sockaddr*>(&local), llen},
                       {reinterpret_cast<sockaddr*>(&from), flen},
                       nullptr};
      ngtcp2_pkt_info pi{};
      const int rv = ngtcp2_conn_read_pkt(conn_.get(), &path, &pi, buf.data(),
                                          static_cast<std::size_t>(n), now_ns());
      if (rv == NGTCP2_ERR_DRAINING || rv == NGTCP2_ERR_CLOSING) {
        closed_ = true;
        ngtcp2_connection_close_error ccerr;
        ngtcp2_conn_get_connection_close_error(conn_.get(), &ccerr);
        close_code_ = ccerr.error_code;
        return false;
      }
      if (rv != 0) return false;
    }
  }
  return true;
}

bool QuicTestClient::write_packets() {
  std::array<std::uint8_t, 1452> buf;
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  const ngtcp2_tstamp ts = now_ns();
  for (int packets = 0; packets < 64;) {
    std::int64_t stream_id = -1;
    std::array<ngtcp2_vec, 16> vecs;
    std::size_t nvecs = 0, offered = 0;
    std::uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    auto pick = send_.end();
    for (auto it = send_.begin(); it != send_.end(); ++it) {
      if (it->second.has_unsent() && !it->second.blocked) {
        pick = it;
        break;
      }
    }
    if (pick != send_.end()) {
      stream_id = pick->first;
      nvecs = pick->second.unsent(vecs.data(), vecs.size());
      for (std::size_t i = 0; i < nvecs; ++i) offered += vecs[i].len;
      if (pick->second.fin_pending() && nvecs < vecs.size()) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    }
    ngtcp2_ssize written = -1;
    const ngtcp2_ssize n =
        ngtcp2_conn_writev_stream(conn_.get(), &ps.path, &pi, buf.data(), buf.size(), &written,
                                  flags, stream_id, vecs.data(), nvecs, ts);
    if (written >= 0 && pick != send_.end()) {
      pick->second.on_sent(
          static_cast<std::size_t>(written),
          (flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && static_cast<std::size_t>(written) == offered);
    }
    if (n == NGTCP2_ERR_WRITE_MORE) continue;
    if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR) {
      pick->second.blocked = true;
      continue;
    }
    if (n < 0) return false;
    if (n == 0) break;
    // Send from the socket whose port matches the packet's local path.
    const auto* local = reinterpret_cast<const sockaddr_in*>(ps.path.local.addr);
    const int fd = local->sin_port == local_.sin_port ? fd_ : old_fd_;
    sendto(fd >= 0 ? fd : fd_, buf.data(), static_cast<std::size_t>(n), 0, ps.path.remote.addr,
           ps.path.remote.addrlen);
    ++packets;
  }
  for (auto& [id, buffer] : send_) buffer.blocked = false;  // retried on the next round
  ngtcp2_conn_update_pkt_tx_time(conn_.get(), ts);
  return true;
}

int QuicTestClient::on_recv_stream_data(ngtcp2_conn* conn, std::uint32_t, std::int64_t id,
                                        std::uint64_t, const std::uint8_t* data, std::size_t len,
                                        void* user, void*) {
  static_cast<QuicTestClient*>(user)->received[id].append(reinterpret_cast<const char*>(data), len);
  ngtcp2_conn_extend_max_stream_offset(conn, id, len);
  ngtcp2_conn_extend_max_offset(conn, len);
  return 0;
}

int QuicTestClient::on_recv_datagram(ngtcp2_conn*, std::uint32_t, const std::uint8_t* data,
                                     std::size_t len, void* user) {
  auto* self = static_cast<QuicTestClient*>(user);
  if (self->on_datagram) {
    self->on_datagram(std::string_view(reinterpret_cast<const char*>(data), len));
  }
  return 0;
}

int QuicTestClient::on_acked(ngtcp2_conn*, std::int64_t id, std::uint64_t offset, std::uint64_t len,
                             void* user, void*) {
  auto* self = static_cast<QuicTestClient*>(user);
  auto it = self->send_.find(id);
  if (it != self->send_.end()) it->second.on_acked(offset + len);
  return 0;
}

int QuicTestClient::on_stream_reset(ngtcp2_conn*, std::int64_t id, std::uint64_t,
                                    std::uint64_t code, void* user, void*) {
  static_cast<QuicTestClient*>(user)->resets[id] = code;
  return 0;
}

int QuicTestClient::on_stop_sending(ngtcp2_conn*, std::int64_t id, std::uint64_t code, void* user,
                                    void*) {
  static_cast<QuicTestClient*>(user)->resets[id] = code;
  return 0;
}

int QuicTestClient::on_handshake_completed(ngtcp2_conn*, void* user) {
  static_cast<QuicTestClient*>(user)->handshake_done_ = true;
  return 0;
}

int QuicTestClient::on_new_cid(ngtcp2_conn*, ngtcp2_cid* cid, std::uint8_t* token,
                               std::size_t cidlen, void*) {
  cid->datalen = cidlen;
  on_rand(cid->data, cidlen, nullptr);
  on_rand(token, NGTCP2_STATELESS_RESET_TOKENLEN, nullptr);
  return 0;
}

void QuicTestClient::on_rand(std::uint8_t* dest, std::size_t len, const ngtcp2_rand_ctx*) {
  gnutls_rnd(GNUTLS_RND_NONCE, dest, len);
}

ngtcp2_conn* QuicTestClient::get_conn(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<QuicTestClient*>(ref->user_data)->conn_.get();
}

}  // namespace laneway::test
