// Bearer credentials (RFC 6750) in an Authorization header: the admin listener's token
// check (docs/bridge.md "The admin listener"), in time that depends on neither how much of
// the token matched nor its length, and the JWT a POST /v1/call on a session carries
// (docs/bridge.md "SSE attach tickets").
#pragma once

#include <optional>
#include <string_view>

namespace laneway::bridge {

// The credentials of "Bearer <credentials>" (scheme case-insensitive, surrounding spaces
// dropped), or nullopt for another scheme or none.
std::optional<std::string_view> bearer_credentials(std::string_view authorization);

// True when `authorization` is "Bearer <token>" (scheme case-insensitive, RFC 6750) and
// <token> equals `expected`. An empty `expected` matches nothing.
bool bearer_token_matches(std::string_view authorization, std::string_view expected);

// RFC 6750 b64token characters, which a configured token is limited to so it can be sent
// in a header as it is.
bool is_bearer_token_syntax(std::string_view token);

}  // namespace laneway::bridge
