// Registry changes re-check only the devices the change journal names (docs/plugin.md
// "Live revocation"): a revocation still kicks within 2 s, a presence batch re-checks no
// device at all, and a group change reaches that device's ACL. Real mosquitto, real TLS;
// the plugin's per-change cost line (debug) says what was re-checked.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "broker_harness.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;

constexpr int kDevices = 4;

class PluginRevocation : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(broker.setup_error(), "");
    for (int i = 0; i < kDevices; ++i)
      ASSERT_TRUE(broker.add_device("d-" + std::to_string(i), {"g1"}));
    ASSERT_TRUE(broker.start()) << broker.log();
    for (int i = 0; i < kDevices; ++i) {
      devices.push_back(std::make_unique<MqttTestClient>(broker.device("d-" + std::to_string(i))));
      ASSERT_EQ(devices.back()->connect(broker.port()), 0) << broker.log();
    }
  }

  // Waits for the plugin's line about the next registry change it handles.
  bool wait_change_line(const std::string& needle, std::chrono::milliseconds timeout = 3s) {
    return wait_until([&] { return broker.count_log(needle) > 0; }, timeout, 20ms);
  }

  static BrokerHarness::Options debug_options() {
    BrokerHarness::Options options;
    options.debug_log = true;
    return options;
  }

  BrokerHarness broker{debug_options()};
  std::vector<std::unique_ptr<MqttTestClient>> devices;
  std::string error;
};

TEST_F(PluginRevocation, RevokingOneDeviceKicksItWithin2sAndReChecksOnlyIt) {
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(broker.registry().set_status("d-2", registry::DeviceStatus::kRevoked, &error))
      << error;
  ASSERT_TRUE(devices[2]->wait_disconnected(std::chrono::duration_cast<std::chrono::milliseconds>(
      2000ms - (std::chrono::steady_clock::now() - t0))))
      << broker.log();
  EXPECT_TRUE(wait_change_line("registry change (journal): 1 devices changed, 1 of " +
                               std::to_string(kDevices) + " connections re-checked"))
      << broker.log();
  EXPECT_EQ(broker.count_log("registry change (full)"), 0u) << broker.log();
  for (int i : {0, 1, 3}) EXPECT_TRUE(devices[i]->connected()) << i;
  MqttTestClient again(broker.device("d-2"));
  EXPECT_NE(again.connect(broker.port(), 3000ms), 0);
}

TEST_F(PluginRevocation, PresenceOnlyRegistryWriteReChecksNoDevice) {
  std::vector<registry::PresenceUpdate> batch;
  for (int i = 0; i < kDevices; ++i) batch.push_back({"d-" + std::to_string(i), true, 1000 + i});
  ASSERT_TRUE(broker.registry().record_presence(batch, &error)) << error;
  // The commit is noticed, and it names no device: no lookup, nobody kicked.
  EXPECT_TRUE(wait_change_line("registry change (journal): 0 devices changed, 0 of " +
                               std::to_string(kDevices) + " connections re-checked"))
      << broker.log();
  EXPECT_EQ(broker.count_log("registry change (full)"), 0u) << broker.log();
  EXPECT_EQ(broker.count_log("kicking"), 0u) << broker.log();
  for (auto& device : devices) EXPECT_TRUE(device->connected());
}

TEST_F(PluginRevocation, GroupChangeReachesThatDevicesAcl) {
  ASSERT_EQ(devices[1]->subscribe("fleet/g2/#"), 0x87) << broker.log();  // not a member yet
  registry::Device moved;
  moved.id = "d-1";
  moved.groups = {"g2"};
  moved.cert_serial = certificate_serial(broker.pki() + "/devices/d-1.crt");
  ASSERT_TRUE(broker.registry().upsert_device(moved, &error)) << error;
  ASSERT_TRUE(wait_change_line("registry change (journal): 1 devices changed")) << broker.log();
  EXPECT_EQ(devices[1]->subscribe("fleet/g2/#"), 1) << broker.log();
  EXPECT_TRUE(devices[1]->connected());
}

// A file from before schema 4 (the journal and its triggers removed by hand, as a broker
// that was never migrated sees it): every change re-checks everyone, as before, said once.
TEST(PluginRevocationWithoutJournal, EveryChangeReChecksEveryDeviceAndSaysSoOnce) {
  BrokerHarness::Options options;
  options.debug_log = true;
  BrokerHarness broker(options);
  ASSERT_EQ(broker.setup_error(), "");
  ASSERT_TRUE(broker.add_device("d-1"));
  ASSERT_TRUE(broker.add_device("d-2"));
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((broker.dir() + "/fleet.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
    char* message = nullptr;
    ASSERT_EQ(sqlite3_exec(db.get(), R"sql(
DROP TRIGGER devices_journal_insert; DROP TRIGGER devices_journal_delete;
DROP TRIGGER devices_journal_update; DROP TRIGGER device_groups_journal_insert;
DROP TRIGGER device_groups_journal_delete; DROP TRIGGER device_groups_journal_update;
DROP TABLE device_changes; UPDATE schema_version SET version = 3;
)sql",
                           nullptr, nullptr, &message),
              SQLITE_OK)
        << (message ? message : "");
  }
  ASSERT_TRUE(broker.start()) << broker.log();
  MqttTestClient one(broker.device("d-1"));
  MqttTestClient two(broker.device("d-2"));
  ASSERT_EQ(one.connect(broker.port()), 0) << broker.log();
  ASSERT_EQ(two.connect(broker.port()), 0) << broker.log();

  std::string error;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(broker.registry().set_status("d-1", registry::DeviceStatus::kRevoked, &error))
      << error;
  ASSERT_TRUE(one.wait_disconnected(std::chrono::duration_cast<std::chrono::milliseconds>(
      2000ms - (std::chrono::steady_clock::now() - t0))))
      << broker.log();
  ASSERT_TRUE(broker.registry().record_presence({{"d-2", true, 1000}}, &error)) << error;
  EXPECT_TRUE(wait_until([&] { return broker.count_log("registry change (full)") >= 2; }, 3s))
      << broker.log();
  EXPECT_EQ(broker.count_log("registry has no change journal (schema 3)"), 1u) << broker.log();
  EXPECT_TRUE(two.connected());
}

}  // namespace
}  // namespace laneway::test
