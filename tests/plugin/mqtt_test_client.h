// A libmosquitto client for the plugin's integration tests and the broker benchmark: TLS
// with a client certificate, MQTT 3.1.1 or 5, blocking helpers with bounded waits that
// report the broker's reason codes (CONNACK, SUBACK, PUBACK).
#pragma once

#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace laneway::test {

struct ClientOptions {
  std::string client_id;
  std::string cafile;  // verifies the broker; empty = plaintext TCP
  std::string certfile;
  std::string keyfile;
  int protocol = 5;      // 4 = MQTT 3.1.1, 5 = MQTT 5
  std::string username;  // sent to show the plugin ignores it
  std::string host = "127.0.0.1";
};

using UserProperties = std::vector<std::pair<std::string, std::string>>;

// PUBACK reason codes below 0x80 are successes (MQTT 5 answers 0x10 "no matching
// subscribers" when nobody subscribed).
inline bool accepted(const std::optional<int>& reason) {
  return reason && *reason < 0x80;
}

struct ReceivedMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  std::chrono::steady_clock::time_point received_at;  // when the client's thread got it
};

class MqttTestClient {
 public:
  static constexpr std::chrono::milliseconds kWait{5000};

  explicit MqttTestClient(ClientOptions options);
  ~MqttTestClient();
  MqttTestClient(const MqttTestClient&) = delete;
  MqttTestClient& operator=(const MqttTestClient&) = delete;

  // Connects to options.host:port. Returns the CONNACK reason code (0 = accepted), or -1 when
  // no CONNACK arrived (TLS refused, connection closed, timeout).
  int connect(int port, std::chrono::milliseconds timeout = kWait);
  // Granted QoS / reason code per SUBACK (>= 0x80 refused), nullopt on timeout.
  std::optional<int> subscribe(const std::string& filter, int qos = 1,
                               std::chrono::milliseconds timeout = kWait);
  // QoS 0: 0 once handed to the socket. QoS 1/2: the PUBACK reason code (MQTT 5; always 0
  // for 3.1.1, where refusals are silent). nullopt on timeout or a send error.
  std::optional<int> publish(const std::string& topic, const std::string& payload, int qos = 1,
                             bool retain = false, std::chrono::milliseconds timeout = kWait);
  // The same with MQTT 5 user properties.
  std::optional<int> publish_with(const std::string& topic, const std::string& payload,
                                  const UserProperties& properties, int qos = 1,
                                  std::chrono::milliseconds timeout = kWait);
  // Waits for a message matching `pred` (received since the last take), removes and
  // returns it.
  std::optional<ReceivedMessage> wait_message(
      const std::function<bool(const ReceivedMessage&)>& pred,
      std::chrono::milliseconds timeout = kWait);
  std::optional<ReceivedMessage> wait_topic(const std::string& topic,
                                            std::chrono::milliseconds timeout = kWait);
  // Number of messages received so far and not taken.
  std::size_t pending();
  bool wait_disconnected(std::chrono::milliseconds timeout = kWait);
  bool connected();
  void disconnect();
  // Closes the connection without an MQTT DISCONNECT, as a network drop would.
  void drop();

 private:
  static void on_connect(struct mosquitto*, void* self, int rc, int flags,
                         const mosquitto_property*);
  static void on_disconnect(struct mosquitto*, void* self, int rc, const mosquitto_property*);
  static void on_subscribe(struct mosquitto*, void* self, int mid, int count, const int* granted,
                           const mosquitto_property*);
  static void on_publish(struct mosquitto*, void* self, int mid, int reason,
                         const mosquitto_property*);
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* message,
                         const mosquitto_property*);

  // Sends PUBLISH (properties consumed) and waits as publish() describes.
  std::optional<int> send_publish(const std::string& topic, const std::string& payload, int qos,
                                  bool retain, mosquitto_property* properties,
                                  std::chrono::milliseconds timeout);

  template <typename Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, pred);
  }

  ClientOptions options_;
  struct mosquitto* mosq_ = nullptr;
  bool loop_running_ = false;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<int> connack_;
  bool is_connected_ = false;
  bool closed_ = false;
  std::map<int, int> subacks_;  // mid -> first granted code
  std::map<int, int> pubacks_;  // mid -> reason code
  std::deque<ReceivedMessage> messages_;
};

}  // namespace laneway::test
