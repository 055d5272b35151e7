// The UDP front of the WebTransport server: sockets, the connection-ID routing table, new
// connections from Initial packets, version negotiation, stateless resets and timers.
#include "laneway/webtransport/server.h"

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <set>
#include <unordered_map>

#include "callback_failure.h"
#include "quic_connection.h"
#include "tls.h"
#include "udp_socket.h"

namespace laneway::webtransport {

namespace {

constexpr std::size_t kScidLen = 18;
constexpr std::size_t kMaxPacketsPerSocketRead = 64;
constexpr std::uint64_t kMaxStatelessResetsPerSecond = 100;

std::string cid_key(const std::uint8_t* data, std::size_t len) {
  return std::string(reinterpret_cast<const char*>(data), len);
}

class ServerImpl final : public Server, public ConnectionHost {
 public:
  ServerImpl(const ServerConfig& config, Handler& handler) : config_(config), handler_(handler) {}

  bool init(std::string* error) {
    credentials_ = TlsCredentials::load(config_.cert_file, config_.key_file, error);
    if (!credentials_) return false;
    if (gnutls_rnd(GNUTLS_RND_KEY, reset_secret_.data(), reset_secret_.size()) != 0) {
      *error = "cannot generate the stateless reset secret";
      return false;
    }
    std::uint16_t port = config_.port;
    for (const auto& ip : config_.addresses) {
      SocketAddress local;
      if (!make_address(ip, port, &local)) {
        *error = "not an IP address: " + ip;
        return false;
      }
      UdpSocket socket = UdpSocket::bind(local, error);
      if (!socket.valid()) {
        *error = ip + ":" + std::to_string(port) + ": " + *error;
        return false;
      }
      // Port 0: the first bind picks the port, every other address shares it.
      port = ntohs(socket.local().family() == AF_INET
                       ? reinterpret_cast<const sockaddr_in*>(socket.local().get())->sin_port
                       : reinterpret_cast<const sockaddr_in6*>(socket.local().get())->sin6_port);
      sockets_.push_back(std::move(socket));
    }
    if (sockets_.empty()) {
      *error = "no addresses to listen on";
      return false;
    }
    port_ = port;
    return true;
  }

  // --- event loop ---
  std::vector<int> fds() const override {
    std::vector<int> out;
    for (const auto& s : sockets_) out.push_back(s.fd());
    return out;
  }

  void on_readable() override {
    ++dispatch_depth_;
    std::array<std::uint8_t, 65536> buf;
    for (auto& socket : sockets_) {
      for (std::size_t i = 0; i < kMaxPacketsPerSocketRead; ++i) {
        SocketAddress remote, local;
        const long n = socket.receive(buf.data(), buf.size(), &remote, &local);
        if (n <= 0) break;
        on_datagram(socket, remote, local, buf.data(), static_cast<std::size_t>(n));
      }
    }
    --dispatch_depth_;
    flush_dirty();
  }

  int timeout_ms() const override {
    ngtcp2_tstamp earliest = std::numeric_limits<ngtcp2_tstamp>::max();
    for (const auto& [serial, conn] : connections_) earliest = std::min(earliest, conn->expiry());
    if (earliest == std::numeric_limits<ngtcp2_tstamp>::max()) return -1;
    const ngtcp2_tstamp now = quic_now();
    if (earliest <= now) return 0;
    // Round up so we never wake a hair early and spin.
    return static_cast<int>(std::min<ngtcp2_tstamp>((earliest - now + 999999) / 1000000, 60000));
  }

  void on_timer() override {
    ++dispatch_depth_;
    const ngtcp2_tstamp now = quic_now();
    std::vector<std::uint64_t> due;
    for (const auto& [serial, conn] : connections_) {
      if (conn->expiry() <= now) due.push_back(serial);
    }
    for (std::uint64_t serial : due) {
      auto it = connections_.find(serial);
      if (it == connections_.end()) continue;
      if (contain(serial, "timer", [&] { return it->second->on_timer(); }) ==
          QuicConnection::Status::kDrop) {
        remove_connection(serial);
      }
    }
    --dispatch_depth_;
    flush_dirty();
  }

