// Writing a device's credentials the way laneway-certs does: temp file, fsync, rename, so a
// reader (or a crash) never sees half a key or certificate. Keys get mode 0600.
#pragma once

#include <string>

namespace laneway::fleet {

bool write_file_atomically(const std::string& path, const std::string& content, unsigned mode,
                           std::string* error);

}  // namespace laneway::fleet
