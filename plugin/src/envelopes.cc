#include "envelopes.h"

#include <mqtt_protocol.h>

#include "laneway/wire/frame_codec.h"
#include "laneway/wire/frame_limit.h"

namespace laneway::plugin {

bool fits_frame_limit(const PluginContext& ctx, const v1::Envelope& envelope,
                      std::size_t payload_bytes) {
  std::size_t bytes = envelope.ByteSizeLong();
  if (payload_bytes > 0) bytes += wire::field_bytes(payload_bytes);
  return wire::unsequenced_envelope_fits(bytes, envelope.topic().size(),
                                         ctx.config.max_envelope_bytes);
}

int refuse_oversized(PluginContext& ctx, const std::string& sender, std::string_view topic,
                     std::size_t payload_bytes) {
  ++ctx.oversized_refused;
  ctx.refused_log.log(MOSQ_LOG_WARNING,
                      "refused " + std::to_string(payload_bytes) + "-byte message from " + sender +
                          " on '" + std::string(topic) +
                          "': its envelope would be over the frame limit of " +
                          std::to_string(ctx.config.max_envelope_bytes) + " bytes (" +
                          std::to_string(ctx.oversized_refused) + " refused since start)");
  return MOSQ_ERR_ACL_DENIED;
}

bool sequence_and_publish(PluginContext& ctx, std::string_view prefix) {
  v1::Envelope& envelope = *ctx.frame.mutable_envelope();
  if (!fits_frame_limit(ctx, envelope)) {
    ctx.publish_log.log(MOSQ_LOG_WARNING,
                        "envelope for '" + envelope.topic() + "' not published: over the limit");
    return false;
  }
  const auto position = ctx.sequencer.next(envelope.topic(), unix_seconds());
  if (position.started_new_epoch) {
    log(MOSQ_LOG_WARNING,
        "laneway: topic table full (%zu topics): started epoch %llu, every topic restarts at "
        "seq 1",
        ctx.sequencer.max_topics(), static_cast<unsigned long long>(position.epoch));
    std::string error;
    if (!ctx.save_state(false, &error)) log(MOSQ_LOG_ERR, "laneway: %s", error.c_str());
  }
  envelope.set_seq(position.seq);
  envelope.set_epoch(position.epoch);
  envelope.set_timestamp_us(unix_micros());

  const auto rc = wire::encode_frame(ctx.frame, ctx.encoded, ctx.config.max_envelope_bytes);
  if (rc != wire::WireError::kOk) {
    ctx.publish_log.log(MOSQ_LOG_WARNING, "envelope for '" + envelope.topic() +
                                              "' not published: " + wire::describe(rc));
    return false;
  }
  std::string topic(prefix);
  topic += envelope.topic();
  const int publish_rc = mosquitto_broker_publish_copy(
      nullptr, topic.c_str(), static_cast<int>(ctx.encoded.size()), ctx.encoded.data(),
      static_cast<int>(envelope.qos()), envelope.retain(), nullptr);
  if (publish_rc != MOSQ_ERR_SUCCESS) {
    ctx.publish_log.log(MOSQ_LOG_ERR, "broker refused envelope on '" + topic +
                                          "': " + mosquitto_strerror(publish_rc));
    return false;
  }
  return true;
}

bool publish_raw(PluginContext& ctx, std::string_view topic, std::string_view payload, int qos,
                 bool retain, std::string_view content_type) {
  mosquitto_property* properties = nullptr;
  if (!content_type.empty()) {
    const std::string value(content_type);
    mosquitto_property_add_string(&properties, MQTT_PROP_CONTENT_TYPE, value.c_str());
  }
  const std::string topic_string(topic);
  const int rc =
      mosquitto_broker_publish_copy(nullptr, topic_string.c_str(), static_cast<int>(payload.size()),
                                    payload.data(), qos, retain, properties);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_property_free_all(&properties);  // only owned by the broker on success
    ctx.publish_log.log(MOSQ_LOG_ERR, "broker refused publish on '" + topic_string +
                                          "': " + mosquitto_strerror(rc));
    return false;
  }
  return true;
}

}  // namespace laneway::plugin
