#include "presence.h"

#include "callbacks.h"
#include "cluster_presence.h"
#include "edge_reports.h"
#include "envelopes.h"

namespace laneway::plugin {

void publish_presence_envelope(PluginContext& ctx, const std::string& identity,
                               std::string_view role, bool online,
                               const std::vector<std::string>& groups) {
  if (!ctx.config.presence) return;
  v1::Presence presence;
  presence.set_client_id(identity);
  presence.set_role(std::string(role));
  presence.set_online(online);
  presence.set_since_us(unix_micros());
  for (const auto& group : groups) presence.add_groups(group);

  v1::Envelope& envelope = *ctx.frame.mutable_envelope();
  envelope.Clear();
  envelope.set_topic(std::string(kPresencePrefix) + identity);
  presence.SerializeToString(envelope.mutable_payload());
  envelope.set_origin(identity);
  envelope.set_content_type(std::string(kPresenceContentType));
  envelope.set_qos(1);
  envelope.set_retain(true);
  // The envelope topic already is the `$lw/presence/...` topic.
  sequence_and_publish(ctx, "");
}

namespace {

// An identity's first connection came or its last one went on this broker.
void presence_changed(PluginContext& ctx, const ConnectedClient& connected, bool online) {
  ctx.online_changed = true;
  if (ctx.is_edge()) {
    report_edge_presence(ctx, connected, online);
    return;
  }
  publish_presence_envelope(ctx, connected.identity, to_string(connected.role), online,
                            online ? connected.groups : std::vector<std::string>{});
}

}  // namespace

void presence_connected(PluginContext& ctx, const mosquitto* client, ConnectedClient connected) {
  if (ctx.is_edge()) report_edge_connection(ctx, connected);
  auto [it, inserted] = ctx.clients.insert_or_assign(client, std::move(connected));
  const ConnectedClient& stored = it->second;
  int& count = ctx.online_count[stored.identity];
  if (++count == 1) presence_changed(ctx, stored, true);
}

void presence_correct_stale(PluginContext& ctx, const std::vector<std::string>& identities) {
  // An edge's stale identities are the core's to correct: it dropped them when the edge's
  // link went, and this edge reports afresh once it hears the core (edge_reports.h).
  if (ctx.is_edge()) return;
  for (const auto& identity : identities) {
    const auto parsed = parse_identity(identity);
    publish_presence_envelope(ctx, identity, parsed ? to_string(parsed->role) : "", false, {});
  }
}

int on_disconnect(int, void* event_data, void* userdata) noexcept {
  try {
    auto& ctx = *static_cast<PluginContext*>(userdata);
    const auto* event = static_cast<mosquitto_evt_disconnect*>(event_data);
    auto it = ctx.clients.find(event->client);
    if (it == ctx.clients.end()) return MOSQ_ERR_SUCCESS;  // never authenticated
    const ConnectedClient connected = std::move(it->second);
    ctx.clients.erase(it);
    if (ctx.is_core() && connected.role == Role::kEdge)
      cluster_edge_gone(ctx, std::string(parse_identity(connected.identity)->name));
    auto count = ctx.online_count.find(connected.identity);
    if (count != ctx.online_count.end() && --count->second <= 0) {
      ctx.online_count.erase(count);
      presence_changed(ctx, connected, false);
    }
  } catch (...) {
    log(MOSQ_LOG_ERR, "laneway: internal error in disconnect handler");
  }
  return MOSQ_ERR_SUCCESS;
}

}  // namespace laneway::plugin
