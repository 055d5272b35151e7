// The device simulator: N devices, each its own libmosquitto client with its own
// certificate over mTLS, all driven from ONE thread by poll() and mosquitto_loop_read /
// _write / _misc. Devices publish telemetry, answer RPCs, acknowledge broadcasts and
// reconnect with exponential backoff and jitter.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "device_credentials.h"

namespace laneway::fleet {

struct SimulatorOptions {
  std::string host = "127.0.0.1";
  int port = 8883;
  // More brokers (a cluster's other edges, docs/scale.md): device i starts on broker
  // i mod N (host:port being the first) and moves to the next one whenever a connection
  // fails or is lost, as a device given every edge address would.
  std::vector<std::pair<std::string, int>> more_brokers;
  std::string cafile;
  std::vector<std::string> groups;  // each device subscribes fleet/<group>/#
  double rate_hz = 1.0;             // telemetry per device per second (0 = none)
  int telemetry_qos = 0;            // 0: at most once; 1: at least once, end to end
  double duration_s = 0;            // 0 = until stopped
  int connect_rate = 200;           // new connection attempts per second, fleet-wide
  int max_connecting = 64;          // handshakes in flight at once
  int keepalive_s = 60;
  int connect_timeout_ms = 15000;  // TCP + TLS + CONNACK, then the attempt is abandoned
  int backoff_min_ms = 500;
  int backoff_max_ms = 30000;
  double stats_interval_s = 5;  // progress line on stderr (0 = none)
};

struct SimulatorStats {
  std::uint64_t connected_now = 0;
  std::uint64_t ever_connected = 0;
  std::uint64_t connects = 0;  // successful CONNACKs (including reconnects)
  std::uint64_t refused = 0;   // CONNACK refusals
  std::uint64_t disconnects = 0;
  std::uint64_t connect_timeouts = 0;
  std::uint64_t published = 0;
  std::uint64_t rpc_answered = 0;
  std::uint64_t broadcasts = 0;
  double first_all_connected_s = -1;  // seconds until every device was connected once
  long rss_kb = 0;
  double cpu_s = 0;  // user + system CPU of the run (certificate issuing excluded)
};

// Runs until `stop` becomes true or the duration ends. Returns the final stats.
SimulatorStats run_simulator(const SimulatorOptions& options,
                             const std::vector<DeviceFiles>& devices,
                             const std::atomic<bool>& stop);

// Resident set size of this process in KiB (from /proc/self/status), 0 if unknown.
long current_rss_kb();

}  // namespace laneway::fleet
