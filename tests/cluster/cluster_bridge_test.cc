// laneway-bridge on the cluster's core, a browser on the bridge, the device on an edge
// (docs/scale.md): headless chromium (tests/bridge/browser/lanes.mjs, scenario `ws`) gets the
// device's envelopes with the exact bytes of the core's `$lw/env` payload, publishes a
// command the device on its edge receives raw, and resumes with recovered=true.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bridge_system.h"
#include "cluster_harness.h"
#include "net.h"
#include "test_tokens.h"
#include "wait.h"

namespace laneway::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
constexpr int kHistoryMessages = 8;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(ClusterBridge, BrowserOnTheCoresBridgeGetsByteIdenticalEnvelopesFromADeviceOnAnEdge) {
  const std::string missing = bridge::browser_suite_missing();
  if (!missing.empty() && !running_in_ci()) GTEST_SKIP() << missing;
  ASSERT_EQ(missing, "");
  ClusterHarness cluster;
  if (cluster.namespaces_unavailable() && !running_in_ci()) GTEST_SKIP() << cluster.setup_error();
  ASSERT_EQ(cluster.setup_error(), "");
  ASSERT_TRUE(cluster.add_device("d-1"));
  ASSERT_TRUE(cluster.add_service("bridge", "bridge-1"));
  ASSERT_TRUE(cluster.add_service("bridge", "observer"));
  std::string out;
  ASSERT_TRUE(cluster.certs(
      {"server", "--name", "bridge-https", "--dns", "localhost", "--ip", "127.0.0.1"}, &out))
      << out;
  ASSERT_TRUE(cluster.start()) << cluster.setup_error();

  const ClientOptions core = cluster.service_at_core("bridge", "bridge-1");
  const ClientOptions device = cluster.device_at("edge-a", "d-1");
  const std::string pki = std::filesystem::path(core.cafile).parent_path().string();
  const int bridge_port = free_tcp_port();
  const int proxy_port = free_tcp_port();
  const json config = {
      {"listen", {{{"host", "127.0.0.1"}, {"port", bridge_port}}}},
      {"admin", {{"listen", "127.0.0.1:0"}}},  // a free port: runs side by side never collide
      {"tls",
       {{"cert", pki + "/servers/bridge-https.crt"}, {"key", pki + "/servers/bridge-https.key"}}},
      {"broker",
       {{"host", core.host},
        {"port", cluster.core_port()},
        {"ca", core.cafile},
        {"cert", core.certfile},
        {"key", core.keyfile},
        {"client_id", "bridge-1"},
        {"reconnect_min_s", 1},
        {"reconnect_max_s", 2}}},
      {"apps",
       {{{"id", "demo"},
         {"keys", {{{"alg", "HS256"}, {"secret", bridge::testing::kTestSecret}}}},
         {"origins",
          {"https://127.0.0.1:" + std::to_string(proxy_port),
           "https://127.0.0.1:" + std::to_string(bridge_port)}},
         {"subscribe", {"devices/#"}},
         {"publish", {"devices/+/cmd"}}}}},
      {"history", {{"max_messages_per_topic", kHistoryMessages}}}};
  TempDir dir("laneway-cluster-bridge");
  std::ofstream(dir.file("bridge.json")) << config.dump(2);
  auto bridge_process = Process::start(
      {{LANEWAY_BRIDGE_BIN, "--config", dir.file("bridge.json")}, {}, dir.file("bridge.log"), ""});
  ASSERT_TRUE(bridge_process);
  ASSERT_TRUE(wait_until(
      [&] { return bridge_process->output().find("connected to the broker") != std::string::npos; },
      30s, 50ms))
      << bridge_process->output();

  const std::string token =
      bridge::testing::mint_token("HS256", bridge::testing::kTestSecret,
                                  json{{"sub", "alice"}, {"app", "demo"}, {"exp", now_s() + 3600}});
  const json scenario = {{"protoPath", LANEWAY_PROTO_FILE},
                         {"brokerHost", core.host},
                         {"brokerPort", cluster.core_port()},
                         {"caFile", core.cafile},
                         {"serverCert", pki + "/servers/bridge-https.crt"},
                         {"device",
                          {{"id", "d-1"},
                           {"cert", device.certfile},
                           {"key", device.keyfile},
                           {"host", device.host},
                           {"port", cluster.edge_port("edge-a")}}},
                         {"observer",
                          {{"cert", pki + "/services/bridge-observer.crt"},
                           {"key", pki + "/services/bridge-observer.key"}}},
                         {"bridgePort", bridge_port},
                         {"proxyPort", proxy_port},
                         {"appId", "demo"},
                         {"historyMessages", kHistoryMessages},
                         {"tokens", {{"valid", token}}}};
  std::ofstream(dir.file("scenario.json")) << scenario.dump(2);
  std::string output;
  const int rc = run_command(
      {"node", std::string(LANEWAY_BROWSER_DIR) + "/lanes.mjs", dir.file("scenario.json"), "ws"},
      &output, 150s);
  EXPECT_EQ(rc, 0) << output << "\n--- bridge ---\n"
                   << bridge_process->output() << "\n--- edge-a ---\n"
                   << cluster.edge_log("edge-a");
  EXPECT_NE(output.find("PASS ws"), std::string::npos) << output;
}

}  // namespace
}  // namespace laneway::test
