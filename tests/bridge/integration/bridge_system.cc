#include "bridge_system.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "wait.h"

namespace laneway::bridge {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The port in "laneway-bridge: admin listening on https://HOST:PORT" (docs/bridge.md "The
// admin listener"); -1 while that line is not (completely) in `output`.
int announced_admin_port(const std::string& output) {
  static const std::string kPrefix = "laneway-bridge: admin listening on https://";
  const std::size_t at = output.find(kPrefix);
  if (at == std::string::npos) return -1;
  const std::size_t eol = output.find('\n', at);
  if (eol == std::string::npos) return -1;
  const std::size_t colon = output.rfind(':', eol);
  if (colon == std::string::npos || colon < at + kPrefix.size()) return -1;
  const int port = std::atoi(output.substr(colon + 1, eol - colon - 1).c_str());
  return port > 0 && port <= 65535 ? port : -1;
}

}  // namespace

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
      // Port 0: suites run side by side, and each bridge says which port it got.
      {"admin", {{"listen", "127.0.0.1:0"}}},
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
      [&] {
        const std::string out = process->output();
        return out.find("connected to the broker") != std::string::npos &&
               announced_admin_port(out) > 0;
      },
      30s, 50ms);
  if (!up) {
    *why = "bridge " + name + " never reached the broker or announced its admin port:\n" +
           process->output();
    return std::nullopt;
  }
  return process;
}

int BridgeSystem::admin_port(const test::Process& bridge) {
  return announced_admin_port(bridge.output());
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
