// Incremental HTTP/3 frame parser: `type varint, length varint, payload`, fed stream
// chunks of any size. It never buffers payload itself; it reports each frame's header and
// payload pieces to a FrameSink, which decides what to keep (and how much).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "varint.h"

namespace laneway::webtransport {

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // A frame header was read. Return 0 to continue or an H3 error code to stop the stream
  // (for example kExcessiveLoad when `length` is over the limit for `type`).
  virtual std::uint64_t on_frame_header(std::uint64_t type, std::uint64_t length) = 0;
  // A piece of the current frame's payload (never more than the declared length).
  virtual std::uint64_t on_frame_payload(std::uint64_t type, std::string_view piece) = 0;
  // The current frame's payload is complete (also called for zero-length frames).
  virtual std::uint64_t on_frame_end(std::uint64_t type) = 0;
};

class FrameReader {
 public:
  // Feeds a chunk; returns 0 or the first error code the sink returned. After an error the
  // reader stays failed and ignores further input.
  std::uint64_t feed(std::string_view chunk, FrameSink& sink);

  // True between frames (a FIN here is a clean end of stream).
  bool at_frame_boundary() const { return state_ == State::kType && !partial_varint_; }

 private:
  enum class State { kType, kLength, kPayload, kFailed };
  State state_ = State::kType;
  VarintReader varint_;
  bool partial_varint_ = false;
  std::uint64_t type_ = 0;
  std::uint64_t remaining_ = 0;
};

}  // namespace laneway::webtransport
