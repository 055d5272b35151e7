// cluster_bench: what the broker tier costs and carries as a cluster, against a single
// broker in the same run (docs/scale.md "Measured"). Never asserts on time.
//
//   1. Latency at a fixed offered rate: one device publishes QoS 0 telemetry at --rate for
//      --seconds; an operator on the sequencing broker receives the envelopes. Single: device
//      and operator on one broker. Cluster: device on an edge, operator on the core, so each
//      message crosses the edge's bridge connection (TLS, another host's namespace) and is
//      sequenced at the core. The bridge's lanes add the same on both sides, so this is the
//      part a cluster changes. p50/p99/p99.9 and the ratio.
//   2. Sequencing cost: `laneway-fleet simulate` devices publishing as fast as the load
//      asks (--load-devices x --load-rate msg/s); envelopes the operator counts per CPU
//      second of the sequencing broker (single, or the core). Its inverse is the core's
//      ceiling: one mosquitto uses one CPU.
//   3. Connections per edge: --idle devices connecting at once (laneway-fleet simulate,
//      rate 0): handshakes per second, and the broker's RSS per idle TLS connection, single
//      broker vs edge.
// Then a capacity model from those figures (how many edges and cores for 100k and 1M
// devices at one message per 10 s).
//
//   cluster_bench [--rate 200] [--seconds 10] [--load-devices 100] [--load-rate 50]
//                 [--idle 1000]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "broker_harness.h"
#include "cluster_harness.h"
#include "laneway.pb.h"
#include "laneway/wire/frame_codec.h"
#include "percentile.h"
#include "proc_stats.h"
#include "simulator_summary.h"
#include "wait.h"

namespace {

using namespace std::chrono_literals;
using laneway::test::BrokerHarness;
using laneway::test::ClientOptions;
using laneway::test::ClusterHarness;
using laneway::test::MqttTestClient;
using Clock = std::chrono::steady_clock;

struct Args {
  int rate = 200;
  int seconds = 10;
  int load_devices = 100;
  int load_rate = 50;
  int idle = 1000;
  int qos = 0;  // of the latency workload
};

// One side of the comparison: where the device connects, where the operator listens, and
// the pid of the broker that sequences.
struct Side {
  std::string name;
  ClientOptions device;
  int device_port = 0;
  ClientOptions watcher;
  int watcher_port = 0;
  int sequencer_pid = -1;
  int device_broker_pid = -1;
  std::string pki, registry;
  std::string device_host;
};

struct Percentiles {
  double p50 = -1, p99 = -1, p999 = -1;
  std::size_t count = 0, sent = 0;
};

Percentiles percentiles(std::vector<double> ms, std::size_t sent) {
  Percentiles p;
  p.count = ms.size();
  p.sent = sent;
  if (ms.empty()) return p;
  std::sort(ms.begin(), ms.end());
  p.p50 = laneway::bench::percentile(ms, 0.50);
  p.p99 = laneway::bench::percentile(ms, 0.99);
  p.p999 = laneway::bench::percentile(ms, 0.999);
  return p;
}

Percentiles measure_latency(const Side& side, const Args& args) {
  MqttTestClient watcher(side.watcher);
  MqttTestClient device(side.device);
  if (watcher.connect(side.watcher_port) != 0 || device.connect(side.device_port) != 0 ||
      watcher.subscribe("$lw/env/devices/lat-1/telemetry") != 1)
    return {};
  // Warm-up: the first message also proves the path (subscriptions, registry copy) is up.
  if (!laneway::test::wait_until(
          [&] {
            device.publish("devices/lat-1/telemetry", "warm-up", 0);
            return watcher.wait_topic("$lw/env/devices/lat-1/telemetry", 200ms).has_value();
          },
          20s, 10ms))
    return {};
  std::this_thread::sleep_for(300ms);
  while (watcher.pending() > 0) watcher.wait_topic("$lw/env/devices/lat-1/telemetry", 10ms);

  const int total = args.rate * args.seconds;
  std::vector<Clock::time_point> sent_at(total);
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / args.rate);
  const auto start = Clock::now();
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + i * interval);
    sent_at[i] = Clock::now();
    device.publish("devices/lat-1/telemetry", std::to_string(i), args.qos);
  }
  std::vector<double> ms;
  ms.reserve(total);
  for (int i = 0; i < total; ++i) {
    const auto message = watcher.wait_topic("$lw/env/devices/lat-1/telemetry", 3s);
    if (!message) break;
    laneway::v1::Frame frame;
    if (laneway::wire::decode_frame(message->payload, frame) != laneway::wire::WireError::kOk)
      continue;
    const int n = std::atoi(frame.envelope().payload().c_str());
    if (n < 0 || n >= total) continue;
    ms.push_back(
        std::chrono::duration<double, std::milli>(message->received_at - sent_at[n]).count());
  }
  return percentiles(std::move(ms), total);
}

