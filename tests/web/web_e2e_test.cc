// The web part end to end: headless Debian chromium (tests/web/browser/e2e.mjs, playwright-
// core) against the whole system of WebSystem — real mosquitto + plugin, real simulated
// devices, and laneway-bridge serving the built SDK bundle and dashboard. Each test starts
// its own system (ctest runs each in its own process), on free loopback ports.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "net.h"
#include "process.h"
#include "wait.h"
#include "web_system.h"

namespace laneway::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kScenarioTimeout = 200s;
constexpr const char* kWaitsForWebTransport =
    "waits for the WebTransport lane (issue 7): this laneway-bridge refuses 'webtransport'";
constexpr const char* kWaitsForRpc =
    "waits for RPC over the web lanes (issue 6): this laneway-bridge refuses apps[].rpc";
constexpr const char* kWaitsForLaneSwitches =
    "waits for lane switches (issue 6): this laneway-bridge refuses 'lanes'";

class WebE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string e2e = LANEWAY_E2E_DIR;
    const std::string web = LANEWAY_WEB_DIR;
    if (!std::filesystem::exists(e2e + "/node_modules/playwright-core")) {
      GTEST_SKIP() << "npm packages of tests/web/browser missing (scripts/deps.sh installs them)";
    }
    if (!std::filesystem::exists("/usr/bin/chromium")) {
      GTEST_SKIP() << "/usr/bin/chromium missing (scripts/deps.sh installs it)";
    }
    ASSERT_TRUE(std::filesystem::exists(web + "/index.html") &&
                std::filesystem::exists(web + "/sdk/laneway.js"))
        << web
        << " has no built dashboard / SDK bundle (the web_bundle test or scripts/build.sh builds "
           "it)";
  }

  void start(WebSystemOptions options = {}) {
    system_.emplace(options);
    ASSERT_EQ(system_->error(), "");
  }

  json scenario_config(const json& extra) {
    WebSystem& s = *system_;
    json cfg{{"bridgePort", s.bridge_port()},
             {"appId", WebSystem::kAppId},
             {"secret", WebSystem::kSecret},
             {"group", WebSystem::kGroup},
             {"devices", s.device_ids()},
             {"serverCert", s.server_cert()},
             {"expectWebTransport", s.has_webtransport()},
             {"deadUdpPort", free_udp_port()},
             {"artifactsDir", LANEWAY_ARTIFACTS_DIR},
             {"restartedFlag", s.dir() + "/restarted"},
             {"timeoutMs", 180000}};
    cfg.update(extra);
    return cfg;
  }

  std::string write_config(const std::string& name, const json& extra) {
    const std::string path = system_->dir() + "/scenario-" + name + ".json";
    std::ofstream(path) << scenario_config(extra).dump(2);
    return path;
  }

  // Runs one e2e.mjs scenario to completion; its output (and the bridge's) on failure.
  void run_scenario(const std::string& name, const json& extra = json::object()) {
    std::string output;
    const int rc = run_command(
        {"node", std::string(LANEWAY_E2E_DIR) + "/e2e.mjs", write_config(name, extra), name},
        &output, kScenarioTimeout);
    EXPECT_EQ(rc, 0) << output << "\n--- bridge log ---\n" << system_->bridge_log();
    EXPECT_NE(output.find("PASS " + name), std::string::npos) << output;
    EXPECT_TRUE(system_->bridge_running()) << "the bridge died:\n" << system_->bridge_log();
    print_artifacts(output);
  }

  static void print_artifacts(const std::string& output) {
    for (auto pos = output.find("SCREENSHOT "); pos != std::string::npos;
         pos = output.find("SCREENSHOT ", pos + 1)) {
      const auto end = output.find('\n', pos);
      std::printf("artifact: %s\n", output.substr(pos + 11, end - pos - 11).c_str());
    }
  }

  // Features from parallel issues: a bridge that provably lacks one (its --check refuses
  // the option) skips the test naming what it waits for; once the feature is in the
  // binary, the test runs and must pass.
  bool lacks(bool feature) const { return !feature; }

  std::optional<WebSystem> system_;
};

// ---- forced lanes: receive, publish, RPC ---------------------------------------------

TEST_F(WebE2eTest, ForcedWebSocketReceivesAndPublishes) {
  ASSERT_NO_FATAL_FAILURE(start());
  run_scenario("lane", {{"lane", "ws"}});
}
TEST_F(WebE2eTest, ForcedSseReceivesAndPublishes) {
  ASSERT_NO_FATAL_FAILURE(start());
  run_scenario("lane", {{"lane", "sse"}});
}
TEST_F(WebE2eTest, ForcedWebTransportReceivesAndPublishes) {
  ASSERT_NO_FATAL_FAILURE(start());
  if (lacks(system_->features().webtransport)) GTEST_SKIP() << kWaitsForWebTransport;
  run_scenario("lane", {{"lane", "wt"}});
}
TEST_F(WebE2eTest, ForcedWebSocketCallsADevice) {
  ASSERT_NO_FATAL_FAILURE(start());
  if (lacks(system_->features().rpc)) GTEST_SKIP() << kWaitsForRpc;
  run_scenario("rpc", {{"lane", "ws"}});
}
TEST_F(WebE2eTest, ForcedSseCallsADevice) {
  ASSERT_NO_FATAL_FAILURE(start());
  if (lacks(system_->features().rpc)) GTEST_SKIP() << kWaitsForRpc;
  run_scenario("rpc", {{"lane", "sse"}});
}
TEST_F(WebE2eTest, ForcedWebTransportCallsADevice) {
  ASSERT_NO_FATAL_FAILURE(start());
  if (lacks(system_->features().webtransport)) GTEST_SKIP() << kWaitsForWebTransport;
  if (lacks(system_->features().rpc)) GTEST_SKIP() << kWaitsForRpc;
  run_scenario("rpc", {{"lane", "wt"}});
}

