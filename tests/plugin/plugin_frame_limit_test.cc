// The frame limit at the broker (docs/wire.md "Frame limit"): a payload over it is refused by
// Mosquitto itself with MQTT 5 reason 0x95 before it is read; one whose envelope would not
// be admitted is refused whole by the plugin (0x87), without a seq spent, and counted; a
// bridge's inbound frame that would not be admitted once sequenced is refused before the
// raw copy goes out.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "envelope_fixture.h"
#include "laneway/wire/frame_codec.h"
#include "laneway/wire/frame_limit.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;
constexpr int kNotAuthorized = 0x87;
constexpr int kPacketTooLarge = 0x95;
constexpr std::size_t kLimit = 65536;  // laneway-broker-config's default --max-frame-bytes
constexpr const char* kTopic = "devices/d-1/telemetry";

v1::Frame decode(const ReceivedMessage& message) {
  v1::Frame frame;
  EXPECT_EQ(wire::decode_frame(message.payload, frame), wire::WireError::kOk);
  return frame;
}

class PluginFrameLimit : public EnvelopeBrokerTest {
 protected:
  void SetUp() override {
    EnvelopeBrokerTest::SetUp();
    if (HasFatalFailure()) return;
    watcher.emplace(broker.service("operator", "alice"));
    ASSERT_EQ(watcher->connect(broker.port()), 0);
    ASSERT_EQ(watcher->subscribe("$lw/env/devices/#"), 1);
    ASSERT_EQ(watcher->subscribe("devices/#"), 1);
  }

  // The next raw message and envelope on `topic` both carry `payload`, and the envelope has
  // `seq`: whatever was refused before left no trace on either.
  void expect_next_is(const std::string& topic, const std::string& payload, std::uint64_t seq) {
    const auto raw = watcher->wait_topic(topic);
    ASSERT_TRUE(raw) << broker.log();
    EXPECT_EQ(raw->payload, payload);
    const auto wired = watcher->wait_topic("$lw/env/" + topic);
    ASSERT_TRUE(wired);
    const v1::Frame frame = decode(*wired);
    EXPECT_EQ(frame.envelope().payload(), payload);
    EXPECT_EQ(frame.envelope().seq(), seq);
    EXPECT_LE(wired->payload.size(), kLimit);
  }

  std::optional<MqttTestClient> watcher;  // once the operator's certificate exists
};

TEST_F(PluginFrameLimit, PayloadOverTheLimitIsRefusedByTheBrokerWithPacketTooLarge) {
  MqttTestClient device(broker.device("d-1"));
  ASSERT_EQ(device.connect(broker.port()), 0);
  EXPECT_EQ(device.publish(kTopic, std::string(kLimit + 1, 'x')), kPacketTooLarge);
  EXPECT_TRUE(device.connected());  // refused, not disconnected
  ASSERT_TRUE(accepted(device.publish(kTopic, "small")));
  expect_next_is(kTopic, "small", 1);
}

TEST_F(PluginFrameLimit, PayloadWhoseEnvelopeWouldNotBeAdmittedIsRefusedWholeAndCounted) {
  MqttTestClient device(broker.device("d-1"));
  ASSERT_EQ(device.connect(broker.port()), 0);
  // Under the broker's payload limit, but not with the topic, origin and seq around it.
  EXPECT_EQ(device.publish(kTopic, std::string(kLimit - 16, 'x')), kNotAuthorized);
  EXPECT_TRUE(device.connected());
  EXPECT_EQ(broker.count_log("over the frame limit of 65536 bytes (1 refused since start)"), 1u)
      << broker.log();
  // Well inside: admitted, and its seq is the first, since the refused one spent none.
  const std::string fits(kLimit - 512, 'y');
  ASSERT_TRUE(accepted(device.publish(kTopic, fits)));
  expect_next_is(kTopic, fits, 1);
}

TEST_F(PluginFrameLimit, BridgeInboundFrameThatWouldOutgrowTheLimitIsRefusedBeforeTheRawCopy) {
  MqttTestClient bridge(broker.service("bridge", "bridge-1"));
  ASSERT_EQ(bridge.connect(broker.port()), 0);
  auto inbound = [](const std::string& payload) {
    v1::Frame frame;
    frame.mutable_envelope()->set_topic("devices/d-1/cmd");
    frame.mutable_envelope()->set_payload(payload);
    frame.mutable_envelope()->set_origin("app:app1:user-42");
    std::string bytes;
    EXPECT_EQ(wire::encode_frame(frame, bytes), wire::WireError::kOk);
    return bytes;
  };
  // Over the limit: the broker's refusal, as for a device.
  EXPECT_EQ(bridge.publish("$lw/in/devices/d-1/cmd", std::string(kLimit + 1, '\x0a')),
            kPacketTooLarge);
  // Within the limit as it stands; the seq, epoch and timestamp would take it over.
  const std::string near = inbound(std::string(kLimit - 80, 'x'));
  ASSERT_LE(near.size(), kLimit);
  EXPECT_EQ(bridge.publish("$lw/in/devices/d-1/cmd", near), kNotAuthorized);
  ASSERT_TRUE(accepted(bridge.publish("$lw/in/devices/d-1/cmd", inbound("on"))));
  expect_next_is("devices/d-1/cmd", "on", 1);
}

}  // namespace
}  // namespace laneway::test
