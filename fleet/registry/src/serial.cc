#include "laneway/registry/serial.h"

#include <cctype>

namespace laneway::registry {

std::optional<std::string> normalize_serial(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  std::string out;
  out.reserve(hex.size());
  for (const char c : hex) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (out.empty() && c == '0') continue;  // leading zero
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (out.empty()) {
    // All zeros is the serial 0; no digits at all is not a serial.
    for (const char c : hex) {
      if (c == '0') return std::string("0");
    }
    return std::nullopt;
  }
  return out;
}

}  // namespace laneway::registry
