// revoke: the registry says revoked and the CA revokes every certificate of the device and
// rewrites the CRL. The plugin notices either change within its poll interval and kicks the
// device; both are done so the refusal holds even if one of the two is restored.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"
#include "laneway/certs/ca_store.h"
#include "laneway/certs/revocation.h"
#include "laneway/registry/registry.h"

namespace laneway::fleet {

void add_revoke_command(CLI::App& app) {
  static std::string db = "fleet.db";
  static std::string pki = "pki";
  static std::string id;
  auto* cmd = app.add_subcommand("revoke", "Revoke a device: registry status + CRL (kicks it)");
  cmd->add_option("--id", id, "Device id")->required();
  cmd->add_option("--pki", pki, "laneway-certs CA directory")->capture_default_str();
  cmd->add_option("--registry", db, "Registry file")->capture_default_str();
  cmd->callback([] {
    std::string error;
    auto reg = registry::Registry::open_read_write(db, &error);
    if (!reg) return fail("revoke", "cannot open registry " + db + ": " + error);
    const auto lookup = reg->find_device(id);
    if (lookup.status == registry::LookupStatus::kError) return fail("revoke", lookup.error);
    if (lookup.status == registry::LookupStatus::kNotFound)
      return fail("revoke", "no device " + id + " in " + db);
    auto ca = certs::CaStore::open(pki);
    if (!ca.ok()) return fail("revoke", "cannot open the CA in " + pki + ": " + ca.error().message);
    if (!reg->set_status(id, registry::DeviceStatus::kRevoked, &error))
      return fail("revoke", error);
    auto outcome = certs::revoke(ca.value(), {id, std::nullopt});
    if (!outcome.ok()) return fail("revoke", outcome.error().message);
    std::printf("revoked %s: registry revoked, %zu certificate(s) newly in the CRL, %zu already\n",
                id.c_str(), outcome->revoked.size(), outcome->already_revoked.size());
  });
}

}  // namespace laneway::fleet
