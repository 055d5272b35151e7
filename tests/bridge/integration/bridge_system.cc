#include "bridge_system.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "wait.h"

namespace laneway::bridge {

using nlohmann::json;
using namespace std::chrono_literals;

bool BridgeSystem::prepare(const std::vector<std::string>& extra_services) {
  if (!broker.setup_error().empty()) return fail("broker harness: " + broker.setup_error());
  if (!broker.add_device("d-1")) return fail("add_device d-1");
  if (!broker.add_service("bridge", "bridge-1")) return fail("bridge certificate");
  for (const std::string& id : extra_services) {
    if (!broker.add_service("bridge", id)) return fail(id + " certificate");
  }
  std::string out;
  if (!broker.certs({"server", "--name", "bridge-https", "--dns", "localhost", "--ip", "127.0.0.1"},
                    &out)) {
    return fail("bridge server certificate: " + out);
  }
  if (!broker.start()) return fail("mosquitto did not start:\n" + broker.log());
  return true;
}

json BridgeSystem::base_config(const std::string& host, int port,
                               const std::string& client_id) const {
  const std::string pki = broker.pki();
  return {
      {"listen", {{{"host", host}, {"port", port}}}},
      {"tls",
       {{"cert", pki + "/servers/bridge-https.crt"}, {"key", pki + "/servers/bridge-https.key"}}},
      {"broker",
       {{"host", "127.0.0.1"},
        {"port", broker.port()},
        {"ca", pki + "/ca.crt"},
        {"cert", pki + "/services/bridge-bridge-1.crt"},
        {"key", pki + "/services/bridge-bridge-1.key"},
        {"client_id", client_id},
        {"reconnect_min_s", 1},
        {"reconnect_max_s", 2}}}};
}

json BridgeSystem::scenario_base() const {
  const std::string pki = broker.pki();
  json base{
      {"protoPath", LANEWAY_PROTO_FILE},
      {"brokerPort", broker.port()},
      {"caFile", pki + "/ca.crt"},
      {"serverCert", pki + "/servers/bridge-https.crt"},
      {"device",
       {{"id", "d-1"}, {"cert", pki + "/devices/d-1.crt"}, {"key", pki + "/devices/d-1.key"}}}};
  const std::string observer = pki + "/services/bridge-observer";
  if (std::filesystem::exists(observer + ".crt")) {
    base["observer"] = {{"cert", observer + ".crt"}, {"key", observer + ".key"}};
  }
  return base;
}

std::optional<test::Process> BridgeSystem::start_bridge(const std::string& name, const json& config,
                                                        std::string* why) {
  std::ofstream(dir.file(name + ".json")) << config.dump(2);
  test::Process::Options options;
  options.argv = {LANEWAY_BRIDGE_BIN, "--config", dir.file(name + ".json")};
  options.log_path = dir.file(name + ".log");
  std::string start_error;
  auto process = test::Process::start(options, &start_error);
  if (!process) {
    *why = "bridge " + name + " did not start: " + start_error;
    return std::nullopt;
  }
  // Generous: certificate loading and the TLS handshake share two cores with other builds.
  const bool up = test::wait_until(
      [&] { return process->output().find("connected to the broker") != std::string::npos; }, 30s,
      50ms);
  if (!up) {
    *why = "bridge " + name + " never reached the broker:\n" + process->output();
    return std::nullopt;
  }
  return process;
}

std::string browser_suite_missing() {
  if (!std::filesystem::exists(std::string(LANEWAY_BROWSER_DIR) +
                               "/node_modules/playwright-core")) {
    return "npm packages of tests/bridge/browser missing (scripts/deps.sh installs them)";
  }
  if (!std::filesystem::exists("/usr/bin/chromium")) {
    return "/usr/bin/chromium missing (scripts/deps.sh installs it)";
  }
  return "";
}

}  // namespace laneway::bridge
