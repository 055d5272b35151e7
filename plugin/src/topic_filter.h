// MQTT topic-filter arithmetic for the ACL and the envelope mapping. Allocation-free: the
// ACL runs once per delivered message per subscriber.
#pragma once

#include <string_view>

namespace laneway::plugin {

// True when every topic matched by `inner` (a topic or a filter) is also matched by
// `outer` (a filter). A concrete topic is a filter matching itself, so this is also the
// publish/delivery check. Follows MQTT: `a/#` matches `a`; a leading wildcard never
// matches a topic starting with `$`.
bool filter_covers(std::string_view outer, std::string_view inner);

// Topic (publish) name: non-empty, no `+` or `#`, no NUL.
bool is_valid_topic(std::string_view topic);
// Subscription filter: non-empty, `#` only as a whole last level, `+` only as a whole level.
bool is_valid_filter(std::string_view filter);

// For `$share/<group>/<filter>` returns `<filter>`; otherwise `filter` unchanged. An
// ill-formed share (no group or no filter) yields an empty view, which no rule covers.
std::string_view strip_shared_subscription(std::string_view filter);

}  // namespace laneway::plugin
