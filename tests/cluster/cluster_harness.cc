#include "cluster_harness.h"

#include <signal.h>

#include <filesystem>

#include "broker_harness.h"
#include "net.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kSyncedLine = "registry copy complete";

}  // namespace

ClusterHarness::ClusterHarness(Options options) : dir_("laneway-cluster") {
  if (options.namespaces) {
    lab_ = NetworkLab::create(&setup_error_);
    if (!lab_) {
      namespaces_unavailable_ = true;
      setup_error_ = "cannot create network namespaces: " + setup_error_;
      return;
    }
  }
  std::string output;
  if (!certs({"init"}, &output)) {
    setup_error_ = "laneway-certs init failed: " + output;
    return;
  }
  // With impairable links the edges reach the core at the relay's address, so the core's
  // certificate names that address too (as it would a load balancer's).
  std::vector<std::string> core_ips;
  if (options.impairable_links && lab_) core_ips.push_back(lab_->root_address());
  if (!add_node(core_, "core", core_ips)) return;
  registry_ = registry::Registry::open_read_write(core_.dir + "/fleet.db", &setup_error_);
  if (!registry_ || !write_core_config(core_)) return;
  if (options.standby_core && (!add_node(standby_, "core-2") || !write_core_config(standby_)))
    return;
  for (const auto& name : options.edges) {
    Node edge;
    if (!add_node(edge, name)) return;
    if (!add_service("edge", name)) {
      setup_error_ = "laneway-certs service --role edge failed for " + name;
      return;
    }
    if (options.impairable_links) {
      const std::string listen = lab_ ? lab_->root_address() : "127.0.0.1";
      edge.link = std::make_unique<LinkImpairer>(listen, core_.host, core_.port);
      if (edge.link->port() == 0) {
        setup_error_ = "cannot start the link impairer for " + name;
        return;
      }
    }
    if (!write_edge_config(edge)) return;
    edges_.emplace(name, std::move(edge));
  }
}

// A host of its own (namespace mode: its address, port 8883) with a server certificate for
// its address.
bool ClusterHarness::add_node(Node& node, const std::string& name,
                              const std::vector<std::string>& extra_ips) {
  node.name = name;
  node.dir = dir_.file(name);
  std::filesystem::create_directories(node.dir);
  if (lab_) {
    node.host = lab_->add_host(name, &setup_error_);
    if (node.host.empty()) return false;
    node.port = 8883;
  } else {
    node.port = free_tcp_port();
  }
  std::vector<std::string> args = {"server",    "--name", name,     "--dns",
                                   "localhost", "--ip",   node.host};
  for (const auto& ip : extra_ips) args.insert(args.end(), {"--ip", ip});
  std::string output;
  if (!certs(args, &output)) {
    setup_error_ = "laneway-certs server failed for " + name + ": " + output;
    return false;
  }
  return true;
}

ClusterHarness::~ClusterHarness() {
  for (auto& [name, edge] : edges_)
    if (edge.broker) edge.broker->stop();
  if (standby_.broker) standby_.broker->stop();
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
                                           "--bind",     node.host,
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

bool ClusterHarness::write_core_config(const Node& core) {
  const std::string index = &core == &standby_ ? "1" : "0";
  return write_config(core, {"--role", "core", "--core-index", index, "--pki", pki(),
                             "--server-name", core.name, "--registry", core_.dir + "/fleet.db"});
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
  const std::string core = edge.link ? (lab_ ? lab_->root_address() : "127.0.0.1") + ":" +
                                           std::to_string(edge.link->port())
                                     : core_.host + ":" + std::to_string(core_.port);
  std::vector<std::string> args = {"--role", "edge", "--edge-name", edge.name, "--core", core};
  if (!standby_.name.empty())
    args.insert(args.end(), {"--core", standby_.host + ":" + std::to_string(standby_.port)});
  args.insert(args.end(), {"--pki", own.string(), "--server-name", edge.name});
  return write_config(edge, args);
}

bool ClusterHarness::start_node(Node& node) {
  if (!setup_error_.empty()) return false;
  if (node.broker && node.broker->running()) return true;
  std::vector<std::string> argv;
  if (lab_) argv = lab_->exec_prefix(node.name);
  argv.insert(argv.end(), {"mosquitto", "-c", node.dir + "/mosquitto.conf"});
  std::string error;
  node.broker = Process::start({argv, {}, "", ""}, &error);
  if (!node.broker) {
    setup_error_ = "cannot start mosquitto for " + node.name + ": " + error;
    return false;
  }
  return wait_until(
             [&] {
               return !node.broker->running() || wait_for_tcp_port(node.port, 50ms, node.host);
             },
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
  if (!standby_.name.empty() && !start_node(standby_)) return false;
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

void ClusterHarness::kill_core() {
  if (!core_.broker) return;
  core_.broker->signal(SIGKILL);
  core_.broker->wait_exit(5s);
}

std::size_t ClusterHarness::edge_log_count(const std::string& edge, const std::string& needle) {
  const std::string text = edge_log(edge);
  std::size_t count = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++count;
  return count;
}

int ClusterHarness::edge_pid(const std::string& edge) const {
  const Node& node = edges_.at(edge);
  return node.broker ? node.broker->pid() : -1;
}

std::string ClusterHarness::standby_log() {
  return standby_.broker ? standby_.broker->output() : std::string();
}

std::string ClusterHarness::core_log() {
  return core_.broker ? core_.broker->output() : std::string();
}

std::string ClusterHarness::edge_log(const std::string& edge) {
  const Node& node = edges_.at(edge);
  return node.broker ? node.broker->output() : std::string();
}

std::string ClusterHarness::device_certfile(const std::string& id) const {
  return pki() + "/devices/" + id + ".crt";
}

ClientOptions ClusterHarness::device_at(const std::string& edge, const std::string& id,
                                        const std::string& client_id) const {
  ClientOptions options;
  options.client_id = client_id.empty() ? id : client_id;
  options.cafile = pki() + "/ca.crt";
  options.certfile = device_certfile(id);
  options.keyfile = pki() + "/devices/" + id + ".key";
  options.host = edges_.at(edge).host;
  return options;
}

ClientOptions ClusterHarness::service_at_core(const std::string& role,
                                              const std::string& id) const {
  ClientOptions options;
  options.client_id = role + "-" + id;
  options.cafile = pki() + "/ca.crt";
  options.certfile = pki() + "/services/" + role + "-" + id + ".crt";
  options.keyfile = pki() + "/services/" + role + "-" + id + ".key";
  options.host = core_.host;
  return options;
}

}  // namespace laneway::test
