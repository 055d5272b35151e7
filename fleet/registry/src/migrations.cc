#include "migrations.h"

#include <string_view>

#include "laneway/registry/registry.h"
#include "sqlite_handles.h"

namespace laneway::registry {
namespace {

struct Migration {
  int to_version;
  const char* sql;
};

// Append-only: a released step never changes, a new layout is a new step.
constexpr Migration kMigrations[] = {
    // 1: what the broker plugin needs (created by the plugin work).
    {1, R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
  cert_serial TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_groups (
  device_id  TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  group_name TEXT NOT NULL,
  PRIMARY KEY (device_id, group_name)
) WITHOUT ROWID;
)sql"},
    // 2: named groups. Files written by the first fleet CLI already have this table while
    // still saying version 1 (it was added without a bump), hence IF NOT EXISTS.
    {2, R"sql(
CREATE TABLE IF NOT EXISTS fleet_groups (
  name       TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
    // 3: certificate expiry, first/last seen and presence per device; provisioning claims
    // and the keys they provisioned (replay protection).
    {3, R"sql(
ALTER TABLE devices ADD COLUMN cert_not_after INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN first_seen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN presence TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN provisioned_by TEXT NOT NULL DEFAULT '';
CREATE TABLE claims (
  batch      TEXT PRIMARY KEY,
  allowed    INTEGER NOT NULL CHECK (allowed >= 0),
  used       INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
  expires_at INTEGER NOT NULL,
  groups     TEXT NOT NULL DEFAULT '',
  status     TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE provisioned_keys (
  key_sha256  TEXT PRIMARY KEY,
  batch       TEXT NOT NULL,
  device_id   TEXT NOT NULL,
  cert_serial TEXT NOT NULL,
  created_at  INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
};

static_assert(std::size(kMigrations) == kSchemaVersion, "one step per schema version");

bool table_exists(sqlite3* db, std::string_view name, bool* exists, std::string* error) {
  auto stmt =
      sqlite::prepare(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", error);
  if (!stmt.valid()) return false;
  auto use = stmt.use();
  sqlite::bind_text(use.get(), 1, name);
  const int rc = sqlite3_step(use.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    if (error) *error = sqlite::describe(db, "read schema");
    return false;
  }
  *exists = rc == SQLITE_ROW;
  return true;
}

bool set_version(sqlite3* db, int version, std::string* error) {
  const std::string sql =
      "DELETE FROM schema_version; INSERT INTO schema_version(version) VALUES (" +
      std::to_string(version) + ")";
  return sqlite::exec(db, sql.c_str(), error);
}

bool migrate_locked(sqlite3* db, std::string* error) {
  int version = 0;
  if (!read_schema_version(db, &version, error)) return false;
  if (version > kSchemaVersion) {
    if (error)
      *error = "registry schema version " + std::to_string(version) +
               " is newer than this build (" + std::to_string(kSchemaVersion) +
               "); use a newer laneway";
    return false;
  }
  for (const auto& step : kMigrations) {
    if (step.to_version <= version) continue;
    if (!sqlite::exec(db, step.sql, error) || !set_version(db, step.to_version, error)) {
      if (error)
        *error =
            "migration to schema version " + std::to_string(step.to_version) + " failed: " + *error;
      return false;
    }
  }
  return true;
}

}  // namespace

bool read_schema_version(sqlite3* db, int* version, std::string* error) {
  bool has_version_table = false;
  if (!table_exists(db, "schema_version", &has_version_table, error)) return false;
  if (!has_version_table) {
    auto count = sqlite::prepare(db, "SELECT count(*) FROM sqlite_master", error);
    if (!count.valid()) return false;
    auto use = count.use();
    if (sqlite3_step(use.get()) != SQLITE_ROW) {
      if (error) *error = sqlite::describe(db, "read schema");
      return false;
    }
    if (sqlite3_column_int(use.get(), 0) != 0) {
      if (error) *error = "not a laneway registry (no schema_version table)";
      return false;
    }
    *version = 0;
    return true;
  }
  auto stmt = sqlite::prepare(db, "SELECT max(version) FROM schema_version", error);
  if (!stmt.valid()) return false;
  auto use = stmt.use();
  if (sqlite3_step(use.get()) != SQLITE_ROW || sqlite3_column_type(use.get(), 0) == SQLITE_NULL) {
    if (error) *error = "registry has no schema version";
    return false;
  }
  *version = sqlite3_column_int(use.get(), 0);
  return true;
}

bool migrate_to_current(sqlite3* db, std::string* error) {
  if (!sqlite::exec(db, "BEGIN IMMEDIATE", error)) return false;
  if (!migrate_locked(db, error)) {
    sqlite::exec(db, "ROLLBACK", nullptr);
    return false;
  }
  return sqlite::exec(db, "COMMIT", error);
}

}  // namespace laneway::registry
