// The WebSocket load client of the fan-out benchmark: N wss sessions to one bridge from one
// libwebsockets client context in this process (source addresses spread over 127.0.0.2–…),
// and one MQTT device publishing. Replaces the single Node process that used to do this and
// capped both bridges at its own rate: on two shared cores the load client has to cost less
// per delivery than the bridges it measures, and the CPU split it reports shows whether it
// did.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mqtt_test_client.h"

namespace laneway::bench {

struct WsFanoutConfig {
  int port = 0;  // the bridge's HTTPS port on 127.0.0.1
  // Further bridge replicas (docs/scale.md "Bridge replicas"): sessions are spread round
  // robin over `port` and these, and CPU and RSS are summed over `bridge_pid` and
  // `replica_pids`.
  std::vector<int> replica_ports;
  std::vector<int> replica_pids;
  std::string server_name;  // Host header and certificate name (the cert says localhost)
  std::string origin;       // Origin header, sent as is
  std::string ca_file;      // verifies the bridge's certificate
  int bridge_pid = 0;
  int broker_pid = 0;  // 0: broker CPU not reported
  int sessions = 1000;
  int messages = 200;
  // laneway speaks the protocol: each session sends a connect CallFrame (these bytes) and
  // counts as ready once the reply arrived. Empty for the reference bridge, which sends
  // everything to every open socket.
  std::string connect_frame;
  int concurrency = 200;  // handshakes in flight at once
  int source_addresses = 200;
  std::string topic;
  int broker_port = 0;
  test::ClientOptions device;
  int publish_burst = 10;  // publishes back to back, then a pause
  int publish_pause_ms = 5;
  // 0: open loop (bursts of publish_burst, then publish_pause_ms), so both bridges drain a
  // backlog at their own pace: the throughput figure. W > 0: closed loop, message m goes out
  // only once the sessions received (m - W) × N deliveries (at most window_wait_ms per
  // message, then counted in window_stalls), which keeps any bridge slower than the offered
  // 2,000 messages/s from falling behind the broker: open loop with 1,000 messages at
  // N = 1000, mosquitto dropped the QoS 0 overflow on its way to the reference bridge (121
  // of 1,000 messages arrived there).
  int window = 0;
  int window_wait_ms = 5000;
  int timeout_s = 240;
  int idle_stop_s = 5;   // the delivery phase ends once nothing arrived for this long
  bool verbose = false;  // progress on stderr while connecting
};

struct WsFanoutResult {
  std::string error;       // empty on success
  int ready = 0;           // sessions connected (and, for laneway, subscribed)
  int connect_failed = 0;  // handshakes that failed (first reason in `first_failure`)
  std::string first_failure;
  long delivered = 0;  // envelopes received during the delivery phase
  long expected = 0;   // ready × messages
  // Sessions the bridge closed during the delivery phase, and typed errors received
  // (ERROR_CODE_SLOW_CONSUMER is the slow-consumer policy at work).
  int closed_during_run = 0;
  int slow_consumer_errors = 0;
  int other_frames = 0;
  int window_stalls = 0;  // publishes that went out after window_wait_ms without the window
  double seconds = 0;     // first publish → last delivery
  // Where the time went: first publish → first delivery, and → last publish handed to the
  // socket (in open loop the publisher waits on nothing else).
  double first_delivery_ms = -1;
  double publishes_done_ms = -1;
  double deliveries_per_s = 0;
  double p50_ms = -1;
  double p99_ms = -1;
  double rss_per_idle_session_bytes = 0;
  // CPU seconds (user + system) over the delivery phase: who set the ceiling.
  double bridge_cpu_s = 0;  // every replica's
  double client_cpu_s = 0;  // this whole process: the lws loop, the publisher, libmosquitto
  double broker_cpu_s = 0;
};

WsFanoutResult run_ws_fanout(const WsFanoutConfig& config);

}  // namespace laneway::bench
