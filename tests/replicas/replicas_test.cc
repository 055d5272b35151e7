// A bridge tier of two replicas behind one name, with the SDK in headless Chromium moving
// between them (docs/scale.md "Bridge replicas"): real mosquitto + plugin, a real device
// publishing QoS 1 at 50 msg/s, real laneway-bridge processes. Each test kills, drains or
// restarts replicas while a page is subscribed, and the page checks what it received
// (browser/replicas.mjs): every seq exactly once and in order when nothing could be lost,
// and every loss reported (recovered=false or a gap) when something was.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "process.h"
#include "replica_tier.h"
#include "wait.h"

namespace laneway::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing;
    if (!std::filesystem::exists(std::string(LANEWAY_E2E_DIR) + "/node_modules/playwright-core"))
      missing = "npm packages of tests/web/browser (scripts/deps.sh installs them)";
    if (!std::filesystem::exists("/usr/bin/chromium")) missing = "/usr/bin/chromium";
    if (!std::filesystem::exists(std::string(LANEWAY_WEB_DIR) + "/sdk/laneway.js"))
      missing = std::string(LANEWAY_WEB_DIR) + "/sdk/laneway.js (scripts/build.sh builds it)";
    if (!missing.empty()) {
      // Under CI a missing prerequisite is a failure, never a quiet skip.
      if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true") FAIL() << missing;
      GTEST_SKIP() << missing;
    }
  }

  void start_tier(int running) {
    tier_.emplace(ReplicaTier::Options{});
    ASSERT_EQ(tier_->error(), "");
    for (int i = 0; i < running; ++i) {
      std::string why;
      ASSERT_TRUE(tier_->start(i, why)) << why;
    }
  }

  // Starts replicas.mjs `scenario` on `lane` and waits for it to print READY.
  void start_page(const std::string& scenario, const std::string& lane) {
    json cfg{{"urls", tier_->base_urls()},
             {"appId", ReplicaTier::kAppId},
             {"secret", ReplicaTier::kSecret},
             {"device", ReplicaTier::kDevice},
             {"serverCert", tier_->server_cert()},
             {"lane", lane},
             {"flagDir", tier_->dir()},
             {"timeoutMs", 120000}};
    const std::string path = tier_->dir() + "/scenario.json";
    std::ofstream(path) << cfg.dump(2);
    Process::Options options;
    options.argv = {"node", std::string(LANEWAY_REPLICAS_DIR) + "/browser/replicas.mjs", path,
                    scenario};
    options.log_path = tier_->dir() + "/node.log";
    std::string why;
    node_ = Process::start(options, &why);
    ASSERT_TRUE(node_) << why;
    ASSERT_TRUE(wait_until(
        [&] { return node_->output().find("READY") != std::string::npos || !node_->running(); },
        60s, 100ms));
    ASSERT_NE(node_->output().find("READY"), std::string::npos) << node_->output() << tier_->logs();
  }

  // The replica the page's session is on.
  int page_replica() { return tier_->wait_for_holder(-1, 10s); }

  // Waits until the page's session is on another replica than `from`.
  int wait_moved(int from) { return tier_->wait_for_holder(from, 30s); }

  void go(int step) { std::ofstream(tier_->dir() + "/go-" + std::to_string(step)) << "1"; }

  void expect_pass(const std::string& scenario) {
    ASSERT_TRUE(node_->wait_exit(150s).has_value()) << node_->output();
    std::printf("--- page ---\n%s", node_->output().c_str());  // what it saw, pass or fail
    EXPECT_NE(node_->output().find("PASS " + scenario), std::string::npos)
        << node_->output() << tier_->logs();
  }

  // One replica goes away under the page (`signal`): the page moves to the other.
  void fail_over(const std::string& lane, int signal) {
    start_tier(2);
    if (HasFatalFailure()) return;
    start_page(signal == SIGKILL ? "kill" : "drain", lane);
    if (HasFatalFailure()) return;
    const int on = page_replica();
    ASSERT_GE(on, 0) << tier_->logs();
    tier_->stop(on, signal);
    go(1);
    EXPECT_GE(wait_moved(on), 0) << node_->output() << tier_->logs();
    go(2);
    expect_pass(signal == SIGKILL ? "kill" : "drain");
  }

  std::optional<ReplicaTier> tier_;
  std::optional<Process> node_;
};

TEST_F(ReplicasTest, KillMinusNineOverWebSocketLosesNothing) {
  fail_over("ws", SIGKILL);
}
TEST_F(ReplicasTest, KillMinusNineOverSseLosesNothing) {
  fail_over("sse", SIGKILL);
}
TEST_F(ReplicasTest, KillMinusNineOverWebTransportLosesNothing) {
  fail_over("wt", SIGKILL);
}
TEST_F(ReplicasTest, DrainIsOnlyALaneChange) {
  fail_over("ws", SIGTERM);
}

// Both replicas restarted one after the other while the device publishes.
TEST_F(ReplicasTest, RollingRestartLosesNothing) {
  start_tier(2);
  if (HasFatalFailure()) return;
  start_page("rolling", "auto");
  if (HasFatalFailure()) return;
  for (int round = 0; round < 2; ++round) {
    const int on = page_replica();
    ASSERT_GE(on, 0) << tier_->logs();
    tier_->stop(on, SIGTERM);
    ASSERT_GE(wait_moved(on), 0) << node_->output() << tier_->logs();
    std::string why;
    ASSERT_TRUE(tier_->start(on, why)) << why;
  }
  go(1);
  go(2);
  expect_pass("rolling");
}

// The only replica left started after messages the page missed: the page must be told.
TEST_F(ReplicasTest, AReplicaStartedAfterTheGapSaysSo) {
  start_tier(1);
  if (HasFatalFailure()) return;
  start_page("late", "ws");
  if (HasFatalFailure()) return;
  tier_->stop(0, SIGKILL);
  std::this_thread::sleep_for(2s);  // published meanwhile, held by no replica
  std::string why;
  ASSERT_TRUE(tier_->start(1, why)) << why;
  go(1);
  go(2);
  expect_pass("late");
}

// An RPC in flight when its replica dies is answered with a typed error, never left hanging.
TEST_F(ReplicasTest, AnRpcInFlightAcrossAKillGetsATypedError) {
  start_tier(2);
  if (HasFatalFailure()) return;
  start_page("rpc", "ws");
  if (HasFatalFailure()) return;
  const int on = page_replica();
  ASSERT_GE(on, 0) << tier_->logs();
  tier_->stop(on, SIGKILL);
  go(1);
  go(2);
  expect_pass("rpc");
}

}  // namespace
}  // namespace laneway::test
