#include "laneway/registry/registry.h"

#include <algorithm>
#include <ctime>

#include "laneway/registry/serial.h"
#include "sqlite_handles.h"

namespace laneway::registry {
namespace {

constexpr const char* kCreateSchema = R"sql(
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
-- Named groups an operator created, with or without members (added by the fleet CLI; an
-- additive table that version-1 readers such as the plugin never touch).
CREATE TABLE IF NOT EXISTS fleet_groups (
  name       TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// One statement, so one read snapshot: status and groups always agree.
constexpr std::string_view kFindDevice = R"sql(
SELECT d.status, d.cert_serial, d.created_at, d.updated_at,
       (SELECT group_concat(g.group_name, ',') FROM
          (SELECT group_name FROM device_groups WHERE device_id = d.id ORDER BY group_name) g)
FROM devices d WHERE d.id = ?1
)sql";

std::int64_t now_s() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::vector<std::string> split_groups(const std::string& joined) {
  std::vector<std::string> groups;
  std::size_t start = 0;
  while (start < joined.size()) {
    std::size_t end = joined.find(',', start);
    if (end == std::string::npos) end = joined.size();
    if (end > start) groups.emplace_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return groups;
}

sqlite::Db open_db(const std::string& path, int flags, std::string* error) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite::Db db(raw);
  if (rc != SQLITE_OK) {
    if (error) *error = sqlite::describe(raw, "open " + path);
    return nullptr;
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

}  // namespace

struct Registry::Impl {
  sqlite::Db db;
  sqlite::Statement find_device;
  sqlite::Statement data_version;
};

Registry::Registry(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Registry::~Registry() = default;

const char* to_string(DeviceStatus status) {
  return status == DeviceStatus::kActive ? "active" : "revoked";
}

std::optional<DeviceStatus> parse_device_status(std::string_view text) {
  if (text == "active") return DeviceStatus::kActive;
  if (text == "revoked") return DeviceStatus::kRevoked;
  return std::nullopt;
}

bool is_valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

static bool check_schema_version(sqlite3* db, std::string* error) {
  std::string prepare_error;
  auto stmt = sqlite::prepare(db, "SELECT version FROM schema_version", &prepare_error);
  if (!stmt.valid()) {
    if (error) *error = "not a laneway registry (" + prepare_error + ")";
    return false;
  }
  auto use = stmt.use();
  if (sqlite3_step(use.get()) != SQLITE_ROW) {
    if (error) *error = "registry has no schema version";
    return false;
  }
  const int version = sqlite3_column_int(use.get(), 0);
  if (version != kSchemaVersion) {
    if (error)
      *error = "registry schema version " + std::to_string(version) + ", this build reads " +
               std::to_string(kSchemaVersion);
    return false;
  }
  return true;
}

static std::unique_ptr<Registry::Impl> finish_open(sqlite::Db db, std::string* error) {
  auto impl = std::make_unique<Registry::Impl>();
  impl->find_device = sqlite::prepare(db.get(), kFindDevice, error);
  impl->data_version = sqlite::prepare(db.get(), "PRAGMA data_version", error);
  if (!impl->find_device.valid() || !impl->data_version.valid()) return nullptr;
  impl->db = std::move(db);
  return impl;
}

std::unique_ptr<Registry> Registry::open_read_only(const std::string& path, std::string* error) {
  auto db = open_db(path, SQLITE_OPEN_READONLY, error);
  if (!db) return nullptr;
  // Short: the plugin calls this from the broker's event loop. WAL readers are not blocked
  // by writers, so this only matters during WAL recovery.
  sqlite3_busy_timeout(db.get(), 200);
  if (!check_schema_version(db.get(), error)) return nullptr;
  auto impl = finish_open(std::move(db), error);
  if (!impl) return nullptr;
  return std::unique_ptr<Registry>(new Registry(std::move(impl)));
}

std::unique_ptr<Registry> Registry::open_read_write(const std::string& path, std::string* error) {
  auto db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error);
  if (!db) return nullptr;
  sqlite3_busy_timeout(db.get(), 5000);
  if (!sqlite::exec(db.get(), "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", error))
    return nullptr;
  if (!sqlite::exec(db.get(), "BEGIN IMMEDIATE", error)) return nullptr;
  bool ok = sqlite::exec(db.get(), kCreateSchema, error);
  if (ok) {
    auto count = sqlite::prepare(db.get(), "SELECT count(*) FROM schema_version", error);
    ok = count.valid();
    if (ok) {
      auto use = count.use();
      ok = sqlite3_step(use.get()) == SQLITE_ROW;
      if (ok && sqlite3_column_int(use.get(), 0) == 0) {
        const std::string insert =
            "INSERT INTO schema_version(version) VALUES (" + std::to_string(kSchemaVersion) + ")";
        ok = sqlite::exec(db.get(), insert.c_str(), error);
      }
    }
  }
  if (!ok) {
    sqlite::exec(db.get(), "ROLLBACK", nullptr);
    return nullptr;
  }
  if (!sqlite::exec(db.get(), "COMMIT", error)) return nullptr;
  if (!check_schema_version(db.get(), error)) return nullptr;
  auto impl = finish_open(std::move(db), error);
  if (!impl) return nullptr;
  return std::unique_ptr<Registry>(new Registry(std::move(impl)));
}

Lookup Registry::find_device(std::string_view id) {
  Lookup result;
  auto use = impl_->find_device.use();
  sqlite::bind_text(use.get(), 1, id);
  const int rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) {
    result.status = LookupStatus::kNotFound;
    return result;
  }
  if (rc != SQLITE_ROW) {
    result.error = sqlite::describe(impl_->db.get(), "find device");
    return result;
  }
  const auto status = parse_device_status(sqlite::column_text(use.get(), 0));
  if (!status) {
    result.error = "device has an unknown status";
    return result;
  }
  result.status = LookupStatus::kFound;
  result.device.id = std::string(id);
  result.device.status = *status;
  result.device.cert_serial = sqlite::column_text(use.get(), 1);
  result.device.created_at_s = sqlite3_column_int64(use.get(), 2);
  result.device.updated_at_s = sqlite3_column_int64(use.get(), 3);
  result.device.groups = split_groups(sqlite::column_text(use.get(), 4));
  return result;
}

std::optional<std::int64_t> Registry::data_version() {
  auto use = impl_->data_version.use();
  if (sqlite3_step(use.get()) != SQLITE_ROW) return std::nullopt;
  return sqlite3_column_int64(use.get(), 0);
}

bool Registry::upsert_device(const Device& device, std::string* error) {
  if (!is_valid_device_id(device.id)) {
    if (error) *error = "invalid device id '" + device.id + "'";
    return false;
  }
  for (const auto& group : device.groups) {
    if (!is_valid_group_name(group)) {
      if (error) *error = "invalid group name '" + group + "'";
      return false;
    }
  }
  std::string serial;
  if (!device.cert_serial.empty()) {
    auto normalized = normalize_serial(device.cert_serial);
    if (!normalized) {
      if (error) *error = "invalid certificate serial '" + device.cert_serial + "'";
      return false;
    }
    serial = *normalized;
  }
  sqlite3* db = impl_->db.get();
  if (!sqlite::exec(db, "BEGIN IMMEDIATE", error)) return false;
  auto fail = [&](const char* what) {
    if (error) *error = sqlite::describe(db, what);
    sqlite::exec(db, "ROLLBACK", nullptr);
    return false;
  };
  {
    auto stmt = sqlite::prepare(db,
                                "INSERT INTO devices(id, status, cert_serial, created_at, "
                                "updated_at) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(id) DO "
                                "UPDATE SET status = ?2, cert_serial = ?3, updated_at = ?4",
                                error);
    if (!stmt.valid()) return fail("prepare upsert");
    auto use = stmt.use();
    sqlite::bind_text(use.get(), 1, device.id);
    sqlite::bind_text(use.get(), 2, to_string(device.status));
    sqlite::bind_text(use.get(), 3, serial);
    sqlite3_bind_int64(use.get(), 4, now_s());
    if (sqlite3_step(use.get()) != SQLITE_DONE) return fail("upsert device");
  }
  {
    auto stmt = sqlite::prepare(db, "DELETE FROM device_groups WHERE device_id = ?1", error);
    if (!stmt.valid()) return fail("prepare delete groups");
    auto use = stmt.use();
    sqlite::bind_text(use.get(), 1, device.id);
    if (sqlite3_step(use.get()) != SQLITE_DONE) return fail("delete groups");
  }
  {
    auto stmt = sqlite::prepare(
        db, "INSERT OR IGNORE INTO device_groups(device_id, group_name) VALUES (?1, ?2)", error);
    if (!stmt.valid()) return fail("prepare insert group");
    for (const auto& group : device.groups) {
      auto use = stmt.use();
      sqlite::bind_text(use.get(), 1, device.id);
      sqlite::bind_text(use.get(), 2, group);
      if (sqlite3_step(use.get()) != SQLITE_DONE) return fail("insert group");
    }
  }
  return sqlite::exec(db, "COMMIT", error);
}

bool Registry::set_status(std::string_view id, DeviceStatus status, std::string* error) {
  sqlite3* db = impl_->db.get();
  auto stmt =
      sqlite::prepare(db, "UPDATE devices SET status = ?2, updated_at = ?3 WHERE id = ?1", error);
  if (!stmt.valid()) return false;
  auto use = stmt.use();
  sqlite::bind_text(use.get(), 1, id);
  sqlite::bind_text(use.get(), 2, to_string(status));
  sqlite3_bind_int64(use.get(), 3, now_s());
  if (sqlite3_step(use.get()) != SQLITE_DONE) {
    if (error) *error = sqlite::describe(db, "set status");
    return false;
  }
  if (sqlite3_changes(db) == 0) {
    if (error) *error = "no device '" + std::string(id) + "'";
    return false;
  }
  return true;
}

bool Registry::remove_device(std::string_view id, std::string* error) {
  sqlite3* db = impl_->db.get();
  if (!sqlite::exec(db, "PRAGMA foreign_keys=ON", error)) return false;
  auto stmt = sqlite::prepare(db, "DELETE FROM devices WHERE id = ?1", error);
  if (!stmt.valid()) return false;
  auto use = stmt.use();
  sqlite::bind_text(use.get(), 1, id);
  if (sqlite3_step(use.get()) != SQLITE_DONE) {
    if (error) *error = sqlite::describe(db, "remove device");
    return false;
  }
  if (sqlite3_changes(db) == 0) {
    if (error) *error = "no device '" + std::string(id) + "'";
    return false;
  }
  return true;
}

std::optional<std::vector<Device>> Registry::list_devices(std::string* error) {
  sqlite3* db = impl_->db.get();
  auto ids = sqlite::prepare(db, "SELECT id FROM devices ORDER BY id", error);
  if (!ids.valid()) return std::nullopt;
  std::vector<std::string> all;
  {
    auto use = ids.use();
    int rc;
    while ((rc = sqlite3_step(use.get())) == SQLITE_ROW)
      all.push_back(sqlite::column_text(use.get(), 0));
    if (rc != SQLITE_DONE) {
      if (error) *error = sqlite::describe(db, "list devices");
      return std::nullopt;
    }
  }
  std::vector<Device> devices;
  for (const auto& id : all) {
    auto lookup = find_device(id);
    if (lookup.status == LookupStatus::kFound) devices.push_back(std::move(lookup.device));
  }
  return devices;
}

bool Registry::add_group(std::string_view name, std::string* error) {
  if (!is_valid_group_name(name)) {
    if (error) *error = "invalid group name (1..64 of [A-Za-z0-9._-])";
    return false;
  }
  auto stmt = sqlite::prepare(
      impl_->db.get(), "INSERT OR IGNORE INTO fleet_groups(name, created_at) VALUES (?1, ?2)",
      error);
  if (!stmt.valid()) return false;
  auto use = stmt.use();
  sqlite::bind_text(use.get(), 1, name);
  sqlite3_bind_int64(use.get(), 2, now_s());
  if (sqlite3_step(use.get()) != SQLITE_DONE) {
    if (error) *error = sqlite::describe(impl_->db.get(), "add group");
    return false;
  }
  return true;
}

std::optional<std::vector<GroupInfo>> Registry::list_groups(std::string* error) {
  // Created groups and groups that only exist through their members, with member counts.
  auto stmt = sqlite::prepare(impl_->db.get(), R"sql(
SELECT n.name, (SELECT count(*) FROM device_groups g WHERE g.group_name = n.name)
FROM (SELECT name FROM fleet_groups UNION SELECT group_name FROM device_groups) n
ORDER BY n.name
)sql",
                              error);
  if (!stmt.valid()) return std::nullopt;
  std::vector<GroupInfo> groups;
  auto use = stmt.use();
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW)
    groups.push_back({sqlite::column_text(use.get(), 0), sqlite3_column_int64(use.get(), 1)});
  if (rc != SQLITE_DONE) {
    if (error) *error = sqlite::describe(impl_->db.get(), "list groups");
    return std::nullopt;
  }
  return groups;
}

}  // namespace laneway::registry
