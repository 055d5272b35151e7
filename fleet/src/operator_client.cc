#include "operator_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

namespace laneway::fleet {

struct OperatorClient::State {
  std::optional<int> connack;
  bool disconnected = false;
  int waiting_mid = -1;
  std::optional<int> puback;  // reason code for waiting_mid
  std::optional<int> suback;
  std::string correlation;  // of the call in flight
  std::optional<RpcReply> reply;
  std::string retained_topic;  // fetch_retained in flight
  std::optional<std::string> retained;
};

namespace {

using Clock = std::chrono::steady_clock;

std::string random_hex(std::size_t bytes) {
  unsigned char raw[32];
  RAND_bytes(raw, static_cast<int>(bytes));
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out.push_back(digits[raw[i] >> 4]);
    out.push_back(digits[raw[i] & 15]);
  }
  return out;
}

OperatorClient::State& state_of(void* user) {
  return *static_cast<OperatorClient::State*>(user);
}

void on_connect(mosquitto*, void* user, int rc, int, const mosquitto_property*) {
  state_of(user).connack = rc;
}
void on_disconnect(mosquitto*, void* user, int, const mosquitto_property*) {
  state_of(user).disconnected = true;
}
void on_publish(mosquitto*, void* user, int mid, int reason, const mosquitto_property*) {
  auto& s = state_of(user);
  if (mid == s.waiting_mid) s.puback = reason;
}
void on_subscribe(mosquitto*, void* user, int mid, int count, const int* granted,
                  const mosquitto_property*) {
  auto& s = state_of(user);
  if (mid == s.waiting_mid && count > 0) s.suback = granted[0];
}
void on_message(mosquitto*, void* user, const mosquitto_message* message,
                const mosquitto_property* props) {
  auto& s = state_of(user);
  if (!s.retained_topic.empty()) {
    if (message->retain && message->topic && s.retained_topic == message->topic && !s.retained)
      s.retained = std::string(static_cast<const char*>(message->payload),
                               static_cast<std::size_t>(message->payloadlen));
    return;
  }
  void* correlation = nullptr;
  std::uint16_t len = 0;
  mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &correlation, &len, false);
  const bool match =
      correlation && std::string(static_cast<char*>(correlation), len) == s.correlation;
  std::free(correlation);
  if (!match || s.reply) return;  // a stale or foreign reply on a shared topic
  s.reply = RpcReply{message->topic, std::string(static_cast<const char*>(message->payload),
                                                 static_cast<std::size_t>(message->payloadlen))};
}

}  // namespace

OperatorClient::OperatorClient(OperatorOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {
  mosquitto_lib_init();
  const std::string id =
      options_.client_id.empty() ? "laneway-fleet-" + random_hex(6) : options_.client_id;
  mosq_ = mosquitto_new(id.c_str(), true, state_.get());
  if (!mosq_) return;
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_connect_v5_callback_set(mosq_, on_connect);
  mosquitto_disconnect_v5_callback_set(mosq_, on_disconnect);
  mosquitto_publish_v5_callback_set(mosq_, on_publish);
  mosquitto_subscribe_v5_callback_set(mosq_, on_subscribe);
  mosquitto_message_v5_callback_set(mosq_, on_message);
}

OperatorClient::~OperatorClient() {
  if (mosq_) mosquitto_destroy(mosq_);
  mosquitto_lib_cleanup();
}

bool OperatorClient::pump_until(const Clock::time_point& deadline, bool (*done)(const State&)) {
  while (!done(*state_)) {
    if (state_->disconnected) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    const int rc = mosquitto_loop(mosq_, static_cast<int>(std::min<long long>(left, 100)), 1);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) state_->disconnected = true;
  }
  return true;
}

bool OperatorClient::connect(std::chrono::milliseconds timeout, std::string* error) {
  if (!mosq_) {
    *error = "cannot create an MQTT client";
    return false;
  }
  if (mosquitto_tls_set(mosq_, options_.cafile.c_str(), nullptr, options_.certfile.c_str(),
                        options_.keyfile.c_str(), nullptr) != MOSQ_ERR_SUCCESS) {
    *error = "cannot use the operator certificate " + options_.certfile + " / key " +
             options_.keyfile + " / CA " + options_.cafile;
    return false;
  }
  const int rc = mosquitto_connect(mosq_, options_.host.c_str(), options_.port, 30);
  if (rc != MOSQ_ERR_SUCCESS) {
    *error = "cannot connect to " + options_.host + ":" + std::to_string(options_.port) + ": " +
             (rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc));
    return false;
  }
  if (!pump_until(Clock::now() + timeout, [](const State& s) { return s.connack.has_value(); })) {
    *error = "no CONNACK from " + options_.host + ":" + std::to_string(options_.port) +
             " (TLS refused or broker not answering)";
    return false;
  }
  if (*state_->connack != 0) {
    *error =
        std::string("broker refused the operator: ") + mosquitto_reason_string(*state_->connack);
    return false;
  }
  return true;
}

