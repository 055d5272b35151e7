// MESSAGE: every PUBLISH a client sends, after the ACL allowed it. Mapped topics get an
// envelope on `$lw/env/<topic>`; `$lw/in/<topic>` is the bridge's inbound lane.
//
// Messages the plugin publishes itself (mosquitto_broker_publish) do not pass this event in
// Mosquitto 2.0.11 (they are queued with no client); they are still recognised and skipped
// (no client, or a `$lw/` topic, which no mapping filter can match), so a broker that did
// deliver them here could not loop.
#include <mqtt_protocol.h>

#include "callbacks.h"
#include "envelopes.h"
#include "inbound.h"

namespace laneway::plugin {
namespace {

struct PropertyString {
  char* value = nullptr;
  ~PropertyString() { mosquitto_free(value); }
};

int handle_mapped(PluginContext& ctx, const mosquitto_evt_message& event) {
  v1::Envelope& envelope = *ctx.frame.mutable_envelope();
  envelope.Clear();
  envelope.set_topic(event.topic);
  if (event.payload && event.payloadlen > 0)
    envelope.set_payload(static_cast<const char*>(event.payload), event.payloadlen);
  const char* username = mosquitto_client_username(event.client);
  envelope.set_origin(username ? username : "");
  if (event.properties) {
    PropertyString content_type;
    if (mosquitto_property_read_string(event.properties, MQTT_PROP_CONTENT_TYPE,
                                       &content_type.value, false) &&
        content_type.value)
      envelope.set_content_type(content_type.value);
  }
  envelope.set_qos(event.qos);
  envelope.set_retain(event.retain);
  sequence_and_publish(ctx, kEnvelopePrefix);
  return MOSQ_ERR_SUCCESS;  // the raw message is delivered as published, whatever happened
}

}  // namespace

int on_message(int, void* event_data, void* userdata) noexcept {
  try {
    auto& ctx = *static_cast<PluginContext*>(userdata);
    auto* event = static_cast<mosquitto_evt_message*>(event_data);
    if (!event->client || !event->topic) return MOSQ_ERR_SUCCESS;
    const std::string_view topic = event->topic;
    if (topic.substr(0, kInboundPrefix.size()) == kInboundPrefix)
      return handle_inbound(ctx, *event);
    if (topic.front() == '$' || !ctx.is_mapped(topic)) return MOSQ_ERR_SUCCESS;
    return handle_mapped(ctx, *event);
  } catch (...) {
    log(MOSQ_LOG_ERR, "laneway: internal error in message handler; message dropped");
    return MOSQ_ERR_ACL_DENIED;
  }
}

}  // namespace laneway::plugin
