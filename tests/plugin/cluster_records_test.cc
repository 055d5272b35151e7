// The registry copy an edge keeps (replica_directory.h) and the records the core publishes
// for it (registry_publisher.h), without a broker.
#include <gtest/gtest.h>

#include <map>

#include "cluster.pb.h"
#include "registry_publisher.h"
#include "replica_directory.h"

namespace laneway::plugin {
namespace {

using Applied = ReplicaDirectory::Applied;

registry::Device device(const std::string& id, const std::string& serial,
                        std::vector<std::string> groups = {},
                        registry::DeviceStatus status = registry::DeviceStatus::kActive) {
  registry::Device d;
  d.id = id;
  d.cert_serial = serial;
  d.groups = std::move(groups);
  d.status = status;
  return d;
}

// Applies what a publisher sends, as the broker would deliver it.
void deliver(ReplicaDirectory& replica, const std::vector<RegistryPublisher::Change>& changes) {
  std::string error;
  for (const auto& change : changes)
    ASSERT_NE(replica.apply_record(change.id, change.payload, &error), Applied::kRefused) << error;
}

TEST(RegistryCopy, TheFirstDiffSendsEveryDeviceThenOnlyWhatChanged) {
  RegistryPublisher publisher(100);
  auto changes = publisher.diff({device("d-1", "AA", {"north"}), device("d-2", "BB")});
  ASSERT_EQ(changes.size(), 2u);
  // Presence columns and timestamps are not part of a record: no republish for them.
  auto seen = device("d-1", "AA", {"north"});
  seen.last_seen_s = 123;
  seen.presence = "online";
  changes = publisher.diff({seen, device("d-2", "BB")});
  EXPECT_TRUE(changes.empty());
  changes = publisher.diff({device("d-1", "AA", {"south"})});
  ASSERT_EQ(changes.size(), 2u);
  std::map<std::string, std::string> by_id;
  for (const auto& change : changes) by_id[change.id] = change.payload;
  EXPECT_FALSE(by_id["d-1"].empty());
  EXPECT_TRUE(by_id["d-2"].empty()) << "a removed device is an empty retained record";
}

TEST(RegistryCopy, TheEdgeAnswersFromTheRecordsItReceived) {
  RegistryPublisher publisher(100);
  ReplicaDirectory replica;
  deliver(replica, publisher.diff({device("d-1", "AA", {"north", "east"}),
                                   device("d-2", "BB", {}, registry::DeviceStatus::kRevoked)}));
  auto lookup = replica.find_device("d-1");
  ASSERT_EQ(lookup.status, registry::LookupStatus::kFound);
  EXPECT_EQ(lookup.device.cert_serial, "AA");
  EXPECT_EQ(lookup.device.groups, (std::vector<std::string>{"east", "north"}));
  EXPECT_EQ(replica.find_device("d-2").device.status, registry::DeviceStatus::kRevoked);
  EXPECT_EQ(replica.find_device("never").status, registry::LookupStatus::kNotFound);

  const auto version = replica.version();
  deliver(replica, publisher.diff({device("d-1", "AA", {"north", "east"})}));
  EXPECT_GT(replica.version(), version);
  EXPECT_EQ(replica.find_device("d-2").status, registry::LookupStatus::kNotFound);
}

TEST(RegistryCopy, AnUpdateFromTheJournalSendsOnlyWhatDiffersAmongTheNamedDevices) {
  RegistryPublisher publisher(100);
  ASSERT_EQ(publisher.diff({device("d-1", "AA"), device("d-2", "BB"), device("d-3", "CC")}).size(),
            3u);
  // d-2 named but unchanged (e.g. groups rewritten as they were): nothing for it.
  auto changes = publisher.update({device("d-1", "AA", {"south"}), device("d-2", "BB")}, {"d-3"});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].id, "d-1");
  EXPECT_FALSE(changes[0].payload.empty());
  EXPECT_EQ(changes[1].id, "d-3");
  EXPECT_TRUE(changes[1].payload.empty());
  EXPECT_EQ(publisher.size(), 2u);
  // A removal of a device never published sends nothing.
  EXPECT_TRUE(publisher.update({}, {"never"}).empty());
}

