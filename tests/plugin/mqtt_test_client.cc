#include "mqtt_test_client.h"

#include <mqtt_protocol.h>
#include <sys/socket.h>

namespace laneway::test {
namespace {

struct LibraryInit {
  LibraryInit() { mosquitto_lib_init(); }
};

}  // namespace

MqttTestClient::MqttTestClient(ClientOptions options) : options_(std::move(options)) {
  static LibraryInit init;
  mosq_ =
      mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(), true, this);
  if (!mosq_) return;
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION,
                       options_.protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  if (!options_.cafile.empty()) {
    mosquitto_tls_set(mosq_, options_.cafile.c_str(), nullptr,
                      options_.certfile.empty() ? nullptr : options_.certfile.c_str(),
                      options_.keyfile.empty() ? nullptr : options_.keyfile.c_str(), nullptr);
  }
  if (!options_.username.empty())
    mosquitto_username_pw_set(mosq_, options_.username.c_str(), "ignored");
  mosquitto_connect_v5_callback_set(mosq_, &MqttTestClient::on_connect);
  mosquitto_disconnect_v5_callback_set(mosq_, &MqttTestClient::on_disconnect);
  mosquitto_subscribe_v5_callback_set(mosq_, &MqttTestClient::on_subscribe);
  mosquitto_publish_v5_callback_set(mosq_, &MqttTestClient::on_publish);
  mosquitto_message_v5_callback_set(mosq_, &MqttTestClient::on_message);
}

MqttTestClient::~MqttTestClient() {
  if (!mosq_) return;
  disconnect();
  mosquitto_destroy(mosq_);
}

void MqttTestClient::disconnect() {
  if (!mosq_) return;
  mosquitto_disconnect(mosq_);
  if (loop_running_) {
    mosquitto_loop_stop(mosq_, false);
    loop_running_ = false;
  }
}

void MqttTestClient::drop() {
  if (!mosq_) return;
  // Shut the socket down under libmosquitto's feet: the broker sees the TCP connection end
  // with no DISCONNECT packet; our disconnect callback then stops the network thread.
  const int fd = mosquitto_socket(mosq_);
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  wait_disconnected();
}

int MqttTestClient::connect(int port, std::chrono::milliseconds timeout) {
  if (!mosq_) return -1;
  if (mosquitto_connect(mosq_, options_.host.c_str(), port, 30) != MOSQ_ERR_SUCCESS) return -1;
  if (mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) return -1;
  loop_running_ = true;
  wait_for([&] { return connack_.has_value() || closed_; }, timeout);
  std::lock_guard lock(mutex_);
  return connack_.value_or(-1);
}

std::optional<int> MqttTestClient::subscribe(const std::string& filter, int qos,
                                             std::chrono::milliseconds timeout) {
  int mid = 0;
  if (mosquitto_subscribe_v5(mosq_, &mid, filter.c_str(), qos, 0, nullptr) != MOSQ_ERR_SUCCESS)
    return std::nullopt;
  if (!wait_for([&] { return subacks_.count(mid) > 0; }, timeout)) return std::nullopt;
  std::lock_guard lock(mutex_);
  return subacks_[mid];
}

std::optional<int> MqttTestClient::publish(const std::string& topic, const std::string& payload,
                                           int qos, bool retain,
                                           std::chrono::milliseconds timeout) {
  return send_publish(topic, payload, qos, retain, nullptr, timeout);
}

std::optional<int> MqttTestClient::publish_with(const std::string& topic,
                                                const std::string& payload,
                                                const UserProperties& properties, int qos,
                                                std::chrono::milliseconds timeout) {
  mosquitto_property* list = nullptr;
  for (const auto& [name, value] : properties)
    mosquitto_property_add_string_pair(&list, MQTT_PROP_USER_PROPERTY, name.c_str(), value.c_str());
  return send_publish(topic, payload, qos, false, list, timeout);
}

