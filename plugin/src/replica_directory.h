// An edge's copy of the registry (docs/scale.md "Registry on the edges"): what the core
// publishes retained on `$lw/cluster/registry/<id>`, applied as it arrives. The edge
// authenticates devices and builds their ACL from it; it never opens the registry file.
//
// Fail closed: a device the copy does not hold (never heard of, removed, or left over from
// another core run than the one whose completion marker came last) is not found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "laneway/registry/registry.h"

namespace laneway::plugin {

class ReplicaDirectory {
 public:
  enum class Applied { kChanged, kUnchanged, kRefused };

  static constexpr std::size_t kMaxDevices = 10'000'000;

  // A message on `$lw/cluster/registry/<id>`: a DeviceRecord, or empty for a removal.
  // kRefused (with `error`) for a record that does not decode or names another device.
  Applied apply_record(std::string_view id, std::string_view payload, std::string* error);
  // A RegistryComplete on `$lw/cluster/registry`: records of every other core run stop
  // counting (a restarted core, or the standby after a failover).
  Applied apply_complete(std::string_view payload, std::string* error);

  registry::Lookup find_device(std::string_view id) const;
  // Moves whenever an answer of find_device may have changed.
  std::int64_t version() const { return version_; }
  std::size_t size() const { return devices_.size(); }
  // The ids whose answers changed since the last call, or nullopt when that is every
  // device (a completion marker, or more changes than kMaxPendingChanges in between), so
  // the plugin re-checks only what changed (docs/plugin.md "Live revocation").
  std::optional<std::vector<std::string>> take_changes();
  static constexpr std::size_t kMaxPendingChanges = 100000;
  std::uint64_t complete_generation() const { return complete_generation_; }

 private:
  struct Entry {
    registry::Device device;
    std::uint64_t generation = 0;
  };
  std::unordered_map<std::string, Entry> devices_;
  std::uint64_t complete_generation_ = 0;
  std::int64_t version_ = 0;
  std::vector<std::string> pending_;  // changed ids, possibly repeated
  bool pending_all_ = false;

  void changed(const std::string& id);
};

}  // namespace laneway::plugin
