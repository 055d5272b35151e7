#include "inbound.h"

#include "envelopes.h"
#include "laneway/wire/frame_codec.h"
#include "laneway/wire/origin.h"
#include "laneway/wire/topic_filter.h"

namespace laneway::plugin {
namespace {

int drop(PluginContext& ctx, const std::string& sender, const std::string& why) {
  ctx.inbound_log.log(MOSQ_LOG_WARNING, "dropped inbound envelope from " + sender + ": " + why);
  return MOSQ_ERR_ACL_DENIED;
}

}  // namespace

int handle_inbound(PluginContext& ctx, mosquitto_evt_message& event) {
  event.retain = false;  // never keep anything on $lw/in
  const char* username_raw = mosquitto_client_username(event.client);
  const std::string sender = username_raw ? username_raw : "?";
  const auto parsed = parse_identity(sender);
  if (!parsed || parsed->role != Role::kBridge) return drop(ctx, sender, "not a bridge");

  const std::string_view topic = std::string_view(event.topic).substr(kInboundPrefix.size());
  if (!wire::is_valid_topic(topic) || topic.front() == '$' || !ctx.is_mapped(topic))
    return drop(ctx, sender, "topic '" + std::string(topic) + "' is not mapped");

  const std::string_view bytes =
      event.payload ? std::string_view(static_cast<const char*>(event.payload), event.payloadlen)
                    : std::string_view();
  const auto rc = wire::decode_frame(bytes, ctx.frame, ctx.config.max_envelope_bytes);
  if (rc != wire::WireError::kOk) return drop(ctx, sender, wire::describe(rc));
  if (!ctx.frame.has_envelope()) return drop(ctx, sender, "frame is not an envelope");
  v1::Envelope& envelope = *ctx.frame.mutable_envelope();
  if (!envelope.topic().empty() && envelope.topic() != topic)
    return drop(ctx, sender, "envelope topic does not match '" + std::string(topic) + "'");

  // A bridge speaks for itself (no origin) or vouches for a browser principal; any other
  // origin would let it pass as a device or operator (docs/wire.md "Origins").
  if (envelope.origin().empty()) {
    envelope.set_origin(sender);
  } else if (!wire::is_browser_origin(envelope.origin())) {
    return drop(ctx, sender, "origin is not a browser origin (app:<app>:<sub>)");
  }
  envelope.set_topic(std::string(topic));
  envelope.set_qos(event.qos);
  // A bridge keeps its frames inside the limit (docs/wire.md "Frame limit"); one that does
  // not is refused before anything is published, raw or enveloped.
  if (!fits_frame_limit(ctx, envelope)) return refuse_oversized(ctx, sender, topic, bytes.size());
  const bool retain = envelope.retain();
  // Raw first, then the envelope: both are queued in this order within the same loop pass.
  publish_raw(ctx, topic, envelope.payload(), event.qos, retain, envelope.content_type());
  sequence_and_publish(ctx, kEnvelopePrefix);
  return MOSQ_ERR_SUCCESS;
}

}  // namespace laneway::plugin
