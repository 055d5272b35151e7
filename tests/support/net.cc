#include "net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace laneway::test {

namespace {

// Closes the descriptor on scope exit.
struct Socket {
  Socket() = default;
  explicit Socket(int fd) : fd(fd) {}
  ~Socket() {
    if (fd >= 0) close(fd);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd = -1;
};

// Binds a fresh socket of `type` in `s` to the loopback of `family` at `port` (0: the kernel
// picks one) and returns the bound port, or 0. No SO_REUSEADDR: a port any socket still
// uses on that address (listening, connected or in TIME_WAIT) is refused, which is the
// point of the check.
std::uint16_t bind_loopback(Socket& s, int family, int type, std::uint16_t port) {
  s.fd = socket(family, type, 0);
  if (s.fd < 0) return 0;
  sockaddr_storage storage{};
  socklen_t len = 0;
  if (family == AF_INET6) {
    // ::1 only, so the IPv4 half of the check stays the other socket's.
    const int on = 1;
    if (setsockopt(s.fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) return 0;
    auto* addr = reinterpret_cast<sockaddr_in6*>(&storage);
    addr->sin6_family = AF_INET6;
    addr->sin6_addr = in6addr_loopback;
    addr->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  }
  if (bind(s.fd, reinterpret_cast<sockaddr*>(&storage), len) != 0) return 0;
  if (getsockname(s.fd, reinterpret_cast<sockaddr*>(&storage), &len) != 0) return 0;
  return ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                                  : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

// A port free on 127.0.0.1 and, when the kernel has it, on ::1. The kernel hands out a port
// free for one address only: the same number may be in use on the other loopback (another
// test's ::1 server, or a client's ephemeral port to [::1]), and a test server on ::1 or on
// both loopbacks would then fail to bind. Both binds are held together while checking.
std::uint16_t free_port(int type) {
  constexpr int kAttempts = 64;  // each collision is rare; this bounds a pathological host
  for (int i = 0; i < kAttempts; ++i) {
    Socket v4;
    const std::uint16_t port = bind_loopback(v4, AF_INET, type, 0);
    if (port == 0) return 0;
    if (!have_ipv6_loopback()) return port;
    Socket v6;
    if (bind_loopback(v6, AF_INET6, type, port) == port) return port;
  }
  return 0;
}

}  // namespace

bool have_ipv6_loopback() {
  static const bool available = [] {
    Socket s;
    return bind_loopback(s, AF_INET6, SOCK_STREAM, 0) != 0;
  }();
  return available;
}

std::uint16_t free_tcp_port() {
  return free_port(SOCK_STREAM);
}
std::uint16_t free_udp_port() {
  return free_port(SOCK_DGRAM);
}

bool wait_for_tcp_port(std::uint16_t port, std::chrono::milliseconds timeout,
                       const std::string& host) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const bool v6 = host.find(':') != std::string::npos;
  while (std::chrono::steady_clock::now() < deadline) {
    Socket s(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
    int rc = -1;
    if (v6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(port);
      inet_pton(AF_INET6, host.c_str(), &addr.sin6_addr);
      rc = connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
      rc = connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    }
    if (rc == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace laneway::test
