// `$lw/in/<topic>`: envelopes a bridge publishes on behalf of browser clients (docs/plugin.md
// "Inbound from bridges").
#pragma once

#include "plugin_context.h"

namespace laneway::plugin {

// Accepted only from a bridge identity, for a mapped topic, as a well-formed Frame holding
// an Envelope for that topic. The envelope is sequenced, its raw payload published on
// `<topic>` (to devices) and the envelope on `$lw/env/<topic>`. The `$lw/in` message itself
// is never retained and nobody may read it. Anything else is logged (rate-limited) and
// refused with "not authorized"; the broker carries on.
int handle_inbound(PluginContext& ctx, mosquitto_evt_message& event);

}  // namespace laneway::plugin
