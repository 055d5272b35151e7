#include "cluster_presence.h"

#include <vector>

#include "presence.h"

namespace laneway::plugin {
namespace {

void set_online(PluginContext& ctx, const std::string& edge,
                const cluster::v1::EdgePresence& report) {
  auto& entry = ctx.cluster_presence[report.identity()];
  entry.role = report.role();
  entry.groups.assign(report.groups().begin(), report.groups().end());
  if (!entry.edges.insert(edge).second) return;
  ctx.online_count[report.identity()] = static_cast<int>(entry.edges.size());
  ctx.online_changed = true;
  if (entry.edges.size() == 1)
    publish_presence_envelope(ctx, report.identity(), entry.role, true, entry.groups);
}

void set_offline(PluginContext& ctx, const std::string& edge, const std::string& identity) {
  auto it = ctx.cluster_presence.find(identity);
  if (it == ctx.cluster_presence.end() || it->second.edges.erase(edge) == 0) return;
  ctx.online_changed = true;
  if (!it->second.edges.empty()) {
    ctx.online_count[identity] = static_cast<int>(it->second.edges.size());
    return;
  }
  const std::string role = it->second.role;
  ctx.cluster_presence.erase(it);
  ctx.online_count.erase(identity);
  publish_presence_envelope(ctx, identity, role, false, {});
}

}  // namespace

void cluster_edge_presence(PluginContext& ctx, const std::string& edge,
                           const cluster::v1::EdgePresence& report) {
  if (report.online()) {
    set_online(ctx, edge, report);
  } else {
    set_offline(ctx, edge, report.identity());
  }
}

void cluster_edge_sync(PluginContext& ctx, const std::string& edge,
                       const cluster::v1::EdgeSync& sync) {
  std::set<std::string> listed;
  for (const auto& report : sync.online()) {
    listed.insert(report.identity());
    set_online(ctx, edge, report);
  }
  std::vector<std::string> gone;
  for (const auto& [identity, entry] : ctx.cluster_presence) {
    if (entry.edges.count(edge) && !listed.count(identity)) gone.push_back(identity);
  }
  for (const auto& identity : gone) set_offline(ctx, edge, identity);
}

void cluster_edge_gone(PluginContext& ctx, const std::string& edge) {
  std::vector<std::string> gone;
  for (const auto& [identity, entry] : ctx.cluster_presence) {
    if (entry.edges.count(edge)) gone.push_back(identity);
  }
  for (const auto& identity : gone) set_offline(ctx, edge, identity);
}

}  // namespace laneway::plugin
