// The WebTransport lane alone: a real Hub (with the in-memory upstream of the hub tests)
// behind it, a scripted QUIC server in front. What the lane must do with records, datagrams,
// full send buffers, closing sessions and failed writes, without sockets.
#include "wt_lane.h"

#include <gtest/gtest.h>

#include "hub_fixture.h"
#include "laneway/wire/length_prefix.h"
#include "scripted_wt_server.h"

namespace laneway::bridge {
namespace {

constexpr webtransport::SessionRef kRef{7, 0};
constexpr std::int64_t kFrameStream = 0;  // the client's first bidirectional stream

class WtLaneTest : public ::testing::Test {
 protected:
  WtLaneTest()
      : config_(test_config()),
        hub_(config_, upstream_),
        lane_(config_, hub_, [this] { deferred_++; }),
        server_(lane_) {
    lane_.bind(server_);
  }

  void open_session(const std::string& origin = "https://app.example") {
    webtransport::SessionRequest request;
    request.origin = origin;
    ASSERT_EQ(lane_.on_session_request(request), 200);
    lane_.on_session_opened(kRef, request);
  }

  // One CallFrame as the client's next record on its frame stream.
  void send_call(const v1::CallFrame& call, bool fin = false) {
    v1::Frame f;
    *f.mutable_call() = call;
    std::string record;
    wire::append_length_prefixed(f.SerializeAsString(), record);
    lane_.on_stream_data(kRef, kFrameStream, record, fin);
  }

  void connect(std::vector<v1::Subscription> subs) {
    v1::CallFrame call;
    call.set_id(1);
    call.mutable_connect()->set_app_id("demo");
    call.mutable_connect()->set_token(token());
    for (auto& s : subs) *call.mutable_connect()->add_subscriptions() = s;
    send_call(call);
    lane_.write_pending();
  }

  // Every Frame written on the frame stream so far, in order.
  std::vector<v1::Frame> stream_frames() {
    std::vector<v1::Frame> out;
    wire::LengthPrefixDecoder decoder;
    const auto it = server_.streams.find({kRef, kFrameStream});
    if (it == server_.streams.end()) return out;
    EXPECT_EQ(decoder.feed(it->second.bytes,
                           [&](std::string_view record) {
                             v1::Frame f;
                             EXPECT_TRUE(
                                 f.ParseFromArray(record.data(), static_cast<int>(record.size())));
                             out.push_back(f);
                           }),
              wire::WireError::kOk);
    return out;
  }

  static v1::Subscription subscription(const std::string& filter, bool datagrams) {
    v1::Subscription s;
    s.set_filter(filter);
    s.set_datagrams(datagrams);
    return s;
  }

  void envelope_from_broker(const std::string& topic, std::uint64_t seq, std::uint32_t qos,
                            std::size_t payload_bytes = 1) {
    v1::Frame f;
    auto* e = f.mutable_envelope();
    e->set_topic(topic);
    e->set_seq(seq);
    e->set_epoch(9);
    e->set_qos(qos);
    e->set_payload(std::string(payload_bytes, 'x'));
    hub_.on_broker_message("$lw/env/" + topic, f.SerializeAsString(), kNowUs);
  }

  BridgeConfig config_;
  RecordingUpstream upstream_;
  Hub hub_;
  int deferred_ = 0;
  WtLane lane_;
  ScriptedWtServer server_;
};

TEST_F(WtLaneTest, RecordsGoToTheHubAndAnswersComeBackOnTheStream) {
  open_session();
  ASSERT_EQ(hub_.session_count(), 1u);
  connect({});
  EXPECT_GE(deferred_, 1);  // the write waited for the loop, never ran inside the callback
  const auto frames = stream_frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].call().has_connect_result());
}

TEST_F(WtLaneTest, ForeignOriginIsRefusedBeforeASessionExists) {
  webtransport::SessionRequest request;
  request.origin = "https://evil.example";
  EXPECT_EQ(lane_.on_session_request(request), 403);
  request.query = "app=other";  // an app that lists no origins at all
  request.origin = "https://app.example";
  EXPECT_EQ(lane_.on_session_request(request), 403);
  EXPECT_EQ(hub_.session_count(), 0u);
}

TEST_F(WtLaneTest, QosZeroEnvelopesOfDatagramSubscriptionsGoAsDatagrams) {
  open_session();
  connect({subscription("devices/+/status", true), subscription("devices/d1/telemetry", false)});
  ASSERT_EQ(stream_frames().size(), 1u);               // the connect result
  envelope_from_broker("devices/d1/status", 1, 0);     // datagram
  envelope_from_broker("devices/d1/status", 2, 1);     // QoS 1: stream
  envelope_from_broker("devices/d1/telemetry", 1, 0);  // no datagram wish: stream
  lane_.write_pending();
  ASSERT_EQ(server_.datagrams.size(), 1u);
  v1::Frame d;
  ASSERT_TRUE(d.ParseFromString(server_.datagrams[0]));
  EXPECT_EQ(d.envelope().topic(), "devices/d1/status");
  EXPECT_EQ(d.envelope().seq(), 1u);
  const auto frames = stream_frames();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[1].envelope().seq(), 2u);
  EXPECT_EQ(frames[2].envelope().topic(), "devices/d1/telemetry");

  // Too large for the path's datagrams: on the stream, counted.
  server_.datagram_max = 64;
  envelope_from_broker("devices/d1/status", 3, 0, 200);
  lane_.write_pending();
  EXPECT_EQ(server_.datagrams.size(), 1u);
  EXPECT_EQ(stream_frames().back().envelope().seq(), 3u);
  EXPECT_EQ(lane_.datagram_fallbacks(), 1u);
}

