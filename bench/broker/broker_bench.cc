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

struct Workload {
  const char* name;
  int subscribers;
  int qos;
  std::uint64_t messages;
};

// Deliveries per second (messages received, summed over subscribers), or < 0 on failure.
double run_workload(BrokerHarness& broker, const Workload& w) {
  std::vector<std::unique_ptr<BenchClient>> owned;
  std::vector<BenchClient*> all;
  std::vector<BenchClient*> subs;
  for (int i = 0; i < w.subscribers; ++i) {
    auto c = make_client(broker.device("d-sub", 5, "d-sub/" + std::to_string(i)), broker.port());
    if (!c) return -1;
    subs.push_back(c.get());
    all.push_back(c.get());
    owned.push_back(std::move(c));
  }
  auto pub_owned = make_client(broker.service("operator", "alice"), broker.port());
  if (!pub_owned) return -1;
  BenchClient* pub = pub_owned.get();
  all.push_back(pub);

  auto all_connected = [&] {
    return std::all_of(all.begin(), all.end(), [](auto* c) { return c->connected || c->failed; });
  };
  if (!pump_until(all, all_connected, 30s)) return -1;
  for (auto* c : all)
    if (!c->connected) return -1;
  for (auto* c : subs) mosquitto_subscribe(c->mosq, nullptr, kTopic, w.qos);
  auto all_subscribed = [&] {
    return std::all_of(subs.begin(), subs.end(),
                       [](auto* c) { return c->subscribed || c->failed; });
  };
  if (!pump_until(all, all_subscribed, 30s)) return -1;
  for (auto* c : subs)
    if (!c->subscribed) return -1;

  const std::string payload(64, 'x');
  auto slowest = [&] {
    std::uint64_t low = UINT64_MAX;
    for (auto* c : subs) low = std::min(low, c->received);
    return low;
  };
  std::uint64_t published = 0;
  const auto start = Clock::now();
  const auto deadline = start + 120s;
  while (slowest() < w.messages) {
    if (Clock::now() > deadline || pub->failed) return -1;
    while (published < w.messages && published < slowest() + kWindow) {
      if (mosquitto_publish(pub->mosq, nullptr, kTopic, static_cast<int>(payload.size()),
                            payload.data(), w.qos, false) != MOSQ_ERR_SUCCESS)
        return -1;
      ++published;
    }
    pump(all, 5);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto* c : all) mosquitto_disconnect(c->mosq);
  pump(all, 10);
  return static_cast<double>(w.messages) * w.subscribers / seconds;
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
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
  mosquitto_lib_init();

  BrokerHarness::Options bare_options;
  bare_options.plugin = false;
  BrokerHarness bare(bare_options);
  BrokerHarness plugin;  // default mapping devices/#,fleet/#,broadcast/#: envelopes on
  if (!prepare(bare) || !prepare(plugin)) return 1;

  auto count = [&](double n) { return static_cast<std::uint64_t>(std::max(100.0, n * scale)); };
  const Workload workloads[] = {
      {"1 pub -> 1 sub,   QoS 0", 1, 0, count(20000)},
      {"1 pub -> 1 sub,   QoS 1", 1, 1, count(20000)},
      {"1 pub -> 100 subs, QoS 0", 100, 0, count(1000)},
      {"1 pub -> 100 subs, QoS 1", 100, 1, count(1000)},
  };
  std::printf(
      "broker_bench: TLS 1.2+ on loopback, 64-byte payloads, best of %d rounds "
      "(order alternating)\n",
      rounds);
  std::printf("%-26s %12s %14s %14s %8s\n", "workload", "messages", "bare msg/s", "plugin msg/s",
              "ratio");
  bool ok = true;
  for (const auto& w : workloads) {
    double best_bare = -1;
    double best_plugin = -1;
    for (int r = 0; r < rounds; ++r) {
      // Alternate which goes first, so warm-up and load drift hit both sides alike.
      if (r % 2 == 0) {
        best_bare = std::max(best_bare, run_workload(bare, w));
        best_plugin = std::max(best_plugin, run_workload(plugin, w));
      } else {
        best_plugin = std::max(best_plugin, run_workload(plugin, w));
        best_bare = std::max(best_bare, run_workload(bare, w));
      }
    }
    if (best_bare <= 0 || best_plugin <= 0) {
      std::printf("%-26s failed (bare %.0f, plugin %.0f)\n", w.name, best_bare, best_plugin);
      ok = false;
      continue;
    }
    std::printf("%-26s %12llu %14.0f %14.0f %8.3f\n", w.name,
                static_cast<unsigned long long>(w.messages * w.subscribers), best_bare, best_plugin,
                best_plugin / best_bare);
  }
  mosquitto_lib_cleanup();
  return ok ? 0 : 1;
}
