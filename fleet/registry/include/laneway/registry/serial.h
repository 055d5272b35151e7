// Certificate serials as the registry, the CRL watcher and laneway-certs compare them:
// lowercase hex, no leading zeros ("0" for zero). Any case and leading zeros are accepted
// on input, so `0A1B` and `a1b` are the same serial.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace laneway::registry {

// Normalized form of a hex serial, or nullopt when `hex` is empty or not hex (an optional
// `0x` prefix and `:` separators are tolerated).
std::optional<std::string> normalize_serial(std::string_view hex);

}  // namespace laneway::registry
