// A laneway cluster for one test (docs/scale.md): one core and N edges, each a real
// `mosquitto` with the laneway plugin and a config written by the real
// `laneway-broker-config --role core|edge`, certificates from the real `laneway-certs`.
// Each edge gets its own copy of only the PKI files an edge host holds (CA, CRL, its
// server and edge certificates) and no registry, as on a separate machine. Every broker
// listens on a free loopback port and is stopped by PID when the harness goes.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "laneway/registry/registry.h"
#include "link_impairer.h"
#include "mqtt_test_client.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::test {

class ClusterHarness {
 public:
  struct Options {
    std::vector<std::string> edges = {"edge-a", "edge-b"};
    // Each edge reaches the core through its own LinkImpairer (link(edge)).
    bool impairable_links = false;
  };
  ClusterHarness() : ClusterHarness(Options{}) {}
  explicit ClusterHarness(Options options);
  ~ClusterHarness();

  const std::string& setup_error() const { return setup_error_; }

  // The core first, then every edge; true once each edge holds the core's registry copy.
  bool start();
  bool start_core();
  bool start_edge(const std::string& edge);
  void kill_edge(const std::string& edge);  // SIGKILL
  void stop_edge(const std::string& edge);  // SIGTERM
  // Waits until the edge's current process logged that its registry copy is complete.
  bool wait_edge_synced(const std::string& edge);

  // Issues a device certificate and registers it active in the core's registry.
  bool add_device(const std::string& id, const std::vector<std::string>& groups = {});
  bool add_service(const std::string& role, const std::string& id);
  bool certs(const std::vector<std::string>& args, std::string* output = nullptr);
  registry::Registry& registry() { return *registry_; }

  int core_port() const { return core_.port; }
  int edge_port(const std::string& edge) const { return edges_.at(edge).port; }
  std::string core_log();
  std::string edge_log(const std::string& edge);

  // The edge's link to the core (only with Options::impairable_links).
  LinkImpairer& link(const std::string& edge) { return *edges_.at(edge).link; }

  ClientOptions device(const std::string& id, const std::string& client_id = "") const;
  ClientOptions service(const std::string& role, const std::string& id) const;

 private:
  struct Node {
    std::string name;
    std::string dir;
    int port = 0;
    std::optional<Process> broker;
    std::unique_ptr<LinkImpairer> link;
  };
  // Runs laneway-broker-config with `role_args` plus the arguments every node shares.
  bool write_config(const Node& node, std::vector<std::string> role_args);
  bool write_core_config();
  bool write_edge_config(Node& edge);
  bool start_node(Node& node);
  std::string pki() const { return dir_.file("pki"); }

  TempDir dir_;
  Node core_;
  std::map<std::string, Node> edges_;
  std::unique_ptr<registry::Registry> registry_;
  std::string setup_error_;
};

}  // namespace laneway::test
