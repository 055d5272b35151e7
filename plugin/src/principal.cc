#include "principal.h"

namespace laneway::plugin {

const char* to_string(Role role) {
  switch (role) {
    case Role::kDevice:
      return "device";
    case Role::kBridge:
      return "bridge";
    case Role::kOperator:
      return "operator";
    case Role::kClaim:
      return "claim";
    case Role::kEdge:
      return "edge";
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view ou) {
  if (ou == "device") return Role::kDevice;
  if (ou == "bridge") return Role::kBridge;
  if (ou == "operator") return Role::kOperator;
  if (ou == "claim") return Role::kClaim;
  if (ou == "edge") return Role::kEdge;
  return std::nullopt;
}

std::string make_identity(Role role, std::string_view name) {
  if (role == Role::kDevice) return std::string(name);
  std::string identity = to_string(role);
  identity += ':';
  identity += name;
  return identity;
}

std::optional<ParsedIdentity> parse_identity(std::string_view identity) {
  const auto colon = identity.find(':');
  if (colon == std::string_view::npos) {
    if (identity.empty()) return std::nullopt;
    return ParsedIdentity{Role::kDevice, identity};
  }
  const auto role = parse_role(identity.substr(0, colon));
  if (!role || *role == Role::kDevice || colon + 1 == identity.size()) return std::nullopt;
  return ParsedIdentity{*role, identity.substr(colon + 1)};
}

}  // namespace laneway::plugin
