// Errors every wire decoder returns. Decoders never throw and never crash on input: a bad
// buffer is a value of this enum, and the caller decides whether to drop or close.
#pragma once

#include <cstddef>

namespace laneway::wire {

enum class WireError {
  kOk = 0,
  kTooLarge,        // a frame (or its declared length) is over the configured maximum
  kBadLength,       // a length prefix is not a valid varint (over 10 bytes or over 64 bits)
  kMalformedFrame,  // bytes do not parse as a laneway.v1.Frame, or no kind is set
  kBadBase64,       // an SSE data line is not canonical base64
  kTruncated,       // input ended inside a frame (only reported when the caller says so)
};

// Short, stable, human-readable text for logs and typed errors.
const char* describe(WireError error);

// Largest frame accepted or produced, in bytes. 1 MiB unless configured otherwise.
inline constexpr std::size_t kDefaultMaxFrameBytes = std::size_t{1} << 20;

}  // namespace laneway::wire
