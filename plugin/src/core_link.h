// An edge's side of its bridge connection to the core (docs/scale.md "Registry on the
// edges"): the registry copy, the CRL, the core's heartbeat, and takeovers of a client id
// that connected again through another edge.
#pragma once

#include "plugin_context.h"

namespace laneway::plugin {

// True for the edge's own bridge connection to the core: Mosquitto's local context for it
// has the configured local client id and no username (the plugin sets one for every client
// it authenticates, and refuses clients that ask for that client id).
bool is_core_link(const PluginContext& ctx, const mosquitto* client);

// A message the core sent down the bridge connection. Always delivered on (only `$lw/cluster`
// topics are acted on, and no client may read those).
int handle_core_link_message(PluginContext& ctx, const mosquitto_evt_message& event);

// From the TICK: logs once when the core has not been heard for plugin_opt_core_stale_after_s.
void check_core_staleness(PluginContext& ctx);

}  // namespace laneway::plugin
