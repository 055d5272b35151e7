// The core's side of the registry copy (docs/scale.md "Registry on the edges"): which
// `$lw/cluster/registry/<id>` records to (re)publish after the registry changed. Keeps the
// encoded record last published per device, so a change republishes only what differs, and
// a device gone from the registry gets an empty retained message (removal).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "laneway/registry/registry.h"

namespace laneway::plugin {

class RegistryPublisher {
 public:
  // `generation` names this core run; it must grow from one run to the next.
  explicit RegistryPublisher(std::uint64_t generation) : generation_(generation) {}

  struct Change {
    std::string id;
    std::string payload;  // encoded DeviceRecord; empty = removed
  };
  // What differs from the records last published (every device, the first time).
  std::vector<Change> diff(const std::vector<registry::Device>& devices);
  // What differs among only these devices: the ones the registry still has and the ones it
  // no longer has (from its change journal, so a commit costs what it changed, not the fleet).
  std::vector<Change> update(const std::vector<registry::Device>& found,
                             const std::vector<std::string>& removed);
  // The RegistryComplete for this run.
  std::string complete_payload() const;
  std::uint64_t generation() const { return generation_; }
  std::size_t size() const { return published_.size(); }

 private:
  std::string encode(const registry::Device& device) const;
  void put(const registry::Device& device, std::vector<Change>& changes);
  void remove(const std::string& id, std::vector<Change>& changes);

  std::uint64_t generation_;
  std::unordered_map<std::string, std::string> published_;
};

}  // namespace laneway::plugin
