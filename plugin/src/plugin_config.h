// The plugin's options (`plugin_opt_<key> <value>` lines in mosquitto.conf), parsed and
// checked once at load time. docs/plugin.md lists them for operators.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace laneway::plugin {

// Where this broker stands (docs/scale.md): one broker alone, an edge its devices connect
// to, or the core that sequences for the whole cluster.
enum class ClusterRole { kSingle, kEdge, kCore };
const char* to_string(ClusterRole role);

struct PluginConfig {
  ClusterRole role = ClusterRole::kSingle;         // role: single | edge | core
  std::string edge_name;                           // edge_name: CN of the edge's certificate
  std::string core_link_id = "laneway-core-link";  // core_link_id: the bridge's local client id
  std::chrono::seconds core_stale_after{5};        // core_stale_after_s (edge)
  std::uint32_t core_index = 0;                    // core_index: 0..15, distinct per core
  std::string registry_path;             // registry (required, except on an edge, which has none)
  std::string crl_path;                  // crl: CRL watched for live revocation
  std::string ca_path;                   // cafile: verifies the CRL's signature
  std::vector<std::string> map_filters;  // map: filters turned into $lw/env envelopes
  std::string state_path;                // state: epoch/seq state file
  std::size_t max_topics = 100000;       // max_topics: sequencer table bound
  std::chrono::milliseconds revocation_poll{500};  // revocation_poll_ms
  // max_envelope_bytes: the frame limit (docs/wire.md "Frame limit"), which envelopes made
  // and `$lw/in` frames accepted keep to.
  std::size_t max_envelope_bytes = 65536;
  bool presence = true;  // presence: publish $lw/presence/<identity>
};

using OptionList = std::vector<std::pair<std::string, std::string>>;

// nullopt with a one-line `error` for an unknown key, a bad value or a missing `registry`.
std::optional<PluginConfig> parse_plugin_config(const OptionList& options, std::string* error);

}  // namespace laneway::plugin
