// Everything the plugin keeps between broker callbacks. Mosquitto 2.0 runs every plugin
// callback on its single event-loop thread, so nothing here needs a lock.
#pragma once

#include <mosquitto_broker.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "broker_log.h"
#include "connected_client.h"
#include "crl_reader.h"
#include "laneway.pb.h"
#include "laneway/registry/registry.h"
#include "plugin_config.h"
#include "principal.h"
#include "registry_publisher.h"
#include "replica_directory.h"
#include "sequencer.h"

namespace laneway::plugin {

// The core's view of where each identity is online across the edges (cluster_presence.h).
struct ClusterPresenceEntry {
  std::string role;
  std::vector<std::string> groups;
  std::set<std::string> edges;  // edge names reporting the identity online
};

// Identity of a file's current contents, to notice the CRL being rewritten.
struct FileStamp {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp stamp_file(const std::string& path);

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};

struct PluginContext {
  PluginConfig config;
  mosquitto_plugin_id_t* plugin_id = nullptr;
  // Devices come from the registry file (single, core) or from the copy the core sends an
  // edge (replica); exactly one of the two is set. find_device() asks whichever it is.
  std::unique_ptr<registry::Registry> registry;
  std::unique_ptr<ReplicaDirectory> replica;
  std::unique_ptr<X509, X509Free> ca;  // for CRL signatures (optional)
  Sequencer sequencer{100000};

  // Principals by identity, built on first use from the certificate role and the registry.
  // Bounded: cleared when it reaches kMaxPrincipals. A registry change drops the entries
  // of the devices it names, or all of them when what changed is unknown.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Principal, Hash, std::equal_to<>> principals;
  static constexpr std::size_t kMaxPrincipals = 100000;

  ConnectedClients clients;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> online_count;
  bool online_changed = false;

  RevokedSerials revoked;
  FileStamp crl_stamp;
  std::optional<std::int64_t> registry_version;
  // The registry's change journal position read last (nullopt: none yet, so the next change
  // is a full re-check), and whether "no journal in this file" was logged.
  std::optional<std::int64_t> journal_seq;
  bool no_journal_logged = false;
  std::chrono::steady_clock::time_point next_poll{};
  std::chrono::steady_clock::time_point next_state_save{};

  // Scratch reused for every envelope: keeps capacity, no per-message allocation churn.
  v1::Frame frame;
  std::string encoded;

  // Cluster state. Core: the registry records published to the edges, the heartbeat clock,
  // and presence per edge. Edge: when the core was last heard from.
  std::optional<RegistryPublisher> registry_publisher;
  std::chrono::steady_clock::time_point next_heartbeat{};
  std::unordered_map<std::string, ClusterPresenceEntry, Hash, std::equal_to<>> cluster_presence;
  std::set<std::string> sync_wanted;  // edges connected since their last EdgeSync
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> core_heard;
  bool core_stale_logged = false;

  RateLimitedLog refused_log;
  std::uint64_t oversized_refused = 0;  // messages refused for the frame limit
  RateLimitedLog cluster_log;
  RateLimitedLog inbound_log;
  RateLimitedLog registry_log;
  RateLimitedLog publish_log;

  // The principal for a username the plugin set, or nullptr (unknown, not in the registry,
  // revoked). Devices are looked up in the registry on a cache miss.
  const Principal* principal_for(std::string_view identity);
  registry::Lookup find_device(std::string_view id);
  // Moves whenever find_device's answers may have changed; nullopt when unreadable.
  std::optional<std::int64_t> directory_version();
  // After directory_version moved: the device ids whose answers may have changed since the
  // last call, or nullopt when that is unknown (no journal, a gap in it, a read error), in
  // which case every device must be re-checked (docs/plugin.md "Live revocation").
  std::optional<std::vector<std::string>> changed_devices();
  bool is_edge() const { return config.role == ClusterRole::kEdge; }
  bool is_core() const { return config.role == ClusterRole::kCore; }
  void remember_principal(Principal principal);

  // The epoch/seq state as it stands, with `clean` as the shutdown marker.
  bool save_state(bool clean, std::string* error);
  // Whether `topic` is under one of the configured mapping filters.
  bool is_mapped(std::string_view topic) const;
};

std::uint64_t unix_seconds();
std::int64_t unix_micros();

}  // namespace laneway::plugin