  int run(const std::atomic<bool>& stop) override {
    std::vector<pollfd> pfds;
    for (int fd : fds()) pfds.push_back({fd, POLLIN, 0});
    while (!stop.load()) {
      int timeout = timeout_ms();
      if (timeout < 0 || timeout > 100) timeout = 100;
      const int n = ::poll(pfds.data(), pfds.size(), timeout);
      if (n > 0) on_readable();
      on_timer();
    }
    return 0;
  }

  // --- sessions ---
  bool send_stream(SessionRef session, std::int64_t stream_id, std::string_view data, bool fin,
                   std::string* error) override {
    QuicConnection* conn = find(session, error);
    if (!conn) return false;
    const bool ok = conn->h3().send_stream(session.session_id, stream_id, data, fin, error);
    mark_dirty(session.connection);
    return ok;
  }

  std::size_t send_capacity(SessionRef session, std::int64_t stream_id) const override {
    auto it = connections_.find(session.connection);
    if (it == connections_.end()) return 0;
    if (!it->second->h3().owns_stream(session.session_id, stream_id)) return 0;
    return it->second->send_capacity(stream_id);
  }

  std::size_t max_datagram_payload(SessionRef session) const override {
    auto it = connections_.find(session.connection);
    if (it == connections_.end()) return 0;
    const std::size_t frame = it->second->max_datagram_frame_payload();
    const std::size_t prefix = Http3Connection::datagram_prefix_size(session.session_id);
    return frame > prefix ? frame - prefix : 0;
  }

  std::int64_t open_bidi_stream(SessionRef session, std::string* error) override {
    return open_stream(session, true, error);
  }
  std::int64_t open_uni_stream(SessionRef session, std::string* error) override {
    return open_stream(session, false, error);
  }

  bool send_datagram(SessionRef session, std::string_view payload, std::string* error) override {
    QuicConnection* conn = find(session, error);
    if (!conn) return false;
    const bool ok = conn->h3().send_datagram(session.session_id, payload, error);
    mark_dirty(session.connection);
    return ok;
  }

  void close_session(SessionRef session, std::uint32_t error_code,
                     std::string_view reason) override {
    QuicConnection* conn = find(session, nullptr);
    if (!conn) return;
    conn->h3().close_session(session.session_id, error_code, reason);
    mark_dirty(session.connection);
  }

  bool reload_certificate(const std::string& cert_file, const std::string& key_file,
                          std::string* error) override {
    auto fresh = TlsCredentials::load(cert_file, key_file, error);
    if (!fresh) return false;
    credentials_ = std::move(fresh);  // open connections hold their own reference
    return true;
  }

  Stats stats() const override { return stats_; }
  std::uint16_t port() const override { return port_; }

  // --- ConnectionHost ---
  void send_packet(const ngtcp2_path& path, const std::uint8_t* data, std::size_t len) override {
    UdpSocket* socket = socket_for(path.local);
    if (!socket) return;
    socket->send(data, len, path.remote.addr, path.remote.addrlen, path.local.addr);
  }

  void register_cid(const ngtcp2_cid& cid, std::uint64_t connection) override {
    cids_[cid_key(cid.data, cid.datalen)] = connection;
  }

  void unregister_cid(const ngtcp2_cid& cid) override {
    cids_.erase(cid_key(cid.data, cid.datalen));
  }

  bool reset_token(const ngtcp2_cid& cid, std::uint8_t* token) override {
    return ngtcp2_crypto_generate_stateless_reset_token(token, reset_secret_.data(),
                                                        reset_secret_.size(), &cid) == 0;
  }

 private:
  void on_datagram(UdpSocket& socket, SocketAddress& remote, SocketAddress& local,
                   const std::uint8_t* data, std::size_t len) {
    ngtcp2_path path{{local.get(), local.len}, {remote.get(), remote.len}, nullptr};
    ngtcp2_version_cid vc;
    const int rv = ngtcp2_pkt_decode_version_cid(&vc, data, len, kScidLen);
    if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
      send_version_negotiation(socket, path, vc, len);
      return;
    }
    if (rv != 0) return;  // not QUIC: dropped without a word

