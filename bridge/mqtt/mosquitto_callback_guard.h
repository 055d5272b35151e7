// libmosquitto's callbacks are registered as MosquittoCallbackGuard<handler>::call. A
// handler that throws costs the broker connection, never the process (docs/architecture.md
// "C boundaries"): the link disconnects, and its network loop reconnects and subscribes
// again, as after any lost connection; the hub's resume repairs what the gap cost.
#pragma once

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "c_callback.h"

namespace laneway::bridge {

template <auto Handler>
struct MosquittoCallbackGuard;

template <typename... Args, void (*Handler)(struct mosquitto*, void*, Args...)>
struct MosquittoCallbackGuard<Handler> {
  static void call(struct mosquitto* m, void* userdata, Args... args) noexcept {
    const bool handled = run_c_callback("a libmosquitto callback", false, [&] {
      Handler(m, userdata, args...);
      return true;
    });
    if (!handled) mosquitto_disconnect_v5(m, MQTT_RC_UNSPECIFIED, nullptr);
  }
};

}  // namespace laneway::bridge
