// Envelopes on $lw/env, the bridge's $lw/in lane, and epoch/seq across restarts.
#include <gtest/gtest.h>

#include <chrono>

#include "envelope_fixture.h"
#include "laneway/wire/frame_codec.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;
constexpr int kNotAuthorized = 0x87;

v1::Envelope decode_envelope(const ReceivedMessage& message) {
  v1::Frame frame;
  EXPECT_EQ(wire::decode_frame(message.payload, frame), wire::WireError::kOk);
  EXPECT_TRUE(frame.has_envelope());
  return frame.envelope();
}

std::string inbound_frame(const std::string& topic, const std::string& payload,
                          const std::string& origin) {
  v1::Frame frame;
  auto* envelope = frame.mutable_envelope();
  envelope->set_topic(topic);
  envelope->set_payload(payload);
  envelope->set_origin(origin);
  envelope->set_content_type("application/octet-stream");
  std::string bytes;
  EXPECT_EQ(wire::encode_frame(frame, bytes), wire::WireError::kOk);
  return bytes;
}

class PluginEnvelopes : public EnvelopeBrokerTest {};

TEST_F(PluginEnvelopes, MappedPublishesBecomeEnvelopesWithConsecutiveSeqAndOrigin) {
  MqttTestClient watcher(broker.service("operator", "alice"));
  ASSERT_EQ(watcher.connect(broker.port()), 0);
  ASSERT_EQ(watcher.subscribe("$lw/env/#"), 1);
  MqttTestClient device(broker.device("d-1"));
  ASSERT_EQ(device.connect(broker.port()), 0);

  constexpr int kCount = 20;
  for (int i = 0; i < kCount; ++i)
    ASSERT_TRUE(accepted(device.publish("devices/d-1/telemetry", "m" + std::to_string(i))));

  std::uint64_t epoch = 0;
  for (int i = 0; i < kCount; ++i) {
    const auto message = watcher.wait_topic("$lw/env/devices/d-1/telemetry");
    ASSERT_TRUE(message) << "envelope " << i << " missing";
    const auto envelope = decode_envelope(*message);
    EXPECT_EQ(envelope.topic(), "devices/d-1/telemetry");
    EXPECT_EQ(envelope.payload(), "m" + std::to_string(i));
    EXPECT_EQ(envelope.seq(), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(envelope.origin(), "d-1");
    EXPECT_EQ(envelope.qos(), 1u);
    EXPECT_GT(envelope.timestamp_us(), 0);
    if (i == 0) epoch = envelope.epoch();
    EXPECT_EQ(envelope.epoch(), epoch);
  }
  EXPECT_GT(epoch, 0u);
}

TEST_F(PluginEnvelopes, UnmappedTopicsGetNoEnvelope) {
  BrokerHarness::Options options;
  options.map = "devices/+/telemetry";
  BrokerHarness narrow(options);
  ASSERT_TRUE(narrow.add_device("d-1"));
  ASSERT_TRUE(narrow.add_service("operator", "alice"));
  ASSERT_TRUE(narrow.start());
  MqttTestClient watcher(narrow.service("operator", "alice"));
  ASSERT_EQ(watcher.connect(narrow.port()), 0);
  ASSERT_EQ(watcher.subscribe("$lw/env/#"), 1);
  MqttTestClient device(narrow.device("d-1"));
  ASSERT_EQ(device.connect(narrow.port()), 0);
  ASSERT_TRUE(accepted(device.publish("devices/d-1/logs", "not mapped")));
  ASSERT_TRUE(accepted(device.publish("devices/d-1/telemetry", "mapped")));
  const auto message = watcher.wait_message([](const auto&) { return true; });
  ASSERT_TRUE(message);
  EXPECT_EQ(message->topic, "$lw/env/devices/d-1/telemetry");
  EXPECT_EQ(watcher.pending(), 0u);
}

TEST_F(PluginEnvelopes, BridgeInboundReachesTheDeviceRawAndEveryoneAsEnvelope) {
  MqttTestClient device(broker.device("d-1"));
  ASSERT_EQ(device.connect(broker.port()), 0);
  ASSERT_EQ(device.subscribe("devices/d-1/cmd"), 1);
  MqttTestClient watcher(broker.service("operator", "alice"));
  ASSERT_EQ(watcher.connect(broker.port()), 0);
  ASSERT_EQ(watcher.subscribe("$lw/env/devices/d-1/cmd"), 1);
  MqttTestClient bridge(broker.service("bridge", "bridge-1"));
  ASSERT_EQ(bridge.connect(broker.port()), 0);

  const std::string raw("on\0\x01\xff", 5);
  ASSERT_TRUE(accepted(bridge.publish("$lw/in/devices/d-1/cmd",
                                      inbound_frame("devices/d-1/cmd", raw, "app:app1:user-42"))));
  const auto delivered = device.wait_topic("devices/d-1/cmd");
  ASSERT_TRUE(delivered) << broker.log();
  EXPECT_EQ(delivered->payload, raw);  // raw bytes, not protobuf

  const auto wired = watcher.wait_topic("$lw/env/devices/d-1/cmd");
  ASSERT_TRUE(wired);
  const auto envelope = decode_envelope(*wired);
  EXPECT_EQ(envelope.payload(), raw);
  EXPECT_EQ(envelope.origin(), "app:app1:user-42");
  EXPECT_EQ(envelope.seq(), 1u);
  EXPECT_GT(envelope.epoch(), 0u);
  // The raw republish is not sequenced a second time.
  EXPECT_FALSE(watcher.wait_topic("$lw/env/devices/d-1/cmd", 300ms));
}

TEST_F(PluginEnvelopes, DevicePublishToInboundIsRefused) {
  MqttTestClient device(broker.device("d-1"));
  ASSERT_EQ(device.connect(broker.port()), 0);
  ASSERT_EQ(device.subscribe("devices/d-1/#"), 1);
  EXPECT_EQ(device.publish("$lw/in/devices/d-1/cmd",
                           inbound_frame("devices/d-1/cmd", "forged", "app1:admin")),
            kNotAuthorized);
  EXPECT_FALSE(device.wait_topic("devices/d-1/cmd", 300ms));
}

// A bridge vouches for browser principals only: an app called `operator` with a user
// `alice` must not publish as the operator certificate `operator:alice` (docs/wire.md
// "Origins"), which is watching here.
TEST_F(PluginEnvelopes, BridgeCannotVouchForACertificateIdentity) {
  MqttTestClient watcher(broker.service("operator", "alice"));
  ASSERT_EQ(watcher.connect(broker.port()), 0);
  ASSERT_EQ(watcher.subscribe("$lw/env/devices/d-1/cmd"), 1);
  MqttTestClient bridge(broker.service("bridge", "bridge-1"));
  ASSERT_EQ(bridge.connect(broker.port()), 0);
  for (const char* forged :
       {"operator:alice", "d-2", "bridge:bridge-2", "edge:e", "app::x", "app:bad id:x", "app:a:"}) {
    EXPECT_EQ(bridge.publish("$lw/in/devices/d-1/cmd",
                             inbound_frame("devices/d-1/cmd", "forged", forged)),
              kNotAuthorized)
        << forged;
  }
  EXPECT_FALSE(watcher.wait_topic("$lw/env/devices/d-1/cmd", 300ms));
  ASSERT_TRUE(accepted(bridge.publish(
      "$lw/in/devices/d-1/cmd", inbound_frame("devices/d-1/cmd", "ok", "app:operator:alice"))));
  const auto wired = watcher.wait_topic("$lw/env/devices/d-1/cmd");
  ASSERT_TRUE(wired);
  EXPECT_EQ(decode_envelope(*wired).origin(), "app:operator:alice");
}

TEST_F(PluginEnvelopes, GarbageOnInboundIsDroppedAndTheBrokerKeepsServing) {
  MqttTestClient bridge(broker.service("bridge", "bridge-1"));
  ASSERT_EQ(bridge.connect(broker.port()), 0);
  MqttTestClient device(broker.device("d-1"));
  ASSERT_EQ(device.connect(broker.port()), 0);
  ASSERT_EQ(device.subscribe("devices/d-1/#"), 1);

  const std::vector<std::string> garbage = {
      // (Over the frame limit: plugin_frame_limit_test.cc.)
      std::string("\xff\xff\xff\xff\x0f", 5), "", "not protobuf at all",
      inbound_frame("devices/d-2/cmd", "wrong topic", "x:y")};
  for (const auto& bytes : garbage) {
    EXPECT_EQ(bridge.publish("$lw/in/devices/d-1/cmd", bytes), kNotAuthorized);
  }
  EXPECT_EQ(bridge.publish("$lw/in/not-mapped/x", inbound_frame("not-mapped/x", "p", "a:b")),
            kNotAuthorized);
  EXPECT_TRUE(broker.running());
  EXPECT_FALSE(device.wait_topic("devices/d-1/cmd", 200ms));
  // Still serving: a good envelope goes through.
  ASSERT_TRUE(
      accepted(bridge.publish("$lw/in/devices/d-1/cmd", inbound_frame("", "ok", "app:a:b"))));
  const auto delivered = device.wait_topic("devices/d-1/cmd");
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->payload, "ok");
  // Logged, but rate-limited: fewer lines than bad envelopes.
  EXPECT_GE(broker.count_log("dropped inbound envelope"), 1u);
  EXPECT_LT(broker.count_log("dropped inbound envelope"), garbage.size());
}

