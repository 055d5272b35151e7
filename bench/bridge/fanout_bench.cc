// Fan-out from one MQTT publisher to N WebSocket sessions: laneway-bridge against a small
// Node reference bridge (reference_bridge.mjs, npm mqtt + ws), both fed by the same real
// mosquitto + laneway plugin and measured by the same load client (ws_fanout.cc: one
// libwebsockets client context in this process), one after the other in this run. Then the
// same workload over laneway-bridge's WebTransport lane (wt_fanout.cc: N ngtcp2 sessions in
// this process), on the stream and with QoS 0 as datagrams. Prints deliveries/s, p50/p99
// publish→client latency, RSS per idle session, delivered counts, sessions the bridge
// closed, and the CPU seconds of bridge, client and broker (who set the ceiling), with the
// ratios. Never asserts on time.
//
// usage: bridge_fanout_bench [--ws-only] [--total M] [--window W] [N ...]
//   N          sessions per run (default: 1000 10000)
//   --ws-only  skip the WebTransport runs
//   --total M  WebSocket deliveries per run (messages = max(10, M / N)); default 200000
//   --window W publish message m only after (m - W) x N deliveries (ws_fanout.h); default 0,
//              open loop
//   (the WebTransport runs keep 200000 / N messages, and only run up to N = 2000)
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "broker_harness.h"
#include "laneway.pb.h"
#include "metrics_probe.h"
#include "net.h"
#include "proc_stats.h"
#include "process.h"
#include "temp_dir.h"
#include "test_tokens.h"
#include "wait.h"
#include "ws_fanout.h"
#include "wt_fanout.h"

using nlohmann::json;
using namespace std::chrono_literals;
namespace test = laneway::test;

