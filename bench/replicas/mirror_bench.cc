// What a bridge replica pays for history.mirror (docs/scale.md "Bridge replicas"): two
// laneway-bridge processes on one broker side by side in one run, neither with a session;
// one mirrors `devices/#`, the other does not (the baseline: what an idle replica costs).
// A simulated fleet publishes at a fixed rate over many topics; the benchmark prints each
// bridge's CPU seconds and RSS over the run, and the mirror's cost per 1,000 msg/s.
//
// Usage: replicas_mirror_bench [DEVICES=200] [RATE_PER_DEVICE=5] [SECONDS=20]
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "bench_replica.h"
#include "broker_harness.h"
#include "net.h"
#include "proc_stats.h"
#include "process.h"
#include "temp_dir.h"

namespace {

using namespace std::chrono_literals;
namespace test = laneway::test;
namespace bench = laneway::bench;

int fail(const std::string& why) {
  std::fprintf(stderr, "replicas_mirror_bench: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int devices = argc > 1 ? std::atoi(argv[1]) : 200;
  const double rate = argc > 2 ? std::atof(argv[2]) : 5;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 20;
  if (devices <= 0 || rate <= 0 || seconds <= 0) {
    return fail("usage: replicas_mirror_bench [DEVICES] [RATE_PER_DEVICE] [SECONDS]");
  }
  test::BrokerHarness broker;
  if (!broker.setup_error().empty()) return fail(broker.setup_error());
  if (!broker.add_service("bridge", "bridge-1") || !broker.add_service("bridge", "bridge-2") ||
      !broker.certs(
          {"server", "--name", "bench-https", "--dns", "localhost", "--ip", "127.0.0.1"})) {
    return fail("certificates");
  }
  if (!broker.start()) return fail("mosquitto did not start:\n" + broker.log());
  test::TempDir dir("laneway-mirror-bench");

  // A mirroring replica and the baseline without the mirror.
  std::optional<test::Process> bridges[2];
  const char* names[2] = {"mirror", "baseline"};
  for (int i = 0; i < 2; ++i) {
    std::string why;
    bridges[i] = bench::start_replica(broker, dir, "bridge-" + std::to_string(i + 1),
                                      test::free_tcp_port(), i == 0, why);
    if (!bridges[i]) return fail(why);
  }

  test::Process::Options fleet;
  fleet.argv = broker.simulate_argv(
      LANEWAY_FLEET_BIN, {"--devices", std::to_string(devices), "--prefix", "d-", "--group", "demo",
                          "--rate", std::to_string(rate), "--stats-interval", "0"});
  auto simulator = test::Process::start(fleet);
  if (!simulator) return fail("laneway-fleet simulate did not start");
  std::this_thread::sleep_for(5s);  // every device connected and publishing

  double cpu0[2];
  for (int i = 0; i < 2; ++i) cpu0[i] = bench::cpu_s(bridges[i]->pid());
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  double cpu[2];
  long rss[2];
  for (int i = 0; i < 2; ++i) {
    cpu[i] = bench::cpu_s(bridges[i]->pid()) - cpu0[i];
    rss[i] = bench::rss_kb(bridges[i]->pid());
  }
  simulator->stop();
  const double offered = devices * rate;
  std::printf("history.mirror cost: %d devices x %.1f msg/s = %.0f msg/s over %d topics, %d s\n",
              devices, rate, offered, devices, seconds);
  std::printf("%-9s %12s %12s\n", "bridge", "CPU s", "RSS MiB");
  for (int i = 0; i < 2; ++i) {
    std::printf("%-9s %12.2f %12.1f\n", names[i], cpu[i], static_cast<double>(rss[i]) / 1024);
  }
  const double per_k = 1000 / offered;
  std::printf(
      "mirror - baseline per 1,000 msg/s: %.3f CPU cores, %.1f MiB RSS (history of %d "
      "topics); mirror/baseline CPU %.1fx\n",
      (cpu[0] - cpu[1]) / seconds * per_k, static_cast<double>(rss[0] - rss[1]) / 1024 * per_k,
      devices, cpu[1] > 0 ? cpu[0] / cpu[1] : 0.0);
  for (auto& b : bridges) b->stop();
  broker.stop();
  return 0;
}
