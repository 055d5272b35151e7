// The mosquitto.conf laneway runs with (docs/plugin.md "Running it"): one listener, TLS only,
// client certificates required, the CRL, persistence, no anonymous access, and the plugin with its
// options. Never `use_identity_as_username` (it would skip the plugin's auth event).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace laneway::plugin {

struct BrokerConfigOptions {
  // single | edge | core (docs/scale.md). An edge also needs `edge_name` (its service
  // certificate services/edge-<name>.crt and the bridge's remote client id) and at least one
  // core address; it has no registry.
  std::string role = "single";
  std::string edge_name;
  std::vector<std::string> core_addresses;  // host:port, the first preferred
  std::string core_link_id = "laneway-core-link";
  unsigned core_index = 0;  // core: 0..15, a different one for each core of a cluster
  std::uint16_t port = 8883;
  std::string bind_address = "0.0.0.0";
  std::string pki_dir = "pki";         // laneway-certs --dir
  std::string server_name = "broker";  // servers/<name>.crt|.key in the PKI dir
  std::string registry_path = "fleet.db";
  std::string data_dir = "data";  // mosquitto persistence + plugin state
  std::string map_filters = "devices/#,fleet/#,broadcast/#";
  std::string user;  // empty: no `user` line
  std::string plugin_path;
  std::string log_dest = "stdout";
  std::uint32_t max_topics = 100000;
  // Per persistent client (the bridge's session): what the broker keeps queued while it is
  // away, QoS 0 included (queue_qos0_messages). Beyond either bound new messages are dropped,
  // which the bridge sees as a seq gap.
  std::uint32_t max_queued_messages = 10000;
  std::uint64_t max_queued_bytes = 16 * 1024 * 1024;
  // The frame limit (docs/wire.md "Frame limit"), the same number as the bridge's
  // limits.max_frame_bytes: the broker refuses payloads over it, the plugin envelopes that
  // would not fit it.
  std::uint32_t max_frame_bytes = 65536;
};

// Paths the config names, for checking they exist before the broker tries them.
struct BrokerConfigPaths {
  std::string cafile, certfile, keyfile, crlfile, state_file;
  std::string edge_certfile, edge_keyfile;  // edge role only
};
BrokerConfigPaths broker_config_paths(const BrokerConfigOptions& options);

// The mosquitto.conf text.
std::string render_broker_config(const BrokerConfigOptions& options);

}  // namespace laneway::plugin
