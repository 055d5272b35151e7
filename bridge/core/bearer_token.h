// The admin listener's bearer token check (docs/bridge.md "The admin listener"): the
// request's Authorization header against the configured token, in time that depends on
// neither how much of the token matched nor its length.
#pragma once

#include <string_view>

namespace laneway::bridge {

// True when `authorization` is "Bearer <token>" (scheme case-insensitive, RFC 6750) and
// <token> equals `expected`. An empty `expected` matches nothing.
bool bearer_token_matches(std::string_view authorization, std::string_view expected);

// RFC 6750 b64token characters, which a configured token is limited to so it can be sent
// in a header as it is.
bool is_bearer_token_syntax(std::string_view token);

}  // namespace laneway::bridge
