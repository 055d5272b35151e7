// Non-blocking UDP sockets for QUIC, with the packet's local address recovered through
// IP_PKTINFO / IPV6_PKTINFO (so a socket bound to 0.0.0.0 or :: still knows which address a
// packet came in on, and answers from that same address).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace laneway::webtransport {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

// Parses an IPv4 or IPv6 literal plus port. False if `ip` is not a literal.
bool make_address(const std::string& ip, std::uint16_t port, SocketAddress* out);

class UdpSocket {
 public:
  // Binds `local`; on failure returns an invalid socket and sets `error`.
  static UdpSocket bind(const SocketAddress& local, std::string* error);
  UdpSocket() = default;
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const SocketAddress& local() const { return local_; }
  bool wildcard() const { return wildcard_; }

  // Reads one datagram. Returns its size, 0 when nothing is waiting, -1 on error. `local`
  // gets the address the datagram was sent to (bound address, IP from PKTINFO).
  long receive(std::uint8_t* buf, std::size_t len, SocketAddress* remote, SocketAddress* local);
  // Sends one datagram from `local` (used as source when the socket is a wildcard).
  bool send(const std::uint8_t* data, std::size_t len, const sockaddr* remote, socklen_t remote_len,
            const sockaddr* local);

 private:
  int fd_ = -1;
  SocketAddress local_;
  bool wildcard_ = false;
};

}  // namespace laneway::webtransport
