// The core's presence for the whole cluster (docs/scale.md "Presence across edges"): each
// edge reports its own transitions; an identity is online while at least one edge reports
// it, so a device moving from edge A to edge B is online once, with no offline in between.
// An edge whose link to the core goes takes its identities with it (the core can no longer
// reach them); it reports its full set again when it hears the core.
#pragma once

#include <string>

#include "cluster.pb.h"
#include "plugin_context.h"

namespace laneway::plugin {

void cluster_edge_presence(PluginContext& ctx, const std::string& edge,
                           const cluster::v1::EdgePresence& report);
void cluster_edge_sync(PluginContext& ctx, const std::string& edge,
                       const cluster::v1::EdgeSync& sync);
void cluster_edge_gone(PluginContext& ctx, const std::string& edge);

}  // namespace laneway::plugin
