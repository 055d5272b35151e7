// Groups in the registry: created groups, groups known only from members, and the plugin's
// read-only view of a file that has the fleet_groups table.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "laneway/registry/registry.h"
#include "temp_dir.h"

namespace laneway::registry {
namespace {

TEST(RegistryGroups, AddIsIdempotentAndListCountsMembers) {
  test::TempDir dir;
  std::string error;
  auto registry = Registry::open_read_write(dir.file("fleet.db"), &error);
  ASSERT_TRUE(registry) << error;
  ASSERT_TRUE(registry->add_group("west", &error)) << error;
  ASSERT_TRUE(registry->add_group("west", &error)) << error;
  Device device;
  device.id = "d-1";
  device.groups = {"north", "west"};
  device.cert_serial = "0A";
  ASSERT_TRUE(registry->upsert_device(device, &error)) << error;

  auto groups = registry->list_groups(&error);
  ASSERT_TRUE(groups) << error;
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "north");
  EXPECT_EQ((*groups)[0].members, 1);
  EXPECT_EQ((*groups)[1].name, "west");
  EXPECT_EQ((*groups)[1].members, 1);
}

TEST(RegistryGroups, RefusesInvalidNames) {
  test::TempDir dir;
  std::string error;
  auto registry = Registry::open_read_write(dir.file("fleet.db"), &error);
  ASSERT_TRUE(registry) << error;
  const std::vector<std::string> bad_names = {"", "a/b", "a+b", "#", std::string(65, 'x')};
  for (const auto& bad : bad_names) {
    error.clear();
    EXPECT_FALSE(registry->add_group(bad, &error)) << bad;
    EXPECT_NE(error.find("invalid group name"), std::string::npos);
  }
  auto groups = registry->list_groups(&error);
  ASSERT_TRUE(groups) << error;
  EXPECT_TRUE(groups->empty());
}

TEST(RegistryGroups, ReadOnlyOpenStillWorksWithTheGroupsTable) {
  test::TempDir dir;
  std::string error;
  auto writer = Registry::open_read_write(dir.file("fleet.db"), &error);
  ASSERT_TRUE(writer) << error;
  ASSERT_TRUE(writer->add_group("west", &error)) << error;
  auto reader = Registry::open_read_only(dir.file("fleet.db"), &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->find_device("none").status, LookupStatus::kNotFound);
}

}  // namespace
}  // namespace laneway::registry
