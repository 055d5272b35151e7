// Presence (docs/plugin.md "Presence"): a retained envelope on `$lw/presence/<identity>`
// whose payload is a laneway.v1.Presence, published when an identity's first connection
// authenticates and when its last one goes (clean disconnect, network drop, keepalive
// timeout or kick). On an edge the same transitions become reports to the core
// (edge_reports.h), which publishes the envelopes for the whole cluster
// (cluster_presence.h).
#pragma once

#include <string_view>
#include <vector>

#include "plugin_context.h"

namespace laneway::plugin {

inline constexpr std::string_view kPresenceContentType = "application/x-laneway-presence";

// Records an authenticated connection; publishes `online` on the identity's first one.
void presence_connected(PluginContext& ctx, const mosquitto* client, ConnectedClient connected);

// Publishes `offline` for identities the previous run left online (it stopped without
// seeing them go).
void presence_correct_stale(PluginContext& ctx, const std::vector<std::string>& identities);

// The retained presence envelope itself (no-op when plugin_opt_presence is false).
void publish_presence_envelope(PluginContext& ctx, const std::string& identity,
                               std::string_view role, bool online,
                               const std::vector<std::string>& groups);

}  // namespace laneway::plugin
