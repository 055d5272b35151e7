#include "mapped_message.h"

#include <mqtt_protocol.h>

#include "envelopes.h"

namespace laneway::plugin {
namespace {

struct PropertyString {
  char* value = nullptr;
  ~PropertyString() { mosquitto_free(value); }
};

}  // namespace

int publish_envelope_for(PluginContext& ctx, const mosquitto_evt_message& event,
                         const std::string& origin) {
  v1::Envelope& envelope = *ctx.frame.mutable_envelope();
  envelope.Clear();
  envelope.set_topic(event.topic);
  envelope.set_origin(origin);
  if (event.properties) {
    PropertyString content_type;
    if (mosquitto_property_read_string(event.properties, MQTT_PROP_CONTENT_TYPE,
                                       &content_type.value, false) &&
        content_type.value)
      envelope.set_content_type(content_type.value);
  }
  envelope.set_qos(event.qos);
  envelope.set_retain(event.retain);
  const std::size_t payload_bytes = event.payload ? static_cast<std::size_t>(event.payloadlen) : 0;
  // Refused whole: delivered raw, it would reach MQTT subscribers and no web lane.
  if (!fits_frame_limit(ctx, envelope, payload_bytes))
    return refuse_oversized(ctx, origin, event.topic, payload_bytes);
  if (payload_bytes > 0)
    envelope.set_payload(static_cast<const char*>(event.payload), payload_bytes);
  sequence_and_publish(ctx, kEnvelopePrefix);
  return MOSQ_ERR_SUCCESS;
}

}  // namespace laneway::plugin
