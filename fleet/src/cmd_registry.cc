// group add|list, device list|show: the registry as an operator sees it.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <memory>

#include "commands.h"
#include "laneway.pb.h"
#include "laneway/registry/registry.h"
#include "operator_connection.h"

namespace laneway::fleet {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out.empty() ? "-" : out;
}

// "2026-11-23T11:00:00Z (1795431600)", or "-" for 0 (never / unknown).
std::string format_time(std::int64_t unix_s) {
  if (unix_s <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text) + " (" + std::to_string(unix_s) + ")";
}

// The online line of `device show`. The plugin's retained `$lw/presence/<id>` is the
// authority (it is updated on every connect and disconnect, even while no fleet service
// runs), so it is asked first; the registry's copy (kept by `serve`) is the fallback when
// the broker cannot be asked.
std::string online_line(const registry::Device& d, const ConnectionFlags& flags, int wait_ms,
                        bool registry_only) {
  const std::string registry_view =
      d.presence.empty() ? "never seen" : d.presence + " at " + format_time(d.last_seen_s);
  if (registry_only) return "unknown (registry only; serve last recorded: " + registry_view + ")";
  std::string error;
  auto client = connect("device show", flags, /*report=*/false, &error);
  if (!client)
    return "unknown (broker not asked: " + error + "; serve last recorded: " + registry_view + ")";
  auto retained =
      client->fetch_retained("$lw/presence/" + d.id, std::chrono::milliseconds(wait_ms), &error);
  client->disconnect();
  if (!retained) {
    if (!error.empty()) return "unknown (" + error + ")";
    return "no (the broker has no presence for it: never connected since the broker's state began)";
  }
  laneway::v1::Frame frame;
  laneway::v1::Presence presence;
  if (!frame.ParseFromString(*retained) || !frame.has_envelope() ||
      !presence.ParseFromString(frame.envelope().payload()))
    return "unknown (unreadable presence message)";
  return std::string(presence.online() ? "yes" : "no") + " (broker presence, since " +
         format_time(presence.since_us() / 1000000) + ")";
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
  static ConnectionFlags show_flags;
  static int presence_wait_ms = 1000;
  static bool registry_only = false;
  add_connection_flags(device_show, show_flags);
  device_show
      ->add_option("--presence-wait", presence_wait_ms,
                   "Milliseconds to wait for the retained presence after the SUBACK")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  device_show->add_flag("--registry-only", registry_only,
                        "Do not ask the broker; online state from the registry's last record");
  device_show->callback([] {
    auto reg = open("device show", db);
    if (!reg) return;
    const auto lookup = reg->find_device(id);
    if (lookup.status == registry::LookupStatus::kError) return fail("device show", lookup.error);
    if (lookup.status == registry::LookupStatus::kNotFound)
      return fail("device show", "no device " + id + " in " + db);
    const auto& d = lookup.device;
    std::printf(
        "id: %s\nstatus: %s\ngroups: %s\ncert_serial: %s\ncert_not_after: %s\n"
        "provisioned_by: %s\ncreated_at: %lld\nupdated_at: %lld\nfirst_seen: %s\nlast_seen: %s\n",
        d.id.c_str(), registry::to_string(d.status), join(d.groups).c_str(),
        d.cert_serial.empty() ? "-" : d.cert_serial.c_str(),
        format_time(d.cert_not_after_s).c_str(),
        d.provisioned_by.empty() ? "-" : ("claim " + d.provisioned_by).c_str(),
        static_cast<long long>(d.created_at_s), static_cast<long long>(d.updated_at_s),
        format_time(d.first_seen_s).c_str(), format_time(d.last_seen_s).c_str());
    std::fflush(stdout);
    std::printf("online: %s\n",
                online_line(d, show_flags, presence_wait_ms, registry_only).c_str());
  });
}

}  // namespace laneway::fleet
