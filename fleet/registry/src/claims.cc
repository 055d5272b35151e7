// Provisioning claims in the registry: CRUD for operators and the claim flow's
// all-or-nothing registration (see claims.h and Registry::register_claimed_device).
#include <algorithm>

#include "laneway/registry/serial.h"
#include "registry_impl.h"

namespace laneway::registry {
namespace {

std::optional<ClaimStatus> parse_claim_status(std::string_view text) {
  if (text == "active") return ClaimStatus::kActive;
  if (text == "disabled") return ClaimStatus::kDisabled;
  return std::nullopt;
}

constexpr std::string_view kSelectClaim =
    "SELECT batch, allowed, used, expires_at, groups, status, created_at, updated_at FROM claims";

bool read_claim(sqlite3_stmt* stmt, Claim* claim) {
  claim->batch = sqlite::column_text(stmt, 0);
  claim->allowed = sqlite3_column_int64(stmt, 1);
  claim->used = sqlite3_column_int64(stmt, 2);
  claim->expires_at_s = sqlite3_column_int64(stmt, 3);
  claim->groups = split_groups(sqlite::column_text(stmt, 4));
  const auto status = parse_claim_status(sqlite::column_text(stmt, 5));
  claim->created_at_s = sqlite3_column_int64(stmt, 6);
  claim->updated_at_s = sqlite3_column_int64(stmt, 7);
  if (!status) return false;
  claim->status = *status;
  return true;
}

}  // namespace

const char* to_string(ClaimStatus status) {
  return status == ClaimStatus::kActive ? "active" : "disabled";
}

const char* claim_refusal_code(ClaimRefusal refusal) {
  switch (refusal) {
    case ClaimRefusal::kNone:
      return "ok";
    case ClaimRefusal::kUnknownClaim:
      return "unknown_claim";
    case ClaimRefusal::kClaimDisabled:
      return "claim_disabled";
    case ClaimRefusal::kClaimExpired:
      return "claim_expired";
    case ClaimRefusal::kClaimExhausted:
      return "claim_exhausted";
    case ClaimRefusal::kIdTaken:
      return "id_taken";
    case ClaimRefusal::kReplay:
      return "replay";
    case ClaimRefusal::kSignFailed:
      return "bad_csr";
    case ClaimRefusal::kError:
      return "internal_error";
  }
  return "internal_error";
}

bool Registry::upsert_claim(const Claim& claim, std::string* error) {
  if (!is_valid_device_id(claim.batch)) {
    if (error) *error = "invalid claim batch name '" + claim.batch + "' (1..64 of [A-Za-z0-9._-])";
    return false;
  }
  if (claim.allowed < 0) {
    if (error) *error = "a claim's allowed count cannot be negative";
    return false;
  }
  for (const auto& group : claim.groups) {
    if (!is_valid_group_name(group)) {
      if (error) *error = "invalid group name '" + group + "'";
      return false;
    }
  }
  auto groups = claim.groups;
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  auto stmt = sqlite::prepare(impl_->db.get(), R"sql(
INSERT INTO claims(batch, allowed, used, expires_at, groups, status, created_at, updated_at)
VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?6)
ON CONFLICT(batch) DO UPDATE SET allowed = ?2, expires_at = ?3, groups = ?4, status = ?5,
                                 updated_at = ?6
)sql",
                              error);
  if (!stmt.valid()) return false;
  auto use = stmt.use();
  sqlite::bind_text(use.get(), 1, claim.batch);
  sqlite3_bind_int64(use.get(), 2, claim.allowed);
  sqlite3_bind_int64(use.get(), 3, claim.expires_at_s);
  const std::string joined = join_groups(groups);
  sqlite::bind_text(use.get(), 4, joined);
  sqlite::bind_text(use.get(), 5, to_string(claim.status));
  sqlite3_bind_int64(use.get(), 6, now_s());
  if (sqlite3_step(use.get()) != SQLITE_DONE) {
    if (error) *error = sqlite::describe(impl_->db.get(), "add claim");
    return false;
  }
  return true;
}

