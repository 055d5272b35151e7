#include "core_publisher.h"

#include <fstream>
#include <sstream>

#include "cluster.pb.h"
#include "cluster_topics.h"
#include "envelopes.h"

namespace laneway::plugin {
namespace {

constexpr auto kHeartbeatInterval = std::chrono::seconds(1);

bool publish_registry(PluginContext& ctx, std::string* error) {
  auto devices = ctx.registry->list_devices(error);
  if (!devices) return false;
  const auto changes = ctx.registry_publisher->diff(*devices);
  for (const auto& change : changes) {
    publish_raw(ctx, std::string(kRegistryRecordPrefix) + change.id, change.payload, 1, true, "");
  }
  if (!changes.empty())
    log(MOSQ_LOG_INFO, "laneway: %zu registry records sent to the edges", changes.size());
  return true;
}

}  // namespace

bool core_publish_initial(PluginContext& ctx, std::string* error) {
  if (!publish_registry(ctx, error)) return false;
  publish_raw(ctx, kRegistryTopic, ctx.registry_publisher->complete_payload(), 1, true, "");
  core_publish_crl(ctx);
  return true;
}

void core_publish_registry_changes(PluginContext& ctx) {
  std::string error;
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
