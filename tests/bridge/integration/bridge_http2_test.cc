// The SSE + POST lane over HTTP/2, end to end: real mosquitto + laneway plugin
// (BridgeSystem), a laneway-bridge with `tls.http2: true` serving the built SDK bundle, and
// headless Debian chromium driven by tests/bridge/browser/http2.mjs (playwright-core). The
// HTTP/1.1 runs are the contrast: the same scenario with chromium's HTTP/2 switched off, so
// a difference between the two is the protocol's (docs/bridge.md "HTTP/2").
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "bridge_system.h"
#include "net.h"
#include "process.h"
#include "suite_env_test.h"
#include "test_tokens.h"

namespace laneway::bridge {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Long enough for an EventSource to reconnect after a short cut (chromium waits 3 s), short
// enough that the long-cut step does not wait long for the bridge to give the session up.
constexpr int kResumeWindowMs = 8000;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One broker for the suite. Each scenario gets a bridge of its own (fresh port, same
// config), so sessions a scenario leaves behind, detached and still queueing, never count
// in the next one's /metrics, whether ctest runs the tests apart or the binary runs them all.
struct Http2Env : BridgeSystem {
  Http2Env() : BridgeSystem("laneway-bridge-h2") {}

  int proxy_port = 0;

  void setup() {
    if (!prepare({"observer"})) return;
    proxy_port = test::free_tcp_port();
  }

  // A bridge with `tls.http2: true` on a free port; the browser reaches it through
  // http2.mjs' proxy on proxy_port.
  std::optional<test::Process> start_h2_bridge(const std::string& name, int port,
                                               std::string* why) {
    json config = base_config("127.0.0.1", port);
    config["tls"]["http2"] = true;
    config["web_root"] = LANEWAY_WEB_DIR;
    config["apps"] = {{{"id", "demo"},
                       {"keys", {{{"alg", "HS256"}, {"secret", testing::kTestSecret}}}},
                       {"origins", {"https://127.0.0.1:" + std::to_string(proxy_port)}},
                       {"subscribe", {"devices/#"}},
                       {"publish", {"devices/+/cmd"}},
                       {"sse_url_token", true}}};  // the standalone SSE scenarios
    // No heartbeat while a scenario watches the bytes the bridge writes (the first one, at
    // the start of each stream, still goes out).
    config["sse"] = {{"heartbeat_ms", 600000}, {"resume_window_ms", kResumeWindowMs}};
    return start_bridge(name, config, why);
  }
};

class BridgeHttp2Test : public SuiteEnvTest<Http2Env> {
 protected:
  static void SetUpTestSuite() {
    if (std::string missing = browser_suite_missing(); !missing.empty()) {
      return start_suite(missing);
    }
    if (!std::filesystem::exists(std::string(LANEWAY_WEB_DIR) + "/sdk/laneway.js")) {
      return start_suite(std::string(LANEWAY_WEB_DIR) +
                         " has no SDK bundle (the web_bundle test or scripts/build.sh builds it)");
    }
    start_suite("");
  }

  // Runs one http2.mjs scenario over `protocol` ("h2" or "http/1.1") against a bridge of its
  // own, stopped (by PID) on return; the scenario's output and the bridge's are printed on
  // failure.
  void run_scenario(const std::string& name, const std::string& protocol) {
    Http2Env& e = *env_;
    const std::string tag = name + (protocol == "h2" ? "-h2" : "-h1");
    const int bridge_port = test::free_tcp_port();
    std::string why;
    auto bridge = e.start_h2_bridge("bridge-" + tag, bridge_port, &why);
    ASSERT_TRUE(bridge) << why;
    json cfg = e.scenario_base();
    cfg.update(
        json{{"protocol", protocol},
             {"bridgePort", bridge_port},
             {"adminPort", BridgeSystem::admin_port(*bridge)},
             {"proxyPort", e.proxy_port},
             {"appId", "demo"},
             {"tokens",
              {{"valid", testing::mint_token(
                             "HS256", testing::kTestSecret,
                             json{{"sub", "alice"}, {"app", "demo"}, {"exp", now_s() + 3600}})}}}});
    const std::string cfg_path = e.dir.file("scenario-" + tag + ".json");
    std::ofstream(cfg_path) << cfg.dump(2);
    std::string output;
    const int rc = test::run_command(
        {"node", std::string(LANEWAY_BROWSER_DIR) + "/http2.mjs", cfg_path, name}, &output, 150s);
    EXPECT_EQ(rc, 0) << output << "\n--- bridge log ---\n" << bridge->output();
    EXPECT_NE(output.find("PASS " + name), std::string::npos) << output;
    EXPECT_TRUE(bridge->running()) << "the bridge died:\n" << bridge->output();
    // What each step showed (which path the reconnect took), for `ctest -V` readers.
    std::cout << output;
  }
};

// The SDK's SSE lane over h2: byte-identical delivery, publish, a short cut (the SDK reopens
// its stream on the session with ?lastEventId=) and a long one (the SDK resumes with
// recovered=true).
TEST_F(BridgeHttp2Test, SdkSseLaneOverHttp2DeliversPublishesAndResumes) {
  run_scenario("sdk", "h2");
}

// An event on the wire when the connection dies is replayed on both protocols: the SDK
// names its last event in the query, since a Last-Event-ID header never reaches the bridge
// over h2.
TEST_F(BridgeHttp2Test, EventLostInFlightIsReplayedOverHttp2) {
  run_scenario("inflight", "h2");
}
TEST_F(BridgeHttp2Test, EventLostInFlightIsReplayedOverHttp11) {
  run_scenario("inflight", "http/1.1");
}

// A standalone native EventSource: over h2 its reconnect is a fresh session without replay;
// over HTTP/1.1 it resumes with recovered=true.
TEST_F(BridgeHttp2Test, NativeEventSourceReconnectOverHttp2IsAFreshSession) {
  run_scenario("native", "h2");
}
TEST_F(BridgeHttp2Test, NativeEventSourceReconnectOverHttp11Resumes) {
  run_scenario("native", "http/1.1");
}

// With h2 on, chromium opens the WebSocket lane inside the h2 connection (RFC 8441); it
// must work there too.
TEST_F(BridgeHttp2Test, WebSocketLaneRunsInsideTheHttp2Connection) {
  run_scenario("ws", "h2");
}

}  // namespace
}  // namespace laneway::bridge
