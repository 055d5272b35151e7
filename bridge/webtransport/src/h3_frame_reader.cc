#include "h3_frame_reader.h"

#include <algorithm>

namespace laneway::webtransport {

std::uint64_t FrameReader::feed(std::string_view chunk, FrameSink& sink) {
  std::size_t pos = 0;
  while (pos < chunk.size() || (state_ == State::kPayload && remaining_ == 0)) {
    switch (state_) {
      case State::kFailed:
        return 0;
      case State::kType:
      case State::kLength: {
        partial_varint_ = true;
        if (!varint_.feed(static_cast<std::uint8_t>(chunk[pos++]))) break;
        partial_varint_ = false;
        const std::uint64_t value = varint_.value();
        varint_.reset();
        if (state_ == State::kType) {
          type_ = value;
          state_ = State::kLength;
          break;
        }
        remaining_ = value;
        if (auto err = sink.on_frame_header(type_, remaining_); err != 0) {
          state_ = State::kFailed;
          return err;
        }
        state_ = State::kPayload;
        break;
      }
      case State::kPayload: {
        if (remaining_ == 0) {
          state_ = State::kType;
          if (auto err = sink.on_frame_end(type_); err != 0) {
            state_ = State::kFailed;
            return err;
          }
          break;
        }
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, chunk.size() - pos));
        remaining_ -= n;
        if (auto err = sink.on_frame_payload(type_, chunk.substr(pos, n)); err != 0) {
          state_ = State::kFailed;
          return err;
        }
        pos += n;
        break;
      }
    }
  }
  return 0;
}

}  // namespace laneway::webtransport
