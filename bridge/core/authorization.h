// What a session may do, from its app's configuration and its token's claims: one place for
// every check the hub makes (docs/bridge.md "Authentication and authorization"). A claim list in
// the token
// (`sub`, `pub`, `rpc`) narrows the app's list; it never widens it.
#pragma once

#include <string>

#include "config.h"
#include "laneway.pb.h"
#include "session.h"

namespace laneway::bridge {

// Whether a request carrying `origin` (empty = no Origin header) may use `app`.
bool origin_allowed(const AppConfig& app, const std::string& origin);

// OK (ERROR_CODE_UNSPECIFIED) or the error to answer a subscription to `filter` with: a
// filter is allowed only if every topic it can match is.
v1::ErrorCode check_subscribe(const Session& s, const std::string& filter);
bool may_read_topic(const Session& s, const std::string& topic);
bool may_publish(const Session& s, const std::string& topic);
bool may_call(const Session& s, const std::string& request_topic);
// Presence: a device is visible when the session may read some topic under devices/<id>/.
bool may_see_device(const Session& s, const std::string& device_id);

}  // namespace laneway::bridge