// ---- automatic lane selection ------------------------------------------------------------

TEST_F(WebE2eTest, AutoPicksTheBestLane) {
  ASSERT_NO_FATAL_FAILURE(start());
  run_scenario("auto");
}
TEST_F(WebE2eTest, AutoFallsBackToWebSocketWhenWebTransportIsUnreachable) {
  ASSERT_NO_FATAL_FAILURE(start());
  run_scenario("auto-wt-unreachable");
}
TEST_F(WebE2eTest, AutoLandsOnSseWhenWebSocketIsDisabled) {
  // No WebTransport either: with it, `auto` would rightly prefer it over SSE.
  ASSERT_NO_FATAL_FAILURE(start({.webtransport = false, .websocket = false}));
  if (lacks(system_->features().lane_switches)) GTEST_SKIP() << kWaitsForLaneSwitches;
  run_scenario("auto-no-ws");
}

// ---- the dashboard ------------------------------------------------------------------------

TEST_F(WebE2eTest, DashboardShowsTheLiveFleetAndBroadcasts) {
  ASSERT_NO_FATAL_FAILURE(start());
  run_scenario("dashboard");
}
TEST_F(WebE2eTest, DashboardCallsADevice) {
  ASSERT_NO_FATAL_FAILURE(start());
  if (lacks(system_->features().rpc)) GTEST_SKIP() << kWaitsForRpc;
  run_scenario("dashboard-rpc");
}
TEST_F(WebE2eTest, DashboardExplainsMissingAndRejectedTokens) {
  ASSERT_NO_FATAL_FAILURE(start());
  run_scenario("dashboard-errors");
}

// ---- bridge crash and restart -------------------------------------------------------------

// Kills the bridge by its PID while a page is subscribed and the dashboard is open, keeps it
// down until the dashboard says so, restarts it on the same port, and lets the page check
// how it resumed (restart_scenario.mjs).
void restart_under_a_live_page(WebSystem& s, const std::string& config) {
  Process::Options options;
  options.argv = {"node", std::string(LANEWAY_E2E_DIR) + "/e2e.mjs", config, "restart"};
  options.log_path = s.dir() + "/restart-node.log";
  auto node = Process::start(options);
  ASSERT_TRUE(node);
  auto printed = [&](const char* marker) {
    return wait_until(
        [&] { return !node->running() || node->output().find(marker) != std::string::npos; }, 90s,
        50ms);
  };
  ASSERT_TRUE(printed("READY_FOR_RESTART")) << node->output();
  ASSERT_NE(node->output().find("READY_FOR_RESTART"), std::string::npos) << node->output();
  s.stop_bridge();
  ASSERT_TRUE(printed("SAW_UNREACHABLE")) << node->output();
  std::string error;
  ASSERT_TRUE(s.start_bridge(error)) << error;
  std::ofstream(s.dir() + "/restarted") << "1";
  ASSERT_TRUE(node->wait_exit(150s).has_value()) << node->output();
  EXPECT_NE(node->output().find("PASS restart"), std::string::npos)
      << node->output() << "\n--- bridge log (after the restart) ---\n"
      << s.bridge_log();
}

// The page and the dashboard come back by themselves on a new session, and whatever the
// restarted bridge could not replay is reported (recovered=false or a gap event), never
// skipped silently: every seq the page got is new and in order.
TEST_F(WebE2eTest, PageResumesAfterTheBridgeRestartsAndReportsAnyLoss) {
  ASSERT_NO_FATAL_FAILURE(start());
  restart_under_a_live_page(*system_, write_config("restart", {{"requireNothingLost", false}}));
}

// The stronger demand: nothing lost across a bridge crash (recovered=true, every seq
// exactly once). The bridge keeps a persistent broker session (broker.session_expiry_s) and
// its filter list (broker.state_file), so the broker queues what the device publishes while
// the bridge is down and the restarted bridge replays it (docs/bridge.md "Restart").
// Still skipped: it passes when the kill finds nothing in flight, but an envelope the killed
// bridge had already taken from the broker (QoS 0) and not yet got onto the page (e.g. still
// in its QUIC send buffer) exists nowhere afterwards: seen as seq 20 -> 22, recovered=false,
// reported honestly. Closing that needs history the bridge persists before it forwards.
TEST_F(WebE2eTest, PageResumesWithNothingLostAfterTheBridgeRestarts) {
  GTEST_SKIP() << "an envelope in flight inside the killed bridge is lost (needs durable "
                  "bridge history; docs/bridge.md \"Restart\")";
  ASSERT_NO_FATAL_FAILURE(start());
  restart_under_a_live_page(*system_, write_config("restart", {{"requireNothingLost", true}}));
}

}  // namespace
}  // namespace laneway::test
