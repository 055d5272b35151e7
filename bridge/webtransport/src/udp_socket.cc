#include "udp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <utility>

namespace laneway::webtransport {

bool make_address(const std::string& ip, std::uint16_t port, SocketAddress* out) {
  *out = SocketAddress();
  auto* sin = reinterpret_cast<sockaddr_in*>(&out->storage);
  if (inet_pton(AF_INET, ip.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    out->len = sizeof(sockaddr_in);
    return true;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  if (inet_pton(AF_INET6, ip.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    out->len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

UdpSocket UdpSocket::bind(const SocketAddress& local, std::string* error) {
  UdpSocket s;
  const int family = local.family();
  s.fd_ = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd_ < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return UdpSocket();
  }
  int on = 1;
  // One socket takes every client's packets (ACKs from thousands of sessions arrive in
  // bursts after a fan-out): ask for deep kernel buffers so a burst is not dropped before
  // the event loop reads it. The kernel caps the request at net.core.rmem_max/wmem_max.
  int buffer_bytes = 4 << 20;
  setsockopt(s.fd_, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof(buffer_bytes));
  setsockopt(s.fd_, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof(buffer_bytes));
  if (family == AF_INET6) {
    // One socket per family: "::" must not also swallow IPv4 (that is "0.0.0.0"'s job).
    setsockopt(s.fd_, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    setsockopt(s.fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&local.storage);
    s.wildcard_ = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
  } else {
    setsockopt(s.fd_, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&local.storage);
    s.wildcard_ = sin->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  if (::bind(s.fd_, local.get(), local.len) != 0) {
    *error = std::string("bind: ") + strerror(errno);
    return UdpSocket();
  }
  s.local_.len = sizeof(s.local_.storage);
  getsockname(s.fd_, s.local_.get(), &s.local_.len);
  return s;
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), local_(other.local_), wildcard_(other.wildcard_) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    local_ = other.local_;
    wildcard_ = other.wildcard_;
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

long UdpSocket::receive(std::uint8_t* buf, std::size_t len, SocketAddress* remote,
                        SocketAddress* local) {
  iovec iov{buf, len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))];
  msghdr msg{};
  msg.msg_name = &remote->storage;
  msg.msg_namelen = sizeof(remote->storage);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t n = ::recvmsg(fd_, &msg, 0);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
  remote->len = msg.msg_namelen;
  *local = local_;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      reinterpret_cast<sockaddr_in*>(&local->storage)->sin_addr = info.ipi_addr;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      reinterpret_cast<sockaddr_in6*>(&local->storage)->sin6_addr = info.ipi6_addr;
    }
  }
  // A zero-length UDP datagram is valid but useless to QUIC; report it as "nothing".
  return n == 0 ? 0 : static_cast<long>(n);
}

bool UdpSocket::send(const std::uint8_t* data, std::size_t len, const sockaddr* remote,
                     socklen_t remote_len, const sockaddr* local) {
  iovec iov{const_cast<std::uint8_t*>(data), len};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr*>(remote);
  msg.msg_namelen = remote_len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  if (wildcard_ && local) {
    msg.msg_control = control;
    cmsghdr* c = reinterpret_cast<cmsghdr*>(control);
    if (local->sa_family == AF_INET) {
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo info{};
      info.ipi_spec_dst = reinterpret_cast<const sockaddr_in*>(local)->sin_addr;
      memcpy(CMSG_DATA(c), &info, sizeof(info));
      msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    } else {
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo info{};
      info.ipi6_addr = reinterpret_cast<const sockaddr_in6*>(local)->sin6_addr;
      memcpy(CMSG_DATA(c), &info, sizeof(info));
      msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    }
  }
  for (;;) {
    if (::sendmsg(fd_, &msg, 0) >= 0) return true;
    if (errno == EINTR) continue;
    // EAGAIN: the kernel buffer is full; QUIC treats the packet as lost and retransmits.
    return false;
  }
}

}  // namespace laneway::webtransport
