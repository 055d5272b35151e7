#include "edge_reports.h"

#include <set>

#include "cluster.pb.h"
#include "cluster_topics.h"
#include "envelopes.h"

namespace laneway::plugin {
namespace {

void fill(cluster::v1::EdgePresence& report, const ConnectedClient& connected, bool online) {
  report.set_identity(connected.identity);
  report.set_role(to_string(connected.role));
  report.set_online(online);
  report.set_since_us(online ? connected.since_us : unix_micros());
  if (online)
    for (const auto& group : connected.groups) report.add_groups(group);
}

void publish_report(PluginContext& ctx, std::string_view what, const std::string& payload) {
  publish_raw(ctx, edge_report_topic(ctx.config.edge_name, what), payload, 1, false, "");
}

}  // namespace

void report_edge_presence(PluginContext& ctx, const ConnectedClient& connected, bool online) {
  cluster::v1::EdgePresence report;
  fill(report, connected, online);
  publish_report(ctx, kEdgePresence, report.SerializeAsString());
}

void report_edge_connection(PluginContext& ctx, const ConnectedClient& connected) {
  cluster::v1::EdgePresence report;
  fill(report, connected, true);
  report.set_client_id(connected.client_id);
  publish_report(ctx, kEdgeConnected, report.SerializeAsString());
}

void report_edge_sync(PluginContext& ctx) {
  cluster::v1::EdgeSync sync;
  std::set<std::string> seen;
  for (const auto& [handle, client] : ctx.clients) {
    if (!seen.insert(client.identity).second) continue;
    fill(*sync.add_online(), client, true);
  }
  publish_report(ctx, kEdgeSync, sync.SerializeAsString());
  log(MOSQ_LOG_INFO, "laneway: sent the core the %zu identities online here", seen.size());
}

}  // namespace laneway::plugin
