// A restarted bridge (docs/bridge.md "Restart"): its persistent broker session delivers what
// was queued while it was down, the filters the earlier run held come back as lingering, and
// a ring that begins right after the client's position answers recovered=true.
#include <gtest/gtest.h>

#include "hub_fixture.h"

namespace laneway::bridge {
namespace {

std::vector<std::uint64_t> seqs(const Replay& r) {
  std::vector<std::uint64_t> out;
  for (const auto& e : r.entries) out.push_back(e.seq);
  return out;
}

TEST(HistoryAfterRestart, RingStartingRightAfterThePositionCoversIt) {
  HistoryStore h({.max_messages_per_topic = 10, .max_bytes_per_topic = 1000, .max_topics = 10});
  // A fresh store (new process) whose first envelope of the topic is seq 41.
  for (std::uint64_t seq = 41; seq <= 43; ++seq) {
    EXPECT_EQ(h.append("t", 5, seq, make_shared_frame("x")).status, AppendStatus::kAppended);
  }
  Replay r = h.since_position("t", 5, 40);
  EXPECT_TRUE(r.recovered);
  EXPECT_EQ(seqs(r), (std::vector<std::uint64_t>{41, 42, 43}));
  // One envelope before the ring's start is not vouched for.
  r = h.since_position("t", 5, 39);
  EXPECT_FALSE(r.recovered);
  EXPECT_EQ(seqs(r), (std::vector<std::uint64_t>{41, 42, 43}));
  // Another epoch is never continuous with this one.
  EXPECT_FALSE(h.since_position("t", 4, 40).recovered);
}

// The upstream of a bridge whose earlier run left these subscriptions in its broker session.
class RestoringUpstream : public RecordingUpstream {
 public:
  std::vector<std::string> previous_filters() const override {
    return {"$lw/env/devices/#", "$lw/presence/+", "$lw/env/bad/#/x"};
  }
};

class HubRestartTest : public ::testing::Test {
 protected:
  HubRestartTest() : config_(test_config()), hub_(config_, upstream_) {}

  Session* open() { return hub_.open(Lane::kWebSocket, &sink_, "https://app.example", kNowUs); }

  std::vector<v1::Frame> connect(Session& s, const v1::Subscription& subscription) {
    v1::Frame f;
    auto* call = f.mutable_call();
    call->set_id(1);
    call->mutable_connect()->set_app_id("demo");
    call->mutable_connect()->set_token(token());
    *call->mutable_connect()->add_subscriptions() = subscription;
    std::string bytes;
    EXPECT_EQ(wire::encode_frame(f, bytes), wire::WireError::kOk);
    hub_.on_client_frame(s, bytes, kNowUs);
    return drain(s);
  }

  static v1::Subscription resume_since(std::uint64_t seq) {
    return sub_since("devices/#", "devices/d1/t", 9, seq);
  }

  std::int64_t linger_us() const { return std::int64_t{config_.history.upstream_linger_ms} * 1000; }

  BridgeConfig config_;
  RestoringUpstream upstream_;
  CountingSink sink_;
  Hub hub_;
};

TEST_F(HubRestartTest, PreviousEnvelopeFiltersLingerAndFeedHistory) {
  EXPECT_TRUE(upstream_.subscribed.count("$lw/env/devices/#"));
  EXPECT_FALSE(upstream_.subscribed.count("$lw/env/bad/#/x"));  // not a filter: ignored
  EXPECT_EQ(hub_.router().users("devices/#"), 0u);              // nobody uses it yet
  EXPECT_EQ(hub_.router().upstream_filters(), 1u);              // but it lingers
  // The broker delivers what it queued while the bridge was down: 41..43.
  for (std::uint64_t seq = 41; seq <= 43; ++seq) {
    hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", seq), kNowUs);
  }
  const int calls = upstream_.subscribe_calls;
  Session* s = open();
  auto frames = connect(*s, resume_since(40));
  EXPECT_EQ(upstream_.subscribe_calls, calls);  // the lingering subscription is taken over
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0].call().connect_result().subscriptions(0).recovered());
  ASSERT_TRUE(frames[1].has_group());
  EXPECT_TRUE(frames[1].group().recovered());
  ASSERT_EQ(frames[1].group().envelopes_size(), 3);
  EXPECT_EQ(frames[1].group().envelopes(0).seq(), 41u);
  EXPECT_EQ(frames[1].group().envelopes(2).seq(), 43u);
}

TEST_F(HubRestartTest, ResumeFromBeforeTheQueuedBacklogIsReportedAsLoss) {
  for (std::uint64_t seq = 41; seq <= 43; ++seq) {
    hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", seq), kNowUs);
  }
  Session* s = open();
  auto frames = connect(*s, resume_since(39));  // 40 never reached this bridge
  ASSERT_FALSE(frames.empty());
  EXPECT_FALSE(frames[0].call().connect_result().subscriptions(0).recovered());
}

TEST_F(HubRestartTest, UnclaimedPreviousFiltersAreUnsubscribedAfterTheLinger) {
  hub_.tick(kNowUs);  // the linger clock starts at the first tick
  EXPECT_TRUE(upstream_.subscribed.count("$lw/env/devices/#"));
  hub_.tick(kNowUs + linger_us() - 1'000'000);
  EXPECT_TRUE(upstream_.subscribed.count("$lw/env/devices/#"));
  hub_.tick(kNowUs + linger_us() + 1);
  EXPECT_FALSE(upstream_.subscribed.count("$lw/env/devices/#"));
  // Presence and RPC replies are the bridge's own, always held.
  EXPECT_TRUE(upstream_.subscribed.count("$lw/presence/+"));
}

}  // namespace
}  // namespace laneway::bridge
