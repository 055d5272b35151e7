// The frame limit in the hub (docs/wire.md "Frame limit"): no frame a session is sent is
// longer than the limit it was told (1024 bytes in the fixture): an envelope from the broker
// that could not travel alone in a group is dropped, counted and shown as a gap; replay
// groups are cut by their encoded size, spans included; a browser publish whose envelope
// would outgrow the limit once the plugin sequences it is refused before it is sent.
#include <gtest/gtest.h>

#include "hub_fixture.h"
#include "laneway/wire/frame_limit.h"

namespace laneway::bridge {
namespace {

constexpr std::size_t kLimit = 1024;  // test_config().limits.max_frame_bytes

class HubFrameLimitTest : public HubTest {
 protected:
  void broker_envelope(const std::string& topic, std::uint64_t seq, std::size_t payload_bytes) {
    hub_.on_broker_message("$lw/env/" + topic,
                           envelope_frame(topic, seq, 9, std::string(payload_bytes, 'x')), kNowUs);
  }
  bool metric(const std::string& line) {
    return hub_.render_metrics().find("\n" + line + "\n") != std::string::npos;
  }
};

TEST_F(HubFrameLimitTest, EnvelopeThatCouldNotTravelAloneInAGroupIsDroppedCountedAndAGap) {
  Session* s = open();
  connect(*s, token(), {sub("devices/#")});
  broker_envelope("devices/d1/t", 1, 10);
  // Itself within the limit, but not inside a group with its span and headers.
  const std::string big = envelope_frame("devices/d1/t", 2, 9, std::string(kLimit - 40, 'x'));
  ASSERT_LE(big.size(), kLimit);
  hub_.on_broker_message("$lw/env/devices/d1/t", big, kNowUs);
  broker_envelope("devices/d1/t", 3, 10);

  const auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].envelope().seq(), 1u);
  ASSERT_TRUE(frames[1].has_group()) << "seq 3 arrives as a gap";
  EXPECT_FALSE(frames[1].group().recovered());
  EXPECT_EQ(frames[1].group().envelopes(0).seq(), 3u);
  EXPECT_TRUE(metric("laneway_bridge_drops_total{reason=\"over_frame_limit\"} 1"));
}

TEST_F(HubFrameLimitTest, ReplayGroupsStayWithinTheLimitSpansIncluded) {
  Session* live = open();
  connect(*live, token(), {sub("devices/#")});
  // Long topics: each envelope's span costs nearly as much as its payload.
  for (int i = 0; i < 6; ++i) {
    broker_envelope("devices/d" + std::to_string(i) + "/" + std::string(150, 'l'), 1, 250);
  }
  Session* s = open();
  connect(*s, token(), {sub("devices/#")});
  hub_.resume_from_offset(*s, 0);
  std::size_t envelopes = 0;
  while (!s->queue.empty()) {
    EXPECT_LE(s->queue.front().frame->size(), kLimit);
    const v1::Frame f = decode(s->queue.front());
    ASSERT_TRUE(f.has_group());
    envelopes += f.group().envelopes_size();
    s->queue.pop();
  }
  EXPECT_EQ(envelopes, 6u);
}

TEST_F(HubFrameLimitTest, HistoryResultStaysWithinTheLimit) {
  Session* live = open();
  connect(*live, token(), {sub("devices/#")});
  const std::string topic = "devices/d1/" + std::string(200, 'l');
  for (std::uint64_t seq = 1; seq <= 4; ++seq) broker_envelope(topic, seq, 200);
  drain(*live);
  v1::CallFrame call;
  call.set_id(7);
  call.mutable_history()->set_topic(topic);
  send(*live, call);
  ASSERT_FALSE(live->queue.empty());
  EXPECT_LE(live->queue.front().frame->size(), kLimit);
  const v1::Frame f = decode(live->queue.front());
  ASSERT_TRUE(f.call().has_history_result());
  EXPECT_GT(f.call().history_result().group().envelopes_size(), 0);
  EXPECT_FALSE(f.call().history_result().group().recovered()) << "truncated: ask again";
}

TEST_F(HubFrameLimitTest, PublishWhoseSequencedEnvelopeWouldOutgrowTheLimitIsRefused) {
  Session* s = open();
  connect(*s, token());
  v1::CallFrame call;
  call.set_id(2);
  call.mutable_publish()->set_topic("devices/d1/cmd");
  call.mutable_publish()->set_payload(std::string(kLimit - 64, 'x'));  // the call frame fits
  send(*s, call);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].call().error().code(), v1::ERROR_CODE_TOO_LARGE);
  EXPECT_TRUE(upstream_.published.empty());
  EXPECT_TRUE(metric("laneway_bridge_drops_total{reason=\"client_over_frame_limit\"} 1"));

  call.set_id(3);
  call.mutable_publish()->set_payload(std::string(kLimit - 256, 'x'));
  send(*s, call);
  frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].call().has_publish_result());
  ASSERT_EQ(upstream_.published.size(), 1u);
  EXPECT_LE(upstream_.published[0].payload.size() + wire::kSequenceFieldsBytes, kLimit);
}

}  // namespace
}  // namespace laneway::bridge
