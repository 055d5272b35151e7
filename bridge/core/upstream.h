// What the session core needs from the broker connection. The libmosquitto client
// implements it; unit tests use an in-memory recorder.
#pragma once

#include <string>
#include <string_view>

namespace laneway::bridge {

class Upstream {
 public:
  virtual ~Upstream() = default;
  virtual bool connected() const = 0;
  // Filters and topics here are full MQTT ones (`$lw/env/devices/#`, `$lw/in/...`).
  virtual void subscribe(const std::string& filter) = 0;
  virtual void unsubscribe(const std::string& filter) = 0;
  // Queues a publish to the broker. Returns its message id (> 0), or 0 when it cannot be
  // sent now. For QoS 1 the broker's acknowledgement comes back as Hub::on_publish_ack.
  virtual int publish(const std::string& topic, std::string_view payload, int qos, bool retain) = 0;
};

inline constexpr std::string_view kEnvPrefix = "$lw/env/";
inline constexpr std::string_view kInPrefix = "$lw/in/";
inline constexpr std::string_view kPresencePrefix = "$lw/presence/";
inline constexpr const char* kPresenceFilter = "$lw/presence/+";

}  // namespace laneway::bridge
