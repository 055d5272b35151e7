// laneway-bridge end to end: real mosquitto + laneway plugin (BrokerHarness, PKI from
// laneway-certs), a real laneway-bridge process, and headless Debian chromium driven by
// tests/bridge/browser/lanes.mjs (playwright-core) over the WebSocket and SSE lanes.
#include <gtest/gtest.h>

#include <chrono>
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

constexpr const char* kOtherSecret = "other-app-secret-other-app-secret-xx";
constexpr int kHistoryMessages = 8;
constexpr int kMaxFrameBytes = 16384;
// The device `laneway-fleet simulate --devices 1 --prefix sim-` runs.
constexpr const char* kSimDevice = "sim-000001";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string token(const std::string& app, const std::string& secret, std::int64_t exp) {
  return testing::mint_token("HS256", secret, json{{"sub", "alice"}, {"app", app}, {"exp", exp}});
}

// One broker and one bridge (on 127.0.0.1, with the apps "demo" and "other") for the
// whole suite; the browser reaches it directly or through lanes.mjs' proxy on proxy_port.
struct BrowserEnv : BridgeSystem {
  BrowserEnv() : BridgeSystem("laneway-bridge-it") {}

  std::optional<test::Process> bridge;
  int bridge_port = 0;
  int proxy_port = 0;
  int foreign_port = 0;
  json bridge_config;

  void setup() {
    if (!prepare({"observer"})) return;
    bridge_port = test::free_tcp_port();
    proxy_port = test::free_tcp_port();
    foreign_port = test::free_tcp_port();
    bridge_config = base_config("127.0.0.1", bridge_port);
    bridge_config["apps"] = {{{"id", "demo"},
                              {"keys", {{{"alg", "HS256"}, {"secret", testing::kTestSecret}}}},
                              {"origins",
                               {"https://127.0.0.1:" + std::to_string(proxy_port),
                                "https://127.0.0.1:" + std::to_string(bridge_port)}},
                              {"subscribe", {"devices/#", "broadcast/#"}},
                              {"publish", {"devices/+/cmd"}},
                              {"rpc", {"devices/+/rpc/#"}},
                              {"sse_url_token", true}},  // the standalone SSE scenarios
                             {{"id", "other"},
                              {"keys", {{{"alg", "HS256"}, {"secret", kOtherSecret}}}},
                              {"origins", {"*"}},
                              {"subscribe", {"fleet/#"}},
                              {"publish", json::array()}}};
    bridge_config["limits"] = {{"max_frame_bytes", kMaxFrameBytes}};
    bridge_config["history"] = {{"max_messages_per_topic", kHistoryMessages}};
    bridge_config["sse"] = {{"heartbeat_ms", 2000}};
    std::string why;
    bridge = start_bridge("bridge", bridge_config, &why);
    if (!bridge) fail(why);
  }
};

class BridgeBrowserTest : public SuiteEnvTest<BrowserEnv> {
 protected:
  static void SetUpTestSuite() { start_suite(browser_suite_missing()); }

  // Writes the scenario's config file and returns its path.
  std::string scenario_config(const std::string& name, const json& extra = json::object()) {
    BrowserEnv& e = *env_;
    const std::int64_t now = now_s();
    json cfg = e.scenario_base();
    cfg.update(
        json{{"bridgePort", e.bridge_port},
             {"adminPort", BridgeSystem::admin_port(*e.bridge)},
             {"proxyPort", e.proxy_port},
             {"foreignPort", e.foreign_port},
             {"appId", "demo"},
             {"otherAppId", "other"},
             {"historyMessages", kHistoryMessages},
             {"maxFrameBytes", kMaxFrameBytes},
             {"tokens",
              {{"valid", token("demo", testing::kTestSecret, now + 3600)},
               {"expired", token("demo", testing::kTestSecret, now - 60)},
               {"forged", token("demo", "forged-forged-forged-forged-forged-forged", now + 3600)},
               {"otherApp", token("other", kOtherSecret, now + 3600)},
               {"otherAppValid", token("other", kOtherSecret, now + 3600)},
               {"pingOnly", testing::mint_token("HS256", testing::kTestSecret,
                                                json{{"sub", "alice"},
                                                     {"app", "demo"},
                                                     {"exp", now + 3600},
                                                     {"rpc", {"devices/+/rpc/ping"}}})}}},
             {"simDevice", kSimDevice},
             {"offlineDevice", "offline-1"}});
    cfg["restartedFlag"] = e.dir.file("restarted-" + name);
    cfg.update(extra);
    const std::string cfg_path = e.dir.file("scenario-" + name + ".json");
    std::ofstream(cfg_path) << cfg.dump(2);
    return cfg_path;
  }

