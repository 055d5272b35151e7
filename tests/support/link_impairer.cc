#include "link_impairer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <list>
#include <random>
#include <string>
#include <vector>

namespace laneway::test {
namespace {

using Clock = std::chrono::steady_clock;

struct Chunk {
  Clock::time_point due;
  std::string bytes;
  std::size_t sent = 0;
};

// One direction of one relayed connection.
struct Direction {
  int from = -1;
  int to = -1;
  std::deque<Chunk> held;
  std::size_t held_bytes = 0;
  Clock::time_point last_due{};
  bool from_closed = false;
};

struct Pair {
  Direction up, down;
  bool dead = false;
};

int connect_to(const std::string& host, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

LinkImpairer::LinkImpairer(const std::string& listen_host, const std::string& target_host,
                           std::uint16_t target_port)
    : target_host_(target_host), target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return;
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, listen_host.c_str(), &addr.sin_addr) != 1) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  socklen_t length = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

LinkImpairer::~LinkImpairer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void LinkImpairer::pass() {
  std::lock_guard lock(mutex_);
  mode_ = Mode{};
}

void LinkImpairer::blackhole() {
  std::lock_guard lock(mutex_);
  mode_.blackhole = true;
}

void LinkImpairer::impair(std::chrono::milliseconds delay, double loss) {
  std::lock_guard lock(mutex_);
  mode_ = Mode{false, delay, loss};
}

void LinkImpairer::reset_connections() {
  reset_ = true;
}

LinkImpairer::Mode LinkImpairer::mode() {
  std::lock_guard lock(mutex_);
  return mode_;
}

void LinkImpairer::run() {
  std::list<Pair> pairs;
  std::mt19937 random(12345);  // fixed seed: the same impairment pattern every run
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  char buffer[16384];

  auto close_pair = [](Pair& pair) {
    ::close(pair.up.from);
    ::close(pair.down.from);
    pair.dead = true;
  };
  // Reads what `d.from` has into the held queue, stamped with its delivery time.
  auto read_into = [&](Direction& d, const Mode& mode) {
    if (d.from_closed || d.held_bytes >= kMaxHeldBytes) return true;
    const ssize_t n = ::read(d.from, buffer, sizeof buffer);
    if (n == 0) {
      d.from_closed = true;
      return true;
    }
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    auto due = Clock::now() + mode.delay;
    if (mode.loss > 0 && unit(random) < mode.loss) due += kRetransmitTimeout;
    if (due < d.last_due) due = d.last_due;  // never reorder within a connection
    d.last_due = due;
    d.held.push_back({due, std::string(buffer, static_cast<std::size_t>(n)), 0});
    d.held_bytes += static_cast<std::size_t>(n);
    return true;
  };
  // Writes what is due to `d.to`; false when the connection failed.
  auto flush = [&](Direction& d, const Mode& mode) {
    const auto now = Clock::now();
    while (!mode.blackhole && !d.held.empty() && d.held.front().due <= now) {
      Chunk& chunk = d.held.front();
      const ssize_t n = ::send(d.to, chunk.bytes.data() + chunk.sent,
                               chunk.bytes.size() - chunk.sent, MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      chunk.sent += static_cast<std::size_t>(n);
      if (chunk.sent < chunk.bytes.size()) return true;
      d.held_bytes -= chunk.bytes.size();
      d.held.pop_front();
    }
    return true;
  };

  while (!stop_) {
    if (reset_.exchange(false)) {
      for (auto& pair : pairs) {
        const linger hard{1, 0};  // RST, not FIN
        ::setsockopt(pair.up.from, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        ::setsockopt(pair.down.from, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        close_pair(pair);
      }
      pairs.clear();
    }
    const Mode current = mode();
    std::vector<pollfd> fds;
    fds.push_back({listen_fd_, POLLIN, 0});
    // A direction holding its bound is not read: the sender's TCP window closes instead.
    auto wanted = [](const Direction& d) -> short {
      return d.held_bytes < kMaxHeldBytes && !d.from_closed ? POLLIN : 0;
    };
    for (auto& pair : pairs) {
      fds.push_back({pair.up.from, wanted(pair.up), 0});
      fds.push_back({pair.down.from, wanted(pair.down), 0});
    }
    ::poll(fds.data(), fds.size(), 5);
    if (fds[0].revents & POLLIN) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client >= 0) {
        const int upstream = connect_to(target_host_, target_port_);
        if (upstream < 0) {
          ::close(client);
        } else {
          ++accepted_;
          Pair& pair = pairs.emplace_back();
          pair.up.from = client;
          pair.up.to = upstream;
          pair.down.from = upstream;
          pair.down.to = client;
        }
      }
    }
    std::size_t index = 1;
    for (auto& pair : pairs) {
      const bool up_ready = fds[index++].revents & (POLLIN | POLLHUP | POLLERR);
      const bool down_ready = fds[index++].revents & (POLLIN | POLLHUP | POLLERR);
      bool ok = true;
      if (up_ready) ok = read_into(pair.up, current) && ok;
      if (down_ready) ok = read_into(pair.down, current) && ok;
      ok = flush(pair.up, current) && flush(pair.down, current) && ok;
      const bool drained = pair.up.held.empty() && pair.down.held.empty();
      if (!ok || ((pair.up.from_closed || pair.down.from_closed) && drained)) close_pair(pair);
    }
    pairs.remove_if([](const Pair& pair) { return pair.dead; });
  }
  for (auto& pair : pairs) close_pair(pair);
}

}  // namespace laneway::test
