// What the session core needs from the broker connection. The libmosquitto client
// implements it; unit tests use an in-memory recorder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace laneway::bridge {

// Where the broker stands on one upstream subscription.
enum class UpstreamState {
  kPending,  // SUBSCRIBE sent (or to be sent once connected), no SUBACK yet
  kGranted,  // the broker acknowledged it: it delivers what matches from now on
  kRefused,  // the broker answered with a failure reason code
};

// How full the link's bounded queues are, for /metrics.
struct UpstreamLoad {
  std::size_t outgoing_messages = 0;  // published, not yet written (QoS 0) or acked (QoS 1)
  std::size_t outgoing_bytes = 0;
  std::size_t inbox_bytes = 0;  // received, not yet taken by the event loop
};

class Upstream {
 public:
  virtual ~Upstream() = default;
  virtual bool connected() const = 0;
  // Filters and topics here are full MQTT ones (`$lw/env/devices/#`, `$lw/in/...`).
  virtual void subscribe(const std::string& filter) = 0;
  virtual void unsubscribe(const std::string& filter) = 0;
  // The broker's answer to the latest subscribe() of `filter`. Everything is pending again
  // while the link is down and after a reconnect until the re-subscription's SUBACK; a
  // filter never subscribed is pending. The broker link wakes the event loop on each
  // SUBACK, and the hub settles held answers in its next broker batch.
  virtual UpstreamState subscription_state(const std::string& filter) const = 0;
  // Queues a publish to the broker. Returns its message id (> 0), or 0 when it cannot be
  // sent now. For QoS 1 the broker's acknowledgement comes back as Hub::on_publish_ack.
  virtual int publish(const std::string& topic, std::string_view payload, int qos, bool retain) = 0;
  // Queues an MQTT v5 request (QoS 1) carrying a response topic and correlation data, for
  // RPC. Returns its message id (> 0), or 0 when it cannot be sent now. The broker's
  // PUBACK comes back as Hub::on_publish_ack with its reason code.
  virtual int publish_request(const std::string& topic, std::string_view payload,
                              const std::string& response_topic, std::string_view correlation,
                              const std::string& content_type) = 0;
  // Whether `bytes` more fit in the link's queue of messages not yet written (QoS 0) or
  // acknowledged (QoS 1) (limits.upstream_inflight_max_bytes).
  virtual bool has_room(std::size_t /*bytes*/) const { return true; }
  virtual UpstreamLoad load() const { return {}; }
  // The broker-side subscriptions an earlier run of this bridge left in its persistent
  // broker session (full MQTT filters), as recorded in broker.state_file. Empty by default.
  virtual std::vector<std::string> previous_filters() const { return {}; }
};

// One message the broker delivered to the bridge.
struct UpstreamMessage {
  std::string topic;
  std::string payload;
  // MQTT v5 properties the session core needs (RPC replies); empty when absent.
  std::string correlation;
  std::string content_type;
};

// Everything the broker link delivered since the last batch, in its order: the MQTT thread
// fills the link's inbox, the event loop takes it out as one batch and hands it to
// Hub::on_broker_batch.
struct BrokerBatch {
  // The link reconnected before these messages: whatever was published while it was down
  // never reached the bridge.
  bool reconnected = false;
  std::vector<UpstreamMessage> messages;
  std::vector<std::pair<int, int>> acks;  // QoS 1 PUBACKs: (message id, MQTT v5 reason code)
  std::uint64_t dropped = 0;              // messages the full inbox had to drop

  void clear() {
    reconnected = false;
    messages.clear();
    acks.clear();
    dropped = 0;
  }
};

// MQTT v5 properties of a received message that the session core uses (RPC replies).
struct MessageProperties {
  std::string_view correlation;   // correlation data, empty when absent
  std::string_view content_type;  // content type, empty when absent
};

inline constexpr std::string_view kEnvPrefix = "$lw/env/";
inline constexpr std::string_view kInPrefix = "$lw/in/";
inline constexpr std::string_view kPresencePrefix = "$lw/presence/";
inline constexpr const char* kPresenceFilter = "$lw/presence/+";

}  // namespace laneway::bridge
