// The broker tier as a cluster (docs/scale.md): devices on two edges, the core sequencing,
// the registry and CRL reaching the edges over their bridge connections, origins vouched
// for by edges only, one session per client id across edges, and an edge that dies.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "broker_harness.h"
#include "cluster_harness.h"
#include "laneway.pb.h"
#include "laneway/wire/frame_codec.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;
constexpr int kNotAuthorized = 0x87;
// Revocations, kicks and ACL changes must land within this on every edge.
constexpr auto kPropagation = 2000ms;

v1::Envelope decode_envelope(const ReceivedMessage& message) {
  v1::Frame frame;
  EXPECT_EQ(wire::decode_frame(message.payload, frame), wire::WireError::kOk);
  EXPECT_TRUE(frame.has_envelope());
  return frame.envelope();
}

v1::Presence decode_presence(const ReceivedMessage& message) {
  v1::Presence presence;
  EXPECT_TRUE(presence.ParseFromString(decode_envelope(message).payload()));
  return presence;
}

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cluster.namespaces_unavailable() && !running_in_ci()) GTEST_SKIP() << cluster.setup_error();
    ASSERT_EQ(cluster.setup_error(), "");
    for (const char* id : {"d-1", "d-2", "d-3"}) ASSERT_TRUE(cluster.add_device(id, {"north"}));
    ASSERT_TRUE(cluster.add_service("operator", "alice"));
    ASSERT_TRUE(cluster.add_service("bridge", "bridge-1"));
    ASSERT_TRUE(cluster.start()) << cluster.setup_error() << "\ncore:\n"
                                 << cluster.core_log() << "\nedge-a:\n"
                                 << cluster.edge_log("edge-a");
  }

  std::unique_ptr<MqttTestClient> connect_device(const std::string& id, const std::string& edge,
                                                 const std::string& client_id = "") {
    auto client = std::make_unique<MqttTestClient>(cluster.device_at(edge, id, client_id));
    EXPECT_EQ(client->connect(cluster.edge_port(edge)), 0) << cluster.edge_log(edge);
    return client;
  }

  std::unique_ptr<MqttTestClient> connect_operator() {
    auto client = std::make_unique<MqttTestClient>(cluster.service_at_core("operator", "alice"));
    EXPECT_EQ(client->connect(cluster.core_port()), 0) << cluster.core_log();
    return client;
  }

  ClusterHarness cluster;
};

TEST_F(Cluster, DevicePublishOnAnEdgeBecomesOneCoreEnvelopeWithTheDevicesOrigin) {
  auto watcher = connect_operator();
  ASSERT_EQ(watcher->subscribe("$lw/env/devices/#"), 1);
  auto device = connect_device("d-1", "edge-a");
  auto other = connect_device("d-2", "edge-b");

  constexpr int kCount = 20;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(accepted(device->publish("devices/d-1/telemetry", "a" + std::to_string(i))));
    ASSERT_TRUE(accepted(other->publish("devices/d-2/telemetry", "b" + std::to_string(i))));
  }
  std::uint64_t epoch = 0;
  for (const char* id : {"d-1", "d-2"}) {
    const std::string topic = std::string("devices/") + id + "/telemetry";
    for (int i = 0; i < kCount; ++i) {
      const auto message = watcher->wait_topic("$lw/env/" + topic);
      ASSERT_TRUE(message) << topic << " envelope " << i << " missing\n" << cluster.core_log();
      const auto envelope = decode_envelope(*message);
      EXPECT_EQ(envelope.topic(), topic);
      EXPECT_EQ(envelope.origin(), id) << "the device, not the edge it came through";
      EXPECT_EQ(envelope.seq(), static_cast<std::uint64_t>(i + 1)) << "sequenced once, at the core";
      if (epoch == 0) epoch = envelope.epoch();
      EXPECT_EQ(envelope.epoch(), epoch) << "one epoch for the whole cluster";
    }
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(watcher->pending(), 0u) << "an envelope arrived twice";
}

