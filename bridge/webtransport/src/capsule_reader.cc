#include "capsule_reader.h"

#include <algorithm>

#include "h3_constants.h"

namespace laneway::webtransport {

std::uint64_t CapsuleReader::feed(std::string_view data) {
  std::size_t pos = 0;
  while (pos < data.size() || (state_ == State::kPayload && remaining_ == 0)) {
    if (state_ == State::kType || state_ == State::kLength) {
      if (!varint_.feed(static_cast<std::uint8_t>(data[pos++]))) continue;
      const std::uint64_t value = varint_.value();
      varint_.reset();
      if (state_ == State::kType) {
        type_ = value;
        state_ = State::kLength;
        continue;
      }
      remaining_ = value;
      if (type_ == h3::kCapsuleCloseWebTransportSession &&
          (remaining_ < 4 || remaining_ > 4 + kMaxReasonBytes)) {
        return h3::kMessageError;
      }
      payload_.clear();
      state_ = State::kPayload;
      continue;
    }
    // kPayload
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - pos));
    if (type_ == h3::kCapsuleCloseWebTransportSession) payload_.append(data.substr(pos, n));
    pos += n;
    remaining_ -= n;
    if (remaining_ != 0) continue;
    if (type_ == h3::kCapsuleCloseWebTransportSession) {
      CloseCapsule capsule;
      for (int i = 0; i < 4; ++i) {
        capsule.error_code = (capsule.error_code << 8) | static_cast<std::uint8_t>(payload_[i]);
      }
      capsule.reason = payload_.substr(4);
      close_ = std::move(capsule);
    }
    state_ = State::kType;
  }
  return 0;
}

}  // namespace laneway::webtransport
