// Logging through the broker (mosquitto_log_printf), plus a limiter for events a client can
// trigger at will (refused connects, malformed envelopes): the first occurrence is logged,
// then at most one line per interval with the count of what was suppressed.
#pragma once

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "log_text.h"

namespace laneway::plugin {

template <typename... Args>
void log(int level, const char* format, Args... args) {
  mosquitto_log_printf(level, format, args...);
}

class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::seconds interval = std::chrono::seconds(10))
      : interval_(interval) {}

  // Logs "laneway: <what>" now, or counts it if one was logged within the interval. `what`
  // may hold client-chosen text: it is logged as printable() makes it.
  void log(int level, const std::string& raw) {
    const auto now = std::chrono::steady_clock::now();
    if (logged_once_ && now - last_ < interval_) {
      ++suppressed_;
      return;
    }
    const std::string what = printable(raw);
    if (suppressed_ > 0) {
      mosquitto_log_printf(level, "laneway: %s (%llu similar suppressed)", what.c_str(),
                           static_cast<unsigned long long>(suppressed_));
    } else {
      mosquitto_log_printf(level, "laneway: %s", what.c_str());
    }
    logged_once_ = true;
    last_ = now;
    suppressed_ = 0;
  }

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
  bool logged_once_ = false;
  std::uint64_t suppressed_ = 0;
};

}  // namespace laneway::plugin
