// What a registry change means for the devices connected now (docs/plugin.md "Live
// revocation"): which identities to kick because their device is gone, not active, or
// bound to another certificate serial. Broker-free, so bench/broker/recheck_bench.cc runs
// the very code the plugin runs on the broker's thread.
#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "connected_client.h"
#include "laneway/registry/registry.h"

namespace laneway::plugin {

using DeviceLookup = std::function<registry::Lookup(std::string_view id)>;
using IsConnected = std::function<bool(std::string_view identity)>;

struct Recheck {
  std::set<std::string> kick;  // identities
  std::size_t lookups = 0;     // registry lookups made: the cost on the broker's thread
  std::size_t errors = 0;      // lookups that failed (not evidence of revocation)
  std::string first_error;
};

// Every connected device: when what changed is unknown.
Recheck recheck_all(const ConnectedClients& clients, const DeviceLookup& find);

// Only the devices in `changed` that are connected: one lookup each, and a pass over the
// connections (memory only) when one of them is still active, to compare serials.
Recheck recheck_changed(const ConnectedClients& clients, const IsConnected& is_connected,
                        const std::vector<std::string>& changed, const DeviceLookup& find);

}  // namespace laneway::plugin
