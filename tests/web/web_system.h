// The whole system a browser test needs, on free loopback ports: mosquitto + laneway plugin
// (BrokerHarness), a simulated fleet (`laneway-fleet simulate`, real devices on mTLS), and a
// laneway-bridge serving the built web files. Every process is stopped by its PID.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker_harness.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::test {

// What this laneway-bridge build can do, asked of the binary itself (`--check` refuses a
// configuration key it does not know). Lanes and RPC arrive from parallel issues; a test of a
// missing feature says which one it waits for instead of failing on an unknown key.
struct BridgeFeatures {
  bool webtransport = false;   // `webtransport` section (issue 7)
  bool rpc = false;            // `apps[].rpc` filters: RPC over the web lanes (issue 6)
  bool lane_switches = false;  // `lanes: {ws, sse}` (issue 6)
};

struct WebSystemOptions {
  int devices = 2;
  double telemetry_hz = 2;
  int telemetry_qos = 0;  // the devices' telemetry QoS (laneway-fleet simulate --qos)
  // Serve WebTransport when this bridge build has the lane (features().webtransport).
  bool webtransport = true;
  // Switch the WebSocket lane off (`lanes.ws: false`; needs features().lane_switches).
  bool websocket = true;
  // history.upstream_linger_ms when set: how long the bridge keeps a filter nobody reads.
  std::optional<int> upstream_linger_ms = std::nullopt;
};

class WebSystem {
 public:
  static constexpr const char* kAppId = "dashboard";
  static constexpr const char* kGroup = "demo";
  static constexpr const char* kSecret = "web-e2e-secret-web-e2e-secret-web-e2e-0123";

  explicit WebSystem(WebSystemOptions options = {});
  ~WebSystem();

  // Empty when everything came up; otherwise what failed (with logs).
  const std::string& error() const { return error_; }

  int bridge_port() const { return bridge_port_; }
  int wt_port() const { return wt_port_; }
  const BridgeFeatures& features() const { return features_; }
  // True when this system serves WebTransport (wanted and available).
  bool has_webtransport() const { return options_.webtransport && features_.webtransport; }
  std::vector<std::string> device_ids() const;
  std::string ca_file() const { return broker_.pki() + "/ca.crt"; }
  std::string server_cert() const { return broker_.pki() + "/servers/bridge-https.crt"; }
  std::string dir() const { return dir_.path().string(); }
  std::string bridge_log() const { return bridge_ ? bridge_->output() : std::string(); }
  std::string fleet_log() const { return fleet_ ? fleet_->output() : std::string(); }
  bool bridge_running() { return bridge_ && bridge_->running(); }

  // Stops the bridge by its PID and waits for it to be gone: SIGTERM is the graceful stop
  // (history handed to the next start), SIGKILL a crash (nothing flushed).
  void stop_bridge(int signal);
  // Starts the bridge (again) on the same ports; false with the reason.
  bool start_bridge(std::string& error);

 private:
  void setup();
  void probe_features();
  // false when `--check` refuses `key` as unknown; true when the config passes.
  bool bridge_accepts(const nlohmann::json& config, const std::string& key);
  nlohmann::json bridge_config(const BridgeFeatures& use) const;
  std::string write_bridge_config();
  void fail(const std::string& why) { error_ = why; }

  WebSystemOptions options_;
  BrokerHarness broker_;
  TempDir dir_{"laneway-web-e2e"};
  std::optional<Process> fleet_;
  std::optional<Process> bridge_;
  int bridge_port_ = 0;
  int wt_port_ = 0;
  BridgeFeatures features_;
  int bridge_starts_ = 0;
  std::string error_;
};

}  // namespace laneway::test
