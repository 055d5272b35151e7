#include "laneway/wire/length_prefix.h"

#include <algorithm>

namespace laneway::wire {

namespace {
// A varint of a 64-bit value takes at most 10 bytes.
constexpr unsigned kMaxVarintBytes = 10;
}  // namespace

void append_length_prefixed(std::string_view record, std::string& out) {
  std::uint64_t n = record.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out.append(record);
}

bool LengthPrefixDecoder::take_length_byte(std::uint8_t byte) {
  if (length_bytes_ == kMaxVarintBytes - 1 && byte > 1) {
    error_ = WireError::kBadLength;  // the 10th byte may only carry bit 63
    return false;
  }
  length_ |= static_cast<std::uint64_t>(byte & 0x7f) << length_shift_;
  length_shift_ += 7;
  ++length_bytes_;
  if (byte & 0x80) {
    if (length_bytes_ == kMaxVarintBytes) {
      error_ = WireError::kBadLength;
      return false;
    }
    return true;
  }
  // Checked as soon as the prefix is complete, so an oversized record is refused before a
  // single byte of it is buffered.
  if (length_ > max_record_bytes_) {
    error_ = WireError::kTooLarge;
    return false;
  }
  state_ = State::kReadingRecord;
  return true;
}

WireError LengthPrefixDecoder::feed(std::string_view chunk, const RecordHandler& on_record) {
  if (error_ != WireError::kOk) return error_;
  while (!chunk.empty() || (state_ == State::kReadingRecord && length_ == 0)) {
    if (state_ == State::kReadingLength) {
      const auto byte = static_cast<std::uint8_t>(chunk.front());
      chunk.remove_prefix(1);
      if (!take_length_byte(byte)) return error_;
      continue;
    }
    const std::size_t want = static_cast<std::size_t>(length_) - partial_.size();
    if (partial_.empty() && chunk.size() >= want) {
      // Whole record inside this chunk: hand it over without copying.
      on_record(chunk.substr(0, want));
      chunk.remove_prefix(want);
    } else {
      const std::size_t take = std::min(want, chunk.size());
      partial_.append(chunk.data(), take);
      chunk.remove_prefix(take);
      if (partial_.size() < length_) break;
      on_record(partial_);
      partial_.clear();
    }
    state_ = State::kReadingLength;
    length_ = 0;
    length_shift_ = 0;
    length_bytes_ = 0;
  }
  return WireError::kOk;
}

WireError LengthPrefixDecoder::finish() const {
  if (error_ != WireError::kOk) return error_;
  if (state_ == State::kReadingRecord || length_bytes_ > 0) return WireError::kTruncated;
  return WireError::kOk;
}

}  // namespace laneway::wire
