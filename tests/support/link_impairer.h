// A user-space TCP relay that impairs one link for a test (this kernel has no netem): every
// connection to its loopback port is relayed to a target port, and the test switches the
// link between passing, a blackhole (nothing delivered, connections stay open, as when a
// route dies) and impaired (each chunk held `delay`, and with probability `loss` held a
// further retransmission timeout: what TCP over a lossy path shows the application).
// Bytes are never dropped or reordered within a connection. Held bytes are bounded per
// direction; beyond the bound the relay stops reading, so the sender's TCP backs off.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace laneway::test {

class LinkImpairer {
 public:
  static constexpr std::size_t kMaxHeldBytes = 16u << 20;
  static constexpr std::chrono::milliseconds kRetransmitTimeout{200};

  // Listens on a free port of `listen_host` and relays to target_host:target_port (IPv4
  // addresses: loopback, or a NetworkLab's); port() is 0 if listening failed.
  LinkImpairer(const std::string& listen_host, const std::string& target_host,
               std::uint16_t target_port);
  ~LinkImpairer();
  LinkImpairer(const LinkImpairer&) = delete;
  LinkImpairer& operator=(const LinkImpairer&) = delete;

  std::uint16_t port() const { return port_; }
  void pass();
  void blackhole();
  void impair(std::chrono::milliseconds delay, double loss);
  // Closes every relayed connection (both ends see a reset).
  void reset_connections();
  std::uint64_t connections_accepted() const { return accepted_; }

 private:
  struct Mode {
    bool blackhole = false;
    std::chrono::milliseconds delay{0};
    double loss = 0;
  };
  Mode mode();
  void run();

  std::string target_host_;
  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::mutex mutex_;
  Mode mode_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> reset_{false};
  std::atomic<std::uint64_t> accepted_{0};
  std::thread thread_;
};

}  // namespace laneway::test
