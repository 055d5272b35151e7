// A message on a mapped topic becomes an envelope on `$lw/env/<topic>` (docs/plugin.md
// "Envelopes, epoch and seq"): same payload, QoS and retain, the MQTT 5 content type, and
// the origin the caller established (the publisher's identity, or the device an edge
// vouched for).
#pragma once

#include <string>

#include "plugin_context.h"

namespace laneway::plugin {

// MOSQ_ERR_ACL_DENIED when its envelope would be over the frame limit (docs/wire.md "Frame
// limit"): the message is refused whole. Otherwise MOSQ_ERR_SUCCESS: the raw message is
// delivered as published, whatever happened to its envelope (failures are logged,
// rate-limited).
int publish_envelope_for(PluginContext& ctx, const mosquitto_evt_message& event,
                         const std::string& origin);

}  // namespace laneway::plugin
