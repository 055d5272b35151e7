// The hub's one entry point for the broker (on_broker_batch) with its ordering rule, the
// typed outcome of each request, the labels the hub puts on shared frames, and fan-out
// through the subscription tree.
#include "hub_fixture.h"

namespace laneway::bridge {
namespace {

class HubBatchTest : public HubTest {
 protected:
  static UpstreamMessage envelope_message(const std::string& topic, std::uint64_t seq) {
    return UpstreamMessage{"$lw/env/" + topic, envelope_frame(topic, seq), {}, {}};
  }

  v1::CallFrame subscribe_call(const std::string& filter, std::uint32_t id) {
    v1::CallFrame call;
    call.set_id(id);
    call.mutable_subscribe()->mutable_subscription()->set_filter(filter);
    return call;
  }

  std::vector<v1::CallFrame> replies;
  Hub::Reply collect() {
    return [this](const v1::CallFrame& r) { replies.push_back(r); };
  }
};

TEST_F(HubBatchTest, HeldAnswersSettleBeforeTheBatchFansOut) {
  upstream_.hold_subacks = true;
  Session* s = open();
  connect(*s, token());
  EXPECT_TRUE(hub_.handle_call(
                      *s, subscribe_call("devices/d1/#", 2),
                      [&](const v1::CallFrame& r) { hub_.queue_call(*s, r); }, kNowUs)
                  .is_held());
  // The SUBACK and the first envelope after it arrive in one batch: the answer goes out
  // first and the envelope reaches the session it was for.
  upstream_.suback("$lw/env/devices/d1/#");
  BrokerBatch batch;
  batch.messages.push_back(envelope_message("devices/d1/t", 1));
  hub_.on_broker_batch(batch, kNowUs);
  const auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0].call().has_subscribe_result());
  EXPECT_EQ(frames[1].envelope().seq(), 1u);
}

TEST_F(HubBatchTest, ABatchCarriesReconnectsAcksAndDrops) {
  Session* s = open();
  connect(*s, token(), {sub("devices/#")});
  hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 1), kNowUs);
  v1::CallFrame pub;
  pub.set_id(4);
  pub.mutable_publish()->set_topic("devices/d1/cmd");
  pub.mutable_publish()->set_qos(1);
  EXPECT_EQ(hub_.handle_call(*s, pub, collect(), kNowUs).kind, CallOutcome::Kind::kAnswered);
  EXPECT_TRUE(replies.empty());  // QoS 1: answered on the PUBACK

  BrokerBatch batch;
  batch.reconnected = true;
  batch.acks.emplace_back(upstream_.last_mid, 0);
  batch.dropped = 3;
  hub_.on_broker_batch(batch, kNowUs);
  EXPECT_TRUE(hub_.history().is_stale("devices/d1/t"));
  EXPECT_EQ(hub_.metrics().drops(DropReason::kBrokerInbox), 3u);
  const auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 2u);  // the envelope, then the publish result
  EXPECT_TRUE(frames[1].call().has_publish_result());
  EXPECT_EQ(frames[1].call().id(), 4u);
}

TEST_F(HubBatchTest, OutcomesSayWhatBecameOfEachRequest) {
  Session* s = open();
  connect(*s, token());
  v1::CallFrame ping;
  ping.set_id(2);
  ping.mutable_ping();
  EXPECT_EQ(hub_.handle_call(*s, ping, collect(), kNowUs).kind, CallOutcome::Kind::kAnswered);

  const CallOutcome forbidden =
      hub_.handle_call(*s, subscribe_call("fleet/#", 3), collect(), kNowUs);
  EXPECT_TRUE(forbidden.is_refused());
  EXPECT_EQ(forbidden.code, v1::ERROR_CODE_FORBIDDEN);
  EXPECT_FALSE(s->closing);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].error().code(), v1::ERROR_CODE_FORBIDDEN);

  upstream_.up = false;
  const CallOutcome down = hub_.handle_call(*s, subscribe_call("devices/#", 4), collect(), kNowUs);
  EXPECT_EQ(down.code, v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_EQ(down.retry_after_ms, 1000u);

  // A refusal that ends the session says so, with the session marked closing.
  Session* t = open();
  v1::CallFrame connect_call;
  connect_call.set_id(1);
  connect_call.mutable_connect()->set_app_id("nope");
  const CallOutcome unknown = hub_.handle_call(*t, connect_call, collect(), kNowUs);
  EXPECT_TRUE(unknown.is_refused());
  EXPECT_EQ(unknown.code, v1::ERROR_CODE_UNAUTHORIZED);
  EXPECT_EQ(unknown.message, "unknown app");
  EXPECT_TRUE(t->closing);
}

