// Fan-out from one MQTT publisher to N WebSocket sessions: laneway-bridge against a small
// Node reference bridge (reference_bridge.mjs, npm mqtt + ws), both fed by the same real
// mosquitto + laneway plugin and measured by the same load client (fanout_client.mjs), one
// after the other in this run. Then the same workload over laneway-bridge's WebTransport
// lane (wt_fanout.cc: N ngtcp2 sessions in this process), on the stream and with QoS 0 as
// datagrams. Prints deliveries/s, p50/p99 publish→client latency and RSS per idle session
// for each, and the ratios. Never asserts on time.
//
// usage: bridge_fanout_bench [N ...]   (default: 1000 10000)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker_harness.h"
#include "net.h"
#include "process.h"
#include "temp_dir.h"
#include "test_tokens.h"
#include "wait.h"
#include "wt_fanout.h"

using nlohmann::json;
using namespace std::chrono_literals;
namespace test = laneway::test;

namespace {

int fail(const std::string& why) {
  std::fprintf(stderr, "bridge_fanout_bench: %s\n", why.c_str());
  return 1;
}

std::optional<json> run_client(const test::TempDir& dir, const json& cfg, const std::string& name) {
  const std::string path = dir.file(name + ".json");
  std::ofstream(path) << cfg.dump(2);
  std::string out;
  const int rc = test::run_command(
      {"node", std::string(LANEWAY_BENCH_DIR) + "/fanout_client.mjs", path}, &out, 300s);
  const auto brace = out.rfind("\n{") != std::string::npos ? out.rfind("\n{") + 1 : out.find('{');
  if (rc != 0 || brace == std::string::npos) {
    std::fprintf(stderr, "%s client failed (%d):\n%s\n", name.c_str(), rc, out.c_str());
    return std::nullopt;
  }
  json result = json::parse(out.substr(brace), nullptr, false);
  if (result.is_discarded() || result.contains("error")) {
    std::fprintf(stderr, "%s client: %s\n", name.c_str(), out.c_str());
    return std::nullopt;
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {1000, 10000};
  // Room for every session on both ends (children inherit it).
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);

  test::BrokerHarness broker;
  if (!broker.setup_error().empty()) return fail(broker.setup_error());
  if (!broker.add_device("bench-1") || !broker.add_service("bridge", "bench-laneway") ||
      !broker.add_service("bridge", "bench-reference") ||
      !broker.certs(
          {"server", "--name", "bench-https", "--dns", "localhost", "--ip", "127.0.0.1"}) ||
      !broker.certs({"wt-cert", "--ip", "127.0.0.1", "--days", "3"})) {
    return fail("PKI setup");
  }
  if (!broker.start()) return fail("mosquitto did not start:\n" + broker.log());
  test::TempDir dir("laneway-bridge-bench");
  const std::string pki = broker.pki();
  const int laneway_port = test::free_tcp_port();
  const int reference_port = test::free_tcp_port();
  const int wt_port = test::free_udp_port();
  const std::string secret = laneway::bridge::testing::kTestSecret;

  json bridge_cfg{
      {"listen", {{{"host", "127.0.0.1"}, {"port", laneway_port}}}},
      {"tls",
       {{"cert", pki + "/servers/bench-https.crt"}, {"key", pki + "/servers/bench-https.key"}}},
      {"broker",
       {{"port", broker.port()},
        {"ca", pki + "/ca.crt"},
        {"cert", pki + "/services/bridge-bench-laneway.crt"},
        {"key", pki + "/services/bridge-bench-laneway.key"},
        {"client_id", "bench-laneway"}}},
      {"apps",
       {{{"id", "bench"},
         {"keys", {{{"alg", "HS256"}, {"secret", secret}}}},
         {"origins", {"*"}},
         {"subscribe", {"devices/#"}}}}},
      {"limits", {{"max_sessions", 200000}}},
      {"webtransport",
       {{"hosts", {"127.0.0.1"}},
        {"port", wt_port},
        {"cert", pki + "/wt/wt.crt"},
        {"key", pki + "/wt/wt.key"},
        {"max_sessions", 200000}}},
      {"log_level", "warn"}};
  std::ofstream(dir.file("bridge.json")) << bridge_cfg.dump(2);
  json ref_cfg{{"port", reference_port},
               {"brokerPort", broker.port()},
               {"caFile", pki + "/ca.crt"},
               {"cert", pki + "/services/bridge-bench-reference.crt"},
               {"key", pki + "/services/bridge-bench-reference.key"},
               {"serverCert", pki + "/servers/bench-https.crt"},
               {"serverKey", pki + "/servers/bench-https.key"},
               {"filter", "devices/#"}};
  std::ofstream(dir.file("reference.json")) << ref_cfg.dump(2);

  test::Process::Options lw;
  lw.argv = {LANEWAY_BRIDGE_BIN, "--config", dir.file("bridge.json")};
  auto laneway = test::Process::start(lw);
  test::Process::Options rf;
  rf.argv = {"node", std::string(LANEWAY_BENCH_DIR) + "/reference_bridge.mjs",
             dir.file("reference.json")};
  auto reference = test::Process::start(rf);
  if (!laneway || !reference) return fail("could not start the bridges");
  const bool up = test::wait_until(
      [&] {
        return laneway->output().find("connected to the broker") != std::string::npos &&
               reference->output().find("connected to the broker") != std::string::npos;
      },
      20s, 50ms);
  if (!up)
    return fail("bridges never reached the broker:\n" + laneway->output() + reference->output());

  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string token = laneway::bridge::testing::mint_token(
      "HS256", secret, json{{"sub", "bench"}, {"app", "bench"}, {"exp", now + 7200}});

  std::printf(
      "fan-out: 1 MQTT publisher -> N sessions (QoS 0, 8-byte payloads); laneway and reference\n"
      "over WebSocket, laneway-wt over WebTransport (stream), laneway-wtd with datagrams\n");
  std::printf("%7s %-10s %14s %9s %9s %12s\n", "N", "bridge", "deliveries/s", "p50 ms", "p99 ms",
              "RSS/idle B");
  for (int n : sizes) {
    const int messages = std::max(10, 200000 / n);
    json base{{"protoPath", LANEWAY_PROTO_FILE},
              {"sessions", n},
              {"messages", messages},
              {"concurrency", 200},
              {"publishPauseMs", 5},
              {"timeoutMs", 240000},
              {"brokerPort", broker.port()},
              {"caFile", pki + "/ca.crt"},
              {"deviceId", "bench-1"},
              {"deviceCert", pki + "/devices/bench-1.crt"},
              {"deviceKey", pki + "/devices/bench-1.key"},
              {"topic", "devices/bench-1/telemetry"},
              {"filter", "devices/bench-1/#"},
              {"appId", "bench"},
              {"token", token}};
    json lw_cfg = base;
    lw_cfg["laneway"] = true;
    lw_cfg["bridgePid"] = laneway->pid();
    lw_cfg["url"] = "wss://127.0.0.1:" + std::to_string(laneway_port) + "/v1/ws";
    lw_cfg["origin"] = "https://127.0.0.1:" + std::to_string(laneway_port);
    json rf_cfg = base;
    rf_cfg["laneway"] = false;
    rf_cfg["bridgePid"] = reference->pid();
    rf_cfg["url"] = "wss://127.0.0.1:" + std::to_string(reference_port) + "/v1/ws";
    rf_cfg["origin"] = "https://127.0.0.1:" + std::to_string(reference_port);
    auto a = run_client(dir, lw_cfg, "laneway-" + std::to_string(n));
    auto b = run_client(dir, rf_cfg, "reference-" + std::to_string(n));
    for (auto& [name, r] : {std::pair{"laneway", a}, std::pair{"reference", b}}) {
      if (!r) {
        std::printf("%7d %-10s %14s\n", n, name, "failed");
        continue;
      }
      std::printf("%7d %-10s %14.0f %9.2f %9.2f %12.0f\n", n, name,
                  (*r)["deliveries_per_s"].get<double>(),
                  (*r)["p50_ms"].is_null() ? -1.0 : (*r)["p50_ms"].get<double>(),
                  (*r)["p99_ms"].is_null() ? -1.0 : (*r)["p99_ms"].get<double>(),
                  (*r)["rss_per_idle_session_bytes"].get<double>());
    }
    laneway::bench::WtFanoutConfig wt_cfg;
    wt_cfg.wt_port = static_cast<std::uint16_t>(wt_port);
    wt_cfg.bridge_pid = laneway->pid();
    wt_cfg.sessions = n;
    wt_cfg.messages = messages;
    wt_cfg.app_id = "bench";
    wt_cfg.token = token;
    wt_cfg.filter = "devices/bench-1/#";
    wt_cfg.topic = "devices/bench-1/telemetry";
    wt_cfg.broker_port = broker.port();
    wt_cfg.device = broker.device("bench-1");
    const auto wt = laneway::bench::run_wt_fanout(wt_cfg);
    wt_cfg.datagrams = true;
    const auto wtd = laneway::bench::run_wt_fanout(wt_cfg);
    for (auto& [name, r] : {std::pair{"laneway-wt", &wt}, std::pair{"laneway-wtd", &wtd}}) {
      if (!r->error.empty()) {
        std::printf("%7d %-10s %14s (%s)\n", n, name, "failed", r->error.c_str());
        continue;
      }
      std::printf(
          "%7d %-10s %14.0f %9.2f %9.2f %12.0f  (delivered %ld/%ld; CPU s bridge %.1f, "
          "clients %.1f)\n",
          n, name, r->deliveries_per_s, r->p50_ms, r->p99_ms, r->rss_per_idle_session_bytes,
          r->delivered, r->expected, r->bridge_cpu_s, r->client_cpu_s);
    }
    if (a && wt.error.empty()) {
      std::printf(
          "%7d ratio laneway wt/ws: deliveries/s %.2fx, p99 %.2fx, RSS per idle session %.2fx\n", n,
          wt.deliveries_per_s / (*a)["deliveries_per_s"].get<double>(),
          wt.p99_ms / std::max(1e-9, (*a)["p99_ms"].is_null() ? 1.0 : (*a)["p99_ms"].get<double>()),
          wt.rss_per_idle_session_bytes /
              std::max(1.0, (*a)["rss_per_idle_session_bytes"].get<double>()));
    }
    if (a && b) {
      std::printf(
          "%7d ratio laneway/reference: deliveries/s %.2fx, RSS per idle session %.2fx"
          " (delivered %d/%d vs %d/%d)\n",
          n, (*a)["deliveries_per_s"].get<double>() / (*b)["deliveries_per_s"].get<double>(),
          (*a)["rss_per_idle_session_bytes"].get<double>() /
              std::max(1.0, (*b)["rss_per_idle_session_bytes"].get<double>()),
          (*a)["delivered"].get<int>(), (*a)["expected"].get<int>(), (*b)["delivered"].get<int>(),
          (*b)["expected"].get<int>());
    }
    std::fflush(stdout);
  }
  return 0;
}
