#include "ws_message.h"

namespace laneway::bridge {

MessageAssembler::Result MessageAssembler::add(std::string_view piece, bool first, bool last,
                                               bool binary) {
  if (first) {
    rx_.clear();
    too_large_ = false;
    text_ = !binary;
  }
  if (!too_large_) {
    if (rx_.size() + piece.size() > max_bytes_) {
      too_large_ = true;
      release();
    } else {
      rx_.append(piece);
    }
  }
  if (!last) return Result::kIncomplete;
  if (too_large_) return Result::kTooLarge;
  return text_ ? Result::kText : Result::kBinary;
}

void append_ws_frame(std::string& out, std::string_view payload) {
  out.push_back(static_cast<char>(0x82));  // FIN + binary
  const std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    out.push_back(126);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  }
  out.append(payload);
}

}  // namespace laneway::bridge
