#include "laneway/wire/frame_codec.h"

#include <limits>

namespace laneway::wire {

WireError encode_frame(const v1::Frame& frame, std::string& out, std::size_t max_frame_bytes) {
  out.clear();
  if (frame.kind_case() == v1::Frame::KIND_NOT_SET) return WireError::kMalformedFrame;
  // ByteSizeLong is computed once and cached by protobuf, so checking it first costs
  // nothing extra when SerializeToString follows.
  if (frame.ByteSizeLong() > max_frame_bytes) return WireError::kTooLarge;
  if (!frame.SerializeToString(&out)) {
    out.clear();
    return WireError::kMalformedFrame;
  }
  return WireError::kOk;
}

WireError decode_frame(std::string_view bytes, v1::Frame& frame, std::size_t max_frame_bytes) {
  frame.Clear();
  if (bytes.size() > max_frame_bytes) return WireError::kTooLarge;
  // ParseFromArray takes an int size; the limit above keeps realistic sizes far below it,
  // but a caller may configure a huge limit.
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return WireError::kTooLarge;
  if (!frame.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      frame.kind_case() == v1::Frame::KIND_NOT_SET) {
    frame.Clear();
    return WireError::kMalformedFrame;
  }
  return WireError::kOk;
}

}  // namespace laneway::wire
