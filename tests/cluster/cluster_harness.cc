#include "cluster_harness.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "broker_harness.h"
#include "net.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kSyncedLine = "registry copy complete";

std::string current_user() {
  const passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : "root";
}

}  // namespace

ClusterHarness::ClusterHarness(Options options) : dir_("laneway-cluster") {
  std::string output;
  if (!certs({"init"}, &output) ||
      !certs({"server", "--name", "core", "--dns", "localhost", "--ip", "127.0.0.1"}, &output)) {
    setup_error_ = "laneway-certs failed: " + output;
    return;
  }
  core_.name = "core";
  core_.dir = dir_.file("core");
  core_.port = free_tcp_port();
  fs::create_directories(core_.dir);
  registry_ = registry::Registry::open_read_write(core_.dir + "/fleet.db", &setup_error_);
  if (!registry_ || !write_core_config()) return;
  for (const auto& name : options.edges) {
    if (!certs({"server", "--name", name, "--dns", "localhost", "--ip", "127.0.0.1"}, &output) ||
        !add_service("edge", name)) {
      setup_error_ = "laneway-certs failed for " + name + ": " + output;
      return;
    }
    Node edge;
    edge.name = name;
    edge.dir = dir_.file(name);
    edge.port = free_tcp_port();
    if (options.impairable_links) {
      edge.link = std::make_unique<LinkImpairer>(core_.port);
      if (edge.link->port() == 0) {
        setup_error_ = "cannot start the link impairer for " + name;
        return;
      }
    }
    if (!write_edge_config(edge)) return;
    edges_.emplace(name, std::move(edge));
  }
}

ClusterHarness::~ClusterHarness() {
  for (auto& [name, edge] : edges_)
    if (edge.broker) edge.broker->stop();
  if (core_.broker) core_.broker->stop();
}

bool ClusterHarness::certs(const std::vector<std::string>& args, std::string* output) {
  return run_certs(pki(), args, output);
}

bool ClusterHarness::add_device(const std::string& id, const std::vector<std::string>& groups) {
  return certs({"device", "--id", id}) && register_device(*registry_, pki(), id, groups);
}

bool ClusterHarness::add_service(const std::string& role, const std::string& id) {
  return certs({"service", "--role", role, "--id", id});
}

bool ClusterHarness::write_config(const Node& node, std::vector<std::string> role_args) {
  std::vector<std::string> argv = {LANEWAY_BROKER_CONFIG_BIN};
  argv.insert(argv.end(), role_args.begin(), role_args.end());
  const std::vector<std::string> shared = {"--port",     std::to_string(node.port),
                                           "--bind",     "127.0.0.1",
                                           "--data-dir", node.dir + "/data",
                                           "--user",     current_user(),
                                           "--log-dest", "stderr",
                                           "--out",      node.dir + "/mosquitto.conf"};
  argv.insert(argv.end(), shared.begin(), shared.end());
  std::string output;
  const int rc = run_command(argv, &output, 30s);
  if (rc != 0) setup_error_ = "laneway-broker-config failed for " + node.name + ": " + output;
  return rc == 0;
}

bool ClusterHarness::write_core_config() {
  return write_config(core_, {"--role", "core", "--pki", pki(), "--server-name", "core",
                              "--registry", core_.dir + "/fleet.db"});
}

bool ClusterHarness::write_edge_config(Node& edge) {
  // Only what an edge host holds: no CA key, no registry, no other certificate.
  const fs::path own = fs::path(edge.dir) / "pki";
  std::error_code ec;
  fs::create_directories(own / "servers", ec);
  fs::create_directories(own / "services", ec);
  const fs::path shared = pki();
  for (const auto& file :
       {fs::path("ca.crt"), fs::path("crl.pem"), fs::path("servers") / (edge.name + ".crt"),
        fs::path("servers") / (edge.name + ".key"),
        fs::path("services") / ("edge-" + edge.name + ".crt"),
        fs::path("services") / ("edge-" + edge.name + ".key")}) {
    fs::copy_file(shared / file, own / file, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      setup_error_ = "cannot copy " + file.string() + " for " + edge.name + ": " + ec.message();
      return false;
    }
  }
  const int core_port = edge.link ? edge.link->port() : core_.port;
  return write_config(edge, {"--role", "edge", "--edge-name", edge.name, "--core",
                             "127.0.0.1:" + std::to_string(core_port), "--pki", own.string(),
                             "--server-name", edge.name});
}

bool ClusterHarness::start_node(Node& node) {
  if (!setup_error_.empty()) return false;
  if (node.broker && node.broker->running()) return true;
  std::string error;
  node.broker =
      Process::start({{"mosquitto", "-c", node.dir + "/mosquitto.conf"}, {}, "", ""}, &error);
  if (!node.broker) {
    setup_error_ = "cannot start mosquitto for " + node.name + ": " + error;
    return false;
  }
  return wait_until([&] { return !node.broker->running() || wait_for_tcp_port(node.port, 50ms); },
                    10s) &&
         node.broker->running();
}

bool ClusterHarness::start_core() {
  return start_node(core_);
}

bool ClusterHarness::start_edge(const std::string& edge) {
  return start_node(edges_.at(edge));
}

bool ClusterHarness::start() {
  if (!start_core()) return false;
  for (auto& [name, edge] : edges_) {
    if (!start_node(edge)) return false;
  }
  for (auto& [name, edge] : edges_) {
    if (!wait_edge_synced(name)) return false;
  }
  return true;
}

bool ClusterHarness::wait_edge_synced(const std::string& edge) {
  Node& node = edges_.at(edge);
  return wait_until(
      [&] { return node.broker && node.broker->output().find(kSyncedLine) != std::string::npos; },
      15s);
}

void ClusterHarness::kill_edge(const std::string& edge) {
  Node& node = edges_.at(edge);
  if (!node.broker) return;
  node.broker->signal(SIGKILL);
  node.broker->wait_exit(5s);
}

void ClusterHarness::stop_edge(const std::string& edge) {
  Node& node = edges_.at(edge);
  if (node.broker) node.broker->stop();
}

std::string ClusterHarness::core_log() {
  return core_.broker ? core_.broker->output() : std::string();
}

std::string ClusterHarness::edge_log(const std::string& edge) {
  const Node& node = edges_.at(edge);
  return node.broker ? node.broker->output() : std::string();
}

ClientOptions ClusterHarness::device(const std::string& id, const std::string& client_id) const {
  ClientOptions options;
  options.client_id = client_id.empty() ? id : client_id;
  options.cafile = pki() + "/ca.crt";
  options.certfile = pki() + "/devices/" + id + ".crt";
  options.keyfile = pki() + "/devices/" + id + ".key";
  return options;
}

ClientOptions ClusterHarness::service(const std::string& role, const std::string& id) const {
  ClientOptions options;
  options.client_id = role + "-" + id;
  options.cafile = pki() + "/ca.crt";
  options.certfile = pki() + "/services/" + role + "-" + id + ".crt";
  options.keyfile = pki() + "/services/" + role + "-" + id + ".key";
  return options;
}

}  // namespace laneway::test
