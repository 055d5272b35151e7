// Time to recover after losing a replica (docs/scale.md "Bridge replicas"): a Chromium page
// on the SDK with both replicas' URLs receives a device's 50 msg/s; the benchmark takes
// away the replica the page is on, waits until the page is on the other, starts the first
// again, and repeats. Recovery time = from the signal to the first message the page
// receives on its new session, p50/p99/max over the rounds. Two modes side by side in one
// run: SIGTERM (a drain: the replica tells the page to move; the baseline) and SIGKILL (a
// crash: the page notices the dead lane itself). Also prints what the page received:
// duplicates, seq jumps and resumes with recovered=false (all zero when nothing was lost).
//
// usage: replicas_recover_bench [ROUNDS=20] [LANE=ws]
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "percentile.h"
#include "process.h"
#include "replica_tier.h"
#include "wait.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace test = laneway::test;

int fail(const std::string& why) {
  std::fprintf(stderr, "replicas_recover_bench: %s\n", why.c_str());
  return 1;
}

double wall_ms() {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count()) /
         1000.0;
}

struct Round {
  int signal = 0;
  double at_ms = 0;  // when the signal was sent
};

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::string lane = argc > 2 ? argv[2] : "ws";
  if (rounds <= 0 || rounds > 500) return fail("usage: replicas_recover_bench [ROUNDS] [LANE]");

  test::ReplicaTier tier(test::ReplicaTier::Options{});
  if (!tier.error().empty()) return fail(tier.error());
  for (int i = 0; i < 2; ++i) {
    std::string why;
    if (!tier.start(i, why)) return fail(why);
  }
  const json cfg{{"urls", tier.base_urls()},
                 {"appId", test::ReplicaTier::kAppId},
                 {"secret", test::ReplicaTier::kSecret},
                 {"device", test::ReplicaTier::kDevice},
                 {"serverCert", tier.server_cert()},
                 {"lane", lane},
                 {"flagDir", tier.dir()},
                 {"timeoutMs", 3600000}};
  const std::string path = tier.dir() + "/recover.json";
  std::ofstream(path) << cfg.dump(2);
  test::Process::Options options;
  options.argv = {"node", std::string(LANEWAY_REPLICAS_BENCH_DIR) + "/recover_page.mjs", path};
  options.log_path = tier.dir() + "/recover-page.log";
  std::string why;
  auto page = test::Process::start(options, &why);
  if (!page) return fail(why);
  auto printed = [&](const char* marker) {
    return test::wait_until(
        [&] { return !page->running() || page->output().find(marker) != std::string::npos; }, 60s,
        50ms);
  };
  if (!printed("READY") || page->output().find("READY") == std::string::npos) {
    return fail("the page never received:\n" + page->output());
  }

  std::vector<Round> done;
  for (const int signal : {SIGTERM, SIGKILL}) {
    for (int r = 0; r < rounds; ++r) {
      const int on = tier.wait_for_holder(-1, 10s);
      if (on < 0) return fail("no replica holds the page's session:\n" + tier.logs());
      done.push_back({signal, wall_ms()});
      tier.stop(on, signal);
      if (tier.wait_for_holder(on, 30s) < 0)
        return fail("the page did not move:\n" + page->output());
      if (!tier.start(on, why)) return fail(why);
      std::this_thread::sleep_for(1s);  // the page receives on the new session meanwhile
    }
  }
  std::ofstream(tier.dir() + "/done") << "1";
  if (!page->wait_exit(60s).has_value()) return fail("the page did not finish");
  const std::string out = page->output();
  const auto at = out.find("RESULT ");
  if (at == std::string::npos) return fail("the page reported nothing:\n" + out);
  const json result = json::parse(out.substr(at + 7, out.find('\n', at) - at - 7));
  const std::vector<double> firsts = result["firsts"].get<std::vector<double>>();

  std::printf(
      "time to recover over %d rounds per mode, lane %s, 50 msg/s QoS 1: signal -> first\n"
      "message on the page's new session\n",
      rounds, lane.c_str());
  std::printf("%-14s %8s %8s %8s %8s %8s\n", "mode", "rounds", "p50 ms", "p99 ms", "max ms",
              "missed");
  double p50[2] = {0, 0};
  for (int m = 0; m < 2; ++m) {
    const int signal = m == 0 ? SIGTERM : SIGKILL;
    std::vector<double> times;
    int missed = 0;
    for (const Round& round : done) {
      if (round.signal != signal) continue;
      const auto next = std::upper_bound(firsts.begin(), firsts.end(), round.at_ms);
      if (next == firsts.end()) {
        ++missed;
      } else {
        times.push_back(*next - round.at_ms);
      }
    }
    std::sort(times.begin(), times.end());
    p50[m] = laneway::bench::percentile(times, 0.5);
    std::printf("%-14s %8zu %8.0f %8.0f %8.0f %8d\n", m == 0 ? "SIGTERM drain" : "SIGKILL crash",
                times.size(), p50[m], laneway::bench::percentile(times, 0.99),
                times.empty() ? -1.0 : *std::max_element(times.begin(), times.end()), missed);
  }
  std::printf("ratio crash/drain p50: %.2fx\n", p50[1] / std::max(1e-9, p50[0]));
  std::printf(
      "page: %d messages, %d duplicates, %d seq jumps, %d resumes recovered=false, %d "
      "gap events\n",
      result["received"].get<int>(), result["duplicates"].get<int>(), result["jumps"].get<int>(),
      result["notRecovered"].get<int>(), result["gaps"].get<int>());
  return 0;
}
