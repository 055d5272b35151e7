// The WebTransport side of the fan-out benchmark: N laneway sessions over WebTransport
// (the ngtcp2 test client speaking laneway frames, tests/webtransport/laneway_wt_client),
// all driven by one poll loop in this process, and one MQTT device publishing. Same
// workload and same figures as fanout_client.mjs does for WebSocket.
//
// Why C++ and not Chromium: one headless Chromium holds a few WebTransport sessions per
// page and costs tens of MB per renderer; 1,000 sessions from browsers do not fit two cores.
// The ngtcp2 client costs about as much per session as the bridge does, so it can reach
// N = 1000 (and more) on this machine.
#pragma once

#include <cstdint>
#include <string>

#include "mqtt_test_client.h"

namespace laneway::bench {

struct WtFanoutConfig {
  std::uint16_t wt_port = 0;
  int bridge_pid = 0;
  int sessions = 1000;
  int messages = 200;
  bool datagrams = false;  // subscribe with Subscription.datagrams (QoS 0 as datagrams)
  std::string app_id;
  std::string token;
  std::string filter;
  std::string topic;
  int broker_port = 0;
  test::ClientOptions device;
  int publish_pause_ms = 5;  // after every 10 publishes, as fanout_client.mjs
  int timeout_s = 240;
};

struct WtFanoutResult {
  std::string error;  // empty on success
  long delivered = 0;
  long expected = 0;
  double deliveries_per_s = 0;
  double p50_ms = -1;
  double p99_ms = -1;
  double rss_per_idle_session_bytes = 0;
  // CPU seconds during the delivery phase: who is the bottleneck on two shared cores.
  double bridge_cpu_s = 0;
  double client_cpu_s = 0;
};

WtFanoutResult run_wt_fanout(const WtFanoutConfig& config);

}  // namespace laneway::bench