    auto route = cids_.find(cid_key(vc.dcid, vc.dcidlen));
    if (route != cids_.end()) {
      const std::uint64_t serial = route->second;  // on_packet may rehash cids_
      auto it = connections_.find(serial);
      if (it != connections_.end()) {
        // Routed by connection ID: a new remote address here is a migration or a NAT
        // rebinding, which ngtcp2 validates.
        if (contain(serial, "packet", [&] { return it->second->on_packet(path, data, len); }) ==
            QuicConnection::Status::kDrop) {
          remove_connection(serial);
        }
        return;
      }
    }
    if (data[0] & 0x80) {
      accept_connection(path, data, len);
    } else {
      send_stateless_reset(path, vc, len);
    }
  }

  void accept_connection(const ngtcp2_path& path, const std::uint8_t* data, std::size_t len) {
    ngtcp2_pkt_hd hd;
    if (ngtcp2_accept(&hd, data, len) != 0) return;  // not an acceptable first Initial
    if (connections_.size() >= config_.max_connections) return;
    std::string error;
    const std::uint64_t serial = next_serial_++;
    auto conn = QuicConnection::accept(*this, serial, config_, credentials_, handler_, stats_, hd,
                                       path, &error);
    if (!conn) {
      std::fprintf(stderr, "wt: cannot accept connection: %s\n", error.c_str());
      return;
    }
    QuicConnection* raw = conn.get();
    connections_.emplace(serial, std::move(conn));
    ++stats_.connections;
    ++stats_.connections_total;
    if (contain(serial, "first packet", [&] { return raw->on_packet(path, data, len); }) ==
        QuicConnection::Status::kDrop) {
      remove_connection(serial);
    }
  }

  void send_version_negotiation(UdpSocket& socket, const ngtcp2_path& path,
                                const ngtcp2_version_cid& vc, std::size_t len) {
    if (len < 1200) return;  // only a padded client Initial earns an answer (anti-amplification)
    std::array<std::uint8_t, 256> buf;
    const std::uint32_t versions[] = {NGTCP2_PROTO_VER_V1};
    std::uint8_t unused = 0;
    gnutls_rnd(GNUTLS_RND_NONCE, &unused, 1);
    const ngtcp2_ssize n = ngtcp2_pkt_write_version_negotiation(
        buf.data(), buf.size(), unused, vc.scid, vc.scidlen, vc.dcid, vc.dcidlen, versions, 1);
    if (n > 0) {
      socket.send(buf.data(), static_cast<std::size_t>(n), path.remote.addr, path.remote.addrlen,
                  path.local.addr);
    }
  }

  // A short-header packet for a connection we do not know (e.g. after a restart): tell the
  // peer with a stateless reset (RFC 9000 §10.3), smaller than what it sent so two endpoints
  // can never loop, and rate limited.
  void send_stateless_reset(const ngtcp2_path& path, const ngtcp2_version_cid& vc,
                            std::size_t len) {
    if (vc.dcidlen == 0 || len < 1 + NGTCP2_MIN_STATELESS_RESET_RANDLEN + 16 + 1) return;
    const ngtcp2_tstamp now = quic_now();
    if (now - reset_window_start_ > NGTCP2_SECONDS) {
      reset_window_start_ = now;
      resets_in_window_ = 0;
    }
    if (++resets_in_window_ > kMaxStatelessResetsPerSecond) return;
    ngtcp2_cid cid;
    ngtcp2_cid_init(&cid, vc.dcid, vc.dcidlen);
    std::uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];
    if (!reset_token(cid, token)) return;
    const std::size_t randlen = std::min<std::size_t>(len - 1 - 16 - 1, 41);
    std::array<std::uint8_t, 64> rand;
    gnutls_rnd(GNUTLS_RND_NONCE, rand.data(), randlen);
    std::array<std::uint8_t, 64> buf;
    const ngtcp2_ssize n =
        ngtcp2_pkt_write_stateless_reset(buf.data(), buf.size(), token, rand.data(), randlen);
    if (n <= 0) return;
    ++stats_.stateless_resets;
    send_packet(path, buf.data(), static_cast<std::size_t>(n));
  }

