// The change journal (docs/fleet.md "Change journal"): what the broker reads of a device
// (existence, status, certificate, groups) is journaled by every writer, presence and seen
// times are not, and a reader that fell behind the pruning, or has no position, is told so.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "laneway/registry/registry.h"
#include "temp_dir.h"

namespace laneway::registry {
namespace {

using Ids = std::vector<std::string>;

Device make_device(const std::string& id, std::vector<std::string> groups = {},
                   const std::string& serial = "ab12") {
  Device device;
  device.id = id;
  device.groups = std::move(groups);
  device.cert_serial = serial;
  return device;
}

class RegistryJournal : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    writer = Registry::open_read_write(dir.file("fleet.db"), &error);
    ASSERT_TRUE(writer) << error;
    ASSERT_TRUE(writer->upsert_device(make_device("d-1", {"north"}), &error)) << error;
    ASSERT_TRUE(writer->upsert_device(make_device("d-2"), &error)) << error;
    // The plugin's side: a read-only connection of its own.
    reader = Registry::open_read_only(dir.file("fleet.db"), &error);
    ASSERT_TRUE(reader) << error;
    const auto start = reader->changes_since(std::nullopt, 1000, &error);
    ASSERT_TRUE(start) << error;
    EXPECT_EQ(start->kind, DeviceChanges::Kind::kGap);  // no position yet
    position = start->seq;
  }

  // The distinct ids changed since the last call; moves the position.
  Ids changed() {
    std::string error;
    const auto changes = reader->changes_since(position, 1000, &error);
    EXPECT_TRUE(changes) << error;
    if (!changes) return {"<error>"};
    EXPECT_EQ(changes->kind, DeviceChanges::Kind::kChanges);
    position = changes->seq;
    return changes->ids;
  }

