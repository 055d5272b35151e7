// fleet_bench [devices=2000] [seconds=30] [rate=1] [connect_rate=200]: how many simulated devices
// one `laneway-fleet simulate` process holds, how fast they connect, what they publish and the
// simulator's RSS, against mosquitto with the laneway plugin and against the identical TLS
// listener without it (the baseline), side by side in one run. Prints figures and the
// plugin/bare ratios; never asserts on time.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "broker_harness.h"
#include "proc_stats.h"
#include "process.h"
#include "simulator_summary.h"

namespace {

using namespace std::chrono_literals;
using laneway::test::BrokerHarness;
using laneway::test::Process;

std::map<std::string, double> run(bool plugin, int devices, int seconds, double rate,
                                  int connect_rate) {
  BrokerHarness::Options options;
  options.plugin = plugin;
  BrokerHarness broker(options);
  if (!broker.setup_error().empty() || !broker.start()) {
    std::fprintf(stderr, "broker failed: %s %s\n", broker.setup_error().c_str(),
                 broker.log().c_str());
    return {};
  }
  std::string error;
  auto sim = Process::start(
      {broker.simulate_argv(
           LANEWAY_FLEET_BIN,
           {"--devices", std::to_string(devices), "--rate", std::to_string(rate), "--duration",
            std::to_string(seconds), "--stats-interval", "5", "--group", "bench", "--connect-rate",
            std::to_string(connect_rate), "--max-connecting", "256"}),
       {},
       "",
       ""},
      &error);
  if (!sim) {
    std::fprintf(stderr, "simulator failed to start: %s\n", error.c_str());
    return {};
  }
  // Certificates for a fresh PKI are issued first (about 2 ms each), then the run.
  if (!sim->wait_exit(std::chrono::seconds(seconds + 300))) {
    std::fprintf(stderr, "simulator did not finish:\n%s\n", sim->output().c_str());
    return {};
  }
  const std::string output = sim->output();
  auto values = laneway::bench::parse_simulator_summary(output);
  if (values.empty()) std::fprintf(stderr, "no summary:\n%s\n", output.c_str());
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  const int devices = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 30;
  const double rate = argc > 3 ? std::atof(argv[3]) : 1.0;
  const int connect_rate = argc > 4 ? std::atoi(argv[4]) : 200;
  if (devices < 1 || seconds < 1 || rate < 0 || connect_rate < 1) {
    std::fprintf(stderr,
                 "usage: fleet_bench [devices>=1] [seconds>=1] [rate>=0] [connect_rate>=1]\n");
    return 2;
  }
  laneway::bench::raise_open_files_limit();  // the broker needs one fd per device
  auto bare = run(false, devices, seconds, rate, connect_rate);
  auto plugin = run(true, devices, seconds, rate, connect_rate);
  if (bare.empty() || plugin.empty()) return 1;
  std::printf("%-24s %12s %12s %8s\n", "figure", "bare", "plugin", "ratio");
  for (const char* key : {"ever_connected", "connected", "all_connected_after_s", "published",
                          "refused", "disconnects", "connect_timeouts", "rss_kb", "cpu_s"}) {
    const double b = bare[key];
    const double p = plugin[key];
    std::printf("%-24s %12.2f %12.2f %8.2f\n", key, b, p, b != 0 ? p / b : 0.0);
  }
  std::printf("devices=%d seconds=%d rate=%.2f/s per device connect_rate=%d/s\n", devices, seconds,
              rate, connect_rate);
  return 0;
}
