#include "laneway/registry/registry.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace {

using laneway::registry::Device;
using laneway::registry::DeviceStatus;
using laneway::registry::LookupStatus;
using laneway::registry::Registry;

Device make_device(const std::string& id, std::vector<std::string> groups,
                   const std::string& serial) {
  Device device;
  device.id = id;
  device.groups = std::move(groups);
  device.cert_serial = serial;
  return device;
}

TEST(Registry, AddedDeviceIsFoundWithSortedGroupsAndNormalizedSerial) {
  laneway::test::TempDir dir;
  std::string error;
  auto registry = Registry::open_read_write(dir.file("fleet.db"), &error);
  ASSERT_TRUE(registry) << error;
  ASSERT_TRUE(registry->upsert_device(make_device("d-1", {"g2", "g1"}, "00AB12"), &error)) << error;
  auto lookup = registry->find_device("d-1");
  ASSERT_EQ(lookup.status, LookupStatus::kFound);
  EXPECT_EQ(lookup.device.status, DeviceStatus::kActive);
  EXPECT_EQ(lookup.device.cert_serial, "ab12");
  EXPECT_EQ(lookup.device.groups, (std::vector<std::string>{"g1", "g2"}));
  EXPECT_EQ(registry->find_device("d-2").status, LookupStatus::kNotFound);
}

TEST(Registry, UpsertReplacesGroupsAndSerial) {
  laneway::test::TempDir dir;
  std::string error;
  auto registry = Registry::open_read_write(dir.file("fleet.db"), &error);
  ASSERT_TRUE(registry) << error;
  ASSERT_TRUE(registry->upsert_device(make_device("d-1", {"g1"}, "1"), &error));
  ASSERT_TRUE(registry->upsert_device(make_device("d-1", {"g3"}, "2"), &error));
  auto lookup = registry->find_device("d-1");
  ASSERT_EQ(lookup.status, LookupStatus::kFound);
  EXPECT_EQ(lookup.device.groups, (std::vector<std::string>{"g3"}));
  EXPECT_EQ(lookup.device.cert_serial, "2");
}

TEST(Registry, RefusesInvalidIdsGroupsAndSerials) {
  laneway::test::TempDir dir;
  std::string error;
  auto registry = Registry::open_read_write(dir.file("fleet.db"), &error);
  ASSERT_TRUE(registry) << error;
  EXPECT_FALSE(registry->upsert_device(make_device("a/b", {}, "1"), &error));
  EXPECT_FALSE(registry->upsert_device(make_device("d-1", {"g#"}, "1"), &error));
  EXPECT_FALSE(registry->upsert_device(make_device("d-1", {}, "zz"), &error));
  EXPECT_FALSE(registry->upsert_device(make_device(std::string(65, 'a'), {}, "1"), &error));
}

TEST(Registry, ReadOnlyConnectionSeesRevocationAndDataVersionChanges) {
  laneway::test::TempDir dir;
  std::string error;
  auto writer = Registry::open_read_write(dir.file("fleet.db"), &error);
  ASSERT_TRUE(writer) << error;
  ASSERT_TRUE(writer->upsert_device(make_device("d-1", {}, "1"), &error));
  auto reader = Registry::open_read_only(dir.file("fleet.db"), &error);
  ASSERT_TRUE(reader) << error;
  const auto before = reader->data_version();
  ASSERT_TRUE(before);
  EXPECT_EQ(reader->find_device("d-1").device.status, DeviceStatus::kActive);

  ASSERT_TRUE(writer->set_status("d-1", DeviceStatus::kRevoked, &error)) << error;
  const auto after = reader->data_version();
  ASSERT_TRUE(after);
  EXPECT_NE(*before, *after);
  EXPECT_EQ(reader->find_device("d-1").device.status, DeviceStatus::kRevoked);
  EXPECT_FALSE(writer->set_status("nobody", DeviceStatus::kRevoked, &error));
}

TEST(Registry, ReadOnlyOpenWorksAfterTheWriterClosed) {
  laneway::test::TempDir dir;
  std::string error;
  {
    auto writer = Registry::open_read_write(dir.file("fleet.db"), &error);
    ASSERT_TRUE(writer) << error;
    ASSERT_TRUE(writer->upsert_device(make_device("d-1", {}, "1"), &error));
  }
  auto reader = Registry::open_read_only(dir.file("fleet.db"), &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->find_device("d-1").status, LookupStatus::kFound);
}

TEST(Registry, ReadOnlyOpenRefusesMissingFileAndForeignDatabase) {
  laneway::test::TempDir dir;
  std::string error;
  EXPECT_FALSE(Registry::open_read_only(dir.file("missing.db"), &error));
  EXPECT_FALSE(error.empty());
}

TEST(Registry, RemoveDeletesDeviceAndGroups) {
  laneway::test::TempDir dir;
  std::string error;
  auto registry = Registry::open_read_write(dir.file("fleet.db"), &error);
  ASSERT_TRUE(registry) << error;
  ASSERT_TRUE(registry->upsert_device(make_device("d-1", {"g1"}, "1"), &error));
  ASSERT_TRUE(registry->remove_device("d-1", &error)) << error;
  EXPECT_EQ(registry->find_device("d-1").status, LookupStatus::kNotFound);
  auto devices = registry->list_devices(&error);
  ASSERT_TRUE(devices);
  EXPECT_TRUE(devices->empty());
}

}  // namespace
