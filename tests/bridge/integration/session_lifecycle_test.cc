// laneway-bridge session lifecycle end to end: real mosquitto + laneway plugin (BrokerHarness),
// real laneway-bridge processes, and Node-side WebSocket / SSE + POST clients
// (tests/bridge/browser/sessions.mjs) over TLS on loopback: in-band token refresh,
// TOKEN_EXPIRED, the slow-consumer policy, WebSocket keepalive, a bridge listening on ::1,
// answers that wait for the broker's SUBACK, what an SSE URL may carry, per-app CORS, and the
// memory budget filled under load.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "bridge_system.h"
#include "net.h"
#include "process.h"
#include "suite_env_test.h"
#include "test_tokens.h"
#include "wait.h"

namespace laneway::bridge {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kMaxFrameBytes = 16384;
constexpr int kQueueMaxBytes = 65536;  // small, so a stalled client overflows it quickly
// The budgets the "budgets" scenario fills (docs/bridge.md "Memory budget").
constexpr long kHistoryBudgetBytes = 8L << 20;
constexpr long kInboxBudgetBytes = 8L << 20;
constexpr long kBudgetQueueBytes = 2L << 20;
constexpr int kBudgetStalled = 4;
constexpr long kBudgetFloodBytes = 64L << 20;  // 8 x the history budget

// A /proc/<pid>/status field in bytes (VmRSS, VmHWM), or -1.
long status_bytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1)) * 1024;
  }
  return -1;
}

// An app that accepts one page origin only (the cors scenario).
constexpr const char* kStrictAppId = "strict";
constexpr const char* kStrictOrigin = "https://dashboard.example";

// One broker and one bridge (bridge-1 on 127.0.0.1) for the whole suite.
struct SessionEnv : BridgeSystem {
  SessionEnv() : BridgeSystem("laneway-bridge-sessions") {}

  std::optional<test::Process> bridge;
  int bridge_port = 0;
  json bridge_config;

  void setup() {
    if (!prepare()) return;
    bridge_port = test::free_tcp_port();
    bridge_config = base_config("127.0.0.1", bridge_port);
    bridge_config["apps"] = {{{"id", "demo"},
                              {"keys", {{{"alg", "HS256"}, {"secret", testing::kTestSecret}}}},
                              {"origins", {"*"}},
                              {"subscribe", {"devices/#"}},
                              {"publish", {"devices/+/cmd"}},
                              {"sse_url_token", true}},  // the standalone streams' scenarios
                             {{"id", kStrictAppId},
                              {"keys", {{{"alg", "HS256"}, {"secret", testing::kTestSecret}}}},
                              {"origins", {kStrictOrigin}},
                              {"subscribe", {"devices/#"}}}};
    bridge_config["limits"] = {{"max_frame_bytes", kMaxFrameBytes},
                               {"queue_max_bytes", kQueueMaxBytes}};
    bridge_config["sse"] = {{"heartbeat_ms", 2000}};
    std::string why;
    bridge = start_bridge("bridge-1", bridge_config, &why);
    if (!bridge) fail(why);
  }
};

class SessionLifecycleTest : public SuiteEnvTest<SessionEnv> {
 protected:
  static void SetUpTestSuite() {
    const bool have_npm =
        std::filesystem::exists(std::string(LANEWAY_BROWSER_DIR) + "/node_modules/mqtt");
    start_suite(have_npm ? ""
                         : "npm packages of tests/bridge/browser missing (scripts/deps.sh "
                           "installs them)");
  }

