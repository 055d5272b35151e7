// serve: the claim provisioning service (docs/fleet.md, "Provisioning protocol"). Devices
// holding a shared claim certificate publish a CSR; the service checks the claim, the CSR
// and the request rate, signs with the laneway_certs library, registers the device and
// replies with the certificate chain. Also records device presence in the registry.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "broker_flags.h"
#include "commands.h"
#include "laneway/certs/ca_store.h"
#include "laneway/registry/registry.h"
#include "provisioning_handler.h"
#include "serve_client.h"

namespace laneway::fleet {

void add_serve_command(CLI::App& app) {
  static std::string pki = "pki";
  static std::string db = "fleet.db";
  static std::string operator_name = "admin";
  static std::string ca_pass_file;
  static ServeOptions options;
  static HandlerOptions handler_options;
  static bool no_presence = false;
  auto* cmd = app.add_subcommand(
      "serve", "Provisioning service: sign CSRs from claim devices, register them, reply");
  cmd->add_option("--pki", pki,
                  "CA directory: signs with ca.key; connects with services/operator-<name>.*")
      ->capture_default_str();
  cmd->add_option("--ca-pass-file", ca_pass_file, "File whose first line is the CA key passphrase")
      ->check(CLI::ExistingFile);
  cmd->add_option("--registry", db, "Registry file")->capture_default_str();
  cmd->add_option("--operator", operator_name, "Operator certificate the service connects with")
      ->capture_default_str();
  add_broker_flags(cmd, options.host, options.port);
  cmd->add_option("--client-id", options.client_id, "MQTT client id of the service")
      ->capture_default_str();
  cmd->add_option("--claim-rate", handler_options.claim_rate,
                  "Requests per second per claim, sustained")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100000.0));
  cmd->add_option("--claim-burst", handler_options.claim_burst, "Requests per claim at once")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 100000.0));
  cmd->add_option("--days", handler_options.days,
                  "Validity of issued device certificates in days (0 = laneway-certs default)")
      ->capture_default_str()
      ->check(CLI::Range(0, 36500));
  cmd->add_flag("--no-presence", no_presence,
                "Do not record first/last seen from $lw/presence/+ in the registry");
  cmd->add_option("--presence-flush", options.presence_flush_s,
                  "Seconds between presence writes to the registry")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  cmd->callback([] {
    namespace fs = std::filesystem;
    options.presence = !no_presence;
    options.cafile = broker_ca_file("serve", pki);
    if (options.cafile.empty()) return;
    const auto prefix = fs::path(pki) / "services" / ("operator-" + operator_name);
    options.certfile = prefix.string() + ".crt";
    options.keyfile = prefix.string() + ".key";
    for (const auto& file : {options.certfile, options.keyfile})
      if (!fs::exists(file))
        return fail("serve", file + " is missing (laneway-certs service --role operator --id " +
                                 operator_name + ")");
    std::optional<std::string> passphrase;
    if (!ca_pass_file.empty()) {
      std::ifstream in(ca_pass_file);
      std::string line;
      std::getline(in, line);
      passphrase = line;
    }
    auto ca = certs::CaStore::open(pki, passphrase);
    if (!ca.ok()) return fail("serve", "cannot open the CA in " + pki + ": " + ca.error().message);
    std::string error;
    auto reg = registry::Registry::open_read_write(db, &error);
    if (!reg) return fail("serve", "cannot open registry " + db + ": " + error);
    ProvisioningHandler handler(std::move(ca).value(), std::move(reg), handler_options);
    stop_on_signals();
    set_exit_code(run_serve(options, handler, stop_requested));
  });
}

}  // namespace laneway::fleet
