// One encoded laneway.v1.Frame whose bytes are shared, refcounted, by every session that
// delivers it: fan-out never copies or re-encodes a frame per session. The hub labels each
// frame once (what it is, its topic and QoS), so a lane that routes by them (WebTransport
// datagrams) never decodes a frame again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace laneway::bridge {

// Bytes reserved in front of every frame so a lane can write its own header in place
// (libwebsockets needs LWS_PRE bytes before the payload passed to lws_write). Lanes check
// their requirement against this with a static_assert.
inline constexpr std::size_t kFrameHeadroom = 32;

enum class FrameKind : std::uint8_t {
  kCall,      // a reply, push or error built for one session
  kEnvelope,  // one broker envelope, live
  kGroup,     // a GroupEnvelope (replay, history, or a gap notice)
};

// What the hub knows about a frame when it builds or receives it.
struct FrameLabel {
  FrameKind kind = FrameKind::kCall;
  std::string topic;      // envelopes: their topic
  std::uint32_t qos = 0;  // envelopes: their QoS
};

class FrameBuffer {
 public:
  FrameBuffer(std::string_view frame_bytes, FrameLabel label);
  FrameBuffer(const FrameBuffer&) = delete;
  FrameBuffer& operator=(const FrameBuffer&) = delete;

  std::string_view bytes() const { return std::string_view(storage_).substr(kFrameHeadroom); }
  std::size_t size() const { return storage_.size() - kFrameHeadroom; }
  const FrameLabel& label() const { return label_; }
  bool is_envelope() const { return label_.kind == FrameKind::kEnvelope; }

  // Start of the frame bytes, with kFrameHeadroom writable bytes before it. A lane may
  // scribble its header into the headroom right before handing the buffer to the socket:
  // the event loop is single-threaded and every lane rewrites the headroom before use,
  // so sessions sharing the buffer never see each other's header.
  unsigned char* payload_with_headroom() const {
    return reinterpret_cast<unsigned char*>(storage_.data()) + kFrameHeadroom;
  }

  // Standard padded base64 of the frame (SSE `data:`), computed on first use and then
  // shared by every SSE session.
  const std::string& base64() const;

  // Memory this buffer holds, for queue accounting.
  std::size_t footprint() const { return storage_.size() + base64_.size(); }

 private:
  mutable std::string storage_;  // headroom + frame bytes
  mutable std::string base64_;
  const FrameLabel label_;
};

using SharedFrame = std::shared_ptr<const FrameBuffer>;

inline SharedFrame make_shared_frame(std::string_view bytes, FrameLabel label = {}) {
  return std::make_shared<const FrameBuffer>(bytes, std::move(label));
}

}  // namespace laneway::bridge
