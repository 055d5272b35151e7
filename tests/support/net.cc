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
  explicit Socket(int fd) : fd(fd) {}
  ~Socket() {
    if (fd >= 0) close(fd);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd;
};

std::uint16_t bound_port(int type) {
  Socket s(socket(AF_INET, type, 0));
  if (s.fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return 0;
  socklen_t len = sizeof(addr);
  if (getsockname(s.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

}  // namespace

std::uint16_t free_tcp_port() {
  return bound_port(SOCK_STREAM);
}
std::uint16_t free_udp_port() {
  return bound_port(SOCK_DGRAM);
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
