// The default ACL (docs/plugin.md "ACL"), as data: each role's topic filters for publishing and for
// subscribing/receiving. docs/plugin.md has the same table for operators.
//
//   device   <id>       publish   devices/<id>/#
//                       subscribe devices/<id>/#, fleet/<group>/# (each registry group),
//                                 broadcast/#
//   operator:<name>     publish   fleet/#, broadcast/#, devices/+/rpc/#, provision/#
//                       subscribe devices/#, fleet/#, broadcast/#, provision/#,
//                                 $lw/env/#, $lw/presence/#
//   bridge:<name>       publish   $lw/in/#, devices/+/rpc/#
//                       subscribe $lw/env/#, $lw/presence/#, devices/+/rpc-reply/#
//   claim:<batch>       publish   provision/<batch>/<client id>/#
//                       subscribe provision/<batch>/<client id>/#
//   edge:<name>         publish   devices/#, provision/# (each message vouched for by its
//                                 origin, checked again in cluster_inbound.cc),
//                                 $lw/cluster/edge/<name>/#
//                       subscribe broadcast/#, fleet/#, devices/+/rpc/#, devices/+/cmd/#,
//                                 provision/#,
//                                 $lw/cluster/registry/#, $lw/cluster/crl,
//                                 $lw/cluster/heartbeat, $lw/cluster/edge/#
//
// Nobody receives `$lw/in/#` (inbound envelopes are re-published by the plugin) and only
// the plugin publishes `$lw/env/#` and `$lw/presence/#`.
#pragma once

#include <string_view>

#include "principal.h"

namespace laneway::plugin {

enum class Access { kRead, kWrite, kSubscribe, kUnsubscribe };

// Fills principal.publish_filters / subscribe_filters from its role, name and groups.
void build_acl_filters(Principal& principal);

// The ACL decision. `topic` is the topic (read/write) or the filter (subscribe,
// `$share/<group>/` prefix allowed). `client_id` matters only for claims.
bool acl_allows(const Principal& principal, std::string_view client_id, Access access,
                std::string_view topic);

// A client id a claim certificate may use: it becomes one topic level.
bool is_valid_claim_client_id(std::string_view client_id);

}  // namespace laneway::plugin
