// QUIC variable-length integers (RFC 9000 §16), used by every HTTP/3 and WebTransport
// framing layer: stream types, frame types and lengths, session ids, capsules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace laneway::webtransport {

inline constexpr std::uint64_t kMaxVarint = (std::uint64_t{1} << 62) - 1;

// Appends the shortest encoding of `value` (must be <= kMaxVarint) to `out`.
void append_varint(std::uint64_t value, std::string& out);

// Encoded size of `value`: 1, 2, 4 or 8 bytes.
std::size_t varint_size(std::uint64_t value);

// Decodes one varint from a complete buffer. Returns the bytes consumed, or 0 when the
// buffer ends before the varint does.
std::size_t decode_varint(const std::uint8_t* data, std::size_t len, std::uint64_t* value);

// Incremental decoder for varints split across stream chunks: feed bytes one at a time
// until `feed` returns true, then read value(). Holds at most 8 bytes.
class VarintReader {
 public:
  // Consumes one byte; true once the varint is complete.
  bool feed(std::uint8_t byte);
  std::uint64_t value() const { return value_; }
  void reset() { *this = VarintReader(); }

 private:
  std::uint64_t value_ = 0;
  std::size_t needed_ = 0;  // total bytes of this varint, 0 before the first byte
  std::size_t have_ = 0;
};

}  // namespace laneway::webtransport