  // Runs one lanes.mjs scenario; its output is printed on failure.
  void run_scenario(const std::string& name, const json& extra = json::object()) {
    BrowserEnv& e = *env_;
    const std::string cfg_path = scenario_config(name, extra);
    std::string output;
    const int rc = test::run_command(
        {"node", std::string(LANEWAY_BROWSER_DIR) + "/lanes.mjs", cfg_path, name}, &output, 150s);
    EXPECT_EQ(rc, 0) << output << "\n--- bridge log ---\n" << e.bridge->output();
    EXPECT_NE(output.find("PASS " + name), std::string::npos) << output;
    EXPECT_TRUE(e.bridge->running()) << "the bridge died:\n" << e.bridge->output();
  }
};

TEST_F(BridgeBrowserTest, WebSocketLaneDeliversPublishesAndResumes) {
  run_scenario("ws");
}
TEST_F(BridgeBrowserTest, SseLaneWithNativeEventSourceResumes) {
  run_scenario("sse");
}
TEST_F(BridgeBrowserTest, RefusalsAreTypedAndOthersKeepReceiving) {
  run_scenario("refusals");
}

TEST_F(BridgeBrowserTest, SdkStyleSseSessionSubscribesByPostAndReceives) {
  run_scenario("sdk-sse");
}

// A real simulated device (laneway-fleet simulate) answers RPCs sent over WebSocket and POST.
TEST_F(BridgeBrowserTest, RpcReachesASimulatedDeviceOverBothLanes) {
  BrowserEnv& e = *env_;
  test::Process::Options options;
  options.argv = {LANEWAY_FLEET_BIN,
                  "simulate",
                  "--devices",
                  "1",
                  "--prefix",
                  "sim-",
                  "--pki",
                  e.broker.pki(),
                  "--registry",
                  e.broker.dir() + "/fleet.db",
                  "--port",
                  std::to_string(e.broker.port()),
                  "--rate",
                  "0",
                  "--duration",
                  "180",
                  "--stats-interval",
                  "1"};
  options.log_path = e.dir.file("simulate.log");
  std::string error;
  auto sim = test::Process::start(options, &error);
  ASSERT_TRUE(sim) << error;
  ASSERT_TRUE(test::wait_until(
      [&] { return sim->output().find("connected 1/1") != std::string::npos; }, 30s, 100ms))
      << sim->output();
  run_scenario("rpc");
  EXPECT_TRUE(sim->running()) << sim->output();
}

// A second bridge with the WebSocket lane switched off: not in /api/info, /v1/ws answers 404,
// and the SSE + POST lane still serves (what an SDK falls back to).
TEST_F(BridgeBrowserTest, SwitchedOffLaneIsUnlistedAndAnswers404) {
  BrowserEnv& e = *env_;
  nlohmann::json config = e.bridge_config;
  const int port = test::free_tcp_port();
  config["listen"] = {{{"host", "127.0.0.1"}, {"port", port}}};
  config["broker"]["client_id"] = "bridge-ws-off";
  config["lanes"] = {{"ws", false}};
  config["apps"][0]["origins"].push_back("https://127.0.0.1:" + std::to_string(port));
  std::string error;
  auto bridge = e.start_bridge("bridge-ws-off", config, &error);
  ASSERT_TRUE(bridge) << error;
  run_scenario("ws-off", {{"altBridgePort", port}});
  EXPECT_TRUE(bridge->running()) << bridge->output();
}

// Last: it restarts the broker under a live browser session.
TEST_F(BridgeBrowserTest, SessionsSurviveABrokerRestart) {
  BrowserEnv& e = *env_;
  const std::string cfg_path = scenario_config("restart");
  test::Process::Options options;
  options.argv = {"node", std::string(LANEWAY_BROWSER_DIR) + "/lanes.mjs", cfg_path, "restart"};
  options.log_path = e.dir.file("restart.log");
  auto node = test::Process::start(options);
  ASSERT_TRUE(node);
  ASSERT_TRUE(test::wait_until(
      [&] { return node->output().find("READY_FOR_RESTART") != std::string::npos; }, 60s, 50ms))
      << node->output();
  auto connections = [&] {
    const std::string log = e.bridge->output();
    std::size_t n = 0;
    for (auto pos = log.find("connected to the broker"); pos != std::string::npos;
         pos = log.find("connected to the broker", pos + 1)) {
      ++n;
    }
    return n;
  };
  const std::size_t before = connections();
  e.broker.stop();
  ASSERT_TRUE(e.broker.start()) << e.broker.log();
  ASSERT_TRUE(test::wait_until([&] { return connections() > before; }, 30s, 50ms))
      << e.bridge->output();
  std::ofstream(e.dir.file("restarted-restart")) << "1";
  const auto status = node->wait_exit(90s);
  ASSERT_TRUE(status.has_value()) << node->output();
  EXPECT_NE(node->output().find("PASS restart"), std::string::npos)
      << node->output() << "\n--- bridge log ---\n"
      << e.bridge->output();
  EXPECT_TRUE(e.bridge->running());
}

}  // namespace
}  // namespace laneway::bridge
