#include "revocation.h"

#include <chrono>
#include <set>

#include "callbacks.h"
#include "core_link.h"
#include "core_publisher.h"
#include "device_recheck.h"

namespace laneway::plugin {
namespace {

constexpr auto kStateSaveInterval = std::chrono::seconds(5);

void kick(const std::set<std::string>& identities, const char* why) {
  for (const auto& identity : identities) {
    log(MOSQ_LOG_NOTICE, "laneway: kicking '%s': %s", identity.c_str(), why);
    // Kicking runs the DISCONNECT event (presence) synchronously, which edits ctx.clients:
    // that is why identities are collected before any kick.
    mosquitto_kick_client_by_username(identity.c_str(), false);
  }
}

void check_crl(PluginContext& ctx) {
  if (ctx.config.crl_path.empty()) return;
  bool changed = false;
  std::string error;
  if (!reload_crl_if_changed(ctx, &changed, &error)) {
    log(MOSQ_LOG_ERR, "laneway: %s (keeping the previous CRL)", error.c_str());
    return;
  }
  if (!changed) return;
  log(MOSQ_LOG_INFO, "laneway: CRL reloaded, %zu revoked serials", ctx.revoked.size());
  if (ctx.is_core()) core_publish_crl(ctx);
  std::set<std::string> revoked;
  for (const auto& [handle, client] : ctx.clients) {
    if (ctx.revoked.count(client.serial)) revoked.insert(client.identity);
  }
  kick(revoked, "certificate revoked (CRL)");
}

// Only the devices the registry's change journal names, when it can (docs/plugin.md "Live
// revocation"): this runs on the broker's thread, and presence batches commit every few
// seconds without changing anything the broker reads.
void check_registry(PluginContext& ctx) {
  const auto version = ctx.directory_version();
  if (!version) {
    ctx.registry_log.log(MOSQ_LOG_ERR, "cannot read the registry version");
    return;
  }
  if (ctx.registry_version == version) return;
  ctx.registry_version = version;
  const auto started = std::chrono::steady_clock::now();
  const auto journal_before = ctx.journal_seq;
  const auto changed = ctx.changed_devices();
  if (changed) {
    for (const auto& id : *changed) ctx.principals.erase(make_identity(Role::kDevice, id));
  } else {
    ctx.principals.clear();  // groups or status may have changed for anyone
  }
  if (ctx.is_core()) core_publish_registry_changes(ctx, changed ? &*changed : nullptr);

  const DeviceLookup find = [&ctx](std::string_view id) { return ctx.find_device(id); };
  const IsConnected is_connected = [&ctx](std::string_view identity) {
    auto it = ctx.online_count.find(identity);
    return it != ctx.online_count.end() && it->second > 0;
  };
  const Recheck result = changed ? recheck_changed(ctx.clients, is_connected, *changed, find)
                                 : recheck_all(ctx.clients, find);
  if (result.errors > 0) {
    ctx.registry_log.log(MOSQ_LOG_ERR, "registry lookup failed: " + result.first_error);
    // A failed lookup is not evidence either way. The journal has moved past these ids and
    // no later commit may name them again, so read them again at the next poll.
    if (changed && ctx.registry) {
      ctx.journal_seq = journal_before;
      ctx.registry_version.reset();
    }
  }
  // The cost of this commit on the broker's thread; tests and operators read it at debug.
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  log(MOSQ_LOG_DEBUG,
      "laneway: registry change (%s): %zu devices changed, %zu of %zu connections re-checked "
      "in %lld us",
      changed ? "journal" : "full", changed ? changed->size() : std::size_t{0}, result.lookups,
      ctx.clients.size(), static_cast<long long>(took.count()));
  kick(result.kick, "revoked or removed in the registry");
}

}  // namespace

bool reload_crl_if_changed(PluginContext& ctx, bool* changed, std::string* error) {
  *changed = false;
  const FileStamp stamp = stamp_file(ctx.config.crl_path);
  if (stamp == ctx.crl_stamp) return true;
  ctx.crl_stamp = stamp;  // a bad file is retried when it changes again, not every poll
  auto serials = read_crl_serials(ctx.config.crl_path, ctx.ca.get(), error);
  if (!serials) return false;
  ctx.revoked = std::move(*serials);
  *changed = true;
  return true;
}

int on_tick(int, void*, void* userdata) noexcept {
  try {
    auto& ctx = *static_cast<PluginContext*>(userdata);
    const auto now = std::chrono::steady_clock::now();
    if (ctx.is_core()) core_heartbeat(ctx, now);
    if (ctx.is_edge()) check_core_staleness(ctx);
    if (now < ctx.next_poll) return MOSQ_ERR_SUCCESS;
    ctx.next_poll = now + ctx.config.revocation_poll;
    check_crl(ctx);
    check_registry(ctx);
    if (ctx.online_changed && now >= ctx.next_state_save) {
      std::string error;
      if (!ctx.save_state(false, &error)) log(MOSQ_LOG_ERR, "laneway: %s", error.c_str());
      ctx.online_changed = false;
      ctx.next_state_save = now + kStateSaveInterval;
    }
  } catch (...) {
    log(MOSQ_LOG_ERR, "laneway: internal error in tick handler");
  }
  return MOSQ_ERR_SUCCESS;
}

}  // namespace laneway::plugin
