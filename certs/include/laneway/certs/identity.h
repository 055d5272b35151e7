// Names that end up in certificate subjects, MQTT topics and file names: the roles the
// plugin understands and the character policy for ids, groups and server names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "laneway/certs/result.h"

namespace laneway::certs {

enum class Role { kDevice, kBridge, kOperator, kEdge, kClaim, kServer };

std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view name);

inline constexpr std::size_t kMaxIdLength = 64;

// 1..64 characters of [A-Za-z0-9._-]: safe as an MQTT topic level (never / + # or NUL), as
// a file name, and inside a certificate subject. `what` names the value in the error
// ("device id", "group", ...).
Status validate_id(std::string_view id, std::string_view what);

// The identity the plugin derives from a certificate: CN for devices, "<role>:<CN>" else.
std::string identity_of(Role role, std::string_view id);

}  // namespace laneway::certs
