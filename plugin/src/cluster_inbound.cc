#include "cluster_inbound.h"

#include "acl_rules.h"
#include "cluster.pb.h"
#include "cluster_presence.h"
#include "cluster_topics.h"
#include "laneway/wire/topic_filter.h"
#include "mapped_message.h"
#include "origin_vouching.h"

namespace laneway::plugin {
namespace {

int refuse(PluginContext& ctx, const Principal& edge, const std::string& why) {
  ctx.cluster_log.log(MOSQ_LOG_WARNING, "refused message from " + edge.identity + ": " + why);
  return MOSQ_ERR_ACL_DENIED;
}

template <typename Message>
bool decode(const mosquitto_evt_message& event, Message& out) {
  return out.ParseFromArray(event.payload, static_cast<int>(event.payloadlen));
}

int handle_report(PluginContext& ctx, const mosquitto_evt_message& event, const Principal& edge,
                  std::string_view what) {
  if (what == kEdgePresence) {
    cluster::v1::EdgePresence report;
    if (!decode(event, report) || !parse_identity(report.identity()))
      return refuse(ctx, edge, "malformed presence report");
    cluster_edge_presence(ctx, edge.name, report);
  } else if (what == kEdgeSync) {
    cluster::v1::EdgeSync sync;
    if (!decode(event, sync)) return refuse(ctx, edge, "malformed sync report");
    ctx.sync_wanted.erase(edge.name);
    cluster_edge_sync(ctx, edge.name, sync);
  }
  // `connected` notices are for the other edges; the broker routes them there.
  return MOSQ_ERR_SUCCESS;
}

// Whether `origin`, as the edge vouches for it, may publish on `topic` itself.
bool origin_may_publish(PluginContext& ctx, const std::string& origin, std::string_view topic) {
  const auto parsed = parse_identity(origin);
  if (!parsed) return false;
  if (parsed->role == Role::kClaim) {
    // The edge checked the claim's client id level; here the batch must match.
    return wire::filter_covers("provision/" + std::string(parsed->name) + "/+/#", topic);
  }
  if (parsed->role != Role::kDevice) return false;
  const Principal* principal = ctx.principal_for(origin);  // active in the registry
  return principal && acl_allows(*principal, "", Access::kWrite, topic);
}

}  // namespace

int handle_edge_message(PluginContext& ctx, mosquitto_evt_message& event, const Principal& edge) {
  const std::string_view topic = event.topic;
  std::string_view report_edge, what;
  if (parse_edge_report_topic(topic, &report_edge, &what)) {
    if (report_edge != edge.name) return refuse(ctx, edge, "report for another edge");
    return handle_report(ctx, event, edge, what);
  }
  const auto origin = read_vouched_origin(event.properties);
  if (!origin) return refuse(ctx, edge, "no origin vouched for on '" + std::string(topic) + "'");
  if (!origin_may_publish(ctx, *origin, topic))
    return refuse(ctx, edge, "'" + *origin + "' may not publish on '" + std::string(topic) + "'");
  if (topic.front() == '$' || !ctx.is_mapped(topic)) return MOSQ_ERR_SUCCESS;
  return publish_envelope_for(ctx, event, *origin);
}

}  // namespace laneway::plugin
