// device_recheck.h without a broker: the full re-check looks up every connected device, the
// journal re-check only the changed ones that are connected, and both kick the same
// identities for the same registry (gone, not active, another serial).
#include "device_recheck.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace laneway::plugin {
namespace {

class DeviceRecheck : public ::testing::Test {
 protected:
  void SetUp() override {
    connect("d-1", "aa");
    connect("d-2", "bb");
    connect("d-2", "bb");  // two sessions of one device
    connect("d-3", "cc");
    ConnectedClient op;
    op.identity = "operator:alice";
    op.role = Role::kOperator;
    clients.emplace(handle(), op);
    for (const auto& id : {"d-1", "d-2", "d-3", "d-4"}) registry[id] = active(id);
  }

  void connect(const std::string& id, const std::string& serial) {
    ConnectedClient client;
    client.identity = id;
    client.serial = serial;
    clients.emplace(handle(), client);
    online.insert(id);
  }
  const mosquitto* handle() { return reinterpret_cast<const mosquitto*>(&slots[clients.size()]); }
  registry::Device active(const std::string& id) {
    registry::Device d;
    d.id = id;
    d.cert_serial = id == "d-1" ? "aa" : id == "d-2" ? "bb" : id == "d-3" ? "cc" : "dd";
    return d;
  }

  DeviceLookup find = [this](std::string_view id) {
    registry::Lookup lookup;
    ++lookups_by_id[std::string(id)];
    auto it = registry.find(std::string(id));
    lookup.status =
        it == registry.end() ? registry::LookupStatus::kNotFound : registry::LookupStatus::kFound;
    if (it != registry.end()) lookup.device = it->second;
    if (id == failing) {
      lookup.status = registry::LookupStatus::kError;
      lookup.error = "disk I/O error";
    }
    return lookup;
  };
  IsConnected is_connected = [this](std::string_view identity) {
    return online.count(std::string(identity)) > 0;
  };

  char slots[16] = {};
  ConnectedClients clients;
  std::set<std::string> online;
  std::map<std::string, registry::Device> registry;
  std::map<std::string, int> lookups_by_id;
  std::string failing;
};

TEST_F(DeviceRecheck, NothingChangedLooksNothingUp) {
  const auto result = recheck_changed(clients, is_connected, {}, find);
  EXPECT_EQ(result.lookups, 0u);
  EXPECT_TRUE(result.kick.empty());
}

TEST_F(DeviceRecheck, OnlyChangedConnectedDevicesAreLookedUp) {
  registry["d-2"].status = registry::DeviceStatus::kRevoked;
  const auto result = recheck_changed(clients, is_connected, {"d-2", "d-4", "d-9"}, find);
  EXPECT_EQ(result.lookups, 1u);  // d-4 and d-9 are not connected
  EXPECT_EQ(result.kick, std::set<std::string>{"d-2"});
  EXPECT_EQ(lookups_by_id, (std::map<std::string, int>{{"d-2", 1}}));
}

TEST_F(DeviceRecheck, BothWaysKickTheSameForRemovedRevokedAndReissued) {
  registry.erase("d-1");
  registry["d-2"].status = registry::DeviceStatus::kRevoked;
  registry["d-3"].cert_serial = "c2";  // re-issued: the connected session has the old one
  const std::set<std::string> expected{"d-1", "d-2", "d-3"};
  const auto all = recheck_all(clients, find);
  EXPECT_EQ(all.kick, expected);
  EXPECT_EQ(all.lookups, 3u);  // d-2's second session is already to be kicked
  const auto changed = recheck_changed(clients, is_connected, {"d-1", "d-2", "d-3"}, find);
  EXPECT_EQ(changed.kick, expected);
}

TEST_F(DeviceRecheck, ALookupErrorIsNotARevocation) {
  failing = "d-1";
  const auto result = recheck_changed(clients, is_connected, {"d-1"}, find);
  EXPECT_TRUE(result.kick.empty());
  EXPECT_EQ(result.errors, 1u);
  EXPECT_EQ(result.first_error, "disk I/O error");
  EXPECT_TRUE(recheck_all(clients, find).kick.empty());
}

}  // namespace
}  // namespace laneway::plugin
