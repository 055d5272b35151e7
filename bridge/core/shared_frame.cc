#include "shared_frame.h"

#include <utility>

#include "laneway/wire/base64.h"

namespace laneway::bridge {

FrameBuffer::FrameBuffer(std::string_view frame_bytes, FrameLabel label)
    : label_(std::move(label)) {
  storage_.reserve(kFrameHeadroom + frame_bytes.size());
  storage_.assign(kFrameHeadroom, '\0');
  storage_.append(frame_bytes);
}

const std::string& FrameBuffer::base64() const {
  if (base64_.empty() && size() > 0) wire::base64_encode(bytes(), base64_);
  return base64_;
}

}  // namespace laneway::bridge
