#include "varint.h"

namespace laneway::webtransport {

std::size_t varint_size(std::uint64_t value) {
  if (value < 64) return 1;
  if (value < 16384) return 2;
  if (value < 1073741824) return 4;
  return 8;
}

void append_varint(std::uint64_t value, std::string& out) {
  const std::size_t size = varint_size(value);
  // The two high bits of the first byte carry log2(size).
  const std::uint8_t prefix = size == 1 ? 0x00 : size == 2 ? 0x40 : size == 4 ? 0x80 : 0xc0;
  for (std::size_t i = 0; i < size; ++i) {
    auto byte = static_cast<std::uint8_t>(value >> (8 * (size - 1 - i)));
    if (i == 0) byte = static_cast<std::uint8_t>((byte & 0x3f) | prefix);
    out.push_back(static_cast<char>(byte));
  }
}

std::size_t decode_varint(const std::uint8_t* data, std::size_t len, std::uint64_t* value) {
  if (len == 0) return 0;
  const std::size_t size = std::size_t{1} << (data[0] >> 6);
  if (len < size) return 0;
  std::uint64_t v = data[0] & 0x3f;
  for (std::size_t i = 1; i < size; ++i) v = (v << 8) | data[i];
  *value = v;
  return size;
}

bool VarintReader::feed(std::uint8_t byte) {
  if (needed_ == 0) {
    needed_ = std::size_t{1} << (byte >> 6);
    value_ = byte & 0x3f;
  } else {
    value_ = (value_ << 8) | byte;
  }
  return ++have_ == needed_;
}

}  // namespace laneway::webtransport
