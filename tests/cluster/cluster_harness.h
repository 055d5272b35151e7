// A laneway cluster for one test (docs/scale.md "Tests"): one core and N edges, each a real
// `mosquitto` with the laneway plugin and a config written by the real
// `laneway-broker-config --role core|edge`, certificates from the real `laneway-certs`.
// Each broker is a host of its own: a network namespace with its own address, listening on
// 8883 as in production (NetworkLab), so what crosses between them crosses a network. With
// Options::namespaces off (a machine that cannot make namespaces), every broker listens on
// a free loopback port instead. Each edge gets its own copy of only the PKI files an edge
// host holds (CA, CRL, its server and edge certificates) and no registry. Every broker is
// stopped by PID, and every namespace removed, when the harness goes.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "laneway/registry/registry.h"
#include "link_impairer.h"
#include "mqtt_test_client.h"
#include "network_lab.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::test {

// Under CI=true a cluster test that cannot make its hosts fails; elsewhere it is skipped,
// saying why.
inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

class ClusterHarness {
 public:
  struct Options {
    std::vector<std::string> edges = {"edge-a", "edge-b"};
    // Each edge reaches the core through its own LinkImpairer (link(edge)).
    bool impairable_links = false;
    bool namespaces = true;
    // A second core, "core-2", that the edges fail over to (docs/scale.md "Standby core").
    // It reads the same registry file as the core (shared storage).
    bool standby_core = false;
  };
  ClusterHarness() : ClusterHarness(Options{}) {}
  explicit ClusterHarness(Options options);
  ~ClusterHarness();

  const std::string& setup_error() const { return setup_error_; }
  // Set when the harness could not make network namespaces (setup_error() says why).
  bool namespaces_unavailable() const { return namespaces_unavailable_; }

  // The core first, then every edge; true once each edge holds the core's registry copy.
  bool start();
  bool start_core();
  bool start_edge(const std::string& edge);
  void kill_edge(const std::string& edge);  // SIGKILL
  void kill_core();                         // SIGKILL
  // Lines of the edge's current process log containing `needle`.
  std::size_t edge_log_count(const std::string& edge, const std::string& needle);
  // Waits until the edge's current process logged that its registry copy is complete.
  bool wait_edge_synced(const std::string& edge);

  // Issues a device certificate and registers it active in the core's registry.
  bool add_device(const std::string& id, const std::vector<std::string>& groups = {});
  bool add_service(const std::string& role, const std::string& id);
  bool certs(const std::vector<std::string>& args, std::string* output = nullptr);
  registry::Registry& registry() { return *registry_; }

  int core_port() const { return core_.port; }
  int core_pid() const { return core_.broker ? core_.broker->pid() : -1; }
  int edge_pid(const std::string& edge) const;
  const std::string& edge_host(const std::string& edge) const { return edges_.at(edge).host; }
  std::string pki_dir() const { return pki(); }
  std::string registry_path() const { return core_.dir + "/fleet.db"; }
  int standby_port() const { return standby_.port; }
  const std::string& standby_host() const { return standby_.host; }
  std::string standby_log();
  int edge_port(const std::string& edge) const { return edges_.at(edge).port; }
  std::string core_log();
  std::string edge_log(const std::string& edge);
  // The edge's link to the core (only with Options::impairable_links).
  LinkImpairer& link(const std::string& edge) { return *edges_.at(edge).link; }

  // Client options for a device connecting to `edge`, and for a service connecting to the
  // core (an `edge` service certificate too, used directly).
  ClientOptions device_at(const std::string& edge, const std::string& id,
                          const std::string& client_id = "") const;
  ClientOptions service_at_core(const std::string& role, const std::string& id) const;
  std::string device_certfile(const std::string& id) const;

 private:
  struct Node {
    std::string name;
    std::string dir;
    std::string host = "127.0.0.1";
    int port = 0;
    std::optional<Process> broker;
    std::unique_ptr<LinkImpairer> link;
  };
  bool add_node(Node& node, const std::string& name,
                const std::vector<std::string>& extra_ips = {});
  // Runs laneway-broker-config with `role_args` plus the arguments every node shares.
  bool write_config(const Node& node, std::vector<std::string> role_args);
  bool write_core_config(const Node& core);
  bool write_edge_config(Node& edge);
  bool start_node(Node& node);
  std::string pki() const { return dir_.file("pki"); }

  TempDir dir_;
  std::unique_ptr<NetworkLab> lab_;
  Node core_;
  Node standby_;  // with Options::standby_core
  std::map<std::string, Node> edges_;
  std::unique_ptr<registry::Registry> registry_;
  std::string setup_error_;
  bool namespaces_unavailable_ = false;
};

}  // namespace laneway::test
