// BASIC_AUTH (docs/plugin.md "Identity"): the identity comes from the verified client
// certificate only. Whatever username and password the client sent are ignored and the
// username is replaced by the identity, which the ACL, presence and envelope origins then
// rely on. In a cluster each broker role serves only its own kinds of client
// (docs/scale.md "Who connects where").
#include <memory>

#include "acl_rules.h"
#include "callbacks.h"
#include "certificate_identity.h"
#include "presence.h"

namespace laneway::plugin {
namespace {

struct X509Deleter {
  void operator()(void* cert) const { X509_free(static_cast<X509*>(cert)); }
};

// A device may use its id as client id, or `<id>/<anything>` for extra clients; that
// stops one device taking over another's MQTT session by reusing its client id.
bool device_may_use_client_id(std::string_view device_id, std::string_view client_id) {
  if (client_id.substr(0, device_id.size()) != device_id) return false;
  return client_id.size() == device_id.size() || client_id[device_id.size()] == '/';
}

int refuse(PluginContext& ctx, mosquitto* client, const std::string& why) {
  const char* address = mosquitto_client_address(client);
  ctx.refused_log.log(MOSQ_LOG_NOTICE,
                      std::string("refused client from ") + (address ? address : "?") + ": " + why);
  return MOSQ_ERR_AUTH;
}

// Devices and claims connect to an edge (or a single broker); bridges and operators to the
// core; edges only to the core.
bool role_served(ClusterRole broker, Role client) {
  const bool device_side = client == Role::kDevice || client == Role::kClaim;
  switch (broker) {
    case ClusterRole::kSingle:
      return client != Role::kEdge;
    case ClusterRole::kEdge:
      return device_side;
    case ClusterRole::kCore:
      return !device_side;
  }
  return false;
}

int authenticate(PluginContext& ctx, mosquitto* client) {
  // Defence in depth: a listener without require_certificate (or a plaintext one added by
  // mistake) yields no certificate, and nobody gets in.
  std::unique_ptr<void, X509Deleter> cert(mosquitto_client_certificate(client));
  if (!cert) return refuse(ctx, client, "no client certificate");

  std::string reason;
  const auto identity = identity_from_certificate(static_cast<X509*>(cert.get()), &reason);
  if (!identity) return refuse(ctx, client, reason);
  if (ctx.revoked.count(identity->serial))
    return refuse(ctx, client, "certificate " + identity->serial + " is revoked (CRL)");

  if (!role_served(ctx.config.role, identity->role))
    return refuse(ctx, client,
                  std::string("a ") + to_string(ctx.config.role) + " broker does not serve " +
                      to_string(identity->role) + " certificates");

  const char* client_id_raw = mosquitto_client_id(client);
  const std::string_view client_id = client_id_raw ? client_id_raw : "";
  // The edge's own bridge connection is told apart from clients by its client id.
  if (client_id == ctx.config.core_link_id)
    return refuse(ctx, client, "client id '" + std::string(client_id) + "' is reserved");

  Principal principal;
  principal.role = identity->role;
  principal.name = identity->name;
  principal.identity = make_identity(identity->role, identity->name);
  if (identity->role == Role::kDevice) {
    auto lookup = ctx.find_device(identity->name);
    if (lookup.status == registry::LookupStatus::kError)
      return refuse(ctx, client, "registry lookup failed: " + lookup.error);
    if (lookup.status == registry::LookupStatus::kNotFound)
      return refuse(ctx, client, "device '" + identity->name + "' is not in the registry");
    if (lookup.device.status != registry::DeviceStatus::kActive)
      return refuse(ctx, client, "device '" + identity->name + "' is revoked");
    if (lookup.device.cert_serial != identity->serial)
      return refuse(ctx, client,
                    "device '" + identity->name + "' presented certificate " + identity->serial +
                        ", registry expects " + lookup.device.cert_serial);
    if (!device_may_use_client_id(identity->name, client_id))
      return refuse(
          ctx, client,
          "device '" + identity->name + "' may not use client id '" + std::string(client_id) + "'");
    principal.groups = std::move(lookup.device.groups);
  } else if (identity->role == Role::kClaim && !is_valid_claim_client_id(client_id)) {
    return refuse(ctx, client, "claim client id must be 1..128 of [A-Za-z0-9._-]");
  }

  const int rc = mosquitto_set_username(client, principal.identity.c_str());
  if (rc != MOSQ_ERR_SUCCESS) return refuse(ctx, client, "cannot set username");

  ConnectedClient connected;
  connected.identity = principal.identity;
  connected.role = principal.role;
  connected.serial = identity->serial;
  connected.client_id = std::string(client_id);
  connected.since_us = unix_micros();
  connected.groups = principal.groups;
  // A new link from an edge: ask it (in the heartbeat) for its full online set, since the
  // core dropped that edge's identities when the previous link went.
  if (ctx.is_core() && principal.role == Role::kEdge) ctx.sync_wanted.insert(principal.name);
  build_acl_filters(principal);
  ctx.remember_principal(std::move(principal));
  presence_connected(ctx, client, std::move(connected));
  return MOSQ_ERR_SUCCESS;
}

}  // namespace

int on_basic_auth(int, void* event_data, void* userdata) noexcept {
  try {
    auto& ctx = *static_cast<PluginContext*>(userdata);
    auto* event = static_cast<mosquitto_evt_basic_auth*>(event_data);
    return authenticate(ctx, event->client);
  } catch (...) {
    log(MOSQ_LOG_ERR, "laneway: internal error in auth handler; client refused");
    return MOSQ_ERR_AUTH;
  }
}

}  // namespace laneway::plugin
