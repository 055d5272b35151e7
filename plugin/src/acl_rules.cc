#include "acl_rules.h"

#include <algorithm>

#include "laneway/wire/topic_filter.h"

namespace laneway::plugin {
namespace {

constexpr std::string_view kInboundPrefix = "$lw/in/";

bool any_covers(const std::vector<std::string>& filters, std::string_view inner) {
  return std::any_of(filters.begin(), filters.end(),
                     [&](const std::string& outer) { return wire::filter_covers(outer, inner); });
}

}  // namespace

bool is_valid_claim_client_id(std::string_view client_id) {
  if (client_id.empty() || client_id.size() > 128) return false;
  return std::all_of(client_id.begin(), client_id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

void build_acl_filters(Principal& p) {
  p.publish_filters.clear();
  p.subscribe_filters.clear();
  switch (p.role) {
    case Role::kDevice:
      p.publish_filters = {"devices/" + p.name + "/#"};
      p.subscribe_filters = {"devices/" + p.name + "/#", "broadcast/#"};
      for (const auto& group : p.groups) p.subscribe_filters.push_back("fleet/" + group + "/#");
      break;
    case Role::kOperator:
      p.publish_filters = {"fleet/#", "broadcast/#", "devices/+/rpc/#", "provision/#"};
      p.subscribe_filters = {"devices/#",   "fleet/#",   "broadcast/#",
                             "provision/#", "$lw/env/#", "$lw/presence/#"};
      break;
    case Role::kBridge:
      p.publish_filters = {"$lw/in/#", "devices/+/rpc/#"};
      p.subscribe_filters = {"$lw/env/#", "$lw/presence/#", "devices/+/rpc-reply/#"};
      break;
    case Role::kClaim:
      break;  // per connection: depends on the client id
    case Role::kEdge:
      p.publish_filters = {"devices/#", "provision/#", "$lw/cluster/edge/" + p.name + "/#"};
      p.subscribe_filters = {"broadcast/#",       "fleet/#",
                             "devices/+/rpc/#",   "devices/+/cmd/#",
                             "provision/#",       "$lw/cluster/registry/#",
                             "$lw/cluster/crl",   "$lw/cluster/heartbeat",
                             "$lw/cluster/edge/#"};
      break;
  }
}

bool acl_allows(const Principal& p, std::string_view client_id, Access access,
                std::string_view topic) {
  if (access == Access::kUnsubscribe) return true;  // dropping access is always fine
  if (access == Access::kSubscribe) {
    topic = wire::strip_shared_subscription(topic);
    if (!wire::is_valid_filter(topic)) return false;
  }
  // Inbound envelopes are consumed by the plugin; nobody reads them, whatever the filter.
  if (access == Access::kRead && topic.substr(0, kInboundPrefix.size()) == kInboundPrefix)
    return false;

  if (p.role == Role::kClaim) {
    if (!is_valid_claim_client_id(client_id)) return false;
    std::string own = "provision/";
    own += p.name;
    own += '/';
    own += client_id;
    own += "/#";
    return wire::filter_covers(own, topic);
  }
  const auto& filters = access == Access::kWrite ? p.publish_filters : p.subscribe_filters;
  return any_covers(filters, topic);
}

}  // namespace laneway::plugin
