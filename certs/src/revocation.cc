#include "laneway/certs/revocation.h"

#include <ctime>

#include "laneway/certs/crl.h"
#include "laneway/certs/index.h"
#include "laneway/certs/serial.h"

namespace laneway::certs {
namespace {

struct IdentityMatch {
  std::string role;
  std::string id;
};

// "<id>" is a device; "<role>:<id>" any role, as the plugin names identities.
Result<IdentityMatch> parse_identity(const std::string& identity) {
  const auto colon = identity.find(':');
  if (colon == std::string::npos) {
    LW_RETURN_IF_ERROR(validate_id(identity, "device id"));
    return IdentityMatch{"device", identity};
  }
  const std::string role = identity.substr(0, colon);
  const std::string id = identity.substr(colon + 1);
  if (!parse_role(role)) {
    return make_error(
        "'" + role +
        "' is not a role: use <device id> or device|bridge|operator|claim|server:<id>");
  }
  LW_RETURN_IF_ERROR(validate_id(id, "id"));
  return IdentityMatch{role, id};
}

}  // namespace

Result<RevokeOutcome> revoke(const CaStore& ca, const RevokeTarget& target, int crl_days) {
  if (target.identity.has_value() == target.serial_hex.has_value()) {
    return make_error("give exactly one of --id or --serial");
  }
  std::optional<IdentityMatch> who;
  std::string serial;
  if (target.identity) {
    LW_ASSIGN_OR_RETURN(who, parse_identity(*target.identity));
  } else {
    LW_ASSIGN_OR_RETURN(serial, canonical_serial_hex(*target.serial_hex));
  }

  LW_ASSIGN_OR_RETURN(CaLock lock, ca.lock());
  LW_ASSIGN_OR_RETURN(std::vector<IndexEntry> index, read_index(ca.index_path()));
  RevokeOutcome outcome;
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  for (auto& entry : index) {
    const bool match =
        who ? (entry.role == who->role && entry.id == who->id) : entry.serial_hex == serial;
    if (!match) continue;
    if (entry.status == 'R') {
      outcome.already_revoked.push_back(entry.serial_hex);
      continue;
    }
    entry.status = 'R';
    entry.revoked_at = now;
    outcome.revoked.push_back(entry.serial_hex);
  }
  if (outcome.revoked.empty() && outcome.already_revoked.empty()) {
    return make_error(std::string("no certificate ") +
                      (who ? "for '" + *target.identity + "'" : "with serial " + serial) + " in " +
                      ca.index_path().string() +
                      ": check the id (services are role:id) or the serial");
  }
  if (!outcome.revoked.empty()) {
    LW_RETURN_IF_ERROR(rewrite_index(ca.index_path(), index));
  }
  // Publish even when nothing changed, so a lost crl.pem is restored by a repeated revoke.
  LW_RETURN_IF_ERROR(publish_crl(ca, crl_days));
  return outcome;
}

}  // namespace laneway::certs