ClaimLookup Registry::find_claim(std::string_view batch) {
  ClaimLookup result;
  auto stmt = sqlite::prepare(impl_->db.get(), std::string(kSelectClaim) + " WHERE batch = ?1",
                              &result.error);
  if (!stmt.valid()) return result;
  auto use = stmt.use();
  sqlite::bind_text(use.get(), 1, batch);
  const int rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) {
    result.status = ClaimLookupStatus::kNotFound;
  } else if (rc != SQLITE_ROW) {
    result.error = sqlite::describe(impl_->db.get(), "find claim");
  } else if (!read_claim(use.get(), &result.claim)) {
    result.error = "claim has an unknown status";
  } else {
    result.status = ClaimLookupStatus::kFound;
  }
  return result;
}

std::optional<std::vector<Claim>> Registry::list_claims(std::string* error) {
  auto stmt =
      sqlite::prepare(impl_->db.get(), std::string(kSelectClaim) + " ORDER BY batch", error);
  if (!stmt.valid()) return std::nullopt;
  std::vector<Claim> claims;
  auto use = stmt.use();
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
    Claim claim;
    if (read_claim(use.get(), &claim)) claims.push_back(std::move(claim));
  }
  if (rc != SQLITE_DONE) {
    if (error) *error = sqlite::describe(impl_->db.get(), "list claims");
    return std::nullopt;
  }
  return claims;
}

bool Registry::set_claim_status(std::string_view batch, ClaimStatus status, std::string* error) {
  sqlite3* db = impl_->db.get();
  auto stmt =
      sqlite::prepare(db, "UPDATE claims SET status = ?2, updated_at = ?3 WHERE batch = ?1", error);
  if (!stmt.valid()) return false;
  auto use = stmt.use();
  sqlite::bind_text(use.get(), 1, batch);
  sqlite::bind_text(use.get(), 2, to_string(status));
  sqlite3_bind_int64(use.get(), 3, now_s());
  if (sqlite3_step(use.get()) != SQLITE_DONE) {
    if (error) *error = sqlite::describe(db, "set claim status");
    return false;
  }
  if (sqlite3_changes(db) == 0) {
    if (error) *error = "no claim '" + std::string(batch) + "'";
    return false;
  }
  return true;
}

