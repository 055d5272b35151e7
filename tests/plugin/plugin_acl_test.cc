// Devices in their own subtree, over MQTT 3.1.1 and 5, and refusals outside it (real
// mosquitto, real TLS).
#include <gtest/gtest.h>

#include "broker_harness.h"

namespace laneway::test {
namespace {

constexpr int kNotAuthorized = 0x87;  // MQTT 5 reason code
constexpr int kSubackFailure = 0x80;  // MQTT 3.1.1 SUBACK failure

class PluginAcl : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ASSERT_EQ(broker.setup_error(), "");
    ASSERT_TRUE(broker.add_device("d-1", {"g1"}));
    ASSERT_TRUE(broker.add_device("d-2"));
    ASSERT_TRUE(broker.add_service("operator", "alice"));
    ASSERT_TRUE(broker.start()) << broker.log();
  }
  BrokerHarness broker;
};

TEST_P(PluginAcl, DevicePublishesAndSubscribesInItsOwnSubtree) {
  MqttTestClient device(broker.device("d-1", GetParam()));
  ASSERT_EQ(device.connect(broker.port()), 0) << broker.log();
  ASSERT_EQ(device.subscribe("devices/d-1/#"), 1);
  ASSERT_TRUE(accepted(device.publish("devices/d-1/telemetry", "21.5")));
  const auto message = device.wait_topic("devices/d-1/telemetry");
  ASSERT_TRUE(message);
  EXPECT_EQ(message->payload, "21.5");
}

TEST_P(PluginAcl, DeviceReceivesItsGroupAndBroadcastFromAnOperator) {
  MqttTestClient device(broker.device("d-1", GetParam()));
  MqttTestClient op(broker.service("operator", "alice"));
  ASSERT_EQ(device.connect(broker.port()), 0);
  ASSERT_EQ(op.connect(broker.port()), 0);
  ASSERT_EQ(device.subscribe("fleet/g1/#"), 1);
  ASSERT_EQ(device.subscribe("broadcast/#"), 1);
  ASSERT_TRUE(accepted(op.publish("fleet/g1/config", "c")));
  ASSERT_TRUE(accepted(op.publish("broadcast/all", "b")));
  EXPECT_TRUE(device.wait_topic("fleet/g1/config"));
  EXPECT_TRUE(device.wait_topic("broadcast/all"));
}

TEST_P(PluginAcl, SubscribingOutsideTheSubtreeIsRefused) {
  const int refused = GetParam() == 5 ? kNotAuthorized : kSubackFailure;
  MqttTestClient device(broker.device("d-1", GetParam()));
  ASSERT_EQ(device.connect(broker.port()), 0);
  EXPECT_EQ(device.subscribe("devices/d-2/#"), refused);
  EXPECT_EQ(device.subscribe("devices/+/telemetry"), refused);
  EXPECT_EQ(device.subscribe("#"), refused);
  EXPECT_EQ(device.subscribe("fleet/g2/#"), refused);
  EXPECT_EQ(device.subscribe("$lw/env/#"), refused);
  EXPECT_EQ(device.subscribe("$SYS/#"), refused);
}

TEST_P(PluginAcl, PublishingOutsideTheSubtreeNeverReachesAnyone) {
  MqttTestClient victim(broker.device("d-2", GetParam()));
  MqttTestClient op(broker.service("operator", "alice"));
  ASSERT_EQ(victim.connect(broker.port()), 0);
  ASSERT_EQ(op.connect(broker.port()), 0);
  ASSERT_EQ(victim.subscribe("devices/d-2/#"), 1);
  ASSERT_EQ(op.subscribe("devices/#"), 1);

  MqttTestClient device(broker.device("d-1", GetParam()));
  ASSERT_EQ(device.connect(broker.port()), 0);
  const auto reason = device.publish("devices/d-2/rpc/reboot", "x");
  ASSERT_TRUE(reason);
  // MQTT 5 says why; 3.1.1 has no way to, so the broker drops silently.
  EXPECT_EQ(*reason, GetParam() == 5 ? kNotAuthorized : 0);
  EXPECT_EQ(device.publish("fleet/g1/x", "x"), GetParam() == 5 ? kNotAuthorized : 0);
  // A marker published afterwards arrives; the refused messages never do.
  ASSERT_TRUE(accepted(device.publish("devices/d-1/marker", "m")));
  ASSERT_TRUE(op.wait_topic("devices/d-1/marker"));
  EXPECT_FALSE(op.wait_topic("devices/d-2/rpc/reboot", std::chrono::milliseconds(200)));
  EXPECT_FALSE(victim.wait_topic("devices/d-2/rpc/reboot", std::chrono::milliseconds(200)));
}

TEST_P(PluginAcl, UsernameAndPasswordSentByTheClientAreIgnored) {
  auto options = broker.device("d-1", GetParam());
  options.username = "operator:alice";  // tries to claim another identity
  MqttTestClient device(options);
  ASSERT_EQ(device.connect(broker.port()), 0);
  const int refused = GetParam() == 5 ? kNotAuthorized : kSubackFailure;
  EXPECT_EQ(device.subscribe("devices/#"), refused);
}

INSTANTIATE_TEST_SUITE_P(Mqtt, PluginAcl, ::testing::Values(4, 5),
                         [](const auto& info) { return info.param == 5 ? "v5" : "v311"; });

}  // namespace
}  // namespace laneway::test
