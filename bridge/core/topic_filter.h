// MQTT topic and topic-filter rules (MQTT v5 §4.7), shared by authorization, the
// subscription index and history lookups.
#pragma once

#include <string_view>

namespace laneway::bridge {

// A publishable topic: non-empty, at most 65535 bytes, no `+`, `#` or NUL.
bool is_valid_topic(std::string_view topic);

// A filter: non-empty, no NUL, `+` only as a whole level, `#` only as the whole last level.
bool is_valid_filter(std::string_view filter);

// True when `topic` matches `filter`. A filter whose first level is a wildcard never
// matches a topic starting with `$` (MQTT v5 §4.7.2). Both must be valid.
bool topic_matches(std::string_view filter, std::string_view topic);

// True when every topic `inner` can match is also matched by `outer` (filter containment).
// Used to decide whether a client's requested filter stays inside what it is allowed.
bool filter_covers(std::string_view outer, std::string_view inner);

// True when some topic is matched by both filters.
bool filters_intersect(std::string_view a, std::string_view b);

}  // namespace laneway::bridge
