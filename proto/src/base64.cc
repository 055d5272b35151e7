#include "laneway/wire/base64.h"

#include <array>
#include <cstdint>

namespace laneway::wire {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_reverse_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(kInvalid);
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}
constexpr auto kReverse = make_reverse_table();

}  // namespace

void base64_encode(std::string_view bytes, std::string& out) {
  out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return;
  const std::uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
  out.push_back(kAlphabet[v >> 18]);
  out.push_back(kAlphabet[(v >> 12) & 63]);
  out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
  out.push_back('=');
}

WireError base64_decode(std::string_view text, std::string& out, std::size_t max_decoded_bytes) {
  out.clear();
  if (text.size() % 4 != 0) return WireError::kBadBase64;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t decoded = text.size() / 4 * 3 - pad;
  if (decoded > max_decoded_bytes) return WireError::kTooLarge;
  out.reserve(decoded);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t data_chars = last ? 4 - pad : 4;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      std::uint8_t d = 0;
      if (k < data_chars) {
        d = kReverse[static_cast<unsigned char>(text[i + k])];
        if (d == kInvalid) {
          out.clear();
          return WireError::kBadBase64;
        }
      }
      v = v << 6 | d;
    }
    // Canonical form: the bits under the padding must be zero, so every byte string has
    // exactly one accepted encoding.
    if (last && ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))) {
      out.clear();
      return WireError::kBadBase64;
    }
    out.push_back(static_cast<char>(v >> 16));
    if (data_chars > 2) out.push_back(static_cast<char>((v >> 8) & 0xff));
    if (data_chars > 3) out.push_back(static_cast<char>(v & 0xff));
  }
  return WireError::kOk;
}

}  // namespace laneway::wire
