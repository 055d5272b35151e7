#include "wt_fanout.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "laneway_wt_client.h"
#include "percentile.h"
#include "proc_stats.h"

namespace laneway::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kSampleEvery = 50;  // latency sampled on every 50th session, as the WS client

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

struct Sessions {
  std::vector<std::unique_ptr<test::LanewayWtClient>> clients;
  std::vector<pollfd> fds;
  std::vector<bool> alive;

  // Closes every connection so the next run starts from a bridge without leftovers.
  ~Sessions() {
    for (auto& c : clients) c->quic().close();
    ::poll(nullptr, 0, 1000);
  }

  // One round: services every client with input or a due timer; waits at most `wait_ms`.
  void pump(int wait_ms) {
    if (fds.size() != clients.size()) {
      fds.clear();
      for (auto& c : clients) fds.push_back({c->quic().fd(), POLLIN, 0});
    }
    if (alive.size() != clients.size()) alive.assign(clients.size(), true);
    const std::uint64_t now = now_ns();
    std::uint64_t next = now + static_cast<std::uint64_t>(wait_ms) * 1000000;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (alive[i]) next = std::min<std::uint64_t>(next, clients[i]->quic().expiry());
    }
    const int timeout = next <= now ? 0 : static_cast<int>((next - now) / 1000000);
    ::poll(fds.data(), fds.size(), timeout);
    const std::uint64_t after = now_ns();
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (!alive[i]) continue;
      if ((fds[i].revents & POLLIN) || clients[i]->quic().expiry() <= after) {
        alive[i] = clients[i]->service();  // a dead connection is never polled again
      }
    }
  }
};

}  // namespace

WtFanoutResult run_wt_fanout(const WtFanoutConfig& cfg) {
  WtFanoutResult r;
  // The device connects before the sessions open: libmosquitto's loop uses select(), which
  // cannot watch a descriptor numbered 1024 or above, and N sessions push new ones past it.
  test::MqttTestClient device(cfg.device);
  if (device.connect(cfg.broker_port) != 0) {
    r.error = "the device could not connect";
    return r;
  }
  Sessions s;
  const long rss_before = rss_kb(cfg.bridge_pid);
  const auto deadline = Clock::now() + std::chrono::seconds(cfg.timeout_s);
  for (int i = 0; i < cfg.sessions; ++i) {
    auto c = std::make_unique<test::LanewayWtClient>();
    const std::string local = "127.0.0." + std::to_string(2 + i % 200);
    c->app_id = cfg.app_id;
    std::string error;
    if (!c->open(local, cfg.wt_port, &error) ||
        !c->connect(cfg.token, {cfg.filter}, 10s, &error, cfg.datagrams)) {
      r.error = "session " + std::to_string(i) + ": " + error;
      return r;
    }
    s.clients.push_back(std::move(c));
    // Keep the earlier sessions answered (ACKs, timers) while the rest connect.
    if (i % 20 == 19) s.pump(0);
    if (Clock::now() > deadline) {
      r.error = "connecting took too long";
      return r;
    }
  }
  for (auto settle = Clock::now() + 1500ms; Clock::now() < settle;) s.pump(10);
  const long rss_idle = rss_kb(cfg.bridge_pid);
  r.rss_per_idle_session_bytes = (rss_idle - rss_before) * 1024.0 / cfg.sessions;

  std::vector<double> latencies;
  double last_delivery = 0;
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    const bool sample = i % kSampleEvery == 0;
    s.clients[i]->clear_frames();
    s.clients[i]->on_frame = [&, sample](const v1::Frame& f, bool) {
      if (!f.has_envelope()) return;
      ++r.delivered;
      last_delivery = now_ms();
      const std::string& p = f.envelope().payload();
      if (sample && p.size() == sizeof(double)) {
        double sent = 0;
        std::memcpy(&sent, p.data(), sizeof sent);
        latencies.push_back(last_delivery - sent);
      }
    };
  }

  r.expected = static_cast<long>(cfg.sessions) * cfg.messages;
  const double bridge_cpu_start = cpu_s(cfg.bridge_pid);
  const double client_cpu_start = own_cpu_s();
  const double start = now_ms();
  last_delivery = start;
  for (int m = 0; m < cfg.messages; ++m) {
    const double t = now_ms();
    std::string payload(sizeof t, '\0');
    std::memcpy(payload.data(), &t, sizeof t);
    device.publish(cfg.topic, payload, 0);
    s.pump(0);
    if (m % 10 == 9) {
      for (auto until = Clock::now() + std::chrono::milliseconds(cfg.publish_pause_ms);
           Clock::now() < until;) {
        s.pump(1);
      }
    }
  }
  // Datagrams may be lost (that is their contract): stop once nothing arrived for 3 s.
  while (r.delivered < r.expected && Clock::now() < deadline && now_ms() - last_delivery < 3000) {
    s.pump(20);
  }
  // Let late duplicates (if any) show; none are expected.
  for (auto until = Clock::now() + 200ms; Clock::now() < until;) s.pump(10);
  r.deliveries_per_s = r.delivered / std::max(1e-9, (last_delivery - start) / 1000.0);
  std::sort(latencies.begin(), latencies.end());
  r.p50_ms = percentile(latencies, 0.5);
  r.p99_ms = percentile(latencies, 0.99);
  device.disconnect();
  r.bridge_cpu_s = cpu_s(cfg.bridge_pid) - bridge_cpu_start;
  r.client_cpu_s = own_cpu_s() - client_cpu_start;
  return r;
}

}  // namespace laneway::bench
