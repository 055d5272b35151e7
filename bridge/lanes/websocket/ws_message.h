// The WebSocket lane's transport-free parts, unit-tested without libwebsockets: reassembly
// of a client message from its fragments under max_frame_bytes, and the framing of a
// server-to-client binary message (RFC 6455 §5.2) for the batched write.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace laneway::bridge {

// One client message at a time, as lws delivers it in pieces.
class MessageAssembler {
 public:
  enum class Result {
    kIncomplete,  // more pieces follow
    kBinary,      // message() is a whole binary message
    kText,        // a text message (not a laneway frame), discarded
    kTooLarge,    // over the limit, discarded unread
  };

  explicit MessageAssembler(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // One piece. `first`/`last`: it starts or completes the message; `binary`: the
  // message's opcode (known from its first fragment).
  Result add(std::string_view piece, bool first, bool last, bool binary);
  const std::string& message() const { return rx_; }
  // Gives the buffer back once the message is handled: client messages are rare next to
  // the idle time, and an idle session should not hold the capacity of its largest one.
  void release() { std::string().swap(rx_); }

 private:
  const std::size_t max_bytes_;
  std::string rx_;
  bool too_large_ = false;
  bool text_ = false;
};

// Appends one unmasked server-to-client binary WebSocket frame (FIN set) carrying `payload`.
void append_ws_frame(std::string& out, std::string_view payload);

}  // namespace laneway::bridge
