// What the core sends its edges (docs/scale.md "Registry on the edges"), all as the broker
// on `$lw/cluster/` topics that the edges' bridge connections subscribe to: the registry
// as retained per-device records, the CRL, and a heartbeat.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "plugin_context.h"

namespace laneway::plugin {

// At load: every device record, the completion marker and the CRL, all retained, so an edge
// that connects at any time gets the whole state from the broker's retained store.
bool core_publish_initial(PluginContext& ctx, std::string* error);
// After the registry changed: the records that differ (removals as empty retained), among
// the `changed` device ids from the change journal, or among all devices when nullptr.
void core_publish_registry_changes(PluginContext& ctx, const std::vector<std::string>* changed);
// After the CRL file changed and verified.
void core_publish_crl(PluginContext& ctx);
// From the TICK, once a second.
void core_heartbeat(PluginContext& ctx, std::chrono::steady_clock::time_point now);

}  // namespace laneway::plugin
