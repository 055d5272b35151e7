// Encoding and decoding of one laneway.v1.Frame with a hard size limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "laneway.pb.h"
#include "laneway/wire/error.h"

namespace laneway::wire {

// Serializes `frame` into `out` (replacing its contents). Fails with kTooLarge when the
// encoding would exceed `max_frame_bytes`, and kMalformedFrame when no kind is set; `out` is
// then left empty.
WireError encode_frame(const v1::Frame& frame, std::string& out,
                       std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

// Parses `bytes` into `frame`. Rejects input over `max_frame_bytes` before parsing, bytes
// protobuf cannot parse, and frames with no kind set.
WireError decode_frame(std::string_view bytes, v1::Frame& frame,
                       std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

}  // namespace laneway::wire
