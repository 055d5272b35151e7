// The envelope `origin` of a browser publish (docs/wire.md "Origins"): `app:<app id>:<sub>`.
// Certificate identities are `<device id>` or `<role>:<name>` with a role among device,
// operator, bridge, claim, edge; "app" is none of them, so no app id or JWT subject can
// spell another principal's identity (an app called `operator` yields `app:operator:alice`,
// never `operator:alice`). App ids are restricted to is_valid_app_id, so the first `:`
// after the prefix always ends the app id.
#pragma once

#include <string>
#include <string_view>

namespace laneway::wire {

inline constexpr std::string_view kBrowserOriginPrefix = "app:";

// 1..64 of [A-Za-z0-9._-], the same alphabet as certificate names.
bool is_valid_app_id(std::string_view id);

std::string browser_origin(std::string_view app_id, std::string_view subject);

// True for `app:<valid app id>:<non-empty subject>`: what a bridge may vouch for.
bool is_browser_origin(std::string_view origin);

}  // namespace laneway::wire
