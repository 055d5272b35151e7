// group add|list, device list|show: the registry as an operator sees it.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "laneway/registry/registry.h"

namespace laneway::fleet {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out.empty() ? "-" : out;
}

std::unique_ptr<registry::Registry> open(const std::string& command, const std::string& path) {
  std::string error;
  auto reg = registry::Registry::open_read_write(path, &error);
  if (!reg) fail(command, "cannot open registry " + path + ": " + error);
  return reg;
}

}  // namespace

void add_registry_commands(CLI::App& app) {
  static std::string db = "fleet.db";
  static std::string name;
  static std::string id;

  auto* group = app.add_subcommand("group", "Device groups (broadcast targets)");
  group->require_subcommand(1);
  auto* group_add = group->add_subcommand("add", "Create a group (idempotent)");
  group_add->add_option("--registry", db, "Registry file")->capture_default_str();
  group_add->add_option("name", name, "Group name: 1..64 of [A-Za-z0-9._-]")->required();
  group_add->callback([] {
    auto reg = open("group add", db);
    if (!reg) return;
    std::string error;
    if (!reg->add_group(name, &error)) return fail("group add", error);
    std::printf("group %s\n", name.c_str());
  });
  auto* group_list = group->add_subcommand("list", "List groups with member counts");
  group_list->add_option("--registry", db, "Registry file")->capture_default_str();
  group_list->callback([] {
    auto reg = open("group list", db);
    if (!reg) return;
    std::string error;
    auto groups = reg->list_groups(&error);
    if (!groups) return fail("group list", error);
    for (const auto& g : *groups)
      std::printf("%s\t%lld\n", g.name.c_str(), static_cast<long long>(g.members));
  });

  auto* device = app.add_subcommand("device", "Registered devices");
  device->require_subcommand(1);
  auto* device_list =
      device->add_subcommand("list", "One line per device: id status groups serial");
  device_list->add_option("--registry", db, "Registry file")->capture_default_str();
  device_list->callback([] {
    auto reg = open("device list", db);
    if (!reg) return;
    std::string error;
    auto devices = reg->list_devices(&error);
    if (!devices) return fail("device list", error);
    for (const auto& d : *devices)
      std::printf("%s\t%s\t%s\t%s\n", d.id.c_str(), registry::to_string(d.status),
                  join(d.groups).c_str(), d.cert_serial.empty() ? "-" : d.cert_serial.c_str());
  });
  auto* device_show =
      device->add_subcommand("show", "Everything the registry holds for one device");
  device_show->add_option("--registry", db, "Registry file")->capture_default_str();
  device_show->add_option("--id", id, "Device id")->required();
  device_show->callback([] {
    auto reg = open("device show", db);
    if (!reg) return;
    const auto lookup = reg->find_device(id);
    if (lookup.status == registry::LookupStatus::kError) return fail("device show", lookup.error);
    if (lookup.status == registry::LookupStatus::kNotFound)
      return fail("device show", "no device " + id + " in " + db);
    const auto& d = lookup.device;
    std::printf(
        "id: %s\nstatus: %s\ngroups: %s\ncert_serial: %s\ncreated_at: %lld\nupdated_at: %lld\n",
        d.id.c_str(), registry::to_string(d.status), join(d.groups).c_str(),
        d.cert_serial.empty() ? "-" : d.cert_serial.c_str(), static_cast<long long>(d.created_at_s),
        static_cast<long long>(d.updated_at_s));
  });
}

}  // namespace laneway::fleet