std::optional<v1::Envelope> publish_and_observe(BrokerHarness& broker, const std::string& payload) {
  MqttTestClient watcher(broker.service("operator", "alice"));
  if (watcher.connect(broker.port()) != 0 || watcher.subscribe("$lw/env/devices/d-1/t") != 1)
    return std::nullopt;
  MqttTestClient device(broker.device("d-1"));
  if (device.connect(broker.port()) != 0 || !accepted(device.publish("devices/d-1/t", payload)))
    return std::nullopt;
  auto message = watcher.wait_topic("$lw/env/devices/d-1/t");
  if (!message) return std::nullopt;
  return decode_envelope(*message);
}

TEST_F(PluginEnvelopes, CleanRestartKeepsTheEpochAndContinuesSeqCrashStartsANewEpoch) {
  const auto first = publish_and_observe(broker, "a");
  ASSERT_TRUE(first);
  ASSERT_TRUE(publish_and_observe(broker, "b"));
  EXPECT_EQ(first->seq(), 1u);

  broker.stop();  // SIGTERM: the plugin saves its state as a clean shutdown
  ASSERT_TRUE(broker.start()) << broker.log();
  const auto after_clean = publish_and_observe(broker, "c");
  ASSERT_TRUE(after_clean);
  EXPECT_EQ(after_clean->epoch(), first->epoch());
  EXPECT_EQ(after_clean->seq(), 3u);

  broker.crash();  // SIGKILL: no cleanup, the state file still says "running"
  ASSERT_TRUE(broker.start()) << broker.log();
  const auto after_crash = publish_and_observe(broker, "d");
  ASSERT_TRUE(after_crash);
  EXPECT_GT(after_crash->epoch(), first->epoch());
  EXPECT_EQ(after_crash->seq(), 1u);
}

}  // namespace
}  // namespace laneway::test
