// Who a connected client is, as the ACL sees it: role, name, identity (the forced MQTT
// username) and, for devices, the registry groups. Built once per identity and cached.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace laneway::plugin {

// Roles come from the certificate's OU (docs/contracts.md). `server` certificates are never
// clients, so they have no role here.
enum class Role { kDevice, kBridge, kOperator, kClaim, kEdge };

const char* to_string(Role role);
std::optional<Role> parse_role(std::string_view ou);

// The MQTT username the plugin forces: the CN for devices, `<role>:<CN>` otherwise.
std::string make_identity(Role role, std::string_view name);

// Inverse of make_identity: role and name from a username the plugin set. nullopt for a
// username the plugin would never have set.
struct ParsedIdentity {
  Role role;
  std::string_view name;
};
std::optional<ParsedIdentity> parse_identity(std::string_view identity);

struct Principal {
  Role role = Role::kDevice;
  std::string name;      // CN
  std::string identity;  // forced username, also the envelope origin
  std::vector<std::string> groups;
  // The ACL rules of this principal as topic filters (see acl_rules.h); claims add their
  // per-connection topics on the fly.
  std::vector<std::string> publish_filters;
  std::vector<std::string> subscribe_filters;
};

}  // namespace laneway::plugin
