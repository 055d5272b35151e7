#include "frame_encoding.h"

#include <string>

#include "laneway/wire/frame_codec.h"

namespace laneway::bridge {
namespace {

SharedFrame encode(const v1::Frame& frame, FrameKind kind) {
  std::string bytes;
  // Frames the bridge builds itself are bounded by construction; the generous limit only
  // guards against a bug turning into an unbounded allocation.
  if (wire::encode_frame(frame, bytes, std::size_t{64} << 20) != wire::WireError::kOk) {
    return nullptr;
  }
  return make_shared_frame(bytes, FrameLabel{kind, {}, 0});
}

}  // namespace

SharedFrame encode_call(const v1::CallFrame& call) {
  v1::Frame frame;
  *frame.mutable_call() = call;
  return encode(frame, FrameKind::kCall);
}

SharedFrame encode_group(const v1::Frame& group_frame) {
  return encode(group_frame, FrameKind::kGroup);
}

}  // namespace laneway::bridge
