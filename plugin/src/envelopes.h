// Sequencing and publishing of envelopes on `$lw/env/<topic>` (docs/plugin.md "Envelopes, epoch and
// seq").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "plugin_context.h"

namespace laneway::plugin {

inline constexpr std::string_view kEnvelopePrefix = "$lw/env/";
inline constexpr std::string_view kInboundPrefix = "$lw/in/";
inline constexpr std::string_view kPresencePrefix = "$lw/presence/";

// Whether `envelope`, with `payload_bytes` more of payload than it holds now, stays within
// the frame limit once sequenced (docs/wire.md "Frame limit"): callers ask before copying a
// payload, spending a seq or publishing anything.
bool fits_frame_limit(const PluginContext& ctx, const v1::Envelope& envelope,
                      std::size_t payload_bytes = 0);

// Counts and logs (rate-limited) a message refused for the frame limit; MOSQ_ERR_ACL_DENIED,
// which an MQTT 5 publisher sees as reason 0x87 on its PUBACK.
int refuse_oversized(PluginContext& ctx, const std::string& sender, std::string_view topic,
                     std::size_t payload_bytes);

// ctx.frame.envelope() must hold topic, payload, origin, content type, qos and retain;
// this assigns seq, epoch and timestamp, encodes the Frame once and publishes it on
// `<prefix><topic>` with the envelope's qos and retain. False (logged, rate-limited) when
// the frame is over the limit (nothing is sequenced then) or the broker refuses it.
bool sequence_and_publish(PluginContext& ctx, std::string_view prefix);

// Publishes `payload` on `topic` as the broker (copying it).
bool publish_raw(PluginContext& ctx, std::string_view topic, std::string_view payload, int qos,
                 bool retain, std::string_view content_type);

}  // namespace laneway::plugin
