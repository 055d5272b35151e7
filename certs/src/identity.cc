#include "laneway/certs/identity.h"

#include <array>

namespace laneway::certs {
namespace {

struct RoleName {
  Role role;
  std::string_view name;
};
constexpr std::array<RoleName, 6> kRoles{{{Role::kDevice, "device"},
                                          {Role::kBridge, "bridge"},
                                          {Role::kOperator, "operator"},
                                          {Role::kEdge, "edge"},
                                          {Role::kClaim, "claim"},
                                          {Role::kServer, "server"}}};

bool allowed_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

}  // namespace

std::string_view role_name(Role role) {
  for (const auto& r : kRoles) {
    if (r.role == role) return r.name;
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
  for (const auto& r : kRoles) {
    if (r.name == name) return r.role;
  }
  return std::nullopt;
}

Status validate_id(std::string_view id, std::string_view what) {
  if (id.empty())
    return make_error(std::string(what) +
                      " is empty: give 1 to 64 characters of A-Z a-z 0-9 . _ -");
  if (id.size() > kMaxIdLength) {
    return make_error(std::string(what) + " '" + printable(id) + "...' is " +
                      std::to_string(id.size()) + " characters long: the limit is 64");
  }
  for (char c : id) {
    if (!allowed_id_char(c)) {
      return make_error(std::string(what) + " '" + printable(id) +
                        "' has a character that is not allowed: use only A-Z a-z 0-9 . _ - "
                        "(never / + # or NUL, which break MQTT topics)");
    }
  }
  if (id == "." || id == "..") {
    return make_error(std::string(what) + " '" + std::string(id) +
                      "' is not allowed: pick a real name");
  }
  return ok_status();
}

std::string identity_of(Role role, std::string_view id) {
  if (role == Role::kDevice) return std::string(id);
  return std::string(role_name(role)) + ":" + std::string(id);
}

}  // namespace laneway::certs