TEST(RegistryCopy, TheEdgeCopySaysWhichDevicesChangedSinceItWasLastAsked) {
  RegistryPublisher publisher(100);
  ReplicaDirectory replica;
  deliver(replica, publisher.diff({device("d-1", "AA"), device("d-2", "BB")}));
  auto changed = replica.take_changes();
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, (std::vector<std::string>{"d-1", "d-2"}));
  changed = replica.take_changes();
  ASSERT_TRUE(changed);
  EXPECT_TRUE(changed->empty());

  deliver(replica, publisher.update({device("d-2", "B2")}, {}));
  deliver(replica, publisher.update({device("d-2", "B3")}, {"d-1"}));
  changed = replica.take_changes();
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, (std::vector<std::string>{"d-1", "d-2"}));

  // A new core run's marker drops records wholesale: everyone is to be re-checked.
  std::string error;
  RegistryPublisher next(200);
  ASSERT_EQ(replica.apply_complete(next.complete_payload(), &error), Applied::kChanged);
  EXPECT_FALSE(replica.take_changes());
  changed = replica.take_changes();
  ASSERT_TRUE(changed);
  EXPECT_TRUE(changed->empty());
}

TEST(RegistryCopy, OnlyRecordsOfTheRunWhoseMarkerCameLastCount) {
  ReplicaDirectory replica;
  RegistryPublisher first(100);
  deliver(replica, first.diff({device("d-1", "AA"), device("gone", "CC")}));
  std::string error;
  ASSERT_EQ(replica.apply_complete(first.complete_payload(), &error), Applied::kChanged);
  // The core restarts; "gone" was removed meanwhile, so nobody cleared its retained record.
  RegistryPublisher second(200);
  deliver(replica, second.diff({device("d-1", "AA")}));
  EXPECT_EQ(replica.find_device("gone").status, registry::LookupStatus::kFound);
  ASSERT_EQ(replica.apply_complete(second.complete_payload(), &error), Applied::kChanged);
  EXPECT_EQ(replica.find_device("gone").status, registry::LookupStatus::kNotFound);
  EXPECT_EQ(replica.find_device("d-1").status, registry::LookupStatus::kFound);
  // A stale record delivered late (retained, from run 100) does not bring it back.
  RegistryPublisher stale(100);
  deliver(replica, stale.diff({device("gone", "CC")}));
  EXPECT_EQ(replica.find_device("gone").status, registry::LookupStatus::kNotFound);
  EXPECT_EQ(replica.apply_complete(second.complete_payload(), &error), Applied::kUnchanged);
  // A failover to a standby that started earlier (a smaller generation): its marker wins.
  RegistryPublisher standby(50);
  deliver(replica, standby.diff({device("d-1", "AA"), device("d-9", "DD")}));
  ASSERT_EQ(replica.apply_complete(standby.complete_payload(), &error), Applied::kChanged);
  EXPECT_EQ(replica.find_device("d-9").status, registry::LookupStatus::kFound);
  EXPECT_EQ(replica.find_device("gone").status, registry::LookupStatus::kNotFound);
}

TEST(RegistryCopy, MalformedOrMismatchedRecordsAreRefused) {
  ReplicaDirectory replica;
  std::string error;
  EXPECT_EQ(replica.apply_record("d-1", "\xff\xff\xff", &error), Applied::kRefused);
  cluster::v1::DeviceRecord record;
  record.set_id("d-2");
  record.set_active(true);
  EXPECT_EQ(replica.apply_record("d-1", record.SerializeAsString(), &error), Applied::kRefused);
  EXPECT_NE(error.find("d-2"), std::string::npos);
  EXPECT_EQ(replica.apply_record("a/b", "", &error), Applied::kRefused);
  EXPECT_EQ(replica.apply_complete("\xff", &error), Applied::kRefused);
  EXPECT_EQ(replica.size(), 0u);
}

}  // namespace
}  // namespace laneway::plugin