  // Runs one sessions.mjs scenario against `bridge` on host:port; output printed on failure.
  // `extra` is merged into the scenario's config.
  void run_scenario(const std::string& name, test::Process& bridge, int port,
                    const std::string& host = "127.0.0.1", const json& extra = json::object()) {
    SessionEnv& e = *env_;
    json cfg = e.scenario_base();
    cfg.update(json{{"bridgeHost", host},
                    {"bridgePort", port},
                    {"adminPort", BridgeSystem::admin_port(bridge)},
                    {"appId", "demo"},
                    {"secret", testing::kTestSecret},
                    {"floodPayloadBytes", 2048},
                    {"queueMaxBytes", kQueueMaxBytes},
                    {"floodMaxMessages", 40000},
                    {"strictAppId", kStrictAppId},
                    {"strictOrigin", kStrictOrigin}});
    cfg.update(extra);
    const std::string cfg_path = e.dir.file("scenario-" + name + ".json");
    std::ofstream(cfg_path) << cfg.dump(2);
    std::string output;
    const int rc = test::run_command(
        {"node", std::string(LANEWAY_BROWSER_DIR) + "/sessions.mjs", cfg_path, name}, &output,
        240s);
    EXPECT_EQ(rc, 0) << output << "\n--- bridge log ---\n" << bridge.output();
    EXPECT_NE(output.find("PASS " + name), std::string::npos) << output;
    EXPECT_TRUE(bridge.running()) << "the bridge died:\n" << bridge.output();
  }
};

// Only an app's own origins can read call-lane responses, refusals included (docs/bridge.md
// "Origins").
TEST_F(SessionLifecycleTest, CallLaneLetsOnlyTheAppsOriginsReadItsResponses) {
  run_scenario("cors", *env_->bridge, env_->bridge_port);
}

// A refresh before exp keeps a WebSocket session open and receiving past the first token's
// exp, while a twin session with the same first token gets TOKEN_EXPIRED.
TEST_F(SessionLifecycleTest, RefreshOverWebSocketExtendsTheSession) {
  run_scenario("refresh-ws", *env_->bridge, env_->bridge_port);
}

// The same on the SSE lane, the refresh sent by POST /v1/call.
TEST_F(SessionLifecycleTest, RefreshOverPostExtendsTheSseSession) {
  run_scenario("refresh-sse", *env_->bridge, env_->bridge_port);
}

// A second event stream for an SSE session takes it over (the old one's client is usually
// gone without the bridge knowing yet); the old stream ends. Nothing a URL carries is a
// credential: a spent attach ticket, the JWT or the session id alone are refused, and so is
// a POST on the session without its token (docs/bridge.md "SSE attach tickets").
TEST_F(SessionLifecycleTest, NewSseStreamTakesTheSessionOverFromAStaleOne) {
  run_scenario("takeover", *env_->bridge, env_->bridge_port);
}

// The memory budget filled while a reader is served: the bridge's peak RSS grows by no more
// than the budgets (history, broker inbox, the stalled sessions' queues) plus a margin for
// its own working set; without the history total, history would keep all of the 64 MiB flood
// (256 KiB per topic, 512 topics).
TEST_F(SessionLifecycleTest, MemoryBudgetsHoldWhileAReaderIsServed) {
  SessionEnv& e = *env_;
  // A bridge of its own, its peak RSS this scenario's: session queues big enough for the
  // reader to take the flood in large batches.
  json config = e.bridge_config;
  const int port = test::free_tcp_port();
  config["listen"] = {{{"host", "127.0.0.1"}, {"port", port}}};
  config["broker"]["client_id"] = "bridge-budgets";
  config["limits"]["queue_max_bytes"] = kBudgetQueueBytes;
  config["limits"]["broker_inbox_max_bytes"] = kInboxBudgetBytes;
  config["history"] = {{"max_total_bytes", kHistoryBudgetBytes}};
  std::string error;
  auto bridge = e.start_bridge("bridge-budgets", config, &error);
  ASSERT_TRUE(bridge) << error;
  const long before = status_bytes(bridge->pid(), "VmRSS");
  ASSERT_GT(before, 0);
  run_scenario("budgets", *bridge, port, "127.0.0.1",
               json{{"budgetStalled", kBudgetStalled},
                    {"budgetPayloadBytes", 4096},
                    {"budgetFloodBytes", kBudgetFloodBytes},
                    {"budgetTopics", 512},
                    {"queueMaxBytes", kBudgetQueueBytes}});
  const long peak = status_bytes(bridge->pid(), "VmHWM");
  const long budgets = kHistoryBudgetBytes + kInboxBudgetBytes + kBudgetStalled * kBudgetQueueBytes;
  constexpr long kWorkingSetMargin = 32L << 20;
  std::printf("bridge RSS: %ld MiB before, peak %ld MiB (budgets %ld MiB + margin %ld MiB)\n",
              before >> 20, peak >> 20, budgets >> 20, kWorkingSetMargin >> 20);
  EXPECT_LE(peak - before, budgets + kWorkingSetMargin);
}

