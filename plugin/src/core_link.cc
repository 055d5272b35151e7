#include "core_link.h"

#include <cstdio>
#include <fstream>
#include <vector>

#include "cluster.pb.h"
#include "cluster_topics.h"
#include "edge_reports.h"
#include "tcp_nodelay.h"

namespace laneway::plugin {
namespace {

std::string_view payload_of(const mosquitto_evt_message& event) {
  if (!event.payload || event.payloadlen == 0) return {};
  return {static_cast<const char*>(event.payload), event.payloadlen};
}

void apply_registry(PluginContext& ctx, std::string_view topic, std::string_view payload) {
  std::string error;
  const auto applied =
      topic == kRegistryTopic
          ? ctx.replica->apply_complete(payload, &error)
          : ctx.replica->apply_record(topic.substr(kRegistryRecordPrefix.size()), payload, &error);
  if (applied == ReplicaDirectory::Applied::kRefused)
    ctx.cluster_log.log(MOSQ_LOG_WARNING, "registry copy: " + error);
  if (topic == kRegistryTopic && applied == ReplicaDirectory::Applied::kChanged)
    log(MOSQ_LOG_INFO, "laneway: registry copy complete: %zu devices (core run %llu)",
        ctx.replica->size(), static_cast<unsigned long long>(ctx.replica->complete_generation()));
}

// The CRL is only believed once it verifies against the CA; then it replaces the CRL file,
// whose change the TICK's revocation check picks up (kicks included), and which mosquitto
// itself loads at the next start.
void apply_crl(PluginContext& ctx, std::string_view pem) {
  const std::string incoming = ctx.config.crl_path + ".incoming";
  {
    std::ofstream out(incoming, std::ios::binary | std::ios::trunc);
    out.write(pem.data(), static_cast<std::streamsize>(pem.size()));
    if (!out) {
      ctx.cluster_log.log(MOSQ_LOG_ERR, "cannot write " + incoming);
      return;
    }
  }
  std::string error;
  if (!read_crl_serials(incoming, ctx.ca.get(), &error)) {
    std::remove(incoming.c_str());
    ctx.cluster_log.log(MOSQ_LOG_ERR, "CRL from the core refused: " + error);
    return;
  }
  if (std::rename(incoming.c_str(), ctx.config.crl_path.c_str()) != 0) {
    std::remove(incoming.c_str());
    ctx.cluster_log.log(MOSQ_LOG_ERR, "cannot replace " + ctx.config.crl_path);
  }
}

void heard_core(PluginContext& ctx, std::string_view payload) {
  const auto now = std::chrono::steady_clock::now();
  if (ctx.core_stale_logged && ctx.core_heard) {
    const auto gap = std::chrono::duration_cast<std::chrono::seconds>(now - *ctx.core_heard);
    log(MOSQ_LOG_NOTICE, "laneway: core heard again after %llds",
        static_cast<long long>(gap.count()));
  }
  ctx.core_heard = now;
  ctx.core_stale_logged = false;
  cluster::v1::Heartbeat heartbeat;
  if (!heartbeat.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
  // Named in sync_wanted: the core saw this edge's link connect since its last sync.
  for (const auto& edge : heartbeat.sync_wanted()) {
    if (edge == ctx.config.edge_name) {
      report_edge_sync(ctx);
      set_nodelay_on_connected_tcp_sockets();
      break;
    }
  }
}

// Another edge has a new connection with this client id: ours is the older one (the
// notice can only arrive after that connection was made), so it goes, as Mosquitto does
// with a second connection under one client id on one broker.
void take_over(PluginContext& ctx, std::string_view payload) {
  cluster::v1::EdgePresence notice;
  if (!notice.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
  std::vector<std::string> older;
  for (const auto& [handle, client] : ctx.clients) {
    if (client.client_id == notice.client_id() && client.identity == notice.identity())
      older.push_back(client.client_id);
  }
  for (const auto& client_id : older) {
    log(MOSQ_LOG_NOTICE, "laneway: kicking '%s': it connected again through another edge",
        client_id.c_str());
    mosquitto_kick_client_by_clientid(client_id.c_str(), false);
  }
}

}  // namespace

bool is_core_link(const PluginContext& ctx, const mosquitto* client) {
  if (mosquitto_client_username(client)) return false;
  const char* id = mosquitto_client_id(client);
  return id && ctx.config.core_link_id == id;
}

int handle_core_link_message(PluginContext& ctx, const mosquitto_evt_message& event) {
  const std::string_view topic = event.topic;
  const std::string_view payload = payload_of(event);
  if (topic == kRegistryTopic ||
      topic.substr(0, kRegistryRecordPrefix.size()) == kRegistryRecordPrefix) {
    apply_registry(ctx, topic, payload);
  } else if (topic == kCrlTopic) {
    apply_crl(ctx, payload);
  } else if (topic == kHeartbeatTopic) {
    heard_core(ctx, payload);
  } else {
    std::string_view edge, what;
    if (parse_edge_report_topic(topic, &edge, &what) && edge != ctx.config.edge_name &&
        what == kEdgeConnected)
      take_over(ctx, payload);
  }
  return MOSQ_ERR_SUCCESS;
}

void check_core_staleness(PluginContext& ctx) {
  if (ctx.core_stale_logged) return;
  const auto now = std::chrono::steady_clock::now();
  const auto since = ctx.core_heard.value_or(ctx.started);
  if (now - since < ctx.config.core_stale_after) return;
  ctx.core_stale_logged = true;
  log(MOSQ_LOG_WARNING,
      "laneway: core not heard for %llds%s; the registry copy (%zu devices) and the CRL stay "
      "in force, unknown devices are refused",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(now - since).count()),
      ctx.core_heard ? "" : " since start", ctx.replica->size());
}

}  // namespace laneway::plugin
