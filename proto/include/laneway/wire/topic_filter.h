// MQTT topic and topic-filter rules (MQTT v5 §4.7), one implementation for every part: the
// plugin's ACL and envelope mapping, and the bridge's authorization, subscription index and
// history. Allocation-free: the plugin's ACL runs once per delivered message per subscriber.
#pragma once

#include <string_view>

namespace laneway::wire {

// A publishable topic: non-empty, at most 65535 bytes, no `+`, `#` or NUL.
bool is_valid_topic(std::string_view topic);

// A filter: non-empty, at most 65535 bytes, no NUL, `+` only as a whole level, `#` only as
// the whole last level.
bool is_valid_filter(std::string_view filter);

// True when `topic` matches `filter`. `a/#` matches `a`; a filter whose first level is a
// wildcard never matches a topic starting with `$` (MQTT v5 §4.7.2).
bool topic_matches(std::string_view filter, std::string_view topic);

// True when every topic `inner` (a topic or a filter) can match is also matched by `outer`.
// A concrete topic is a filter matching itself, so this is also the publish check. Empty
// input covers and is covered by nothing.
bool filter_covers(std::string_view outer, std::string_view inner);

// True when some topic is matched by both filters.
bool filters_intersect(std::string_view a, std::string_view b);

// For `$share/<group>/<filter>` returns `<filter>`; otherwise `filter` unchanged. An
// ill-formed share (no group or no filter) yields an empty view, which nothing covers.
std::string_view strip_shared_subscription(std::string_view filter);

}  // namespace laneway::wire
