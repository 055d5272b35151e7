// The core's side of its edges' bridge connections (docs/scale.md "Origin"): messages an edge
// forwards on behalf of its clients, and the edge's own reports.
#pragma once

#include "plugin_context.h"

namespace laneway::plugin {

// A message published by `edge` (an `edge:` principal). Client messages must carry the
// origin the edge vouches for, and that origin must itself be allowed to publish there:
// a device only in its own subtree, a claim only under its batch. Mapped topics become
// envelopes with that origin. Reports under `$lw/cluster/edge/<edge>/` update presence.
// Anything else is logged (rate-limited) and refused with "not authorized".
int handle_edge_message(PluginContext& ctx, mosquitto_evt_message& event, const Principal& edge);

}  // namespace laneway::plugin
