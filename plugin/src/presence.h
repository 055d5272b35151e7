// Presence (DESIGN §3): a retained envelope on `$lw/presence/<identity>` whose payload is a
// laneway.v1.Presence, published when an identity's first connection authenticates and
// when its last one goes (clean disconnect, network drop, keepalive timeout or kick).
#pragma once

#include <string_view>
#include <vector>

#include "plugin_context.h"

namespace laneway::plugin {

inline constexpr std::string_view kPresenceContentType = "application/x-laneway-presence";

// Records an authenticated connection; publishes `online` on the identity's first one.
void presence_connected(PluginContext& ctx, const mosquitto* client, Session session,
                        const std::vector<std::string>& groups);

// Publishes `offline` for identities the previous run left online (it stopped without
// seeing them go).
void presence_correct_stale(PluginContext& ctx, const std::vector<std::string>& identities);

}  // namespace laneway::plugin
