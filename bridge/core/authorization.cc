#include "authorization.h"

#include <algorithm>
#include <vector>

#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {
namespace {

bool covered_by_any(const std::vector<std::string>& allowed, const std::string& filter) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return wire::filter_covers(a, filter); });
}

bool matched_by_any(const std::vector<std::string>& allowed, const std::string& topic) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return wire::topic_matches(a, topic); });
}

bool intersects_any(const std::vector<std::string>& allowed, const std::string& filter) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return wire::filters_intersect(a, filter); });
}

}  // namespace

bool origin_allowed(const AppConfig& app, const std::string& origin) {
  // No Origin header: a same-origin GET from a browser or a non-browser client (which could
  // send any Origin it likes anyway). Origin checks stop other sites' pages, which always
  // carry their Origin on WebSocket and cross-origin requests.
  if (origin.empty()) return true;
  return std::any_of(app.origins.begin(), app.origins.end(),
                     [&](const std::string& o) { return o == "*" || o == origin; });
}

v1::ErrorCode check_subscribe(const Session& s, const std::string& filter) {
  if (!wire::is_valid_filter(filter) || filter.front() == '$') return v1::ERROR_CODE_BAD_REQUEST;
  if (!covered_by_any(s.app->subscribe, filter)) return v1::ERROR_CODE_FORBIDDEN;
  if (s.claims.subscribe_claimed && !covered_by_any(s.claims.subscribe, filter)) {
    return v1::ERROR_CODE_FORBIDDEN;
  }
  return v1::ERROR_CODE_UNSPECIFIED;
}

bool may_read_topic(const Session& s, const std::string& topic) {
  return matched_by_any(s.app->subscribe, topic) &&
         (!s.claims.subscribe_claimed || matched_by_any(s.claims.subscribe, topic));
}

bool may_publish(const Session& s, const std::string& topic) {
  return matched_by_any(s.app->publish, topic) &&
         (!s.claims.publish_claimed || matched_by_any(s.claims.publish, topic));
}

bool may_call(const Session& s, const std::string& request_topic) {
  return matched_by_any(s.app->rpc, request_topic) &&
         (!s.claims.rpc_claimed || matched_by_any(s.claims.rpc, request_topic));
}

bool may_see_device(const Session& s, const std::string& device_id) {
  const std::string scope = "devices/" + device_id + "/#";
  return intersects_any(s.app->subscribe, scope) &&
         (!s.claims.subscribe_claimed || intersects_any(s.claims.subscribe, scope));
}

}  // namespace laneway::bridge
