// Schema migrations: files written by earlier builds (version 1 as the plugin work created
// it, and version 1 plus the fleet_groups table the first fleet CLI added without a version
// bump) open read-write, migrate to the current version in place and keep their rows; a
// read-only open (the plugin) accepts them unmigrated; a newer file is refused.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "laneway/registry/registry.h"
#include "temp_dir.h"

namespace laneway::registry {
namespace {

// The layout exactly as the plugin work's build wrote it (schema version 1).
constexpr const char* kVersion1Layout = R"sql(
PRAGMA journal_mode=WAL;
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
INSERT INTO schema_version(version) VALUES (1);
INSERT INTO devices VALUES ('old-1', 'active', 'ab12', 100, 200);
INSERT INTO devices VALUES ('old-2', 'revoked', 'cd34', 100, 300);
INSERT INTO device_groups VALUES ('old-1', 'north');
)sql";

// What the first fleet CLI added on top, still saying version 1.
constexpr const char* kFleetGroupsWithoutBump = R"sql(
CREATE TABLE IF NOT EXISTS fleet_groups (
  name       TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO fleet_groups VALUES ('empty-group', 100);
)sql";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

void write_raw(const std::string& path, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  char* message = nullptr;
  ASSERT_EQ(sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
      << (message ? message : "");
}

void expect_old_rows_kept(Registry& registry) {
  auto one = registry.find_device("old-1");
  ASSERT_EQ(one.status, LookupStatus::kFound);
  EXPECT_EQ(one.device.status, DeviceStatus::kActive);
  EXPECT_EQ(one.device.cert_serial, "ab12");
  EXPECT_EQ(one.device.groups, std::vector<std::string>{"north"});
  EXPECT_EQ(one.device.created_at_s, 100);
  EXPECT_EQ(one.device.cert_not_after_s, 0);
  EXPECT_EQ(one.device.first_seen_s, 0);
  EXPECT_EQ(one.device.presence, "");
  EXPECT_EQ(registry.find_device("old-2").device.status, DeviceStatus::kRevoked);
}

TEST(RegistryMigration, Version1FileMigratesAndKeepsItsDevices) {
  test::TempDir dir;
  const std::string path = dir.file("fleet.db");
  write_raw(path, kVersion1Layout);
  std::string error;
  auto registry = Registry::open_read_write(path, &error);
  ASSERT_TRUE(registry) << error;
  EXPECT_EQ(registry->schema_version(), kSchemaVersion);
  expect_old_rows_kept(*registry);
  // The tables of every later step exist and work.
  EXPECT_TRUE(registry->add_group("west", &error)) << error;
  Claim claim;
  claim.batch = "line-1";
  claim.allowed = 5;
  claim.expires_at_s = 4102444800;
  EXPECT_TRUE(registry->upsert_claim(claim, &error)) << error;
  EXPECT_TRUE(registry->record_presence({{"old-1", true, 500}}, &error)) << error;
  EXPECT_EQ(registry->find_device("old-1").device.first_seen_s, 500);
  // Reopening does not migrate again.
  registry.reset();
  registry = Registry::open_read_write(path, &error);
  ASSERT_TRUE(registry) << error;
  EXPECT_EQ(registry->find_device("old-1").device.first_seen_s, 500);
}

TEST(RegistryMigration, Version1FileWithFleetGroupsTableMigrates) {
  test::TempDir dir;
  const std::string path = dir.file("fleet.db");
  write_raw(path, std::string(kVersion1Layout) + kFleetGroupsWithoutBump);
  std::string error;
  auto registry = Registry::open_read_write(path, &error);
  ASSERT_TRUE(registry) << error;
  EXPECT_EQ(registry->schema_version(), kSchemaVersion);
  expect_old_rows_kept(*registry);
  auto groups = registry->list_groups(&error);
  ASSERT_TRUE(groups) << error;
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "empty-group");
  EXPECT_EQ((*groups)[1].name, "north");
}

TEST(RegistryMigration, ReadOnlyOpenReadsAnUnmigratedVersion1File) {
  test::TempDir dir;
  const std::string path = dir.file("fleet.db");
  write_raw(path, kVersion1Layout);
  std::string error;
  auto reader = Registry::open_read_only(path, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->schema_version(), 1);
  auto one = reader->find_device("old-1");
  ASSERT_EQ(one.status, LookupStatus::kFound);
  EXPECT_EQ(one.device.cert_serial, "ab12");
  // A writer migrates the file under the open reader, which keeps working.
  auto writer = Registry::open_read_write(path, &error);
  ASSERT_TRUE(writer) << error;
  ASSERT_TRUE(writer->set_status("old-1", DeviceStatus::kRevoked, &error)) << error;
  EXPECT_EQ(reader->find_device("old-1").device.status, DeviceStatus::kRevoked);
}

TEST(RegistryMigration, NewerFileAndForeignDatabaseAreRefused) {
  test::TempDir dir;
  const std::string newer = dir.file("newer.db");
  write_raw(newer, std::string(kVersion1Layout) + "UPDATE schema_version SET version = 99;");
  std::string error;
  EXPECT_FALSE(Registry::open_read_write(newer, &error));
  EXPECT_NE(error.find("schema version 99 is newer"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(Registry::open_read_only(newer, &error));
  EXPECT_NE(error.find("newer"), std::string::npos) << error;

  const std::string foreign = dir.file("foreign.db");
  write_raw(foreign, "CREATE TABLE something (x INTEGER);");
  error.clear();
  EXPECT_FALSE(Registry::open_read_write(foreign, &error));
  EXPECT_NE(error.find("not a laneway registry"), std::string::npos) << error;
}

TEST(RegistryMigration, FreshFileIsCreatedAtTheCurrentVersion) {
  test::TempDir dir;
  std::string error;
  auto registry = Registry::open_read_write(dir.file("fleet.db"), &error);
  ASSERT_TRUE(registry) << error;
  EXPECT_EQ(registry->schema_version(), kSchemaVersion);
  auto reader = Registry::open_read_only(dir.file("fleet.db"), &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->schema_version(), kSchemaVersion);
}

}  // namespace
}  // namespace laneway::registry