ClaimOutcome Registry::register_claimed_device(const ClaimRequest& request, const ClaimSigner& sign,
                                               const ClaimUndo& undo) {
  ClaimOutcome out;
  sqlite3* db = impl_->db.get();
  auto refuse = [&](ClaimRefusal why, std::string message) {
    sqlite::exec(db, "ROLLBACK", nullptr);
    out.refusal = why;
    out.message = std::move(message);
    return out;
  };
  auto db_error = [&](const char* what) {
    return refuse(ClaimRefusal::kError, sqlite::describe(db, what));
  };
  if (!is_valid_device_id(request.device_id)) {
    out.refusal = ClaimRefusal::kSignFailed;
    out.message = "invalid device id (1..64 of [A-Za-z0-9._-])";
    return out;
  }
  std::string error;
  if (!sqlite::exec(db, "BEGIN IMMEDIATE", &error)) {
    out.refusal = ClaimRefusal::kError;
    out.message = error;
    return out;
  }

  // 1. The claim.
  const ClaimLookup claim = find_claim(request.batch);
  if (claim.status == ClaimLookupStatus::kError) return refuse(ClaimRefusal::kError, claim.error);
  if (claim.status == ClaimLookupStatus::kNotFound)
    return refuse(ClaimRefusal::kUnknownClaim,
                  "claim '" + request.batch + "' is not registered (laneway-fleet claim add)");
  if (claim.claim.status != ClaimStatus::kActive)
    return refuse(ClaimRefusal::kClaimDisabled, "claim '" + request.batch + "' is disabled");
  if (request.now_s >= claim.claim.expires_at_s)
    return refuse(ClaimRefusal::kClaimExpired, "claim '" + request.batch + "' has expired");
  if (claim.claim.used >= claim.claim.allowed)
    return refuse(ClaimRefusal::kClaimExhausted,
                  "claim '" + request.batch + "' has provisioned all " +
                      std::to_string(claim.claim.allowed) + " devices it allows");

  // 2. Replay: this public key was provisioned before (the same CSR, or the same key in a
  // new CSR). Checked before the id so a replayed request says so.
  {
    auto stmt =
        sqlite::prepare(db, "SELECT device_id FROM provisioned_keys WHERE key_sha256 = ?1", &error);
    if (!stmt.valid()) return refuse(ClaimRefusal::kError, error);
    auto use = stmt.use();
    sqlite::bind_text(use.get(), 1, request.key_sha256);
    const int rc = sqlite3_step(use.get());
    if (rc == SQLITE_ROW)
      return refuse(ClaimRefusal::kReplay, "this key was already provisioned (as device " +
                                               sqlite::column_text(use.get(), 0) + ")");
    if (rc != SQLITE_DONE) return db_error("check key");
  }
  // 3. The id is free (any status: a revoked id is never handed out again).
  {
    auto stmt = sqlite::prepare(db, "SELECT status FROM devices WHERE id = ?1", &error);
    if (!stmt.valid()) return refuse(ClaimRefusal::kError, error);
    auto use = stmt.use();
    sqlite::bind_text(use.get(), 1, request.device_id);
    const int rc = sqlite3_step(use.get());
    if (rc == SQLITE_ROW)
      return refuse(ClaimRefusal::kIdTaken,
                    "device id " + request.device_id + " is already registered");
    if (rc != SQLITE_DONE) return db_error("check id");
  }

  // 4. Issue the certificate, then write everything; undo the certificate if the rows fail.
  ClaimIssued issued;
  if (!sign(claim.claim.groups, &issued, &error)) return refuse(ClaimRefusal::kSignFailed, error);
  auto undo_and_refuse = [&](const char* what) {
    auto refused = db_error(what);
    if (undo) undo(issued);
    return refused;
  };
  const auto serial = normalize_serial(issued.cert_serial);
  if (!serial) return undo_and_refuse("issued serial");
  const std::int64_t now = now_s();
  {
    auto stmt = sqlite::prepare(db, R"sql(
INSERT INTO devices(id, status, cert_serial, created_at, updated_at, cert_not_after,
                    provisioned_by)
VALUES (?1, 'active', ?2, ?3, ?3, ?4, ?5)
)sql",
                                &error);
    if (!stmt.valid()) return undo_and_refuse("prepare insert device");
    auto use = stmt.use();
    sqlite::bind_text(use.get(), 1, request.device_id);
    sqlite::bind_text(use.get(), 2, *serial);
    sqlite3_bind_int64(use.get(), 3, now);
    sqlite3_bind_int64(use.get(), 4, issued.not_after_s);
    sqlite::bind_text(use.get(), 5, request.batch);
    if (sqlite3_step(use.get()) != SQLITE_DONE) return undo_and_refuse("insert device");
  }
  {
    auto stmt = sqlite::prepare(
        db, "INSERT INTO device_groups(device_id, group_name) VALUES (?1, ?2)", &error);
    if (!stmt.valid()) return undo_and_refuse("prepare insert group");
    for (const auto& group : claim.claim.groups) {
      auto use = stmt.use();
      sqlite::bind_text(use.get(), 1, request.device_id);
      sqlite::bind_text(use.get(), 2, group);
      if (sqlite3_step(use.get()) != SQLITE_DONE) return undo_and_refuse("insert group");
    }
  }
  {
    auto stmt = sqlite::prepare(db, R"sql(
INSERT INTO provisioned_keys(key_sha256, batch, device_id, cert_serial, created_at)
VALUES (?1, ?2, ?3, ?4, ?5)
)sql",
                                &error);
    if (!stmt.valid()) return undo_and_refuse("prepare record key");
    auto use = stmt.use();
    sqlite::bind_text(use.get(), 1, request.key_sha256);
    sqlite::bind_text(use.get(), 2, request.batch);
    sqlite::bind_text(use.get(), 3, request.device_id);
    sqlite::bind_text(use.get(), 4, *serial);
    sqlite3_bind_int64(use.get(), 5, now);
    if (sqlite3_step(use.get()) != SQLITE_DONE) return undo_and_refuse("record key");
  }
  {
    auto stmt = sqlite::prepare(
        db, "UPDATE claims SET used = used + 1, updated_at = ?2 WHERE batch = ?1", &error);
    if (!stmt.valid()) return undo_and_refuse("prepare count claim");
    auto use = stmt.use();
    sqlite::bind_text(use.get(), 1, request.batch);
    sqlite3_bind_int64(use.get(), 2, now);
    if (sqlite3_step(use.get()) != SQLITE_DONE) return undo_and_refuse("count claim");
  }
  if (!sqlite::exec(db, "COMMIT", &error)) return undo_and_refuse("commit");
  out.refusal = ClaimRefusal::kNone;
  out.issued = issued;
  out.issued.cert_serial = *serial;
  out.groups = claim.claim.groups;
  return out;
}

}  // namespace laneway::registry
