// What became of one client request (Hub::handle_call). A request can also end its session
// after being answered (a granted connect whose replay overflows the queue): lanes that
// answer over their own channel check Session::closing and Session::final_error too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "laneway.pb.h"

namespace laneway::bridge {

// Where the answer to one request goes: the session queue for the framed lanes, the HTTP
// response for POST /v1/call.
using Reply = std::function<void(const v1::CallFrame&)>;

struct CallOutcome {
  enum class Kind {
    // `reply` ran with the result, or (QoS 1 publish, RPC) the request went out and its
    // answer comes later on the session queue.
    kAnswered,
    // A connect or subscribe waits for the broker's SUBACK: `reply` was kept and runs
    // later, unless the session closes first (then never).
    kHeld,
    // Answered with this error: to `reply`, or on the session queue when the refusal also
    // ends the session (Session::closing is then set).
    kRefused,
    // Not answered at all: the session is closing already (its final error is out).
    kDropped,
  };

  static CallOutcome answered() { return {}; }
  static CallOutcome held() { return {Kind::kHeld, v1::ERROR_CODE_UNSPECIFIED, {}, 0}; }
  static CallOutcome refused(v1::ErrorCode code, std::string message,
                             std::uint32_t retry_after_ms = 0) {
    return {Kind::kRefused, code, std::move(message), retry_after_ms};
  }

  static CallOutcome dropped() { return {Kind::kDropped, v1::ERROR_CODE_UNSPECIFIED, {}, 0}; }

  bool is_held() const { return kind == Kind::kHeld; }
  bool is_refused() const { return kind == Kind::kRefused; }

  Kind kind = Kind::kAnswered;
  v1::ErrorCode code = v1::ERROR_CODE_UNSPECIFIED;  // kRefused only
  std::string message;
  std::uint32_t retry_after_ms = 0;
};

}  // namespace laneway::bridge
