// One encoded laneway.v1.Frame whose bytes are shared, refcounted, by every session that
// delivers it: fan-out never copies or re-encodes a frame per session.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace laneway::bridge {

// Bytes reserved in front of every frame so a lane can write its own header in place
// (libwebsockets needs LWS_PRE bytes before the payload passed to lws_write). Lanes check
// their requirement against this with a static_assert.
inline constexpr std::size_t kFrameHeadroom = 32;

class FrameBuffer {
 public:
  explicit FrameBuffer(std::string_view frame_bytes);
  FrameBuffer(const FrameBuffer&) = delete;
  FrameBuffer& operator=(const FrameBuffer&) = delete;

  std::string_view bytes() const { return std::string_view(storage_).substr(kFrameHeadroom); }
  std::size_t size() const { return storage_.size() - kFrameHeadroom; }

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
};

using SharedFrame = std::shared_ptr<const FrameBuffer>;

inline SharedFrame make_shared_frame(std::string_view bytes) {
  return std::make_shared<const FrameBuffer>(bytes);
}

}  // namespace laneway::bridge
