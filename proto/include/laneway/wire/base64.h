// Standard base64 (RFC 4648 §4, with padding) for SSE `data:` lines, which must be text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "laneway/wire/error.h"

namespace laneway::wire {

// Length of the padded base64 of `n` bytes.
constexpr std::size_t base64_size(std::size_t n) {
  return (n + 2) / 3 * 4;
}

// Appends the base64 of `bytes` to `out`.
void base64_encode(std::string_view bytes, std::string& out);

// Decodes canonical padded base64 into `out` (replacing its contents). Rejects characters
// outside the alphabet, bad padding, non-zero pad bits and input whose decoded size would
// exceed `max_decoded_bytes`; `out` is then left empty.
WireError base64_decode(std::string_view text, std::string& out,
                        std::size_t max_decoded_bytes = kDefaultMaxFrameBytes);

}  // namespace laneway::wire