TEST_F(Cluster, BroadcastsGroupMessagesAndRpcReachDevicesOnEveryEdge) {
  auto on_a = connect_device("d-1", "edge-a");
  auto on_b = connect_device("d-2", "edge-b");
  for (auto* device : {on_a.get(), on_b.get()}) {
    ASSERT_EQ(device->subscribe("broadcast/#"), 1);
    ASSERT_EQ(device->subscribe("fleet/north/#"), 1);
  }
  ASSERT_EQ(on_b->subscribe("devices/d-2/rpc/#"), 1);
  auto op = connect_operator();
  MqttTestClient bridge(cluster.service_at_core("bridge", "bridge-1"));
  ASSERT_EQ(bridge.connect(cluster.core_port()), 0);
  ASSERT_EQ(bridge.subscribe("devices/+/rpc-reply/#"), 1);
  // The edges' remote subscriptions are in place once they synced; give the SUBSCRIBEs of
  // the devices above no further wait: they are local to each edge.
  ASSERT_TRUE(accepted(op->publish("broadcast/all", "hello")));
  ASSERT_TRUE(accepted(op->publish("fleet/north/config", "cfg")));
  for (auto* device : {on_a.get(), on_b.get()}) {
    const auto broadcast = device->wait_topic("broadcast/all");
    ASSERT_TRUE(broadcast);
    EXPECT_EQ(broadcast->payload, "hello");
    const auto group = device->wait_topic("fleet/north/config");
    ASSERT_TRUE(group);
    EXPECT_EQ(group->payload, "cfg");
  }

  ASSERT_TRUE(accepted(bridge.publish("devices/d-2/rpc/reboot", "now")));
  const auto request = on_b->wait_topic("devices/d-2/rpc/reboot");
  ASSERT_TRUE(request) << cluster.edge_log("edge-b");
  EXPECT_EQ(request->payload, "now");
  EXPECT_EQ(on_a->pending(), 0u);
  ASSERT_TRUE(accepted(on_b->publish("devices/d-2/rpc-reply/bridge-1", "done")));
  const auto reply = bridge.wait_topic("devices/d-2/rpc-reply/bridge-1");
  ASSERT_TRUE(reply) << cluster.core_log();
  EXPECT_EQ(reply->payload, "done");
}

TEST_F(Cluster, RegistryRevocationKicksOnTheEdgeWithinTwoSecondsAndRefusesOnTheOther) {
  auto device = connect_device("d-1", "edge-a");
  std::string error;
  const auto revoked_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(cluster.registry().set_status("d-1", registry::DeviceStatus::kRevoked, &error))
      << error;
  ASSERT_TRUE(device->wait_disconnected(kPropagation)) << cluster.edge_log("edge-a");
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, kPropagation);
  MqttTestClient elsewhere(cluster.device_at("edge-b", "d-1"));
  EXPECT_NE(elsewhere.connect(cluster.edge_port("edge-b")), 0);

  // Back to active: both edges let it in again.
  ASSERT_TRUE(cluster.registry().set_status("d-1", registry::DeviceStatus::kActive, &error));
  EXPECT_TRUE(wait_until(
      [&] {
        MqttTestClient again(cluster.device_at("edge-b", "d-1"));
        return again.connect(cluster.edge_port("edge-b"), 500ms) == 0;
      },
      kPropagation));
}

TEST_F(Cluster, RemovedDeviceIsKickedAndUnknownDevicesAreRefused) {
  auto device = connect_device("d-3", "edge-b");
  std::string error;
  ASSERT_TRUE(cluster.registry().remove_device("d-3", &error)) << error;
  ASSERT_TRUE(device->wait_disconnected(kPropagation)) << cluster.edge_log("edge-b");
  // Fail closed: a certificate the CA signed, for a device the registry never had.
  ASSERT_TRUE(cluster.certs({"device", "--id", "stranger"}));
  MqttTestClient stranger(cluster.device_at("edge-a", "stranger"));
  EXPECT_NE(stranger.connect(cluster.edge_port("edge-a")), 0);
  // Devices connect to edges, never to the core.
  ClientOptions to_core = cluster.device_at("edge-a", "d-1");
  to_core.host = cluster.service_at_core("operator", "alice").host;
  MqttTestClient direct(to_core);
  EXPECT_NE(direct.connect(cluster.core_port()), 0);
}

TEST_F(Cluster, CrlRevocationKicksOnEveryEdgeWithinTwoSeconds) {
  auto on_a = connect_device("d-1", "edge-a");
  auto on_b = connect_device("d-1", "edge-b", "d-1/second");
  ASSERT_TRUE(cluster.certs({"revoke", "--id", "d-1"}));
  ASSERT_TRUE(on_a->wait_disconnected(kPropagation + 1000ms)) << cluster.edge_log("edge-a");
  ASSERT_TRUE(on_b->wait_disconnected(kPropagation)) << cluster.edge_log("edge-b");
  MqttTestClient again(cluster.device_at("edge-b", "d-1"));
  EXPECT_NE(again.connect(cluster.edge_port("edge-b")), 0);
}

TEST_F(Cluster, GroupChangeReachesTheEdgeAclWithinTwoSeconds) {
  auto device = connect_device("d-2", "edge-b");
  EXPECT_EQ(device->subscribe("fleet/south/#"), kNotAuthorized);
  registry::Device changed;
  changed.id = "d-2";
  changed.groups = {"south"};
  changed.cert_serial = certificate_serial(cluster.device_certfile("d-2"));
  std::string error;
  ASSERT_TRUE(cluster.registry().upsert_device(changed, &error)) << error;
  EXPECT_TRUE(
      wait_until([&] { return device->subscribe("fleet/south/#") == 1; }, kPropagation, 100ms));
  EXPECT_EQ(device->subscribe("fleet/north/#"), kNotAuthorized);
}

