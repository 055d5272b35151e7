// claim add|list|disable: the provisioning claims in the registry. A claim names a batch
// (the CN of a `laneway-certs claim --batch NAME` certificate), how many devices it may
// provision, until when, and the groups those devices get.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>

#include "commands.h"
#include "laneway/registry/registry.h"

namespace laneway::fleet {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out.empty() ? "-" : out;
}

}  // namespace

void add_claim_commands(CLI::App& app) {
  static std::string db = "fleet.db";
  static registry::Claim claim;
  static double days = 30;
  static std::string batch;

  auto* cmd =
      app.add_subcommand("claim", "Provisioning claims (which claim certificates may provision)");
  cmd->require_subcommand(1);
  auto* add = cmd->add_subcommand(
      "add", "Allow a claim batch to provision devices (replaces count/expiry/groups, keeps used)");
  add->add_option("--registry", db, "Registry file")->capture_default_str();
  add->add_option("--batch", claim.batch, "Claim batch name (the claim certificate's CN)")
      ->required();
  add->add_option("--allowed", claim.allowed, "How many devices it may provision")
      ->required()
      ->check(CLI::Range(static_cast<std::int64_t>(0), static_cast<std::int64_t>(100000000)));
  add->add_option("--days", days, "Days from now until the claim expires")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 36500.0));
  add->add_option("--group", claim.groups,
                  "Group given to every device it provisions (repeatable)");
  add->callback([] {
    std::string error;
    auto reg = registry::Registry::open_read_write(db, &error);
    if (!reg) return fail("claim add", "cannot open registry " + db + ": " + error);
    claim.expires_at_s =
        static_cast<std::int64_t>(std::time(nullptr)) + static_cast<std::int64_t>(days * 86400);
    claim.status = registry::ClaimStatus::kActive;
    if (!reg->upsert_claim(claim, &error)) return fail("claim add", error);
    std::printf("claim %s: %lld devices allowed until %lld, groups %s\n", claim.batch.c_str(),
                static_cast<long long>(claim.allowed), static_cast<long long>(claim.expires_at_s),
                join(claim.groups).c_str());
  });

  auto* list =
      cmd->add_subcommand("list", "One line per claim: batch status used/allowed expires groups");
  list->add_option("--registry", db, "Registry file")->capture_default_str();
  list->callback([] {
    std::string error;
    auto reg = registry::Registry::open_read_write(db, &error);
    if (!reg) return fail("claim list", "cannot open registry " + db + ": " + error);
    auto claims = reg->list_claims(&error);
    if (!claims) return fail("claim list", error);
    for (const auto& c : *claims)
      std::printf("%s\t%s\t%lld/%lld\t%lld\t%s\n", c.batch.c_str(), registry::to_string(c.status),
                  static_cast<long long>(c.used), static_cast<long long>(c.allowed),
                  static_cast<long long>(c.expires_at_s), join(c.groups).c_str());
  });

  auto* disable = cmd->add_subcommand("disable", "Stop a claim from provisioning more devices");
  disable->add_option("--registry", db, "Registry file")->capture_default_str();
  disable->add_option("--batch", batch, "Claim batch name")->required();
  disable->callback([] {
    std::string error;
    auto reg = registry::Registry::open_read_write(db, &error);
    if (!reg) return fail("claim disable", "cannot open registry " + db + ": " + error);
    if (!reg->set_claim_status(batch, registry::ClaimStatus::kDisabled, &error))
      return fail("claim disable", error);
    std::printf("claim %s disabled\n", batch.c_str());
  });
}

}  // namespace laneway::fleet
