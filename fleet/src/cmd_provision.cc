// provision: registers a manufacturer batch made by `laneway-certs batch` (its
// manifest.json) in the registry, so those devices may connect. Everything is validated
// before the first row is written, so a bad manifest registers nothing.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "laneway/certs/x509_io.h"
#include "laneway/registry/registry.h"
#include "laneway/registry/serial.h"

namespace laneway::fleet {
namespace {

constexpr std::size_t kMaxManifestBytes = 64 * 1024 * 1024;

// The CA's SHA-256 as the manifest spells it, or empty if it cannot be read.
std::string ca_sha256(const std::string& pki) {
  std::ifstream in(pki + "/ca.crt", std::ios::binary);
  if (!in) return {};
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto cert = certs::certificate_from_pem(pem, "ca.crt");
  return cert.ok() ? certs::certificate_sha256_hex(cert->get()) : std::string();
}

}  // namespace

void add_provision_command(CLI::App& app) {
  static std::string manifest_path;
  static std::string db = "fleet.db";
  static std::string pki;
  static std::vector<std::string> extra_groups;
  auto* cmd = app.add_subcommand(
      "provision", "Register a laneway-certs batch (manifest.json): devices become active");
  cmd->add_option("--manifest", manifest_path, "The batch's manifest.json")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--registry", db, "Registry file")->capture_default_str();
  cmd->add_option("--pki", pki, "CA directory: refuse a batch signed by another CA");
  cmd->add_option("--group", extra_groups, "Extra group for every device (repeatable)");
  cmd->callback([] {
    std::ifstream in(manifest_path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > kMaxManifestBytes) return fail("provision", "manifest too large");
    const auto manifest = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (manifest.is_discarded() || !manifest.is_object())
      return fail("provision", manifest_path + " is not JSON");
    if (!manifest.contains("group") || !manifest["group"].is_string() ||
        !manifest.contains("devices") || !manifest["devices"].is_array())
      return fail("provision", manifest_path + " has no \"group\" string or \"devices\" array");
    const std::string group = manifest["group"].get<std::string>();
    if (!registry::is_valid_group_name(group))
      return fail("provision", "invalid group '" + group + "' in the manifest");
    for (const auto& g : extra_groups)
      if (!registry::is_valid_group_name(g))
        return fail("provision", "invalid group name '" + g + "'");
    if (!pki.empty()) {
      const std::string actual = ca_sha256(pki);
      if (actual.empty()) return fail("provision", "cannot read " + pki + "/ca.crt");
      if (!manifest.contains("ca_sha256") || !manifest["ca_sha256"].is_string() ||
          manifest["ca_sha256"].get<std::string>() != actual)
        return fail("provision", "the batch was not issued by the CA in " + pki);
    }

    std::vector<registry::Device> devices;
    for (const auto& entry : manifest["devices"]) {
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string() ||
          !entry.contains("serial") || !entry["serial"].is_string())
        return fail("provision", "a device entry lacks an \"id\" or \"serial\" string");
      registry::Device device;
      device.id = entry["id"].get<std::string>();
      if (!registry::is_valid_device_id(device.id))
        return fail("provision", "invalid device id '" + device.id + "'");
      auto serial = registry::normalize_serial(entry["serial"].get<std::string>());
      if (!serial) return fail("provision", "invalid serial for " + device.id);
      device.cert_serial = *serial;
      if (entry.contains("not_after_unix") && entry["not_after_unix"].is_number_integer())
        device.cert_not_after_s = entry["not_after_unix"].get<std::int64_t>();
      device.groups = extra_groups;
      device.groups.push_back(group);
      std::sort(device.groups.begin(), device.groups.end());
      device.groups.erase(std::unique(device.groups.begin(), device.groups.end()),
                          device.groups.end());
      devices.push_back(std::move(device));
    }

    std::string error;
    auto reg = registry::Registry::open_read_write(db, &error);
    if (!reg) return fail("provision", "cannot open registry " + db + ": " + error);
    // A device already revoked is never re-activated by re-provisioning.
    for (const auto& device : devices) {
      const auto lookup = reg->find_device(device.id);
      if (lookup.status == registry::LookupStatus::kError) return fail("provision", lookup.error);
      if (lookup.status == registry::LookupStatus::kFound &&
          lookup.device.status == registry::DeviceStatus::kRevoked)
        return fail("provision", device.id + " is revoked; it cannot be provisioned again");
    }
    if (!reg->add_group(group, &error)) return fail("provision", error);
    for (const auto& device : devices)
      if (!reg->upsert_device(device, &error)) return fail("provision", device.id + ": " + error);
    std::printf("provisioned %zu devices in group %s\n", devices.size(), group.c_str());
  });
}

}  // namespace laneway::fleet
