// laneway-broker-config: writes mosquitto.conf for a laneway broker and makes sure the
// registry and data directory it names exist, so `mosquitto -c <file>` starts.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "broker_config.h"
#include "laneway/registry/registry.h"

int main(int argc, char** argv) {
  laneway::plugin::BrokerConfigOptions o;
  o.plugin_path = LANEWAY_PLUGIN_DEFAULT_PATH;
  std::string out_path;
  CLI::App app{"laneway-broker-config: write a TLS-only mosquitto.conf with the laneway plugin"};
  app.add_option("--role", o.role, "single, edge (devices connect here) or core (sequences)")
      ->capture_default_str()
      ->check(CLI::IsMember({"single", "edge", "core"}));
  app.add_option("--edge-name", o.edge_name,
                 "edge: its name, the CN of its service certificate services/edge-<name>.crt");
  app.add_option("--core", o.core_addresses,
                 "edge: core address host:port; repeat for the standby (the first is preferred)");
  app.add_option("--core-index", o.core_index,
                 "core: 0..15, a different one for each core (their epochs never coincide)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 15u));
  app.add_option("--core-link-id", o.core_link_id,
                 "edge: local client id of the bridge connection to the core")
      ->capture_default_str();
  app.add_option("--port", o.port, "TLS listener port")->capture_default_str();
  app.add_option("--bind", o.bind_address, "listener address")->capture_default_str();
  app.add_option("--pki", o.pki_dir, "laneway-certs directory (ca.crt, crl.pem, servers/)")
      ->capture_default_str();
  app.add_option("--server-name", o.server_name, "server certificate: servers/<name>.crt|.key")
      ->capture_default_str();
  app.add_option("--registry", o.registry_path, "fleet registry (created if missing)")
      ->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "persistence and plugin state directory")
      ->capture_default_str();
  app.add_option("--map", o.map_filters, "comma-separated topic filters sent as envelopes")
      ->capture_default_str();
  app.add_option("--max-queued-messages", o.max_queued_messages,
                 "messages queued per persistent client while it is away (QoS 0 included)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 24));
  app.add_option("--max-queued-bytes", o.max_queued_bytes,
                 "bytes queued per persistent client while it is away")
      ->capture_default_str();
  app.add_option("--max-frame-bytes", o.max_frame_bytes,
                 "frame limit, the same as the bridge's limits.max_frame_bytes")
      ->check(CLI::Range(1024u, 16u << 20))
      ->capture_default_str();
  app.add_option("--max-topics", o.max_topics, "sequencer topic table bound")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 30));
  app.add_option("--user", o.user, "user mosquitto runs as (default: mosquitto's own)");
  app.add_option("--plugin", o.plugin_path, "path of laneway_plugin.so")->capture_default_str();
  app.add_option("--log-dest", o.log_dest, "mosquitto log_dest (stdout, syslog, file PATH)")
      ->capture_default_str();
  app.add_option("--out,-o", out_path, "write here instead of stdout");
  CLI11_PARSE(app, argc, argv);

  const bool edge = o.role == "edge";
  if (edge && (o.edge_name.empty() || o.core_addresses.empty())) {
    std::cerr << "laneway-broker-config: --role edge needs --edge-name and at least one --core\n";
    return 1;
  }
  if (!edge && (!o.edge_name.empty() || !o.core_addresses.empty())) {
    std::cerr << "laneway-broker-config: --edge-name and --core are for --role edge only\n";
    return 1;
  }
  const auto paths = laneway::plugin::broker_config_paths(o);
  std::vector<const std::string*> files = {&paths.cafile, &paths.certfile, &paths.keyfile,
                                           &paths.crlfile};
  if (edge) {
    files.push_back(&paths.edge_certfile);
    files.push_back(&paths.edge_keyfile);
  }
  for (const auto* file : files) {
    if (!std::filesystem::exists(*file)) {
      std::cerr << "laneway-broker-config: " << *file
                << " is missing (create the PKI with laneway-certs init / server --name "
                << o.server_name << (edge ? " / service --role edge --id " + o.edge_name : "")
                << ")\n";
      return 1;
    }
  }
  if (!std::filesystem::exists(o.plugin_path)) {
    std::cerr << "laneway-broker-config: plugin " << o.plugin_path << " is missing\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) {
    std::cerr << "laneway-broker-config: cannot create " << o.data_dir << ": " << ec.message()
              << '\n';
    return 1;
  }
  std::string error;
  if (!edge && !laneway::registry::Registry::open_read_write(o.registry_path, &error)) {
    std::cerr << "laneway-broker-config: registry: " << error << '\n';
    return 1;
  }

  const std::string text = laneway::plugin::render_broker_config(o);
  if (out_path.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream out(out_path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "laneway-broker-config: cannot write " << out_path << '\n';
    return 1;
  }
  return 0;
}
