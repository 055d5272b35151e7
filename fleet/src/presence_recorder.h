// Keeps the registry's first/last seen and presence of each device from the plugin's
// retained `$lw/presence/<identity>` envelopes. Updates are collected (one per device, the
// latest wins; bounded) and written in one transaction per flush, because every registry
// commit makes the plugin re-check its connected devices (it watches data_version).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "laneway/registry/registry.h"

namespace laneway::fleet {

class PresenceRecorder {
 public:
  explicit PresenceRecorder(std::size_t max_pending = 100000) : max_pending_(max_pending) {}

  // Takes one message from `$lw/presence/#`. Devices only (identities without ':');
  // anything that does not decode is ignored. True if the pending set is full and should
  // be flushed now.
  bool add(std::string_view topic, std::string_view payload);
  // Writes the pending updates; false with `error` (they stay pending for the next try).
  bool flush(registry::Registry& registry, std::string* error);
  std::size_t pending() const { return pending_.size(); }
  std::uint64_t recorded() const { return recorded_; }

 private:
  std::size_t max_pending_;
  std::unordered_map<std::string, registry::PresenceUpdate> pending_;
  std::uint64_t recorded_ = 0;
};

}  // namespace laneway::fleet