// An expired session gets the TOKEN_EXPIRED push and is closed; another keeps receiving.
TEST_F(SessionLifecycleTest, ExpiredTokenClosesOnlyThatSession) {
  run_scenario("expire", *env_->bridge, env_->bridge_port);
}

// A WebSocket client that stops reading under a flood is dropped with SLOW_CONSUMER (counted
// in /metrics); a reading session receives every envelope in order meanwhile.
TEST_F(SessionLifecycleTest, SlowConsumerIsDroppedWhileAReaderGetsEverything) {
  run_scenario("slow", *env_->bridge, env_->bridge_port);
}

// A connect or subscribe is answered once the broker acknowledged the bridge's subscription
// (docs/bridge.md "Resume"): 30 filters new to the bridge, each published on by the device
// the moment its answer arrives, all delivered. Over WebSocket, then POST + SSE (connect and
// subscribes by POST, and a standalone stream with the connect in its URL).
TEST_F(SessionLifecycleTest, AnswersComeAfterTheSubackSoPublishesRightAfterArriveOverWebSocket) {
  run_scenario("fresh-ws", *env_->bridge, env_->bridge_port, "127.0.0.1", {{"freshFilters", 30}});
}
TEST_F(SessionLifecycleTest, AnswersComeAfterTheSubackSoPublishesRightAfterArriveOverPostAndSse) {
  run_scenario("fresh-sse", *env_->bridge, env_->bridge_port, "127.0.0.1", {{"freshFilters", 30}});
}

// WebSocket keepalive (ws_lane.cc) on a bridge of its own with ws.ping_interval_ms = 1000:
// a session that never answers pings is pinged, then closed by the bridge (7 s of silence);
// a session that answers them stays open and keeps receiving device publishes.
TEST_F(SessionLifecycleTest, SilentWebSocketIsPingedThenClosedWhileAnAnsweringOneStays) {
  SessionEnv& e = *env_;
  constexpr int kPingIntervalMs = 1000;
  json config = e.bridge_config;
  const int port = test::free_tcp_port();
  config["listen"] = {{{"host", "127.0.0.1"}, {"port", port}}};
  config["broker"]["client_id"] = "bridge-keepalive";
  config["ws"] = {{"ping_interval_ms", kPingIntervalMs}};
  std::string error;
  auto bridge = e.start_bridge("bridge-keepalive", config, &error);
  ASSERT_TRUE(bridge) << error;
  ASSERT_TRUE(test::wait_for_tcp_port(static_cast<std::uint16_t>(port), 20s)) << bridge->output();
  run_scenario("keepalive", *bridge, port, "127.0.0.1", {{"pingIntervalMs", kPingIntervalMs}});
}

// A bridge listening on ::1 serves /api/info and a WebSocket session over IPv6, and its
// admin listener on ::1 serves /healthz.
TEST_F(SessionLifecycleTest, BridgeListeningOnIpv6LoopbackServes) {
  if (!test::have_ipv6_loopback())
    GTEST_SKIP() << "no IPv6 loopback: binding a socket to ::1 failed";
  SessionEnv& e = *env_;
  json config = e.bridge_config;
  const int port = test::free_tcp_port();
  config["listen"] = {{{"host", "::1"}, {"port", port}}};
  config["admin"] = {{"listen", "[::1]:0"}};
  config["broker"]["client_id"] = "bridge-v6";
  std::string error;
  auto bridge = e.start_bridge("bridge-v6", config, &error);
  ASSERT_TRUE(bridge) << error;
  ASSERT_TRUE(test::wait_for_tcp_port(static_cast<std::uint16_t>(port), 20s, "::1"))
      << bridge->output();
  run_scenario("ipv6", *bridge, port, "::1");
}

}  // namespace
}  // namespace laneway::bridge
