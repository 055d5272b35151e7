// Bridge replicas (docs/scale.md "Bridge replicas"): with history.mirror every replica keeps
// the history of the mirrored topics whether or not its own sessions use them, so a client
// that moves from one replica to another resumes with nothing lost and no duplicate, and
// is told recovered=false where the new replica cannot vouch. And draining: a stopping
// replica tells every session to move.
#include "hub_fixture.h"

namespace laneway::bridge {
namespace {

class HubReplicaTest : public ::testing::Test {
 protected:
  HubReplicaTest() : config_(mirrored_config()), one_(config_, up_one_), two_(config_, up_two_) {}

  static BridgeConfig mirrored_config() {
    BridgeConfig c = test_config();
    c.history.mirror_filters = {"devices/#"};
    c.history.max_messages_per_topic = 16;
    return c;
  }

  // The broker delivers each envelope to every replica that subscribed to it.
  void publish(const std::string& topic, std::uint64_t seq) {
    for (Hub* hub : {&one_, &two_}) {
      hub->on_broker_message("$lw/env/" + topic, envelope_frame(topic, seq), kNowUs);
    }
  }

  static v1::Subscription sub(const std::string& filter) {
    v1::Subscription s;
    s.set_filter(filter);
    return s;
  }

  Session* connect(Hub& hub, CountingSink& sink, std::vector<v1::Subscription> subs) {
    Session* s = hub.open(Lane::kWebSocket, &sink, "https://app.example", kNowUs);
    v1::CallFrame call;
    call.set_id(1);
    call.mutable_connect()->set_app_id("demo");
    call.mutable_connect()->set_token(token());
    for (auto& sub : subs) *call.mutable_connect()->add_subscriptions() = sub;
    hub.handle_call(
        *s, call, [&](const v1::CallFrame& r) { hub.queue_call(*s, r); }, kNowUs);
    return s;
  }

  BridgeConfig config_;
  RecordingUpstream up_one_, up_two_;
  Hub one_, two_;
  CountingSink sink_;
};

TEST_F(HubReplicaTest, MirroredFiltersAreHeldFromTheStartAndNeverReleased) {
  EXPECT_TRUE(up_one_.subscribed.count("$lw/env/devices/#"));
  EXPECT_EQ(one_.router().users("devices/#"), 1u);  // the router's own reference
  Session* s = connect(one_, sink_, {sub("devices/#")});
  EXPECT_EQ(one_.router().users("devices/#"), 2u);
  one_.close(s);
  one_.tick(kNowUs + 3'600'000'000);  // long past any linger
  EXPECT_TRUE(up_one_.subscribed.count("$lw/env/devices/#"));
  publish("devices/d1/t", 1);
  EXPECT_FALSE(one_.history().is_stale("devices/d1/t"));
}

TEST_F(HubReplicaTest, AClientMovingToAnotherReplicaResumesWithNothingLostOrRepeated) {
  Session* a = connect(one_, sink_, {sub("devices/d1/#")});
  drain(*a);
  publish("devices/d1/t", 1);
  publish("devices/d1/t", 2);
  auto got = drain(*a);
  ASSERT_EQ(got.size(), 2u);
  // Replica one dies here; the device goes on publishing meanwhile.
  publish("devices/d1/t", 3);
  publish("devices/d1/t", 4);
  // No session on replica two ever used devices/d1/#: the mirror kept its history.
  Session* b = connect(two_, sink_, {sub_since("devices/d1/#", "devices/d1/t", 9, 2)});
  const auto frames = drain(*b);
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_TRUE(frames[0].call().has_connect_result());
  EXPECT_TRUE(frames[0].call().connect_result().subscriptions(0).recovered());
  ASSERT_EQ(frames[1].group().envelopes_size(), 2);
  EXPECT_EQ(frames[1].group().envelopes(0).seq(), 3u);
  EXPECT_EQ(frames[1].group().envelopes(1).seq(), 4u);
  EXPECT_TRUE(frames[1].group().recovered());
}

TEST_F(HubReplicaTest, AReplicaStartedAfterTheMessagesSaysItCannotVouch) {
  one_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 1), kNowUs);
  one_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 2), kNowUs);
  // Replica two starts now: it sees seq 3 first and knows nothing before it.
  publish("devices/d1/t", 3);
  Session* b = connect(two_, sink_, {sub_since("devices/d1/#", "devices/d1/t", 9, 1)});
  const auto frames = drain(*b);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_FALSE(frames[0].call().connect_result().subscriptions(0).recovered());
  EXPECT_FALSE(frames[1].group().recovered());
  // What it has is still given; the client learns that seq 2 may be missing.
  ASSERT_EQ(frames[1].group().envelopes_size(), 1);
  EXPECT_EQ(frames[1].group().envelopes(0).seq(), 3u);
}

TEST_F(HubReplicaTest, DrainingTellsEverySessionToMoveAndRefusesNewOnes) {
  Session* a = connect(one_, sink_, {sub("devices/#")});
  drain(*a);
  Session* detached = one_.open(Lane::kSse, nullptr, "", kNowUs);  // POST-created, no stream
  ASSERT_NE(detached, nullptr);
  one_.begin_drain(3000);
  EXPECT_TRUE(one_.draining());
  EXPECT_TRUE(a->closing);
  const auto frames = drain(*a);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].call().error().code(), v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_EQ(frames[0].call().error().retry_after_ms(), 3000u);
  EXPECT_EQ(one_.session_count(), 1u);  // the detached one had nobody to tell: gone
  publish("devices/d1/t", 1);
  EXPECT_TRUE(a->queue.empty());  // nothing more for a closing session

  Session* late = one_.open(Lane::kWebSocket, &sink_, "https://app.example", kNowUs);
  v1::CallFrame call;
  call.set_id(7);
  call.mutable_connect()->set_app_id("demo");
  call.mutable_connect()->set_token(token());
  const CallOutcome outcome = one_.handle_call(
      *late, call, [](const v1::CallFrame&) {}, kNowUs);
  EXPECT_TRUE(outcome.is_refused());
  EXPECT_EQ(outcome.code, v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_TRUE(late->closing);
  EXPECT_EQ(late->final_error.call_id, 7u);
  EXPECT_EQ(late->final_error.retry_after_ms, 3000u);
}

}  // namespace
}  // namespace laneway::bridge