  void exec_raw(const std::string& sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("fleet.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
    char* message = nullptr;
    ASSERT_EQ(sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << (message ? message : "");
  }

  test::TempDir dir;
  std::unique_ptr<Registry> writer;
  std::unique_ptr<Registry> reader;
  std::int64_t position = 0;
  std::string error;
};

TEST_F(RegistryJournal, NothingChangedIsAnEmptyAnswer) {
  EXPECT_EQ(changed(), Ids{});
  EXPECT_EQ(changed(), Ids{});
}

TEST_F(RegistryJournal, PresenceAndSeenTimesAreNotJournaled) {
  const auto before = reader->data_version();
  ASSERT_TRUE(writer->record_presence({{"d-1", true, 500}, {"d-2", false, 600}}, &error)) << error;
  EXPECT_NE(reader->data_version(), before);  // the commit is seen...
  EXPECT_EQ(changed(), Ids{});                // ...and says no device changed for the broker
}

TEST_F(RegistryJournal, StatusChangeNamesTheDevice) {
  ASSERT_TRUE(writer->set_status("d-2", DeviceStatus::kRevoked, &error)) << error;
  EXPECT_EQ(changed(), Ids{"d-2"});
  // Setting the status it already has changes nothing.
  ASSERT_TRUE(writer->set_status("d-2", DeviceStatus::kRevoked, &error)) << error;
  EXPECT_EQ(changed(), Ids{});
}

TEST_F(RegistryJournal, NewDeviceSerialGroupsAndRemovalNameTheirDevice) {
  ASSERT_TRUE(writer->upsert_device(make_device("d-3", {"south"}), &error)) << error;
  EXPECT_EQ(changed(), Ids{"d-3"});
  ASSERT_TRUE(writer->upsert_device(make_device("d-1", {"north"}, "cd34"), &error)) << error;
  EXPECT_EQ(changed(), Ids{"d-1"});
  ASSERT_TRUE(writer->upsert_device(make_device("d-2", {"west"}), &error)) << error;
  EXPECT_EQ(changed(), Ids{"d-2"});
  ASSERT_TRUE(writer->remove_device("d-1", &error)) << error;
  EXPECT_EQ(changed(), Ids{"d-1"});
}

TEST_F(RegistryJournal, WritersOutsideTheLibraryAreJournaledToo) {
  exec_raw(
      "UPDATE devices SET status = 'revoked' WHERE id = 'd-1';"
      "INSERT INTO device_groups(device_id, group_name) VALUES ('d-2', 'east');"
      "UPDATE devices SET last_seen = 999, presence = 'online', updated_at = 5;");
  EXPECT_EQ(changed(), (Ids{"d-1", "d-2"}));
}

TEST_F(RegistryJournal, MoreDevicesThanTheCallerWantsIsAGap) {
  ASSERT_TRUE(writer->set_status("d-1", DeviceStatus::kRevoked, &error)) << error;
  ASSERT_TRUE(writer->set_status("d-2", DeviceStatus::kRevoked, &error)) << error;
  const auto changes = reader->changes_since(position, 1, &error);
  ASSERT_TRUE(changes) << error;
  EXPECT_EQ(changes->kind, DeviceChanges::Kind::kGap);
  EXPECT_TRUE(changes->ids.empty());
  // The position still moves past what was skipped: the caller re-checks everything once.
  EXPECT_GT(changes->seq, position);
  position = changes->seq;
  EXPECT_EQ(changed(), Ids{});
}

TEST_F(RegistryJournal, PrunedPastThePositionIsAGapAndTheJournalStaysBounded) {
  // One statement adding kChangeJournalRows + 1 groups: that many journal rows at once.
  exec_raw("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " +
           std::to_string(kChangeJournalRows + 1) +
           ") INSERT INTO device_groups(device_id, group_name) SELECT 'd-1', 'g' || x FROM n;");
  const auto changes = reader->changes_since(position, 1000, &error);
  ASSERT_TRUE(changes) << error;
  EXPECT_EQ(changes->kind, DeviceChanges::Kind::kGap);
  position = changes->seq;
  EXPECT_EQ(changed(), Ids{});

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("fleet.db").c_str(), &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  sqlite3_stmt* count = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db.get(), "SELECT count(*) FROM device_changes", -1, &count, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(count), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(count, 0), kChangeJournalRows);
  sqlite3_finalize(count);
}

TEST(RegistryJournalSchema, FileWithoutTheJournalSaysSoUntilMigrated) {
  test::TempDir dir;
  const std::string path = dir.file("fleet.db");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
    ASSERT_EQ(sqlite3_exec(db.get(), R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE devices (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, cert_serial TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE device_groups (
  device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE, group_name TEXT NOT NULL,
  PRIMARY KEY (device_id, group_name)) WITHOUT ROWID;
INSERT INTO schema_version(version) VALUES (1);
INSERT INTO devices VALUES ('old-1', 'active', 'ab12', 100, 200);
)sql",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  std::string error;
  auto reader = Registry::open_read_only(path, &error);
  ASSERT_TRUE(reader) << error;
  auto changes = reader->changes_since(std::nullopt, 1000, &error);
  ASSERT_TRUE(changes) << error;
  EXPECT_EQ(changes->kind, DeviceChanges::Kind::kUnsupported);

  // A tool migrates the file under the open reader: the journal is picked up.
  auto writer = Registry::open_read_write(path, &error);
  ASSERT_TRUE(writer) << error;
  EXPECT_EQ(writer->schema_version(), 4);
  changes = reader->changes_since(std::nullopt, 1000, &error);
  ASSERT_TRUE(changes) << error;
  EXPECT_EQ(changes->kind, DeviceChanges::Kind::kGap);
  const auto position = changes->seq;
  ASSERT_TRUE(writer->set_status("old-1", DeviceStatus::kRevoked, &error)) << error;
  changes = reader->changes_since(position, 1000, &error);
  ASSERT_TRUE(changes) << error;
  EXPECT_EQ(changes->kind, DeviceChanges::Kind::kChanges);
  EXPECT_EQ(changes->ids, Ids{"old-1"});
}

}  // namespace
}  // namespace laneway::registry
