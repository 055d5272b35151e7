// broker_bench: the same TLS workload against mosquitto with the laneway plugin (mapping
// active) and against mosquitto with the identical listener and no plugin, side by side.
// Prints deliveries per second for each and the ratio plugin/bare. Never asserts on time.
//
// Workloads: one publisher -> 1 subscriber and -> 100 subscribers, QoS 0 and QoS 1. The
// publisher is an operator on `broadcast/bench`; subscribers are one device certificate
// with client ids `d-sub/<n>`. All clients run on one thread with libmosquitto's
// non-threaded API and poll(), so the benchmark itself costs little CPU. The publisher keeps
// at most `kWindow` messages ahead of the slowest subscriber, so neither broker drops QoS 0
// messages and both see the same offered load.
//
// Two figures per side: deliveries per wall-clock second, and deliveries per second of CPU
// the broker process itself used (utime + stime from /proc). On a shared, loaded machine the
// wall-clock rate mostly measures the scheduler; the CPU-normalised rate measures what the
// plugin costs the broker, so its ratio is the steadier one.
#include <mosquitto.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "broker_harness.h"
#include "proc_stats.h"

namespace {

using laneway::test::BrokerHarness;
using laneway::test::ClientOptions;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint64_t kWindow = 200;
constexpr const char* kTopic = "broadcast/bench";

struct BenchClient {
  mosquitto* mosq = nullptr;
  bool connected = false;
  bool failed = false;
  bool subscribed = false;
  std::uint64_t received = 0;
  ~BenchClient() {
    if (mosq) mosquitto_destroy(mosq);
  }
};

void on_connect(mosquitto*, void* self, int rc) {
  auto* c = static_cast<BenchClient*>(self);
  c->connected = rc == 0;
  c->failed = rc != 0;
}
void on_disconnect(mosquitto*, void* self, int) {
  auto* c = static_cast<BenchClient*>(self);
  c->connected = false;
  c->failed = true;
}
void on_subscribe(mosquitto*, void* self, int, int count, const int* granted) {
  auto* c = static_cast<BenchClient*>(self);
  c->subscribed = count > 0 && granted[0] < 0x80;
  c->failed = !c->subscribed;
}
void on_message(mosquitto*, void* self, const mosquitto_message*) {
  ++static_cast<BenchClient*>(self)->received;
}

std::unique_ptr<BenchClient> make_client(const ClientOptions& o, int port) {
  auto client = std::make_unique<BenchClient>();
  client->mosq = mosquitto_new(o.client_id.c_str(), true, client.get());
  if (!client->mosq) return nullptr;
  mosquitto_int_option(client->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_tls_set(client->mosq, o.cafile.c_str(), nullptr, o.certfile.c_str(), o.keyfile.c_str(),
                    nullptr);
  mosquitto_connect_callback_set(client->mosq, on_connect);
  mosquitto_disconnect_callback_set(client->mosq, on_disconnect);
  mosquitto_subscribe_callback_set(client->mosq, on_subscribe);
  mosquitto_message_callback_set(client->mosq, on_message);
  if (mosquitto_connect(client->mosq, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) return nullptr;
  return client;
}

// One poll() pass over every client's socket.
void pump(std::vector<BenchClient*>& clients, int timeout_ms) {
  std::vector<pollfd> fds;
  fds.reserve(clients.size());
  for (auto* c : clients) {
    const int fd = mosquitto_socket(c->mosq);
    short events = POLLIN;
    if (mosquitto_want_write(c->mosq)) events |= POLLOUT;
    fds.push_back({fd, events, 0});
  }
  poll(fds.data(), fds.size(), timeout_ms);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    mosquitto* m = clients[i]->mosq;
    if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) mosquitto_loop_read(m, 1);
    if (mosquitto_want_write(m)) mosquitto_loop_write(m, 1);
    mosquitto_loop_misc(m);
  }
}

template <typename Pred>
bool pump_until(std::vector<BenchClient*>& clients, Pred pred, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    pump(clients, 10);
  }
  return true;
}

struct Rates {
  double wall = -1;  // deliveries per wall-clock second
  double cpu = -1;   // deliveries per broker CPU second
};

struct Workload {
  const char* name;
  int subscribers;
  int qos;
  std::uint64_t messages;
};