// Runs laneway-fleet simulate against the side's device broker; returns its summary.
std::map<std::string, double> simulate(const Side& side, const std::string& prefix, int devices,
                                       double rate, int duration_s,
                                       const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {LANEWAY_FLEET_BIN,
                                   "simulate",
                                   "--devices",
                                   std::to_string(devices),
                                   "--pki",
                                   side.pki,
                                   "--registry",
                                   side.registry,
                                   "--host",
                                   side.device_host,
                                   "--port",
                                   std::to_string(side.device_port),
                                   "--prefix",
                                   prefix,
                                   "--rate",
                                   std::to_string(rate),
                                   "--duration",
                                   std::to_string(duration_s),
                                   "--stats-interval",
                                   "0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::string output;
  laneway::test::run_command(argv, &output, std::chrono::seconds(duration_s + 120));
  return laneway::bench::parse_simulator_summary(output);
}

struct Load {
  double envelopes = 0, cpu_s = 0;
  double per_cpu_s() const { return cpu_s > 0 ? envelopes / cpu_s : -1; }
};

Load measure_sequencing(const Side& side, const Args& args) {
  // Certificates and registration first, so the timed run does not wait for edges' copies.
  simulate(side, "load-", args.load_devices, 0, 2);
  std::this_thread::sleep_for(2s);
  MqttTestClient watcher(side.watcher);
  if (watcher.connect(side.watcher_port) != 0 || watcher.subscribe("$lw/env/devices/#", 0) != 0)
    return {};
  const double cpu0 = laneway::bench::cpu_s(side.sequencer_pid);
  simulate(side, "load-", args.load_devices, args.load_rate, args.seconds);
  std::this_thread::sleep_for(1s);
  Load load;
  load.cpu_s = laneway::bench::cpu_s(side.sequencer_pid) - cpu0;
  load.envelopes = static_cast<double>(watcher.pending());
  return load;
}

struct Connections {
  double handshakes_per_s = -1;
  double kb_per_connection = -1;
};

Connections measure_connections(const Side& side, const Args& args) {
  simulate(side, "idle-", args.idle, 0, 2);  // issue + register
  std::this_thread::sleep_for(3s);
  const long rss0 = laneway::bench::rss_kb(side.device_broker_pid);
  // A run long enough to sample the RSS with every device connected.
  long rss1 = 0;
  std::thread sampler([&] {
    std::this_thread::sleep_for(std::chrono::seconds(std::max(8, args.idle / 200)));
    rss1 = laneway::bench::rss_kb(side.device_broker_pid);
  });
  const auto summary = simulate(side, "idle-", args.idle, 0, std::max(10, args.idle / 200 + 4),
                                {"--connect-rate", "5000", "--max-connecting", "128"});
  sampler.join();
  Connections c;
  const auto all = summary.find("all_connected_after_s");
  if (all != summary.end() && all->second > 0) c.handshakes_per_s = args.idle / all->second;
  if (rss1 > rss0) c.kb_per_connection = static_cast<double>(rss1 - rss0) / args.idle;
  return c;
}

double ratio(double a, double b) {
  return (a > 0 && b > 0) ? a / b : -1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (key == "--rate")
      args.rate = std::max(1, value);
    else if (key == "--seconds")
      args.seconds = std::max(1, value);
    else if (key == "--load-devices")
      args.load_devices = std::max(1, value);
    else if (key == "--load-rate")
      args.load_rate = std::max(1, value);
    else if (key == "--idle")
      args.idle = std::max(10, value);
    else if (key == "--qos")
      args.qos = std::clamp(value, 0, 1);
    else {
      std::fprintf(stderr,
                   "usage: cluster_bench [--rate N] [--seconds N] [--qos 0|1] "
                   "[--load-devices N] [--load-rate N] [--idle N]\n");
      return 2;
    }
  }

  BrokerHarness single;
  ClusterHarness cluster;
  if (!single.setup_error().empty() || !cluster.setup_error().empty()) {
    std::fprintf(stderr, "cluster_bench: %s%s\n", single.setup_error().c_str(),
                 cluster.setup_error().c_str());
    return 1;
  }
  for (auto* ok :
       {single.add_device("lat-1") ? "" : "x", single.add_service("operator", "bench") ? "" : "x",
        cluster.add_device("lat-1") ? "" : "x",
        cluster.add_service("operator", "bench") ? "" : "x"})
    if (*ok) return std::fprintf(stderr, "cluster_bench: certificates failed\n"), 1;
  if (!single.start() || !cluster.start()) {
    std::fprintf(stderr, "cluster_bench: brokers did not start\n%s\n",
                 cluster.setup_error().c_str());
    return 1;
  }

  Side one{"single",
           single.device("lat-1"),
           single.port(),
           single.service("operator", "bench"),
           single.port(),
           single.pid(),
           single.pid(),
           single.pki(),
           single.dir() + "/fleet.db",
           "127.0.0.1"};
  Side many{"edge->core",
            cluster.device_at("edge-a", "lat-1"),
            cluster.edge_port("edge-a"),
            cluster.service_at_core("operator", "bench"),
            cluster.core_port(),
            cluster.core_pid(),
            cluster.edge_pid("edge-a"),
            cluster.pki_dir(),
            cluster.registry_path(),
            cluster.edge_host("edge-a")};
  one.watcher.client_id = many.watcher.client_id = "operator-bench";

  std::printf("cluster_bench: %d msg/s for %d s; load %d devices x %d msg/s; %d idle devices\n\n",
              args.rate, args.seconds, args.load_devices, args.load_rate, args.idle);

  const Percentiles l1 = measure_latency(one, args);
  const Percentiles l2 = measure_latency(many, args);
  std::printf("1. latency device -> envelope at the sequencing broker, %d msg/s QoS %d (ms)\n",
              args.rate, args.qos);
  std::printf("   %-12s %9s %9s %9s %12s\n", "", "p50", "p99", "p99.9", "delivered");
  for (const auto* p : {&l1, &l2})
    std::printf("   %-12s %9.2f %9.2f %9.2f %6zu/%-6zu\n", p == &l1 ? "single" : "edge->core",
                p->p50, p->p99, p->p999, p->count, p->sent);
  std::printf("   %-12s %9.2fx %8.2fx %8.2fx\n\n", "ratio", ratio(l2.p50, l1.p50),
              ratio(l2.p99, l1.p99), ratio(l2.p999, l1.p999));

  const Load s1 = measure_sequencing(one, args);
  const Load s2 = measure_sequencing(many, args);
  std::printf(
      "2. sequencing, %d msg/s offered: envelopes per CPU second of the sequencing broker\n",
      args.load_devices * args.load_rate);
  std::printf("   single       %9.0f envelopes, %6.2f cpu-s, %9.0f /cpu-s\n", s1.envelopes,
              s1.cpu_s, s1.per_cpu_s());
  std::printf("   core         %9.0f envelopes, %6.2f cpu-s, %9.0f /cpu-s   ratio %.2fx\n\n",
              s2.envelopes, s2.cpu_s, s2.per_cpu_s(), ratio(s2.per_cpu_s(), s1.per_cpu_s()));

  const Connections c1 = measure_connections(one, args);
  const Connections c2 = measure_connections(many, args);
  std::printf("3. %d devices connecting at once (TLS, mTLS)\n", args.idle);
  std::printf("   single       %8.0f handshakes/s %8.1f KB per idle connection\n",
              c1.handshakes_per_s, c1.kb_per_connection);
  std::printf(
      "   edge         %8.0f handshakes/s %8.1f KB per idle connection   ratio %.2fx, %.2fx\n\n",
      c2.handshakes_per_s, c2.kb_per_connection, ratio(c2.handshakes_per_s, c1.handshakes_per_s),
      ratio(c2.kb_per_connection, c1.kb_per_connection));

  // Capacity model: one message per 10 s per device; a mosquitto process uses one CPU, kept
  // at half of it for headroom; connections bounded by memory (1 GB each edge for them) and
  // the reconnect storm by handshakes/s.
  const double per_cpu = s2.per_cpu_s();
  const double kb = c2.kb_per_connection;
  const double hs = c2.handshakes_per_s;
  std::printf("4. capacity model (0.1 msg/s per device, brokers at 50 %% of one CPU)\n");
  for (const double devices : {1e5, 1e6}) {
    const double msgs = devices * 0.1;
    const double edges_by_memory = kb > 0 ? std::ceil(devices * kb / 1e6) : -1;
    const double edge_cpu = msgs / (std::max(1.0, edges_by_memory));
    const double cores = per_cpu > 0 ? std::ceil(msgs / (0.5 * per_cpu)) : -1;
    const double storm_s = hs > 0 && edges_by_memory > 0 ? devices / (hs * edges_by_memory) : -1;
    std::printf(
        "   %7.0fk devices: %8.0f msg/s; edges (1 GB of connections each) %4.0f, %.0f msg/s "
        "each; sequencing cores %3.0f; full reconnect storm %.0f s\n",
        devices / 1000, msgs, edges_by_memory, edge_cpu, cores, storm_s);
  }
  return 0;
}
