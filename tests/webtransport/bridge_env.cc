#include "bridge_env.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "net.h"
#include "test_tokens.h"
#include "wait.h"

namespace laneway::test {

using nlohmann::json;
using namespace std::chrono_literals;

WtBridgeEnv::WtBridgeEnv(Options options)
    : options_(options),
      broker_(BrokerHarness::Options{options.plugin, "devices/#,fleet/#,broadcast/#"}) {
  setup();
}

WtBridgeEnv::~WtBridgeEnv() {
  if (bridge_) bridge_->stop();
}

void WtBridgeEnv::setup() {
  if (!broker_.setup_error().empty()) return fail("broker harness: " + broker_.setup_error());
  if (!broker_.add_device("d-1")) return fail("device certificate");
  if (!broker_.add_service("bridge", "bridge-1")) return fail("bridge certificate");
  if (!broker_.add_service("bridge", "observer")) return fail("observer certificate");
  std::string out;
  if (!broker_.certs(
          {"server", "--name", "bridge-https", "--dns", "localhost", "--ip", "127.0.0.1"}, &out)) {
    return fail("bridge server certificate: " + out);
  }
  if (!broker_.certs({"wt-cert", "--ip", "127.0.0.1", "--days", "3"}, &out)) {
    return fail("wt certificate: " + out);
  }
  if (!broker_.start()) return fail("mosquitto did not start:\n" + broker_.log());
  https_port_ = free_tcp_port();
  admin_port_ = free_tcp_port();
  wt_port_ = free_udp_port();
  foreign_port_ = free_tcp_port();
  const std::string p = pki();
  const std::string origin = "https://127.0.0.1:" + std::to_string(https_port_);
  json config{
      {"listen", {{{"host", "127.0.0.1"}, {"port", https_port_}}}},
      {"admin", {{"listen", "127.0.0.1:" + std::to_string(admin_port_)}}},
      {"tls",
       {{"cert", p + "/servers/bridge-https.crt"}, {"key", p + "/servers/bridge-https.key"}}},
      {"broker",
       {{"host", "127.0.0.1"},
        {"port", broker_.port()},
        {"ca", p + "/ca.crt"},
        {"cert", p + "/services/bridge-bridge-1.crt"},
        {"key", p + "/services/bridge-bridge-1.key"},
        {"client_id", "bridge-1"},
        {"reconnect_min_s", 1},
        {"reconnect_max_s", 2}}},
      {"apps",
       {{{"id", "demo"},
         {"keys", {{{"alg", "HS256"}, {"secret", bridge::testing::kTestSecret}}}},
         {"origins", {origin}},
         {"subscribe", {"devices/#", "broadcast/#"}},
         {"publish", {"devices/+/cmd"}}}}},
      {"limits",
       {{"queue_max_bytes", options_.queue_max_bytes},
        {"max_sessions", options_.max_sessions},
        {"call_rate_per_s", 1000},
        {"call_burst", 2000}}},
      {"webtransport",
       {{"enabled", true},
        {"hosts", {"127.0.0.1"}},
        {"port", wt_port_},
        {"cert", wt_cert()},
        {"key", wt_key()},
        {"max_sessions", options_.max_sessions},
        {"cert_check_ms", 200}}},
      {"log_level", options_.log_level}};
  std::ofstream(dir_.file("bridge.json")) << config.dump(2);
  std::string start_error;
  Process::Options run;
  run.argv = {LANEWAY_BRIDGE_BIN, "--config", dir_.file("bridge.json")};
  run.log_path = dir_.file("bridge.log");
  bridge_ = Process::start(run, &start_error);
  if (!bridge_) return fail("bridge did not start: " + start_error);
  const bool up = wait_until(
      [&] {
        return bridge_->output().find("connected to the broker") != std::string::npos ||
               !bridge_->running();
      },
      20s, 50ms);
  if (!up || !bridge_->running())
    return fail("bridge never reached the broker:\n" + bridge_->output());
}

std::string WtBridgeEnv::token() const {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() +
                   3600;
  return bridge::testing::mint_token("HS256", bridge::testing::kTestSecret,
                                     json{{"sub", "alice"}, {"app", "demo"}, {"exp", exp}});
}

namespace {

std::string curl_get(const std::string& ca, int port, const std::string& path) {
  std::string out;
  const int rc = run_command({"curl", "-sS", "--max-time", "5", "--cacert", ca,
                              "https://127.0.0.1:" + std::to_string(port) + path},
                             &out, 10s);
  return rc == 0 ? out : std::string();
}

}  // namespace

std::string WtBridgeEnv::get(const std::string& path) const {
  return curl_get(pki() + "/ca.crt", https_port_, path);
}

std::string WtBridgeEnv::admin_get(const std::string& path) const {
  return curl_get(pki() + "/ca.crt", admin_port_, path);
}

double WtBridgeEnv::metric(const std::string& name_with_labels) const {
  std::istringstream lines(admin_get("/metrics"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > name_with_labels.size() &&
        line.compare(0, name_with_labels.size(), name_with_labels) == 0 &&
        line[name_with_labels.size()] == ' ') {
      return std::stod(line.substr(name_with_labels.size() + 1));
    }
  }
  return -1;
}

}  // namespace laneway::test