namespace {

// The WebTransport runs keep the workload docs/webtransport.md reports (200000/N messages)
// and stay at sizes one poll loop of ngtcp2 clients connects in reasonable time.
constexpr int kWtTotal = 200000;
constexpr int kWtMaxSessions = 2000;

int fail(const std::string& why) {
  std::fprintf(stderr, "bridge_fanout_bench: %s\n", why.c_str());
  return 1;
}

void print_ws(int n, const char* name, const laneway::bench::WsFanoutResult& r) {
  if (!r.error.empty() && r.delivered == 0) {
    std::printf("%7d %-11s failed: %s\n", n, name, r.error.c_str());
    return;
  }
  std::printf("%7d %-11s %13.0f %8.2f %8.2f %9.0f %9ld/%-9ld %6d %7.1f %7.1f %7.1f %11.0f\n", n,
              name, r.deliveries_per_s, r.p50_ms, r.p99_ms, r.rss_per_idle_session_bytes,
              r.delivered, r.expected, r.closed_during_run, r.bridge_cpu_s, r.client_cpu_s,
              r.broker_cpu_s, r.delivered / std::max(1e-9, r.bridge_cpu_s));
  std::printf(
      "%7d %-11s timeline: first delivery at %.0f ms, last publish at %.0f ms, last "
      "delivery at %.0f ms\n",
      n, name, r.first_delivery_ms, r.publishes_done_ms, r.seconds * 1000);
  if (r.connect_failed > 0 || r.slow_consumer_errors > 0 || r.other_frames > 0 ||
      r.window_stalls > 0 || !r.error.empty()) {
    std::printf(
        "%7d %-11s note: %d handshakes failed%s%s, %d slow-consumer errors, %d other "
        "frames, %d publishes past a stalled window%s%s\n",
        n, name, r.connect_failed, r.first_failure.empty() ? "" : " (first: ",
        r.first_failure.empty() ? "" : (r.first_failure + ")").c_str(), r.slow_consumer_errors,
        r.other_frames, r.window_stalls, r.error.empty() ? "" : "; ", r.error.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  bool ws_only = false;
  int total = 200000;
  int window = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--ws-only") {
      ws_only = true;
    } else if (arg == "--total" && i + 1 < argc) {
      total = std::atoi(argv[++i]);
    } else if (arg == "--window" && i + 1 < argc) {
      window = std::atoi(argv[++i]);
    } else if (const int n = std::atoi(arg.c_str()); n > 0 && n <= 60000) {
      sizes.push_back(n);
    } else {
      return fail("usage: bridge_fanout_bench [--ws-only] [--total M] [--window W] [N ...]");
    }
  }
  if (sizes.empty()) sizes = {1000, 10000};
  laneway::bench::raise_open_files_limit();  // room for every session on both ends

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
  const int admin_port = test::free_tcp_port();  // /metrics (docs/bridge.md "The admin listener")
  const int reference_port = test::free_tcp_port();
  const int wt_port = test::free_udp_port();
  const std::string secret = laneway::bridge::testing::kTestSecret;

  json bridge_cfg{
      {"listen", {{{"host", "127.0.0.1"}, {"port", laneway_port}}}},
      {"admin", {{"listen", "127.0.0.1:" + std::to_string(admin_port)}}},
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

  // The connect call each laneway session sends first: app, token, one subscription.
  laneway::v1::Frame connect;
  connect.mutable_call()->set_id(1);
  auto* request = connect.mutable_call()->mutable_connect();
  request->set_app_id("bench");
  request->set_token(token);
  request->set_client("fanout");
  request->add_subscriptions()->set_filter("devices/bench-1/#");

  std::printf(
      "fan-out: 1 MQTT publisher -> N sessions (QoS 0, 8-byte payloads); laneway and reference\n"
      "over WebSocket (load client: libwebsockets, in this process), laneway-wt over\n"
      "WebTransport (stream), laneway-wtd with datagrams. CPU s over the delivery phase;\n"
      "closed = sessions the bridge closed during it; per CPU s = deliveries per bridge CPU s\n");
  std::printf("%7s %-11s %13s %8s %8s %9s %19s %6s %7s %7s %7s %11s\n", "N", "bridge",
              "deliveries/s", "p50 ms", "p99 ms", "RSS/idle", "delivered/expected", "closed",
              "CPU brg", "CPU cli", "CPU mqt", "per CPU s");
  for (int n : sizes) {
    const int messages = std::max(10, total / n);
    laneway::bench::WsFanoutConfig base;
    base.server_name = "localhost";
    base.ca_file = pki + "/ca.crt";
    base.broker_pid = broker.pid();
    base.sessions = n;
    base.messages = messages;
    base.window = window;
    base.topic = "devices/bench-1/telemetry";
    base.broker_port = broker.port();
    base.device = broker.device("bench-1");
    base.verbose = std::getenv("LANEWAY_BENCH_VERBOSE") != nullptr;
    auto lw_cfg = base;
    lw_cfg.port = laneway_port;
    lw_cfg.origin = "https://127.0.0.1:" + std::to_string(laneway_port);
    lw_cfg.bridge_pid = laneway->pid();
    lw_cfg.connect_frame = connect.SerializeAsString();
    auto rf_cfg = base;
    rf_cfg.port = reference_port;
    rf_cfg.origin = "https://127.0.0.1:" + std::to_string(reference_port);
    rf_cfg.bridge_pid = reference->pid();
    const auto before = laneway::bench::fetch_metrics(admin_port, "localhost", pki + "/ca.crt");
    const auto a = laneway::bench::run_ws_fanout(lw_cfg);
    // The bridge closes its side of the sessions the client just dropped; the next run
    // should not measure that.
    laneway::bench::wait_until_idle({laneway->pid()}, 10s);
    const auto after = laneway::bench::fetch_metrics(admin_port, "localhost", pki + "/ca.crt");
    print_ws(n, "laneway", a);
    if (before && after) {
      // What the bridge says it did, beside what the client counted: a shortfall with no
      // drops and no closed sessions is the client's.
      auto delta = [&](const std::string& key) {
        const auto b = before->find(key);
        const auto e = after->find(key);
        return (e == after->end() ? 0.0 : e->second) - (b == before->end() ? 0.0 : b->second);
      };
      const double out = delta("laneway_bridge_messages_out_total{lane=\"ws\"}");
      std::printf(
          "%7d laneway     /metrics: %.0f WebSocket frames out (%d connect replies + %.0f "
          "envelopes), drops: %.0f slow consumer, %.0f broker inbox\n",
          n, out, a.ready, out - a.ready,
          delta("laneway_bridge_drops_total{reason=\"slow_consumer\"}"),
          delta("laneway_bridge_drops_total{reason=\"broker_inbox\"}"));
    }
    std::fflush(stdout);
    const auto b = laneway::bench::run_ws_fanout(rf_cfg);
    laneway::bench::wait_until_idle({reference->pid()}, 10s);
    print_ws(n, "reference", b);
    if (a.error.empty() && b.error.empty()) {
      std::printf(
          "%7d ratio laneway/reference: deliveries/s %.2fx, deliveries per bridge CPU s %.2fx, "
          "RSS per idle session %.2fx\n",
          n, a.deliveries_per_s / std::max(1e-9, b.deliveries_per_s),
          (a.delivered / std::max(1e-9, a.bridge_cpu_s)) /
              std::max(1e-9, b.delivered / std::max(1e-9, b.bridge_cpu_s)),
          a.rss_per_idle_session_bytes / std::max(1.0, b.rss_per_idle_session_bytes));
    }
    std::fflush(stdout);
    if (ws_only) continue;
    if (n > kWtMaxSessions) {
      std::printf(
          "%7d laneway-wt skipped: above %d sessions (connecting 10,000 QUIC sessions from\n"
          "        one poll loop took over 10 minutes here)\n",
          n, kWtMaxSessions);
      continue;
    }
    laneway::bench::WtFanoutConfig wt_cfg;
    wt_cfg.wt_port = static_cast<std::uint16_t>(wt_port);
    wt_cfg.bridge_pid = laneway->pid();
    wt_cfg.sessions = n;
    wt_cfg.messages = std::max(10, kWtTotal / n);  // docs/webtransport.md's figures
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
        std::printf("%7d %-11s failed: %s\n", n, name, r->error.c_str());
        continue;
      }
      std::printf("%7d %-11s %13.0f %8.2f %8.2f %9.0f %9ld/%-9ld %6s %7.1f %7.1f %7s %11.0f\n", n,
                  name, r->deliveries_per_s, r->p50_ms, r->p99_ms, r->rss_per_idle_session_bytes,
                  r->delivered, r->expected, "-", r->bridge_cpu_s, r->client_cpu_s, "-",
                  r->delivered / std::max(1e-9, r->bridge_cpu_s));
    }
    if (a.error.empty() && wt.error.empty()) {
      std::printf(
          "%7d ratio laneway wt/ws: deliveries/s %.2fx, p99 %.2fx, RSS per idle session %.2fx\n", n,
          wt.deliveries_per_s / std::max(1e-9, a.deliveries_per_s),
          wt.p99_ms / std::max(1e-9, a.p99_ms),
          wt.rss_per_idle_session_bytes / std::max(1.0, a.rss_per_idle_session_bytes));
    }
    std::fflush(stdout);
  }
  return 0;
}
