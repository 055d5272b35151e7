// Retained presence envelopes on $lw/presence/<identity>.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "broker_harness.h"
#include "laneway/wire/frame_codec.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;

std::optional<v1::Presence> wait_presence(
    MqttTestClient& watcher, const std::string& identity, bool online,
    std::chrono::milliseconds timeout = MqttTestClient::kWait) {
  std::optional<v1::Presence> found;
  watcher.wait_message(
      [&](const ReceivedMessage& m) {
        if (m.topic != "$lw/presence/" + identity) return false;
        v1::Frame frame;
        if (wire::decode_frame(m.payload, frame) != wire::WireError::kOk || !frame.has_envelope())
          return false;
        if (frame.envelope().content_type() != "application/x-laneway-presence") return false;
        v1::Presence presence;
        if (!presence.ParseFromString(frame.envelope().payload()) || presence.online() != online)
          return false;
        found = presence;
        return true;
      },
      timeout);
  return found;
}

class PluginPresence : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(broker.setup_error(), "");
    ASSERT_TRUE(broker.add_device("d-1", {"g1"}));
    ASSERT_TRUE(broker.add_service("operator", "alice"));
    ASSERT_TRUE(broker.start()) << broker.log();
    watcher_ = std::make_unique<MqttTestClient>(broker.service("operator", "alice"));
    ASSERT_EQ(watcher().connect(broker.port()), 0);
    ASSERT_EQ(watcher().subscribe("$lw/presence/#"), 1);
  }
  BrokerHarness broker;
  std::unique_ptr<MqttTestClient> watcher_;  // after SetUp: its certificate must exist
  MqttTestClient& watcher() { return *watcher_; }
};

TEST_F(PluginPresence, OnlineOnConnectOfflineOnDisconnect) {
  {
    MqttTestClient device(broker.device("d-1"));
    ASSERT_EQ(device.connect(broker.port()), 0);
    const auto online = wait_presence(watcher(), "d-1", true);
    ASSERT_TRUE(online) << broker.log();
    EXPECT_EQ(online->client_id(), "d-1");
    EXPECT_EQ(online->role(), "device");
    EXPECT_EQ(online->groups_size(), 1);
  }  // clean disconnect
  EXPECT_TRUE(wait_presence(watcher(), "d-1", false));
}

TEST_F(PluginPresence, NetworkDropGoesOffline) {
  MqttTestClient device(broker.device("d-1"));
  ASSERT_EQ(device.connect(broker.port()), 0);
  ASSERT_TRUE(wait_presence(watcher(), "d-1", true));
  device.drop();
  EXPECT_TRUE(wait_presence(watcher(), "d-1", false)) << broker.log();
}

TEST_F(PluginPresence, PresenceIsRetainedForLateSubscribers) {
  MqttTestClient device(broker.device("d-1"));
  ASSERT_EQ(device.connect(broker.port()), 0);
  ASSERT_TRUE(wait_presence(watcher(), "d-1", true));
  MqttTestClient late(broker.service("operator", "alice"));
  ASSERT_EQ(late.connect(broker.port()), 0);
  ASSERT_EQ(late.subscribe("$lw/presence/d-1"), 1);
  EXPECT_TRUE(wait_presence(late, "d-1", true));
}

TEST_F(PluginPresence, KickedDeviceGoesOffline) {
  MqttTestClient device(broker.device("d-1"));
  ASSERT_EQ(device.connect(broker.port()), 0);
  ASSERT_TRUE(wait_presence(watcher(), "d-1", true));
  ASSERT_TRUE(broker.certs({"revoke", "--id", "d-1"}));
  ASSERT_TRUE(device.wait_disconnected());
  EXPECT_TRUE(wait_presence(watcher(), "d-1", false));
}

TEST_F(PluginPresence, RefusedClientsNeverAppearOnline) {
  ASSERT_TRUE(broker.add_device("d-unregistered", {}, false));
  MqttTestClient device(broker.device("d-unregistered"));
  EXPECT_NE(device.connect(broker.port(), 3000ms), 0);
  // Absence can only be shown by waiting; the refusal has been answered already, so the
  // online presence would have been queued before the CONNACK.
  EXPECT_FALSE(wait_presence(watcher(), "d-unregistered", true, 1000ms).has_value());
}

TEST_F(PluginPresence, StaleOnlineIsCorrectedAfterACrash) {
  {
    MqttTestClient device(broker.device("d-1"));
    ASSERT_EQ(device.connect(broker.port()), 0);
    ASSERT_TRUE(wait_presence(watcher(), "d-1", true));
    // The plugin records who is online at its next poll; wait until the state file says so.
    ASSERT_TRUE(wait_until(
        [&] {
          std::ifstream in(broker.state_file());
          std::string text((std::istreambuf_iterator<char>(in)), {});
          return text.find("online 3 d-1") != std::string::npos;
        },
        5000ms));
    broker.crash();
  }
  ASSERT_TRUE(broker.start()) << broker.log();
  MqttTestClient late(broker.service("operator", "alice"));
  ASSERT_EQ(late.connect(broker.port()), 0);
  ASSERT_EQ(late.subscribe("$lw/presence/d-1"), 1);
  EXPECT_TRUE(wait_presence(late, "d-1", false));
}

}  // namespace
}  // namespace laneway::test
