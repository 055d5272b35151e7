// MESSAGE: every PUBLISH a client sends, after the ACL allowed it. What happens depends on
// the broker's role (docs/scale.md):
//   single  mapped topics get an envelope on `$lw/env/<topic>`; `$lw/in/<topic>` is the
//           bridge's inbound lane;
//   edge    messages from clients are tagged with the origin the edge vouches for and go up
//           the bridge connection unsequenced; messages from the core's link feed the
//           registry copy, the CRL and takeovers (core_link.h);
//   core    as single, and messages from edges are checked against the origin they vouch
//           for (cluster_inbound.h).
// A vouched origin from anyone but an edge is refused on every role.
//
// Messages the plugin publishes itself (mosquitto_broker_publish) do not pass this event in
// Mosquitto 2.0.11 (they are queued with no client); they are still recognised and skipped
// (no client, or a `$lw/` topic, which no mapping filter can match), so a broker that did
// deliver them here could not loop.
#include "callbacks.h"
#include "cluster_inbound.h"
#include "core_link.h"
#include "envelopes.h"
#include "inbound.h"
#include "mapped_message.h"
#include "origin_vouching.h"

namespace laneway::plugin {
namespace {

int handle_client_message(PluginContext& ctx, mosquitto_evt_message& event) {
  const char* username_raw = mosquitto_client_username(event.client);
  const std::string username = username_raw ? username_raw : "";
  const std::string_view topic = event.topic;
  const auto parsed = parse_identity(username);
  if (ctx.is_core() && parsed && parsed->role == Role::kEdge) {
    const Principal* edge = ctx.principal_for(username);
    if (!edge) return MOSQ_ERR_ACL_DENIED;
    return handle_edge_message(ctx, event, *edge);
  }
  if (read_vouched_origin(event.properties)) {
    ctx.refused_log.log(MOSQ_LOG_WARNING, "refused message from " + username +
                                              ": only an edge may vouch for an origin");
    return MOSQ_ERR_ACL_DENIED;
  }
  if (ctx.is_edge()) {
    if (topic.front() == '$') return MOSQ_ERR_SUCCESS;
    if (!add_vouched_origin(&event.properties, username)) return MOSQ_ERR_NOMEM;
    return MOSQ_ERR_SUCCESS;
  }
  if (topic.substr(0, kInboundPrefix.size()) == kInboundPrefix) return handle_inbound(ctx, event);
  if (topic.front() == '$' || !ctx.is_mapped(topic)) return MOSQ_ERR_SUCCESS;
  return publish_envelope_for(ctx, event, username);
}

}  // namespace

int on_message(int, void* event_data, void* userdata) noexcept {
  try {
    auto& ctx = *static_cast<PluginContext*>(userdata);
    auto* event = static_cast<mosquitto_evt_message*>(event_data);
    if (!event->client || !event->topic || !*event->topic) return MOSQ_ERR_SUCCESS;
    if (ctx.is_edge() && is_core_link(ctx, event->client))
      return handle_core_link_message(ctx, *event);
    return handle_client_message(ctx, *event);
  } catch (...) {
    log(MOSQ_LOG_ERR, "laneway: internal error in message handler; message dropped");
    return MOSQ_ERR_ACL_DENIED;
  }
}

}  // namespace laneway::plugin
