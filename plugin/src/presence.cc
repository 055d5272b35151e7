#include "presence.h"

#include "callbacks.h"
#include "envelopes.h"

namespace laneway::plugin {
namespace {

void publish_presence(PluginContext& ctx, const std::string& identity, std::string_view role,
                      bool online, const std::vector<std::string>& groups) {
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

}  // namespace

void presence_connected(PluginContext& ctx, const mosquitto* client, Session session,
                        const std::vector<std::string>& groups) {
  const std::string identity = session.identity;
  const Role role = session.role;
  ctx.sessions.insert_or_assign(client, std::move(session));
  int& count = ctx.online_count[identity];
  if (++count == 1) {
    ctx.online_changed = true;
    publish_presence(ctx, identity, to_string(role), true, groups);
  }
}

void presence_correct_stale(PluginContext& ctx, const std::vector<std::string>& identities) {
  for (const auto& identity : identities) {
    const auto parsed = parse_identity(identity);
    publish_presence(ctx, identity, parsed ? to_string(parsed->role) : "", false, {});
  }
}

int on_disconnect(int, void* event_data, void* userdata) noexcept {
  try {
    auto& ctx = *static_cast<PluginContext*>(userdata);
    const auto* event = static_cast<mosquitto_evt_disconnect*>(event_data);
    auto it = ctx.sessions.find(event->client);
    if (it == ctx.sessions.end()) return MOSQ_ERR_SUCCESS;  // never authenticated
    const Session session = std::move(it->second);
    ctx.sessions.erase(it);
    auto count = ctx.online_count.find(session.identity);
    if (count != ctx.online_count.end() && --count->second <= 0) {
      ctx.online_count.erase(count);
      ctx.online_changed = true;
      publish_presence(ctx, session.identity, to_string(session.role), false, {});
    }
  } catch (...) {
    log(MOSQ_LOG_ERR, "laneway: internal error in disconnect handler");
  }
  return MOSQ_ERR_SUCCESS;
}

}  // namespace laneway::plugin