bool OperatorClient::publish(const std::string& topic, const std::string& payload,
                             std::chrono::milliseconds timeout, std::string* error) {
  int mid = 0;
  state_->puback.reset();
  const int rc = mosquitto_publish_v5(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                      payload.data(), 1, false, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    *error = std::string("publish failed: ") + mosquitto_strerror(rc);
    return false;
  }
  state_->waiting_mid = mid;
  if (!pump_until(Clock::now() + timeout, [](const State& s) { return s.puback.has_value(); })) {
    *error = "no PUBACK for " + topic;
    return false;
  }
  // 0x10 "no matching subscribers" is a success: nobody in the group is online.
  if (*state_->puback >= 0x80) {
    *error =
        "broker refused the publish on " + topic + ": " + mosquitto_reason_string(*state_->puback);
    return false;
  }
  return true;
}

std::optional<RpcReply> OperatorClient::call(const std::string& request_topic,
                                             const std::string& response_topic,
                                             const std::string& payload,
                                             std::chrono::milliseconds timeout,
                                             std::string* error) {
  const auto deadline = Clock::now() + timeout;
  int mid = 0;
  state_->suback.reset();
  state_->reply.reset();
  if (mosquitto_subscribe_v5(mosq_, &mid, response_topic.c_str(), 1, 0, nullptr) !=
      MOSQ_ERR_SUCCESS) {
    *error = "cannot subscribe to " + response_topic;
    return std::nullopt;
  }
  state_->waiting_mid = mid;
  if (!pump_until(deadline, [](const State& s) { return s.suback.has_value(); })) {
    *error = "no SUBACK for " + response_topic;
    return std::nullopt;
  }
  if (*state_->suback >= 0x80) {
    *error = "broker refused the subscription to " + response_topic;
    return std::nullopt;
  }
  state_->correlation = random_hex(16);
  mosquitto_property* raw = nullptr;
  mosquitto_property_add_string(&raw, MQTT_PROP_RESPONSE_TOPIC, response_topic.c_str());
  mosquitto_property_add_binary(&raw, MQTT_PROP_CORRELATION_DATA, state_->correlation.data(),
                                static_cast<std::uint16_t>(state_->correlation.size()));
  state_->puback.reset();
  const int rc =
      mosquitto_publish_v5(mosq_, &mid, request_topic.c_str(), static_cast<int>(payload.size()),
                           payload.data(), 1, false, raw);
  mosquitto_property_free_all(&raw);
  if (rc != MOSQ_ERR_SUCCESS) {
    *error = std::string("publish failed: ") + mosquitto_strerror(rc);
    return std::nullopt;
  }
  state_->waiting_mid = mid;
  if (!pump_until(deadline, [](const State& s) { return s.reply.has_value(); })) {
    *error = "no reply within " + std::to_string(timeout.count()) + " ms";
    if (state_->puback && *state_->puback == 0x10)
      *error += " (nobody is subscribed to " + request_topic + ": the device is offline)";
    else if (state_->puback && *state_->puback >= 0x80)
      *error += std::string(" (the broker refused the request: ") +
                mosquitto_reason_string(*state_->puback) + ")";
    return std::nullopt;
  }
  return state_->reply;
}

std::optional<std::string> OperatorClient::fetch_retained(const std::string& topic,
                                                          std::chrono::milliseconds wait,
                                                          std::string* error) {
  int mid = 0;
  state_->suback.reset();
  state_->retained.reset();
  state_->retained_topic = topic;
  if (mosquitto_subscribe_v5(mosq_, &mid, topic.c_str(), 1, 0, nullptr) != MOSQ_ERR_SUCCESS) {
    *error = "cannot subscribe to " + topic;
    return std::nullopt;
  }
  state_->waiting_mid = mid;
  if (!pump_until(Clock::now() + wait + std::chrono::milliseconds(2000),
                  [](const State& s) { return s.suback.has_value(); })) {
    *error = "no SUBACK for " + topic;
    return std::nullopt;
  }
  if (*state_->suback >= 0x80) {
    *error = "broker refused the subscription to " + topic;
    return std::nullopt;
  }
  // The broker queues retained messages right behind the SUBACK; `wait` only covers the
  // case where there is none.
  pump_until(Clock::now() + wait, [](const State& s) { return s.retained.has_value(); });
  state_->retained_topic.clear();
  return state_->retained;
}

void OperatorClient::disconnect() {
  if (!mosq_ || state_->disconnected) return;
  mosquitto_disconnect_v5(mosq_, 0, nullptr);
  pump_until(Clock::now() + std::chrono::milliseconds(500),
             [](const State& s) { return s.disconnected; });
}

}  // namespace laneway::fleet
