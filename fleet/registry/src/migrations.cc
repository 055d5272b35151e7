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
    // 4: the change journal (docs/fleet.md "Change journal"): one row per change to what the
    // broker reads of a device (existence, status, certificate, groups), written by triggers
    // so every writer fills it, presence and seen times deliberately not. The plugin reads
    // the rows past the last seq it saw and re-checks only those devices. AUTOINCREMENT: a
    // seq is never reused, so "the oldest row left is past my seq + 1" means rows were pruned.
    // Pruning keeps the newest 100 000 rows (kChangeJournalRows in registry.h).
    {4, R"sql(
CREATE TABLE device_changes (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id TEXT NOT NULL
);
CREATE TRIGGER device_changes_prune AFTER INSERT ON device_changes BEGIN
  DELETE FROM device_changes WHERE seq <= NEW.seq - 100000;
END;
CREATE TRIGGER devices_journal_insert AFTER INSERT ON devices BEGIN
  INSERT INTO device_changes(device_id) VALUES (NEW.id);
END;
CREATE TRIGGER devices_journal_delete AFTER DELETE ON devices BEGIN
  INSERT INTO device_changes(device_id) VALUES (OLD.id);
END;
CREATE TRIGGER devices_journal_update AFTER UPDATE ON devices
WHEN OLD.id IS NOT NEW.id OR OLD.status IS NOT NEW.status
  OR OLD.cert_serial IS NOT NEW.cert_serial OR OLD.cert_not_after IS NOT NEW.cert_not_after
BEGIN
  INSERT INTO device_changes(device_id) SELECT OLD.id WHERE OLD.id IS NOT NEW.id;
  INSERT INTO device_changes(device_id) VALUES (NEW.id);
END;
CREATE TRIGGER device_groups_journal_insert AFTER INSERT ON device_groups BEGIN
  INSERT INTO device_changes(device_id) VALUES (NEW.device_id);
END;
CREATE TRIGGER device_groups_journal_delete AFTER DELETE ON device_groups BEGIN
  INSERT INTO device_changes(device_id) VALUES (OLD.device_id);
END;
CREATE TRIGGER device_groups_journal_update AFTER UPDATE ON device_groups BEGIN
  INSERT INTO device_changes(device_id) VALUES (OLD.device_id);
  INSERT INTO device_changes(device_id) SELECT NEW.device_id WHERE NEW.device_id IS NOT OLD.device_id;
END;
)sql"},
};

static_assert(std::size(kMigrations) == kSchemaVersion, "one step per schema version");

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
