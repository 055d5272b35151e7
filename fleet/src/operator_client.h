// A one-shot MQTT v5 client with an operator certificate, for the CLI's broadcast and call
// commands: connect, do one thing, disconnect. Single thread, every wait bounded.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

struct mosquitto;

namespace laneway::fleet {

struct OperatorOptions {
  std::string host = "127.0.0.1";
  int port = 8883;
  std::string cafile;
  std::string certfile;
  std::string keyfile;
  std::string client_id;  // empty: chosen at random
};

struct RpcReply {
  std::string topic;
  std::string payload;
};

class OperatorClient {
 public:
  explicit OperatorClient(OperatorOptions options);
  ~OperatorClient();
  OperatorClient(const OperatorClient&) = delete;
  OperatorClient& operator=(const OperatorClient&) = delete;

  // Connects and waits for CONNACK. False with a one-line `error`.
  bool connect(std::chrono::milliseconds timeout, std::string* error);
  // QoS 1 publish, waits for PUBACK; false (with the reason) if refused or no answer.
  bool publish(const std::string& topic, const std::string& payload,
               std::chrono::milliseconds timeout, std::string* error);
  // MQTT v5 request/response: subscribes to `response_topic`, publishes `payload` on
  // `request_topic` with that response topic and random correlation data, and returns the
  // first reply carrying the same correlation data; nullopt on timeout (error says why).
  std::optional<RpcReply> call(const std::string& request_topic, const std::string& response_topic,
                               const std::string& payload, std::chrono::milliseconds timeout,
                               std::string* error);
  // Subscribes to `topic` and returns the retained message the broker sends right after
  // the SUBACK; nullopt when none arrives within `wait` (nothing retained), or on an error
  // (then `error` is set).
  std::optional<std::string> fetch_retained(const std::string& topic,
                                            std::chrono::milliseconds wait, std::string* error);
  void disconnect();

  struct State;

 private:
  bool pump_until(const std::chrono::steady_clock::time_point& deadline,
                  bool (*done)(const State&));
  OperatorOptions options_;
  mosquitto* mosq_ = nullptr;
  std::unique_ptr<State> state_;
};

}  // namespace laneway::fleet