// Deliveries (messages received, summed over subscribers) per second; negative on failure.
Rates run_workload(BrokerHarness& broker, const Workload& w) {
  const Rates failed;
  std::vector<std::unique_ptr<BenchClient>> owned;
  std::vector<BenchClient*> all;
  std::vector<BenchClient*> subs;
  for (int i = 0; i < w.subscribers; ++i) {
    auto c = make_client(broker.device("d-sub", 5, "d-sub/" + std::to_string(i)), broker.port());
    if (!c) return failed;
    subs.push_back(c.get());
    all.push_back(c.get());
    owned.push_back(std::move(c));
  }
  auto pub_owned = make_client(broker.service("operator", "alice"), broker.port());
  if (!pub_owned) return failed;
  BenchClient* pub = pub_owned.get();
  all.push_back(pub);

  auto all_connected = [&] {
    return std::all_of(all.begin(), all.end(), [](auto* c) { return c->connected || c->failed; });
  };
  if (!pump_until(all, all_connected, 30s)) return failed;
  for (auto* c : all)
    if (!c->connected) return failed;
  for (auto* c : subs) mosquitto_subscribe(c->mosq, nullptr, kTopic, w.qos);
  auto all_subscribed = [&] {
    return std::all_of(subs.begin(), subs.end(),
                       [](auto* c) { return c->subscribed || c->failed; });
  };
  if (!pump_until(all, all_subscribed, 30s)) return failed;
  for (auto* c : subs)
    if (!c->subscribed) return failed;

  const std::string payload(64, 'x');
  auto slowest = [&] {
    std::uint64_t low = UINT64_MAX;
    for (auto* c : subs) low = std::min(low, c->received);
    return low;
  };
  std::uint64_t published = 0;
  const double cpu_start = laneway::bench::cpu_s(broker.pid());
  const auto start = Clock::now();
  const auto deadline = start + 120s;
  while (slowest() < w.messages) {
    if (Clock::now() > deadline || pub->failed) return failed;
    while (published < w.messages && published < slowest() + kWindow) {
      if (mosquitto_publish(pub->mosq, nullptr, kTopic, static_cast<int>(payload.size()),
                            payload.data(), w.qos, false) != MOSQ_ERR_SUCCESS)
        return failed;
      ++published;
    }
    pump(all, 5);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu_seconds = laneway::bench::cpu_s(broker.pid()) - cpu_start;
  for (auto* c : all) mosquitto_disconnect(c->mosq);
  pump(all, 10);
  const double deliveries = static_cast<double>(w.messages) * w.subscribers;
  Rates rates;
  rates.wall = deliveries / seconds;
  rates.cpu = cpu_seconds > 0 ? deliveries / cpu_seconds : -1;
  return rates;
}

bool prepare(BrokerHarness& broker) {
  if (!broker.setup_error().empty()) {
    std::fprintf(stderr, "broker_bench: %s\n", broker.setup_error().c_str());
    return false;
  }
  if (!broker.add_device("d-sub") || !broker.add_service("operator", "alice") || !broker.start()) {
    std::fprintf(stderr, "broker_bench: cannot start broker: %s\n", broker.log().c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Optional scale factor for the message counts (default 1).
  const double scale = argc > 1 ? std::max(0.01, std::atof(argv[1])) : 1.0;
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  mosquitto_lib_init();

  BrokerHarness::Options bare_options;
  bare_options.plugin = false;
  BrokerHarness bare(bare_options);
  BrokerHarness plugin;  // default mapping devices/#,fleet/#,broadcast/#: envelopes on
  if (!prepare(bare) || !prepare(plugin)) return 1;

  auto count = [&](double n) { return static_cast<std::uint64_t>(std::max(100.0, n * scale)); };
  const Workload workloads[] = {
      {"1 pub -> 1 sub,   QoS 0", 1, 0, count(40000)},
      {"1 pub -> 1 sub,   QoS 1", 1, 1, count(40000)},
      {"1 pub -> 100 subs, QoS 0", 100, 0, count(2000)},
      {"1 pub -> 100 subs, QoS 1", 100, 1, count(2000)},
  };
  std::printf(
      "broker_bench: TLS 1.2+ on loopback, 64-byte payloads, best of %d rounds "
      "(order alternating)\n",
      rounds);
  std::printf("%-26s %9s %11s %11s %7s   %13s %13s %7s\n", "workload", "messages", "bare msg/s",
              "plugin msg/s", "ratio", "bare msg/cpu-s", "plugin msg/cpu-s", "ratio");
  bool ok = true;
  for (const auto& w : workloads) {
    Rates bare_best, plugin_best;
    auto keep_best = [](Rates& best, const Rates& r) {
      best.wall = std::max(best.wall, r.wall);
      best.cpu = std::max(best.cpu, r.cpu);
    };
    for (int r = 0; r < rounds; ++r) {
      // Alternate which goes first, so warm-up and load drift hit both sides alike.
      if (r % 2 == 0) {
        keep_best(bare_best, run_workload(bare, w));
        keep_best(plugin_best, run_workload(plugin, w));
      } else {
        keep_best(plugin_best, run_workload(plugin, w));
        keep_best(bare_best, run_workload(bare, w));
      }
    }
    if (bare_best.wall <= 0 || plugin_best.wall <= 0) {
      std::printf("%-26s failed\n", w.name);
      ok = false;
      continue;
    }
    std::printf("%-26s %9llu %11.0f %11.0f %7.3f   %13.0f %13.0f %7.3f\n", w.name,
                static_cast<unsigned long long>(w.messages * w.subscribers), bare_best.wall,
                plugin_best.wall, plugin_best.wall / bare_best.wall, bare_best.cpu, plugin_best.cpu,
                plugin_best.cpu / bare_best.cpu);
  }
  mosquitto_lib_cleanup();
  return ok ? 0 : 1;
}
