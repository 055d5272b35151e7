// Fan-out across bridge replicas (docs/scale.md "Bridge replicas"): the same workload, one
// MQTT publisher to N WebSocket sessions, delivered by one laneway-bridge, then by two
// replicas on the same broker with the sessions split between them, side by side in one
// run and measured by the same load client (bench/bridge/ws_fanout.cc). Prints
// deliveries/s, p50/p99 publish→client latency, and bridge CPU per delivery summed over the
// replicas, with the ratios two/one. On a 2-core box the load client and the broker share
// the cores with the replicas, so the ratio says what a second process on the same box
// buys, not what a second box would.
//
// usage: replicas_fanout_bench [--total M] [N ...]   (default N: 1000 5000; M: 200000)
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_replica.h"
#include "broker_harness.h"
#include "laneway.pb.h"
#include "net.h"
#include "proc_stats.h"
#include "process.h"
#include "temp_dir.h"
#include "test_tokens.h"
#include "ws_fanout.h"

namespace {

using namespace std::chrono_literals;
namespace test = laneway::test;
namespace bench = laneway::bench;

int fail(const std::string& why) {
  std::fprintf(stderr, "replicas_fanout_bench: %s\n", why.c_str());
  return 1;
}

void print_row(int n, const char* name, const bench::WsFanoutResult& r) {
  if (!r.error.empty() && r.delivered == 0) {
    std::printf("%7d %-10s failed: %s\n", n, name, r.error.c_str());
    return;
  }
  std::printf("%7d %-10s %13.0f %8.2f %8.2f %9ld/%-9ld %6d %8.2f %8.2f %13.2f%s%s\n", n, name,
              r.deliveries_per_s, r.p50_ms, r.p99_ms, r.delivered, r.expected, r.closed_during_run,
              r.bridge_cpu_s, r.client_cpu_s, r.bridge_cpu_s * 1e6 / std::max(1L, r.delivered),
              r.error.empty() ? "" : "  ", r.error.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  int total = 200000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--total" && i + 1 < argc) {
      total = std::atoi(argv[++i]);
    } else if (const int n = std::atoi(arg.c_str()); n > 0 && n <= 60000) {
      sizes.push_back(n);
    } else {
      return fail("usage: replicas_fanout_bench [--total M] [N ...]");
    }
  }
  if (sizes.empty()) sizes = {1000, 5000};
  laneway::bench::raise_open_files_limit();  // room for every session on both ends

  test::BrokerHarness broker;
  if (!broker.setup_error().empty()) return fail(broker.setup_error());
  if (!broker.add_device("bench-1") || !broker.add_service("bridge", "bridge-1") ||
      !broker.add_service("bridge", "bridge-2") ||
      !broker.certs(
          {"server", "--name", "bench-https", "--dns", "localhost", "--ip", "127.0.0.1"})) {
    return fail("PKI setup");
  }
  if (!broker.start()) return fail("mosquitto did not start:\n" + broker.log());
  test::TempDir dir("laneway-replicas-fanout");

  // Both replicas run throughout, mirroring as a deployed tier does; the one-replica runs
  // simply put no session on the second.
  int ports[2];
  std::optional<test::Process> replicas[2];
  for (int i = 0; i < 2; ++i) {
    ports[i] = test::free_tcp_port();
    std::string why;
    replicas[i] =
        bench::start_replica(broker, dir, "bridge-" + std::to_string(i + 1), ports[i], true, why);
    if (!replicas[i]) return fail(why);
  }
  const std::vector<int> pids{replicas[0]->pid(), replicas[1]->pid()};

  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  laneway::v1::Frame connect;
  connect.mutable_call()->set_id(1);
  auto* request = connect.mutable_call()->mutable_connect();
  request->set_app_id("bench");
  request->set_token(laneway::bridge::testing::mint_token(
      "HS256", bench::kReplicaAppSecret,
      nlohmann::json{{"sub", "bench"}, {"app", "bench"}, {"exp", now + 7200}}));
  request->set_client("replicas-fanout");
  request->add_subscriptions()->set_filter("devices/bench-1/#");

  std::printf(
      "fan-out over replicas: 1 MQTT publisher -> N WebSocket sessions (QoS 0, 8-byte\n"
      "payloads), all on one replica, then split over two; CPU s over the delivery phase,\n"
      "bridge CPU summed over the replicas\n");
  std::printf("%7s %-10s %13s %8s %8s %19s %6s %8s %8s %13s\n", "N", "replicas", "deliveries/s",
              "p50 ms", "p99 ms", "delivered/expected", "closed", "CPU brg", "CPU cli",
              "brg µs/deliv");
  for (int n : sizes) {
    bench::WsFanoutConfig one;
    one.port = ports[0];
    one.server_name = "localhost";
    one.origin = "https://127.0.0.1:" + std::to_string(ports[0]);
    one.ca_file = broker.pki() + "/ca.crt";
    one.bridge_pid = pids[0];
    one.broker_pid = broker.pid();
    one.sessions = n;
    one.messages = std::max(10, total / n);
    one.connect_frame = connect.SerializeAsString();
    one.topic = "devices/bench-1/telemetry";
    one.broker_port = broker.port();
    one.device = broker.device("bench-1");
    auto two = one;
    two.replica_ports = {ports[1]};
    two.replica_pids = {pids[1]};

    const auto a = bench::run_ws_fanout(one);
    bench::wait_until_idle(pids, 10s);  // the previous run's sessions closing
    print_row(n, "1", a);
    std::fflush(stdout);
    const auto b = bench::run_ws_fanout(two);
    bench::wait_until_idle(pids, 10s);  // the previous run's sessions closing
    print_row(n, "2", b);
    if (a.error.empty() && b.error.empty()) {
      std::printf(
          "%7d ratio two/one: deliveries/s %.2fx, p99 %.2fx, bridge CPU per delivery %.2fx\n", n,
          b.deliveries_per_s / std::max(1e-9, a.deliveries_per_s),
          b.p99_ms / std::max(1e-9, a.p99_ms),
          (b.bridge_cpu_s / std::max(1L, b.delivered)) /
              std::max(1e-12, a.bridge_cpu_s / std::max(1L, a.delivered)));
    }
    std::fflush(stdout);
  }
  for (auto& r : replicas) r->stop();
  broker.stop();
  return 0;
}
