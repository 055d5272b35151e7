#include "laneway/wire/origin.h"

namespace laneway::wire {

bool is_valid_app_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string browser_origin(std::string_view app_id, std::string_view subject) {
  std::string origin;
  origin.reserve(kBrowserOriginPrefix.size() + app_id.size() + 1 + subject.size());
  origin.append(kBrowserOriginPrefix).append(app_id).append(1, ':').append(subject);
  return origin;
}

bool is_browser_origin(std::string_view origin) {
  if (origin.substr(0, kBrowserOriginPrefix.size()) != kBrowserOriginPrefix) return false;
  const std::string_view rest = origin.substr(kBrowserOriginPrefix.size());
  const auto colon = rest.find(':');
  return colon != std::string_view::npos && is_valid_app_id(rest.substr(0, colon)) &&
         colon + 1 < rest.size();
}

}  // namespace laneway::wire
