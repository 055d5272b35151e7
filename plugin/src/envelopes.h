// Sequencing and publishing of envelopes on `$lw/env/<topic>` (docs/plugin.md "Envelopes, epoch and
// seq").
#pragma once

#include <cstdint>
#include <string_view>

#include "plugin_context.h"

namespace laneway::plugin {

inline constexpr std::string_view kEnvelopePrefix = "$lw/env/";
inline constexpr std::string_view kInboundPrefix = "$lw/in/";
inline constexpr std::string_view kPresencePrefix = "$lw/presence/";

// ctx.frame.envelope() must hold topic, payload, origin, content type, qos and retain;
// this assigns seq, epoch and timestamp, encodes the Frame once and publishes it on
// `<prefix><topic>` with the envelope's qos and retain. False (logged, rate-limited) when
// the frame is too large or the broker refuses it.
bool sequence_and_publish(PluginContext& ctx, std::string_view prefix);

// Publishes `payload` on `topic` as the broker (copying it).
bool publish_raw(PluginContext& ctx, std::string_view topic, std::string_view payload, int qos,
                 bool retain, std::string_view content_type);

}  // namespace laneway::plugin