  UdpSocket* socket_for(const ngtcp2_addr& local) {
    UdpSocket* fallback = nullptr;
    for (auto& s : sockets_) {
      if (s.local().family() != local.addr->sa_family) continue;
      if (s.wildcard()) {
        if (!fallback) fallback = &s;
        continue;
      }
      if (local.addr->sa_family == AF_INET) {
        if (reinterpret_cast<const sockaddr_in*>(s.local().get())->sin_addr.s_addr ==
            reinterpret_cast<const sockaddr_in*>(local.addr)->sin_addr.s_addr) {
          return &s;
        }
      } else if (IN6_ARE_ADDR_EQUAL(
                     &reinterpret_cast<const sockaddr_in6*>(s.local().get())->sin6_addr,
                     &reinterpret_cast<const sockaddr_in6*>(local.addr)->sin6_addr)) {
        return &s;
      }
    }
    return fallback;
  }

  QuicConnection* find(SessionRef session, std::string* error) {
    auto it = connections_.find(session.connection);
    if (it == connections_.end()) {
      if (error) *error = "no such connection";
      return nullptr;
    }
    return it->second.get();
  }

  std::int64_t open_stream(SessionRef session, bool bidi, std::string* error) {
    QuicConnection* conn = find(session, error);
    if (!conn) return -1;
    const std::int64_t id = conn->h3().open_stream(session.session_id, bidi, error);
    mark_dirty(session.connection);
    return id;
  }

  // API calls made from inside a handler callback cannot write packets (ngtcp2 is in the
  // middle of reading one), so their connections are flushed once the dispatch unwinds.
  void mark_dirty(std::uint64_t serial) {
    dirty_.insert(serial);
    if (dispatch_depth_ == 0) flush_dirty();
  }

  void flush_dirty() {
    while (!dirty_.empty()) {
      const std::uint64_t serial = *dirty_.begin();
      dirty_.erase(dirty_.begin());
      auto it = connections_.find(serial);
      if (it == connections_.end()) continue;
      ++dispatch_depth_;
      const auto status = contain(serial, "flush", [&] { return it->second->flush(); });
      --dispatch_depth_;
      if (status == QuicConnection::Status::kDrop) remove_connection(serial);
    }
  }

  // A handler that throws outside ngtcp2's callbacks (closing a session, say) takes down its
  // own connection, never the server (docs/webtransport.md "Failures inside callbacks").
  template <typename Step>
  QuicConnection::Status contain(std::uint64_t serial, const char* event, Step&& step) noexcept {
    try {
      return step();
    } catch (...) {
      CallbackFailure failure;
      failure.record_current_exception();
      std::fprintf(stderr, "wt: connection %llu: %s: a handler threw: %s; dropping it\n",
                   static_cast<unsigned long long>(serial), event, failure.what());
      return QuicConnection::Status::kDrop;
    }
  }

  void remove_connection(std::uint64_t serial) {
    auto it = connections_.find(serial);
    if (it == connections_.end()) return;
    contain(serial, "close", [&] {
      it->second->h3().on_connection_closed();
      return QuicConnection::Status::kDrop;
    });
    connections_.erase(it);  // unregisters its connection IDs
    --stats_.connections;
  }

  ServerConfig config_;
  Handler& handler_;
  std::shared_ptr<TlsCredentials> credentials_;
  std::array<std::uint8_t, 32> reset_secret_{};
  std::vector<UdpSocket> sockets_;
  std::uint16_t port_ = 0;
  std::unordered_map<std::string, std::uint64_t> cids_;
  std::unordered_map<std::uint64_t, std::unique_ptr<QuicConnection>> connections_;
  std::uint64_t next_serial_ = 1;
  std::set<std::uint64_t> dirty_;
  int dispatch_depth_ = 0;
  Stats stats_;
  ngtcp2_tstamp reset_window_start_ = 0;
  std::uint64_t resets_in_window_ = 0;
};

}  // namespace

std::unique_ptr<Server> Server::create(const ServerConfig& config, Handler& handler,
                                       std::string* error) {
  auto server = std::make_unique<ServerImpl>(config, handler);
  if (!server->init(error)) return nullptr;
  return server;
}

}  // namespace laneway::webtransport