std::optional<int> MqttTestClient::send_publish(const std::string& topic,
                                                const std::string& payload, int qos, bool retain,
                                                mosquitto_property* properties,
                                                std::chrono::milliseconds timeout) {
  int mid = 0;
  const int rc = mosquitto_publish_v5(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                      payload.data(), qos, retain, properties);
  mosquitto_property_free_all(&properties);
  if (rc != MOSQ_ERR_SUCCESS) return std::nullopt;
  if (!wait_for([&] { return pubacks_.count(mid) > 0; }, timeout)) return std::nullopt;
  std::lock_guard lock(mutex_);
  return pubacks_[mid];
}

std::optional<ReceivedMessage> MqttTestClient::wait_message(
    const std::function<bool(const ReceivedMessage&)>& pred, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<ReceivedMessage> found;
  changed_.wait_for(lock, timeout, [&] {
    for (auto it = messages_.begin(); it != messages_.end(); ++it) {
      if (pred(*it)) {
        found = std::move(*it);
        messages_.erase(it);
        return true;
      }
    }
    return false;
  });
  return found;
}

std::optional<ReceivedMessage> MqttTestClient::wait_topic(const std::string& topic,
                                                          std::chrono::milliseconds timeout) {
  return wait_message([&](const ReceivedMessage& m) { return m.topic == topic; }, timeout);
}

std::size_t MqttTestClient::pending() {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

bool MqttTestClient::wait_disconnected(std::chrono::milliseconds timeout) {
  return wait_for([&] { return closed_; }, timeout);
}

bool MqttTestClient::connected() {
  std::lock_guard lock(mutex_);
  return is_connected_;
}

void MqttTestClient::on_connect(struct mosquitto*, void* self, int rc, int,
                                const mosquitto_property*) {
  auto* client = static_cast<MqttTestClient*>(self);
  std::lock_guard lock(client->mutex_);
  if (!client->connack_) client->connack_ = rc;
  client->is_connected_ = rc == 0;
  client->changed_.notify_all();
}

void MqttTestClient::on_disconnect(struct mosquitto* mosq, void* self, int,
                                   const mosquitto_property*) {
  auto* client = static_cast<MqttTestClient*>(self);
  {
    std::lock_guard lock(client->mutex_);
    client->is_connected_ = false;
    client->closed_ = true;
    client->changed_.notify_all();
  }
  // No automatic reconnect: a test decides what happens after a refusal or a kick.
  mosquitto_disconnect(mosq);
}

void MqttTestClient::on_subscribe(struct mosquitto*, void* self, int mid, int count,
                                  const int* granted, const mosquitto_property*) {
  auto* client = static_cast<MqttTestClient*>(self);
  std::lock_guard lock(client->mutex_);
  client->subacks_[mid] = count > 0 ? granted[0] : -1;
  client->changed_.notify_all();
}

void MqttTestClient::on_publish(struct mosquitto*, void* self, int mid, int reason,
                                const mosquitto_property*) {
  auto* client = static_cast<MqttTestClient*>(self);
  std::lock_guard lock(client->mutex_);
  client->pubacks_[mid] = reason;
  client->changed_.notify_all();
}

void MqttTestClient::on_message(struct mosquitto*, void* self,
                                const struct mosquitto_message* message,
                                const mosquitto_property*) {
  auto* client = static_cast<MqttTestClient*>(self);
  ReceivedMessage received;
  received.received_at = std::chrono::steady_clock::now();
  received.topic = message->topic ? message->topic : "";
  if (message->payload && message->payloadlen > 0)
    received.payload.assign(static_cast<const char*>(message->payload),
                            static_cast<std::size_t>(message->payloadlen));
  received.qos = message->qos;
  received.retain = message->retain;
  std::lock_guard lock(client->mutex_);
  client->messages_.push_back(std::move(received));
  client->changed_.notify_all();
}

}  // namespace laneway::test
