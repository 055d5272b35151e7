// laneway-bridge session lifecycle end to end: real mosquitto + laneway plugin (BrokerHarness),
// real laneway-bridge processes, and Node-side WebSocket / SSE + POST clients
// (tests/bridge/browser/sessions.mjs) over TLS on loopback: in-band token refresh,
// TOKEN_EXPIRED and the slow-consumer policy. (sessions.mjs also has an `ipv6` scenario for a
// bridge listening on ::1; its test is not wired in yet: one unexplained failure in ~20 runs.)
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "broker_harness.h"
#include "net.h"
#include "process.h"
#include "temp_dir.h"
#include "test_tokens.h"
#include "wait.h"

namespace laneway::bridge {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kMaxFrameBytes = 16384;
constexpr int kQueueMaxBytes = 65536;  // small, so a stalled client overflows it quickly

class SessionLifecycleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(std::string(LANEWAY_BROWSER_DIR) + "/node_modules/mqtt")) {
      skip_reason_ = "npm packages of tests/bridge/browser missing (scripts/deps.sh installs them)";
      return;
    }
    env_ = new Env();
    env_->setup();
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  struct Env {
    test::BrokerHarness broker;
    test::TempDir dir{"laneway-bridge-sessions"};
    std::optional<test::Process> bridge;
    int bridge_port = 0;
    json bridge_config;
    std::string error;

    void setup() {
      if (!broker.setup_error().empty()) return fail("broker harness: " + broker.setup_error());
      if (!broker.add_device("d-1")) return fail("add_device");
      if (!broker.add_service("bridge", "bridge-1")) return fail("bridge certificate");
      if (!broker.certs(
              {"server", "--name", "bridge-https", "--dns", "localhost", "--ip", "127.0.0.1"})) {
        return fail("bridge server certificate");
      }
      if (!broker.start()) return fail("mosquitto did not start:\n" + broker.log());
      bridge_port = test::free_tcp_port();
      const std::string pki = broker.pki();
      bridge_config = {
          {"listen", {{{"host", "127.0.0.1"}, {"port", bridge_port}}}},
          {"tls",
           {{"cert", pki + "/servers/bridge-https.crt"},
            {"key", pki + "/servers/bridge-https.key"}}},
          {"broker",
           {{"host", "127.0.0.1"},
            {"port", broker.port()},
            {"ca", pki + "/ca.crt"},
            {"cert", pki + "/services/bridge-bridge-1.crt"},
            {"key", pki + "/services/bridge-bridge-1.key"},
            {"client_id", "bridge-1"},
            {"reconnect_min_s", 1},
            {"reconnect_max_s", 2}}},
          {"apps",
           {{{"id", "demo"},
             {"keys", {{{"alg", "HS256"}, {"secret", testing::kTestSecret}}}},
             {"origins", {"*"}},
             {"subscribe", {"devices/#"}},
             {"publish", {"devices/+/cmd"}}}}},
          {"limits", {{"max_frame_bytes", kMaxFrameBytes}, {"queue_max_bytes", kQueueMaxBytes}}},
          {"sse", {{"heartbeat_ms", 2000}}}};
      std::string start_error;
      bridge = start_bridge("bridge-1", bridge_config, &start_error);
      if (!bridge) return fail(start_error);
    }

    // Starts a bridge with `config` and waits until it reached the broker.
    std::optional<test::Process> start_bridge(const std::string& name, const json& config,
                                              std::string* error) {
      std::ofstream(dir.file(name + ".json")) << config.dump(2);
      test::Process::Options options;
      options.argv = {LANEWAY_BRIDGE_BIN, "--config", dir.file(name + ".json")};
      options.log_path = dir.file(name + ".log");
      std::string start_error;
      auto process = test::Process::start(options, &start_error);
      if (!process) {
        *error = "bridge " + name + " did not start: " + start_error;
        return std::nullopt;
      }
      const bool up = test::wait_until(
          [&] { return process->output().find("connected to the broker") != std::string::npos; },
          30s, 50ms);
      if (!up) {
        *error = "bridge " + name + " never reached the broker:\n" + process->output();
        return std::nullopt;
      }
      return process;
    }
    void fail(const std::string& why) { error = why; }
  };

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_TRUE(env_->error.empty()) << env_->error;
  }

  // Runs one sessions.mjs scenario against `bridge` on host:port; output printed on failure.
  void run_scenario(const std::string& name, test::Process& bridge, int port,
                    const std::string& host = "127.0.0.1") {
    Env& e = *env_;
    const std::string pki = e.broker.pki();
    const json cfg{
        {"protoPath", LANEWAY_PROTO_FILE},
        {"bridgeHost", host},
        {"bridgePort", port},
        {"brokerPort", e.broker.port()},
        {"caFile", pki + "/ca.crt"},
        {"appId", "demo"},
        {"secret", testing::kTestSecret},
        {"floodPayloadBytes", 2048},
        {"queueMaxBytes", kQueueMaxBytes},
        {"floodMaxMessages", 40000},
        {"device",
         {{"id", "d-1"}, {"cert", pki + "/devices/d-1.crt"}, {"key", pki + "/devices/d-1.key"}}}};
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

  static Env* env_;
  static std::string skip_reason_;
};

SessionLifecycleTest::Env* SessionLifecycleTest::env_ = nullptr;
std::string SessionLifecycleTest::skip_reason_;

// A refresh before exp keeps a WebSocket session open and receiving past the first token's
// exp, while a twin session with the same first token gets TOKEN_EXPIRED.
TEST_F(SessionLifecycleTest, RefreshOverWebSocketExtendsTheSession) {
  run_scenario("refresh-ws", *env_->bridge, env_->bridge_port);
}

// The same on the SSE lane, the refresh sent by POST /v1/call.
TEST_F(SessionLifecycleTest, RefreshOverPostExtendsTheSseSession) {
  run_scenario("refresh-sse", *env_->bridge, env_->bridge_port);
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

}  // namespace
}  // namespace laneway::bridge