// A connect can be granted and still end its session: its own replay overflows the queue.
// The outcome says answered; Session::final_error is what a lane answering over its own
// channel (POST, a standalone SSE stream) reports.
TEST_F(HubBatchTest, AConnectEndedByItsOwnReplayLeavesItsFinalError) {
  config_.limits.queue_max_bytes = 600;  // test_config()'s history keeps 4 per topic
  for (std::uint64_t seq = 1; seq <= 4; ++seq) {
    hub_.on_broker_message("$lw/env/devices/d1/t",
                           envelope_frame("devices/d1/t", seq, 9, std::string(200, 'x')), kNowUs);
  }
  Session* s = open();
  v1::CallFrame call;
  call.set_id(1);
  call.mutable_connect()->set_app_id("demo");
  call.mutable_connect()->set_token(token());
  *call.mutable_connect()->add_subscriptions() = sub_since("devices/#", "devices/d1/t", 9, 0);
  const CallOutcome outcome = hub_.handle_call(*s, call, collect(), kNowUs);
  EXPECT_EQ(outcome.kind, CallOutcome::Kind::kAnswered);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].has_connect_result());
  EXPECT_TRUE(s->closing);
  EXPECT_EQ(s->final_error.code, v1::ERROR_CODE_SLOW_CONSUMER);
  EXPECT_EQ(s->final_error.call_id, 0u);
  // Whatever comes next on a closing session is dropped, not answered.
  v1::CallFrame ping;
  ping.set_id(2);
  ping.mutable_ping();
  EXPECT_EQ(hub_.handle_call(*s, ping, collect(), kNowUs).kind, CallOutcome::Kind::kDropped);
  EXPECT_EQ(replies.size(), 1u);
}

TEST_F(HubBatchTest, SharedFramesCarryTheirKindTopicAndQos) {
  Session* s = open();
  connect(*s, token(), {sub("devices/#")});
  v1::Frame f;
  f.mutable_envelope()->set_topic("devices/d1/t");
  f.mutable_envelope()->set_seq(1);
  f.mutable_envelope()->set_epoch(9);
  f.mutable_envelope()->set_qos(1);
  hub_.on_broker_message("$lw/env/devices/d1/t", f.SerializeAsString(), kNowUs);
  ASSERT_EQ(s->queue.size(), 1u);
  const FrameLabel& live = s->queue.front().frame->label();
  EXPECT_EQ(live.kind, FrameKind::kEnvelope);
  EXPECT_EQ(live.topic, "devices/d1/t");
  EXPECT_EQ(live.qos, 1u);
  s->queue.pop();

  Session* q = open();
  v1::CallFrame call;
  call.set_id(1);
  call.mutable_connect()->set_app_id("demo");
  call.mutable_connect()->set_token(token());
  *call.mutable_connect()->add_subscriptions() = sub_since("devices/#", "devices/d1/t", 9, 0);
  hub_.handle_call(
      *q, call, [&](const v1::CallFrame& a) { hub_.queue_call(*q, a); }, kNowUs);
  ASSERT_EQ(q->queue.size(), 2u);
  EXPECT_EQ(q->queue.front().frame->label().kind, FrameKind::kCall);
  q->queue.pop();
  EXPECT_EQ(q->queue.front().frame->label().kind, FrameKind::kGroup);
}

TEST_F(HubBatchTest, FanOutReachesMatchingSessionsOnceEach) {
  std::vector<Session*> own;
  for (int i = 0; i < 50; ++i) {
    own.push_back(open());
    connect(*own.back(), token(), {sub("devices/d" + std::to_string(i) + "/#")});
  }
  Session* dashboard = open();
  connect(*dashboard, token(), {sub("devices/#"), sub("devices/+/t"), sub("devices/d7/t")});
  hub_.on_broker_message("$lw/env/devices/d7/t", envelope_frame("devices/d7/t", 1), kNowUs);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(own[i]->queue.size(), i == 7 ? 1u : 0u) << i;
  EXPECT_EQ(dashboard->queue.size(), 1u);  // three matching filters, one delivery
  hub_.close(own[7]);
  hub_.on_broker_message("$lw/env/devices/d7/t", envelope_frame("devices/d7/t", 2), kNowUs);
  EXPECT_EQ(dashboard->queue.size(), 2u);
  EXPECT_EQ(hub_.router().receiver_entries(), 49u + 3u);
}

}  // namespace
}  // namespace laneway::bridge
