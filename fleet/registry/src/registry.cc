#include "laneway/registry/registry.h"

#include <algorithm>
#include <ctime>

#include "laneway/registry/serial.h"
#include "migrations.h"
#include "registry_impl.h"

namespace laneway::registry {
namespace {

// One statement, so one read snapshot: status and groups always agree. Version-1 columns
// only: what the plugin needs, readable in every schema version.
constexpr std::string_view kFindDeviceV1 = R"sql(
SELECT d.status, d.cert_serial, d.created_at, d.updated_at,
       (SELECT group_concat(g.group_name, ',') FROM
          (SELECT group_name FROM device_groups WHERE device_id = d.id ORDER BY group_name) g)
FROM devices d WHERE d.id = ?1
)sql";

// Schema 3 and later: the same plus expiry, seen times, presence and origin.
constexpr std::string_view kFindDeviceV3 = R"sql(
SELECT d.status, d.cert_serial, d.created_at, d.updated_at,
       (SELECT group_concat(g.group_name, ',') FROM
          (SELECT group_name FROM device_groups WHERE device_id = d.id ORDER BY group_name) g),
       d.cert_not_after, d.first_seen, d.last_seen, d.presence, d.provisioned_by
FROM devices d WHERE d.id = ?1
)sql";

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

std::string join_groups(const std::vector<std::string>& groups) {
  std::string out;
  for (const auto& group : groups) out += (out.empty() ? "" : ",") + group;
  return out;
}

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

static std::unique_ptr<Registry::Impl> finish_open(sqlite::Db db, int version, std::string* error) {
  auto impl = std::make_unique<Registry::Impl>();
  impl->schema_version = version;
  impl->find_device =
      sqlite::prepare(db.get(), version >= 3 ? kFindDeviceV3 : kFindDeviceV1, error);
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
  int version = 0;
  if (!read_schema_version(db.get(), &version, error)) return nullptr;
  if (version < 1 || version > kSchemaVersion) {
    if (error)
      *error = version < 1
                   ? std::string("not a laneway registry (empty file)")
                   : "registry schema version " + std::to_string(version) +
                         " is newer than this build (" + std::to_string(kSchemaVersion) + ")";
    return nullptr;
  }
  auto impl = finish_open(std::move(db), version, error);
  if (!impl) return nullptr;
  return std::unique_ptr<Registry>(new Registry(std::move(impl)));
}

std::unique_ptr<Registry> Registry::open_read_write(const std::string& path, std::string* error) {
  auto db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error);
  if (!db) return nullptr;
  // Writers queue behind each other (the provisioning service, the CLI, the simulator's
  // registration); readers never wait in WAL mode.
  sqlite3_busy_timeout(db.get(), 5000);
  if (!sqlite::exec(db.get(), "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", error))
    return nullptr;
  if (!migrate_to_current(db.get(), error)) return nullptr;
  auto impl = finish_open(std::move(db), kSchemaVersion, error);
  if (!impl) return nullptr;
  return std::unique_ptr<Registry>(new Registry(std::move(impl)));
}

int Registry::schema_version() const {
  return impl_->schema_version;
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
  if (impl_->schema_version >= 3) {
    result.device.cert_not_after_s = sqlite3_column_int64(use.get(), 5);
    result.device.first_seen_s = sqlite3_column_int64(use.get(), 6);
    result.device.last_seen_s = sqlite3_column_int64(use.get(), 7);
    result.device.presence = sqlite::column_text(use.get(), 8);
    result.device.provisioned_by = sqlite::column_text(use.get(), 9);
  }
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
                                "updated_at, cert_not_after) VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON "
                                "CONFLICT(id) DO UPDATE SET status = ?2, cert_serial = ?3, "
                                "updated_at = ?4, cert_not_after = ?5",
                                error);
    if (!stmt.valid()) return fail("prepare upsert");
    auto use = stmt.use();
    sqlite::bind_text(use.get(), 1, device.id);
    sqlite::bind_text(use.get(), 2, to_string(device.status));
    sqlite::bind_text(use.get(), 3, serial);
    sqlite3_bind_int64(use.get(), 4, now_s());
    sqlite3_bind_int64(use.get(), 5, device.cert_not_after_s);
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
