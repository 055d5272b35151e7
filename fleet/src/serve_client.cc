#include "serve_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

namespace laneway::fleet {
namespace {

using Clock = std::chrono::steady_clock;

struct MosquittoDeleter {
  void operator()(mosquitto* m) const { mosquitto_destroy(m); }
};
struct PropertiesDeleter {
  void operator()(mosquitto_property* p) const { mosquitto_property_free_all(&p); }
};
using PropertiesPtr = std::unique_ptr<mosquitto_property, PropertiesDeleter>;

// At most `burst` log lines per 10 s for events a client can trigger (refusals), then a
// count of what was suppressed.
class LogLimiter {
 public:
  explicit LogLimiter(int burst) : burst_(burst) {}
  bool allow() {
    const auto now = Clock::now();
    if (now - window_ > std::chrono::seconds(10)) {
      if (suppressed_)
        std::fprintf(stderr, "laneway-fleet serve: %d refusal lines suppressed\n", suppressed_);
      window_ = now;
      used_ = 0;
      suppressed_ = 0;
    }
    if (used_ < burst_) {
      ++used_;
      return true;
    }
    ++suppressed_;
    return false;
  }

 private:
  int burst_;
  int used_ = 0;
  int suppressed_ = 0;
  Clock::time_point window_ = Clock::now();
};

struct ServeState {
  const ServeOptions& options;
  ProvisioningHandler& handler;
  PresenceRecorder presence;
  LogLimiter refusal_log{20};
  bool connected = false;
  bool flush_now = false;
};

void on_connect(mosquitto* m, void* user, int rc, int, const mosquitto_property*) {
  auto& s = *static_cast<ServeState*>(user);
  if (rc != 0) {
    std::fprintf(stderr, "laneway-fleet serve: broker refused the service: %s\n",
                 mosquitto_reason_string(rc));
    return;
  }
  s.connected = true;
  // QoS 1: a request published while the subscription exists is not lost in transit.
  mosquitto_subscribe_v5(m, nullptr, "provision/+/+/csr", 1, 0, nullptr);
  if (s.options.presence) mosquitto_subscribe_v5(m, nullptr, "$lw/presence/+", 1, 0, nullptr);
  std::fprintf(stderr, "laneway-fleet serve: connected to %s:%d, serving provision/+/+/csr\n",
               s.options.host.c_str(), s.options.port);
}

void on_disconnect(mosquitto*, void* user, int, const mosquitto_property*) {
  static_cast<ServeState*>(user)->connected = false;
}

void handle_request(mosquitto* m, ServeState& s, const mosquitto_message* message,
                    const mosquitto_property* props) {
  const auto topic = parse_request_topic(message->topic);
  if (!topic) return;
  char* response_raw = nullptr;
  void* correlation = nullptr;
  std::uint16_t correlation_len = 0;
  mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &response_raw, false);
  mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &correlation, &correlation_len,
                                 false);
  std::unique_ptr<char, decltype(&std::free)> response_owner(response_raw, &std::free);
  std::unique_ptr<void, decltype(&std::free)> correlation_owner(correlation, &std::free);
  // The reply may only go where the requesting claim client itself may subscribe; anything
  // else would let a claim make the service publish elsewhere as an operator.
  const std::string own = "provision/" + topic->batch + "/" + topic->client_id + "/";
  const std::string response = response_raw ? response_raw : "";
  if (response.size() <= own.size() || response.compare(0, own.size(), own) != 0 ||
      response.find_first_of("+#") != std::string::npos) {
    if (s.refusal_log.allow())
      std::fprintf(stderr,
                   "laneway-fleet serve: dropped request on %s: response topic '%s' is not under "
                   "%s (no reply possible)\n",
                   message->topic, response.c_str(), own.c_str());
    return;
  }

  const std::string_view payload(static_cast<const char*>(message->payload),
                                 static_cast<std::size_t>(std::max(0, message->payloadlen)));
  const ProvisionReply reply = s.handler.handle(topic->batch, topic->client_id, payload);
  if (reply.ok) {
    std::fprintf(stderr, "laneway-fleet serve: provisioned %s through claim %s (serial %s)\n",
                 reply.device_id.c_str(), topic->batch.c_str(), reply.serial.c_str());
  } else if (s.refusal_log.allow()) {
    std::fprintf(stderr, "laneway-fleet serve: refused %s/%s: %s: %s\n", topic->batch.c_str(),
                 topic->client_id.c_str(), reply.error.c_str(), reply.message.c_str());
  }
  mosquitto_property* raw = nullptr;
  if (correlation)
    mosquitto_property_add_binary(&raw, MQTT_PROP_CORRELATION_DATA, correlation, correlation_len);
  mosquitto_property_add_string(&raw, MQTT_PROP_CONTENT_TYPE, "application/json");
  PropertiesPtr reply_props(raw);
  const std::string body = encode_reply(reply);
  const int rc = mosquitto_publish_v5(m, nullptr, response.c_str(), static_cast<int>(body.size()),
                                      body.data(), 1, false, reply_props.get());
  if (rc != MOSQ_ERR_SUCCESS)
    std::fprintf(stderr, "laneway-fleet serve: error: cannot publish the reply on %s: %s\n",
                 response.c_str(), mosquitto_strerror(rc));
}

