#include "web_system.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "net.h"
#include "wait.h"

namespace laneway::test {
using nlohmann::json;
using namespace std::chrono_literals;

WebSystem::WebSystem(WebSystemOptions options) : options_(options) {
  setup();
}

void WebSystem::setup() {
  if (!broker_.setup_error().empty()) return fail("broker harness: " + broker_.setup_error());
  if (!broker_.add_service("bridge", "bridge-1")) return fail("bridge service certificate");
  if (!broker_.certs(
          {"server", "--name", "bridge-https", "--dns", "localhost", "--ip", "127.0.0.1"})) {
    return fail("bridge server certificate");
  }
  if (!broker_.start()) return fail("mosquitto did not start:\n" + broker_.log());

  // Real devices: the simulator issues and registers their certificates itself.
  std::vector<std::string> argv = broker_.simulate_argv(
      LANEWAY_FLEET_BIN,
      {"--devices", std::to_string(options_.devices), "--prefix", "d-", "--group", kGroup, "--rate",
       std::to_string(options_.telemetry_hz), "--qos", std::to_string(options_.telemetry_qos),
       "--stats-interval", "0"});
  std::string start_error;
  Process::Options fleet_options;
  fleet_options.argv = argv;
  fleet_options.log_path = dir_.file("fleet.log");
  fleet_ = Process::start(fleet_options, &start_error);
  if (!fleet_) return fail("laneway-fleet simulate did not start: " + start_error);

  if (!broker_.certs({"wt-cert", "--days", "7", "--ip", "127.0.0.1", "--dns", "localhost"})) {
    return fail("WebTransport certificate");
  }
  wt_port_ = free_udp_port();
  bridge_port_ = free_tcp_port();
  probe_features();
  if (!error_.empty()) return;
  if (!start_bridge(start_error)) return fail(start_error);
}

WebSystem::~WebSystem() {
  if (bridge_) bridge_->stop();
  if (fleet_) fleet_->stop();
  broker_.stop();
}

std::vector<std::string> WebSystem::device_ids() const {
  std::vector<std::string> ids;
  for (int i = 1; i <= options_.devices; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "d-%06d", i);
    ids.emplace_back(id);
  }
  return ids;
}

json WebSystem::bridge_config(const BridgeFeatures& use) const {
  const std::string pki = broker_.pki();
  const std::string origin = "https://127.0.0.1:" + std::to_string(bridge_port_);
  json app{{"id", kAppId},
           {"keys", {{{"alg", "HS256"}, {"secret", kSecret}}}},
           {"origins", {origin}},
           {"subscribe", {"devices/#", "fleet/#", "broadcast/#"}},
           {"publish", {"fleet/#", "broadcast/#", "devices/+/cmd"}}};
  if (use.rpc) app["rpc"] = {"devices/+/rpc/#"};
  json config{
      {"listen", {{{"host", "127.0.0.1"}, {"port", bridge_port_}}}},
      // /healthz and /metrics on a port of the kernel's choosing, so runs never collide.
      {"admin", {{"listen", "127.0.0.1:0"}}},
      {"web_root", LANEWAY_WEB_DIR},
      {"tls",
       {{"cert", pki + "/servers/bridge-https.crt"}, {"key", pki + "/servers/bridge-https.key"}}},
      {"broker",
       {{"host", "127.0.0.1"},
        {"port", broker_.port()},
        {"ca", pki + "/ca.crt"},
        {"cert", pki + "/services/bridge-bridge-1.crt"},
        {"key", pki + "/services/bridge-bridge-1.key"},
        {"client_id", "bridge-1"},
        {"state_file", dir_.file("bridge-state")},
        {"reconnect_min_s", 1},
        {"reconnect_max_s", 2}}},
      {"history", {{"snapshot_file", dir_.file("bridge-history")}}},
      {"apps", {app}},
      {"sse", {{"heartbeat_ms", 2000}}}};
  if (use.webtransport) {
    config["webtransport"] = {
        {"port", wt_port_}, {"cert", pki + "/wt/wt.crt"}, {"key", pki + "/wt/wt.key"}};
  }
  if (options_.upstream_linger_ms) {
    config["history"]["upstream_linger_ms"] = *options_.upstream_linger_ms;
  }
  if (use.lane_switches) config["lanes"] = {{"ws", options_.websocket}, {"sse", true}};
  return config;
}

bool WebSystem::bridge_accepts(const json& config, const std::string& key) {
  const std::string path = dir_.file("probe-" + key + ".json");
  std::ofstream(path) << config.dump(2);
  std::string output;
  const int rc = run_command({LANEWAY_BRIDGE_BIN, "--config", path, "--check"}, &output, 10s);
  if (rc == 0) return true;
  if (output.find("unknown option '" + key + "'") == std::string::npos) {
    fail("laneway-bridge --check refused the test configuration: " + output);
  }
  return false;
}

void WebSystem::probe_features() {
  BridgeFeatures one;
  one.rpc = true;
  features_.rpc = bridge_accepts(bridge_config(one), "rpc");
  one = {};
  one.webtransport = true;
  features_.webtransport = bridge_accepts(bridge_config(one), "webtransport");
  one = {};
  one.lane_switches = true;
  features_.lane_switches = bridge_accepts(bridge_config(one), "lanes");
}

std::string WebSystem::write_bridge_config() {
  BridgeFeatures use = features_;
  use.webtransport = has_webtransport();
  // `lanes` only when something is switched off, so the default config stays minimal.
  use.lane_switches = features_.lane_switches && !options_.websocket;
  const std::string path = dir_.file("bridge.json");
  std::ofstream(path) << bridge_config(use).dump(2);
  return path;
}

bool WebSystem::start_bridge(std::string& error) {
  Process::Options options;
  options.argv = {LANEWAY_BRIDGE_BIN, "--config", write_bridge_config()};
  options.log_path = dir_.file("bridge-" + std::to_string(++bridge_starts_) + ".log");
  std::string start_error;
  bridge_ = Process::start(options, &start_error);
  if (!bridge_) {
    error = "laneway-bridge did not start: " + start_error;
    return false;
  }
  const bool up = wait_until(
      [&] {
        return !bridge_->running() ||
               bridge_->output().find("connected to the broker") != std::string::npos;
      },
      20s, 50ms);
  if (!up || !bridge_->running()) {
    error = "laneway-bridge never reached the broker:\n" + bridge_->output();
    return false;
  }
  return true;
}

void WebSystem::stop_bridge(int signal) {
  if (!bridge_) return;
  bridge_->signal(signal);
  if (bridge_->wait_exit(10s)) return;
  bridge_->signal(SIGKILL);  // a graceful stop that hangs is a failure the test log shows
  bridge_->wait_exit(10s);
}

}  // namespace laneway::test