TEST_F(Cluster, OnlyAnEdgeMayVouchForAnOriginAndOnlyForWhatThatOriginMayPublish) {
  const UserProperties claim_d2 = {{"lw-origin", "d-2"}};
  auto device = connect_device("d-1", "edge-a");
  EXPECT_EQ(device->publish_with("devices/d-1/telemetry", "x", claim_d2), kNotAuthorized);
  auto op = connect_operator();
  EXPECT_EQ(op->publish_with("broadcast/all", "x", claim_d2), kNotAuthorized);

  // An edge certificate used directly: its own messages need an origin, and the origin must
  // be allowed the topic itself.
  MqttTestClient edge(cluster.service_at_core("edge", "edge-a"));
  ASSERT_EQ(edge.connect(cluster.core_port()), 0);
  EXPECT_EQ(edge.publish("devices/d-2/telemetry", "x"), kNotAuthorized);
  EXPECT_EQ(edge.publish_with("devices/d-1/telemetry", "x", claim_d2), kNotAuthorized);
  EXPECT_TRUE(accepted(edge.publish_with("devices/d-2/telemetry", "x", claim_d2)));
  EXPECT_EQ(edge.publish_with("devices/d-2/telemetry", "x", {{"lw-origin", "operator:alice"}}),
            kNotAuthorized);
}

TEST_F(Cluster, ReconnectThroughAnotherEdgeClosesTheOldConnectionAndPresenceStaysOnline) {
  auto watcher = connect_operator();
  ASSERT_EQ(watcher->subscribe("$lw/presence/d-3"), 1);
  auto first = connect_device("d-3", "edge-a");
  const auto online = watcher->wait_topic("$lw/presence/d-3");
  ASSERT_TRUE(online) << cluster.core_log();
  EXPECT_TRUE(decode_presence(*online).online());

  auto second = connect_device("d-3", "edge-b");
  ASSERT_TRUE(first->wait_disconnected(kPropagation)) << cluster.edge_log("edge-a");
  EXPECT_TRUE(second->connected());
  std::this_thread::sleep_for(1000ms);
  EXPECT_EQ(watcher->pending(), 0u) << "presence flapped during the takeover";
  ASSERT_TRUE(accepted(second->publish("devices/d-3/telemetry", "still here")));

  second->disconnect();
  const auto offline = watcher->wait_topic("$lw/presence/d-3");
  ASSERT_TRUE(offline);
  EXPECT_FALSE(decode_presence(*offline).online());
}

TEST_F(Cluster, DevicesOfAKilledEdgeReconnectThroughTheOtherAndEveryQos1MessageArrivesOnce) {
  auto watcher = connect_operator();
  ASSERT_EQ(watcher->subscribe("$lw/env/devices/d-1/#"), 1);
  auto device = connect_device("d-1", "edge-a");
  ASSERT_TRUE(accepted(device->publish("devices/d-1/telemetry", "before")));
  ASSERT_TRUE(watcher->wait_topic("$lw/env/devices/d-1/telemetry"));

  cluster.kill_edge("edge-a");
  ASSERT_TRUE(device->wait_disconnected());
  auto moved = connect_device("d-1", "edge-b");
  constexpr int kCount = 50;
  for (int i = 0; i < kCount; ++i)
    ASSERT_TRUE(accepted(moved->publish("devices/d-1/telemetry", std::to_string(i))));
  std::set<std::uint64_t> seqs;
  for (int i = 0; i < kCount; ++i) {
    const auto message = watcher->wait_topic("$lw/env/devices/d-1/telemetry");
    ASSERT_TRUE(message) << "envelope " << i << " missing\n" << cluster.core_log();
    const auto envelope = decode_envelope(*message);
    EXPECT_EQ(envelope.payload(), std::to_string(i));
    EXPECT_EQ(envelope.seq(), static_cast<std::uint64_t>(i + 2));
    EXPECT_TRUE(seqs.insert(envelope.seq()).second);
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(watcher->pending(), 0u) << "an envelope arrived twice";

  // The killed edge comes back with an empty registry copy and fills it from the core.
  ASSERT_TRUE(cluster.start_edge("edge-a"));
  ASSERT_TRUE(cluster.wait_edge_synced("edge-a")) << cluster.edge_log("edge-a");
  connect_device("d-2", "edge-a");
}

}  // namespace
}  // namespace laneway::test