void on_message(mosquitto* m, void* user, const mosquitto_message* message,
                const mosquitto_property* props) {
  auto& s = *static_cast<ServeState*>(user);
  if (!message->topic) return;
  if (std::strncmp(message->topic, "$lw/presence/", 13) == 0) {
    const std::string_view payload(static_cast<const char*>(message->payload),
                                   static_cast<std::size_t>(std::max(0, message->payloadlen)));
    if (s.presence.add(message->topic, payload)) s.flush_now = true;
    return;
  }
  handle_request(m, s, message, props);
}

void flush_presence(ServeState& s) {
  std::string error;
  if (!s.presence.flush(s.handler.registry(), &error))
    std::fprintf(stderr, "laneway-fleet serve: error: cannot record presence: %s\n", error.c_str());
  s.flush_now = false;
}

}  // namespace

int run_serve(const ServeOptions& options, ProvisioningHandler& handler,
              const std::atomic<bool>& stop) {
  mosquitto_lib_init();
  ServeState state{options, handler, PresenceRecorder{}};
  std::unique_ptr<mosquitto, MosquittoDeleter> mosq(
      mosquitto_new(options.client_id.c_str(), true, &state));
  if (!mosq) {
    std::fprintf(stderr, "laneway-fleet serve: error: cannot create an MQTT client\n");
    mosquitto_lib_cleanup();
    return 1;
  }
  mosquitto* m = mosq.get();
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  if (mosquitto_tls_set(m, options.cafile.c_str(), nullptr, options.certfile.c_str(),
                        options.keyfile.c_str(), nullptr) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "laneway-fleet serve: error: cannot use the service certificate %s / %s\n",
                 options.certfile.c_str(), options.keyfile.c_str());
    mosq.reset();
    mosquitto_lib_cleanup();
    return 1;
  }
  mosquitto_connect_v5_callback_set(m, on_connect);
  mosquitto_disconnect_v5_callback_set(m, on_disconnect);
  mosquitto_message_v5_callback_set(m, on_message);

  const auto flush_period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.presence_flush_s));
  auto next_flush = Clock::now() + flush_period;
  int backoff_ms = 0;
  bool socket_open = false;
  while (!stop.load()) {
    if (!socket_open) {
      if (backoff_ms > 0) {
        // Sleep in slices so a stop request is honoured promptly.
        for (int slept = 0; slept < backoff_ms && !stop.load(); slept += 100)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (stop.load()) break;
      }
      const int rc = mosquitto_connect(m, options.host.c_str(), options.port, 30);
      if (rc != MOSQ_ERR_SUCCESS) {
        backoff_ms = std::min(backoff_ms == 0 ? 500 : backoff_ms * 2, 10000);
        std::fprintf(stderr, "laneway-fleet serve: cannot connect to %s:%d (%s); retry in %d ms\n",
                     options.host.c_str(), options.port,
                     rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc),
                     backoff_ms);
        continue;
      }
      socket_open = true;
    }
    const int rc = mosquitto_loop(m, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      // Connection lost or refused: flush what we have, then reconnect with backoff.
      socket_open = false;
      state.connected = false;
      mosquitto_disconnect(m);
      backoff_ms = std::min(backoff_ms == 0 ? 500 : backoff_ms * 2, 10000);
      std::fprintf(stderr, "laneway-fleet serve: connection lost (%s); reconnecting in %d ms\n",
                   mosquitto_strerror(rc), backoff_ms);
    } else if (state.connected) {
      backoff_ms = 0;
    }
    if (state.flush_now || Clock::now() >= next_flush) {
      flush_presence(state);
      next_flush = Clock::now() + flush_period;
    }
  }
  flush_presence(state);
  if (socket_open) {
    mosquitto_disconnect_v5(m, 0, nullptr);
    mosquitto_loop(m, 100, 1);
  }
  std::fprintf(stderr, "laneway-fleet serve: stopped: %llu provisioned, %llu presence updates\n",
               static_cast<unsigned long long>(handler.provisioned()),
               static_cast<unsigned long long>(state.presence.recorded()));
  mosq.reset();
  mosquitto_lib_cleanup();
  return 0;
}

}  // namespace laneway::fleet