TEST_F(WtLaneTest, TheDatagramWishEndsWithItsSubscription) {
  open_session();
  connect({subscription("devices/#", true)});
  v1::CallFrame unsub;
  unsub.set_id(2);
  unsub.mutable_unsubscribe()->set_filter("devices/#");
  send_call(unsub);
  v1::CallFrame sub;
  sub.set_id(3);
  *sub.mutable_subscribe()->mutable_subscription() = subscription("devices/#", false);
  send_call(sub);
  envelope_from_broker("devices/d1/status", 1, 0);
  lane_.write_pending();
  EXPECT_TRUE(server_.datagrams.empty());
  EXPECT_EQ(stream_frames().back().envelope().seq(), 1u);
}

TEST_F(WtLaneTest, AFullSendBufferStopsWritesUntilThePeerAcknowledges) {
  open_session();
  connect({subscription("devices/#", false)});
  server_.capacity = 0;
  envelope_from_broker("devices/d1/t", 1, 1);
  lane_.write_pending();
  EXPECT_EQ(stream_frames().size(), 1u);  // only the connect result
  Session* s = hub_.find(stream_frames()[0].call().connect_result().session_id());
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->queue.size(), 1u);  // waits in the hub's bounded queue
  server_.capacity = 1 << 20;
  lane_.on_stream_acked(kRef, kFrameStream);
  lane_.write_pending();
  EXPECT_EQ(stream_frames().size(), 2u);
}

TEST_F(WtLaneTest, AClosingSessionFinishesItsStreamThenClosesAfterTheGrace) {
  open_session();
  v1::CallFrame call;
  call.set_id(5);
  call.mutable_subscribe()->mutable_subscription()->set_filter("devices/#");
  send_call(call);  // before connect: a final error, the session is closing
  lane_.write_pending();
  const auto frames = stream_frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].call().error().code(), v1::ERROR_CODE_UNAUTHORIZED);
  EXPECT_TRUE((server_.streams[{kRef, kFrameStream}].fin));
  lane_.every_second(0);  // before the grace ends: still open
  EXPECT_TRUE(server_.closed.empty());
  lane_.every_second(std::numeric_limits<std::int64_t>::max());
  ASSERT_EQ(server_.closed.size(), 1u);
  EXPECT_EQ(lane_.channel_count(), 0u);
  EXPECT_EQ(hub_.session_count(), 0u);
}

TEST_F(WtLaneTest, AnOversizedRecordEndsTheSessionWithATypedError) {
  open_session();
  // varint(2^28 - 1): over max_frame_bytes, refused before any of it is buffered.
  lane_.on_stream_data(kRef, kFrameStream, std::string("\xff\xff\xff\x7f", 4), false);
  lane_.write_pending();
  const auto frames = stream_frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].call().error().code(), v1::ERROR_CODE_TOO_LARGE);
  EXPECT_TRUE((server_.streams[{kRef, kFrameStream}].fin));
}

TEST_F(WtLaneTest, AMalformedRecordLengthEndsTheSessionWithATypedError) {
  open_session();
  lane_.on_stream_data(kRef, kFrameStream, std::string(11, '\xff'), false);  // no varint ends
  lane_.write_pending();
  const auto frames = stream_frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].call().error().code(), v1::ERROR_CODE_BAD_REQUEST);
}

TEST_F(WtLaneTest, AFailedStreamWriteClosesTheSessionAndForgetsIt) {
  open_session();
  connect({subscription("devices/#", false)});
  server_.fail_stream_writes = true;
  envelope_from_broker("devices/d1/t", 1, 1);
  envelope_from_broker("devices/d1/t", 2, 1);
  // The close is reported from inside the write (as the QUIC server does): the lane must
  // not touch the channel it just lost (ASan watches this in the sanitizer build).
  lane_.write_pending();
  ASSERT_EQ(server_.closed.size(), 1u);
  EXPECT_EQ(server_.closed[0].reason, "stream write failed");
  EXPECT_EQ(lane_.channel_count(), 0u);
  EXPECT_EQ(hub_.session_count(), 0u);
  envelope_from_broker("devices/d1/t", 3, 1);  // nobody left to deliver to
  lane_.write_pending();
}

TEST_F(WtLaneTest, TheClientFinishingItsStreamEndsTheSession) {
  open_session();
  v1::CallFrame ping;
  ping.set_id(1);
  ping.mutable_ping();
  send_call(ping, /*fin=*/true);
  ASSERT_EQ(server_.closed.size(), 1u);
  EXPECT_EQ(hub_.session_count(), 0u);
}

}  // namespace
}  // namespace laneway::bridge
