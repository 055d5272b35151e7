#include "replica_tier.h"

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>

#include "net.h"
#include "wait.h"

namespace laneway::test {
using nlohmann::json;
using namespace std::chrono_literals;

ReplicaTier::ReplicaTier(Options options) : options_(options) {
  setup();
}

ReplicaTier::~ReplicaTier() {
  for (auto& b : bridges_) {
    if (b) b->stop();
  }
  if (device_) device_->stop();
  broker_.stop();
}

void ReplicaTier::setup() {
  if (!broker_.setup_error().empty()) return fail("broker harness: " + broker_.setup_error());
  // Each replica its own broker identity and its own WebTransport certificate.
  for (int i = 1; i <= options_.replicas; ++i) {
    const std::string n = std::to_string(i);
    if (!broker_.add_service("bridge", "bridge-" + n) ||
        !broker_.certs({"wt-cert", "--days", "7", "--ip", "127.0.0.1", "--dns", "localhost",
                        "--out", broker_.pki() + "/wt/wt-" + n})) {
      return fail("certificates of replica " + n);
    }
  }
  if (!broker_.certs(
          {"server", "--name", "bridge-https", "--dns", "localhost", "--ip", "127.0.0.1"})) {
    return fail("bridge server certificate");
  }
  if (!broker_.start()) return fail("mosquitto did not start:\n" + broker_.log());
  Process::Options device;
  device.argv = broker_.simulate_argv(
      LANEWAY_FLEET_BIN,
      {"--devices", "1", "--prefix", "d-", "--group", "demo", "--rate",
       std::to_string(options_.telemetry_hz), "--qos", "1", "--stats-interval", "0"});
  device.log_path = dir_.file("device.log");
  std::string why;
  device_ = Process::start(device, &why);
  if (!device_) return fail("laneway-fleet simulate did not start: " + why);
  for (int i = 0; i < options_.replicas; ++i) {
    ports_.push_back(free_tcp_port());
    admin_ports_.push_back(free_tcp_port());
    wt_ports_.push_back(free_udp_port());
  }
  bridges_.resize(options_.replicas);
  starts_.resize(options_.replicas);
}

std::vector<std::string> ReplicaTier::base_urls() const {
  std::vector<std::string> out;
  for (int i = 0; i < replicas(); ++i) out.push_back(base_url(i));
  return out;
}

std::string ReplicaTier::write_config(int i) {
  const std::string pki = broker_.pki();
  const std::string id = "bridge-" + std::to_string(i + 1);
  json app{{"id", kAppId},
           {"keys", {{{"alg", "HS256"}, {"secret", kSecret}}}},
           {"origins", base_urls()},
           {"subscribe", {"devices/#"}},
           {"publish", {"devices/+/cmd"}},
           {"rpc", {"devices/+/rpc/#"}}};
  json config{
      {"listen", {{{"host", "127.0.0.1"}, {"port", ports_[i]}}}},
      // A fixed port per replica (not 0): sessions(i) asks it across restarts.
      {"admin", {{"listen", "127.0.0.1:" + std::to_string(admin_ports_[i])}}},
      {"public_url", base_url(i)},
      {"replicas", base_urls()},
      {"web_root", LANEWAY_WEB_DIR},
      {"drain_ms", 3000},
      {"tls",
       {{"cert", pki + "/servers/bridge-https.crt"}, {"key", pki + "/servers/bridge-https.key"}}},
      {"broker",
       {{"host", "127.0.0.1"},
        {"port", broker_.port()},
        {"ca", pki + "/ca.crt"},
        {"cert", pki + "/services/bridge-" + id + ".crt"},
        {"key", pki + "/services/bridge-" + id + ".key"},
        {"client_id", id},
        {"state_file", dir_.file(id + "-state")},
        {"reconnect_min_s", 1},
        {"reconnect_max_s", 2}}},
      {"history",
       {{"mirror", {"devices/#"}},
        {"max_messages_per_topic", 4096},
        {"max_bytes_per_topic", 4 << 20},
        {"snapshot_file", dir_.file(id + "-history")}}},
      {"apps", {app}},
      {"sse", {{"heartbeat_ms", 2000}}},
      {"webtransport",
       {{"port", wt_ports_[i]},
        {"cert", pki + "/wt/wt-" + std::to_string(i + 1) + ".crt"},
        {"key", pki + "/wt/wt-" + std::to_string(i + 1) + ".key"}}}};
  const std::string path = dir_.file(id + ".json");
  std::ofstream(path) << config.dump(2);
  return path;
}

bool ReplicaTier::start(int i, std::string& why) {
  Process::Options options;
  options.argv = {LANEWAY_BRIDGE_BIN, "--config", write_config(i)};
  options.log_path =
      dir_.file("bridge-" + std::to_string(i + 1) + "-" + std::to_string(++starts_[i]) + ".log");
  std::string start_error;
  bridges_[i] = Process::start(options, &start_error);
  if (!bridges_[i]) {
    why = "laneway-bridge " + std::to_string(i + 1) + " did not start: " + start_error;
    return false;
  }
  Process& p = *bridges_[i];
  const bool up = wait_until(
      [&] {
        return !p.running() || p.output().find("connected to the broker") != std::string::npos;
      },
      20s, 50ms);
  if (!up || !p.running()) {
    why = "laneway-bridge " + std::to_string(i + 1) + " never reached the broker:\n" + p.output();
    return false;
  }
  return true;
}

void ReplicaTier::stop(int i, int signal) {
  if (!bridges_[i]) return;
  bridges_[i]->signal(signal);
  if (bridges_[i]->wait_exit(15s)) return;
  bridges_[i]->signal(SIGKILL);  // a drain that hangs is a failure the log shows
  bridges_[i]->wait_exit(10s);
}

bool ReplicaTier::running(int i) {
  return bridges_[i] && bridges_[i]->running();
}

int ReplicaTier::sessions(int i) const {
  std::string out;
  const int rc =
      run_command({"curl", "-sS", "--max-time", "3", "--cacert", broker_.pki() + "/ca.crt",
                   "https://127.0.0.1:" + std::to_string(admin_ports_[i]) + "/healthz"},
                  &out, 5s);
  if (rc != 0) return -1;
  const json health = json::parse(out, nullptr, false);
  if (!health.is_object() || !health.contains("sessions")) return -1;
  return health["sessions"].get<int>();
}

int ReplicaTier::replica_with_sessions() const {
  int found = -1;
  for (int i = 0; i < replicas(); ++i) {
    if (sessions(i) > 0) {
      if (found >= 0) return -1;
      found = i;
    }
  }
  return found;
}

int ReplicaTier::wait_for_holder(int except, std::chrono::milliseconds bound) const {
  int on = -1;
  const bool found = wait_until(
      [&] {
        on = replica_with_sessions();
        return on >= 0 && on != except;
      },
      bound, 20ms);
  return found ? on : -1;
}

std::string ReplicaTier::logs() {
  std::string out;
  for (int i = 0; i < replicas(); ++i) {
    out += "--- bridge " + std::to_string(i + 1) + " ---\n";
    if (bridges_[i]) out += bridges_[i]->output();
  }
  return out;
}

}  // namespace laneway::test
