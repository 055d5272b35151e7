#include "core_publisher.h"

#include <fstream>
#include <sstream>

#include "cluster.pb.h"
#include "cluster_topics.h"
#include "envelopes.h"

namespace laneway::plugin {
namespace {

constexpr auto kHeartbeatInterval = std::chrono::seconds(1);

void send(PluginContext& ctx, const std::vector<RegistryPublisher::Change>& changes) {
  for (const auto& change : changes) {
    publish_raw(ctx, std::string(kRegistryRecordPrefix) + change.id, change.payload, 1, true, "");
  }
  if (!changes.empty())
    log(MOSQ_LOG_INFO, "laneway: %zu registry records sent to the edges", changes.size());
}

bool publish_registry(PluginContext& ctx, std::string* error) {
  auto devices = ctx.registry->list_devices(error);
  if (!devices) return false;
  send(ctx, ctx.registry_publisher->diff(*devices));
  return true;
}

// One lookup per changed device. false on a lookup error: the journal has moved past these
// ids, so the caller lists the whole registry rather than lose a record.
bool publish_changed(PluginContext& ctx, const std::vector<std::string>& ids, std::string* error) {
  std::vector<registry::Device> found;
  std::vector<std::string> removed;
  for (const auto& id : ids) {
    auto lookup = ctx.registry->find_device(id);
    switch (lookup.status) {
      case registry::LookupStatus::kFound:
        found.push_back(std::move(lookup.device));
        break;
      case registry::LookupStatus::kNotFound:
        removed.push_back(id);
        break;
      case registry::LookupStatus::kError:
        *error = lookup.error;
        return false;
    }
  }
  send(ctx, ctx.registry_publisher->update(found, removed));
  return true;
}

}  // namespace

bool core_publish_initial(PluginContext& ctx, std::string* error) {
  if (!publish_registry(ctx, error)) return false;
  publish_raw(ctx, kRegistryTopic, ctx.registry_publisher->complete_payload(), 1, true, "");
  core_publish_crl(ctx);
  return true;
}

void core_publish_registry_changes(PluginContext& ctx, const std::vector<std::string>* changed) {
  std::string error;
  if (changed && publish_changed(ctx, *changed, &error)) return;
  if (changed)
    ctx.registry_log.log(MOSQ_LOG_ERR, "registry lookup failed (" + error +
                                           "); sending every record to the edges instead");
  if (!publish_registry(ctx, &error))
    ctx.registry_log.log(MOSQ_LOG_ERR, "cannot list the registry for the edges: " + error);
}

void core_publish_crl(PluginContext& ctx) {
  if (ctx.config.crl_path.empty()) return;
  std::ifstream in(ctx.config.crl_path, std::ios::binary);
  std::ostringstream pem;
  pem << in.rdbuf();
  if (!in) {
    ctx.cluster_log.log(MOSQ_LOG_ERR, "cannot read " + ctx.config.crl_path + " for the edges");
    return;
  }
  publish_raw(ctx, kCrlTopic, pem.str(), 1, true, "");
}

void core_heartbeat(PluginContext& ctx, std::chrono::steady_clock::time_point now) {
  if (now < ctx.next_heartbeat) return;
  ctx.next_heartbeat = now + kHeartbeatInterval;
  cluster::v1::Heartbeat heartbeat;
  heartbeat.set_generation(ctx.registry_publisher->generation());
  heartbeat.set_sent_us(unix_micros());
  for (const auto& edge : ctx.sync_wanted) heartbeat.add_sync_wanted(edge);
  publish_raw(ctx, kHeartbeatTopic, heartbeat.SerializeAsString(), 0, false, "");
}

}  // namespace laneway::plugin
