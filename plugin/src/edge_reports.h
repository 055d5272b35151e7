// What an edge tells the core about its clients (docs/scale.md "Presence across edges"),
// published under `$lw/cluster/edge/<edge>/` for the bridge connection to carry up:
// presence transitions, each new connection (so another edge closes an older connection with
// the same client id), and the full online set after the core was out of reach.
#pragma once

#include "plugin_context.h"

namespace laneway::plugin {

void report_edge_presence(PluginContext& ctx, const ConnectedClient& connected, bool online);
void report_edge_connection(PluginContext& ctx, const ConnectedClient& connected);
void report_edge_sync(PluginContext& ctx);

}  // namespace laneway::plugin
