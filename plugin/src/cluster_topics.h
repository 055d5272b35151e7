// The topics the brokers of a cluster exchange over their Mosquitto bridge connections
// (docs/scale.md "Cluster topics"). Payloads are laneway.cluster.v1 messages.
#pragma once

#include <string>
#include <string_view>

namespace laneway::plugin {

inline constexpr std::string_view kClusterPrefix = "$lw/cluster/";
// core -> edges, retained: one DeviceRecord per device, then RegistryComplete on the bare
// topic.
inline constexpr std::string_view kRegistryTopic = "$lw/cluster/registry";
inline constexpr std::string_view kRegistryRecordPrefix = "$lw/cluster/registry/";
// core -> edges, retained: the CRL file as the core reads it (PEM, signed by the CA).
inline constexpr std::string_view kCrlTopic = "$lw/cluster/crl";
// core -> edges, QoS 0, every second.
inline constexpr std::string_view kHeartbeatTopic = "$lw/cluster/heartbeat";
// edge -> core (and, through the core, to the other edges): $lw/cluster/edge/<edge>/<what>.
inline constexpr std::string_view kEdgeReportPrefix = "$lw/cluster/edge/";
inline constexpr std::string_view kEdgePresence = "presence";
inline constexpr std::string_view kEdgeConnected = "connected";
inline constexpr std::string_view kEdgeSync = "sync";

// The MQTT 5 user property an edge adds to every message a client of its publishes: the
// client's authenticated identity. The core believes it only from an edge identity.
inline constexpr const char* kOriginProperty = "lw-origin";

inline std::string edge_report_topic(std::string_view edge, std::string_view what) {
  std::string topic(kEdgeReportPrefix);
  topic += edge;
  topic += '/';
  topic += what;
  return topic;
}

// `$lw/cluster/edge/<edge>/<what>` split into edge and what; false for anything else.
inline bool parse_edge_report_topic(std::string_view topic, std::string_view* edge,
                                    std::string_view* what) {
  if (topic.substr(0, kEdgeReportPrefix.size()) != kEdgeReportPrefix) return false;
  topic.remove_prefix(kEdgeReportPrefix.size());
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  *edge = topic.substr(0, slash);
  *what = topic.substr(slash + 1);
  return !what->empty() && what->find('/') == std::string_view::npos;
}

}  // namespace laneway::plugin
