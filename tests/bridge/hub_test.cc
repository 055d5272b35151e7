// The session core with an in-memory upstream: authorization, aggregation, fan-out,
// resume, slow consumers, publish, expiry. Lanes and the broker are exercised for real in
// the integration suite.
#include "hub_fixture.h"

namespace laneway::bridge {
namespace {

// A bridge that dies sends nothing over UDP: WebTransport clients ping more often, so a page
// notices within seconds (docs/scale.md "Bridge replicas").
TEST_F(HubTest, EachLaneIsToldItsOwnPingInterval) {
  config_.ws_ping_interval_ms = 20000;
  config_.webtransport.ping_interval_ms = 4000;
  Session* ws = open();
  Session* wt = hub_.open(Lane::kWebTransport, &sink_, "https://app.example", kNowUs);
  const auto on_ws = connect(*ws, token());
  const auto on_wt = connect(*wt, token());
  ASSERT_FALSE(on_ws.empty());
  ASSERT_FALSE(on_wt.empty());
  EXPECT_EQ(on_ws[0].call().connect_result().ping_interval_ms(), 20000u);
  EXPECT_EQ(on_wt[0].call().connect_result().ping_interval_ms(), 4000u);
}

TEST_F(HubTest, ConnectSubscribesUpstreamOncePerFilter) {
  EXPECT_TRUE(upstream_.subscribed.count("$lw/presence/+"));
  Session* a = open();
  Session* b = open();
  auto fa = connect(*a, token(), {sub("devices/#")});
  ASSERT_EQ(fa.size(), 1u);
  ASSERT_TRUE(fa[0].call().has_connect_result());
  EXPECT_EQ(fa[0].call().id(), 1u);
  EXPECT_EQ(fa[0].call().connect_result().subject(), "alice");
  EXPECT_EQ(fa[0].call().connect_result().session_id(), a->id);
  connect(*b, token(), {sub("devices/#")});
  EXPECT_TRUE(upstream_.subscribed.count("$lw/env/devices/#"));
  // presence + RPC replies + one env filter for two sessions
  EXPECT_EQ(upstream_.subscribe_calls, 3);
  EXPECT_EQ(hub_.router().users("devices/#"), 2u);
  hub_.close(a);
  EXPECT_TRUE(upstream_.subscribed.count("$lw/env/devices/#"));
  hub_.close(b);
  // The last user left: the subscription lingers so a reconnecting client can resume.
  EXPECT_TRUE(upstream_.subscribed.count("$lw/env/devices/#"));
  Session* c = open();
  connect(*c, token(), {sub("devices/#")});
  EXPECT_EQ(upstream_.subscribe_calls, 3);  // picked up again without a new subscribe
  hub_.close(c);
  const std::int64_t linger_us = std::int64_t{config_.history.upstream_linger_ms} * 1000;
  hub_.tick(kNowUs + linger_us - 1'000'000);
  EXPECT_TRUE(upstream_.subscribed.count("$lw/env/devices/#"));
  hub_.tick(kNowUs + linger_us + 1);
  EXPECT_FALSE(upstream_.subscribed.count("$lw/env/devices/#"));
}

TEST_F(HubTest, HistoryTheBridgeStoppedFollowingIsNeverClaimedRecovered) {
  Session* a = open();
  connect(*a, token(), {sub("devices/#")});
  hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 1), kNowUs);
  hub_.close(a);
  hub_.tick(kNowUs + std::int64_t{config_.history.upstream_linger_ms} * 1000 + 1);
  // Nobody subscribed: seqs 2.. may have been published unseen. Seq 1 is not "up to date".
  const v1::Subscription resume = sub_since("devices/#", "devices/d1/t", 9, 1);
  Session* b = open();
  auto frames = connect(*b, token(), {resume});
  EXPECT_FALSE(frames[0].call().connect_result().subscriptions(0).recovered());
  // A contiguous envelope proves the ring current again.
  hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 2), kNowUs);
  EXPECT_FALSE(hub_.history().is_stale("devices/d1/t"));
}

TEST_F(HubTest, BrokerReconnectMakesHistoryStale) {
  Session* a = open();
  connect(*a, token(), {sub("devices/#")});
  hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 1), kNowUs);
  BrokerBatch reconnect;
  reconnect.reconnected = true;
  hub_.on_broker_batch(reconnect, kNowUs);
  EXPECT_TRUE(hub_.history().is_stale("devices/d1/t"));
  EXPECT_FALSE(hub_.history().since_position("devices/d1/t", 9, 1).recovered);
}

TEST_F(HubTest, RefusesUnknownAppForgedExpiredAndForeignOrigin) {
  Session* s = open();
  EXPECT_EQ(error_of(connect(*s, token(), {}, "nope")), v1::ERROR_CODE_UNAUTHORIZED);
  EXPECT_TRUE(s->closing);
  s = open();
  EXPECT_EQ(error_of(connect(
                *s, testing::mint_token("HS256", "forged-forged-forged-forged-forged",
                                        json{{"sub", "x"}, {"exp", kNowS + 9}, {"app", "demo"}}))),
            v1::ERROR_CODE_UNAUTHORIZED);
  s = open();
  EXPECT_EQ(error_of(connect(*s, token({}, "demo", kNowS - 1))), v1::ERROR_CODE_UNAUTHORIZED);
  s = open();
  // A token minted for app "other" presented to app "demo".
  EXPECT_EQ(error_of(connect(*s, token({}, "other"))), v1::ERROR_CODE_UNAUTHORIZED);
  s = open("https://evil.example");
  EXPECT_EQ(error_of(connect(*s, token())), v1::ERROR_CODE_FORBIDDEN);
  EXPECT_FALSE(s->authenticated);
}

TEST_F(HubTest, CrossAppAndClaimNarrowedSubscribesAreForbidden) {
  Session* s = open();
  // fleet/# belongs to app "other": the whole connect is refused.
  EXPECT_EQ(error_of(connect(*s, token(), {sub("fleet/#")})), v1::ERROR_CODE_FORBIDDEN);
  EXPECT_FALSE(s->authenticated);
  EXPECT_FALSE(upstream_.subscribed.count("$lw/env/fleet/#"));

  s = open();
  auto frames = connect(*s, token({{"subscribe", {"devices/d1/#"}}}));
  ASSERT_TRUE(frames[0].call().has_connect_result());
  v1::CallFrame call;
  call.set_id(2);
  *call.mutable_subscribe()->mutable_subscription() = sub("devices/#");  // wider than claim
  send(*s, call);
  frames = drain(*s);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_FORBIDDEN);
  EXPECT_EQ(frames[0].call().id(), 2u);
  EXPECT_FALSE(s->closing);  // a refused subscribe does not end the session
  *call.mutable_subscribe()->mutable_subscription() = sub("#");
  send(*s, call);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_FORBIDDEN);
  *call.mutable_subscribe()->mutable_subscription() = sub("$lw/env/#");
  send(*s, call);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_BAD_REQUEST);
  *call.mutable_subscribe()->mutable_subscription() = sub("devices/d1/telemetry");
  send(*s, call);
  frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].call().has_subscribe_result());
}

TEST_F(HubTest, FanOutSharesTheBrokerBytesAndRespectsFilters) {
  Session* a = open();
  Session* b = open();
  Session* c = open();
  connect(*a, token(), {sub("devices/#")});
  connect(*b, token(), {sub("devices/+/telemetry"), sub("devices/d1/#")});  // overlapping
  connect(*c, token(), {sub("broadcast/#")});
  const std::string bytes = envelope_frame("devices/d1/telemetry", 1);
  hub_.on_broker_message("$lw/env/devices/d1/telemetry", bytes, kNowUs);
  ASSERT_EQ(a->queue.size(), 1u);
  ASSERT_EQ(b->queue.size(), 1u);  // once, despite two matching filters
  EXPECT_TRUE(c->queue.empty());
  EXPECT_EQ(a->queue.front().frame.get(), b->queue.front().frame.get());
  EXPECT_EQ(a->queue.front().frame->bytes(), bytes);  // byte-identical to $lw/env
  // The same envelope again (the broker sends one copy per overlapping upstream filter).
  hub_.on_broker_message("$lw/env/devices/d1/telemetry", bytes, kNowUs);
  EXPECT_EQ(a->queue.size(), 1u);
  // A topic nobody may see is never delivered.
  hub_.on_broker_message("$lw/env/fleet/g1/x", envelope_frame("fleet/g1/x", 1), kNowUs);
  EXPECT_EQ(a->queue.size(), 1u);
  // Garbage and mismatched topics from upstream are dropped and counted.
  hub_.on_broker_message("$lw/env/devices/d1/telemetry", "garbage", kNowUs);
  hub_.on_broker_message("$lw/env/devices/d2/telemetry", bytes, kNowUs);
  EXPECT_EQ(hub_.metrics().drops(DropReason::kMalformedUpstream), 2u);
  EXPECT_EQ(a->queue.size(), 1u);
}

TEST_F(HubTest, ResumeReplaysMissedEnvelopesThenSaysWhenItCannot) {
  for (std::uint64_t seq = 1; seq <= 6; ++seq) {
    hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", seq), kNowUs);
  }
  // History keeps 4 (3..6). Nobody subscribed yet, so nothing was kept... unless the
  // bridge held the upstream subscription: open one session first in the real flow.
  Session* live = open();
  connect(*live, token(), {sub("devices/#")});
  for (std::uint64_t seq = 7; seq <= 12; ++seq) {
    hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", seq), kNowUs);
  }
  // Kept: 9..12.
  const v1::Subscription resume = sub_since("devices/d1/#", "devices/d1/t", 9, 9);
  Session* s = open();
  auto frames = connect(*s, token(), {resume});
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0].call().connect_result().subscriptions(0).recovered());
  ASSERT_TRUE(frames[1].has_group());
  const auto& group = frames[1].group();
  EXPECT_TRUE(group.recovered());
  EXPECT_EQ(group.reason(), v1::GroupEnvelope::REASON_HISTORY);
  ASSERT_EQ(group.envelopes_size(), 3);
  EXPECT_EQ(group.envelopes(0).seq(), 10u);
  EXPECT_EQ(group.envelopes(2).seq(), 12u);
  ASSERT_EQ(group.spans_size(), 1);
  EXPECT_EQ(group.spans(0).from_seq(), 10u);
  EXPECT_EQ(group.spans(0).to_seq(), 12u);
  // Live envelopes follow the replay.
  hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 13), kNowUs);
  frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].envelope().seq(), 13u);

  // Past the window: recovered=false with what is kept, never a silent skip.
  Session* late = open();
  frames = connect(*late, token(), {sub_since("devices/d1/#", "devices/d1/t", 9, 2)});
  EXPECT_FALSE(frames[0].call().connect_result().subscriptions(0).recovered());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_FALSE(frames[1].group().recovered());
  EXPECT_EQ(frames[1].group().envelopes(0).seq(), 10u);
  EXPECT_EQ(hub_.metrics().resumes(true), 1u);
  EXPECT_EQ(hub_.metrics().resumes(false), 1u);
}

TEST_F(HubTest, BridgeSideGapIsAnnouncedToLiveSessions) {
  Session* s = open();
  connect(*s, token(), {sub("devices/#")});
  hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 1), kNowUs);
  hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 4), kNowUs);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0].has_envelope());
  ASSERT_TRUE(frames[1].has_group());
  EXPECT_FALSE(frames[1].group().recovered());
  EXPECT_EQ(frames[1].group().envelopes(0).seq(), 4u);
}

TEST_F(HubTest, SlowConsumerIsCutOffWithoutStallingOthers) {
  Session* slow = open();
  Session* fast = open();
  connect(*slow, token(), {sub("devices/#")});
  connect(*fast, token(), {sub("devices/#")});
  const std::string payload(500, 'x');
  for (std::uint64_t seq = 1; seq <= 20; ++seq) {
    hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", seq, 9, payload),
                           kNowUs);
    drain(*fast);  // the fast one keeps up
  }
  EXPECT_TRUE(slow->closing);
  auto frames = drain(*slow);
  ASSERT_EQ(frames.size(), 1u);  // queue discarded, one final error
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_SLOW_CONSUMER);
  EXPECT_FALSE(fast->closing);
  EXPECT_EQ(hub_.metrics().drops(DropReason::kSlowConsumer), 1u);
}

TEST_F(HubTest, PublishGoesToLwInWithAuthenticatedOrigin) {
  Session* s = open();
  connect(*s, token());
  v1::CallFrame call;
  call.set_id(5);
  auto* p = call.mutable_publish();
  p->set_topic("devices/d1/cmd");
  p->set_payload("on");
  p->set_qos(1);
  send(*s, call);
  EXPECT_TRUE(drain(*s).empty());  // QoS 1: answered once the broker acknowledges
  hub_.on_publish_ack(1, 0);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].call().has_publish_result());
  EXPECT_EQ(frames[0].call().id(), 5u);
  ASSERT_EQ(upstream_.published.size(), 1u);
  EXPECT_EQ(upstream_.published[0].topic, "$lw/in/devices/d1/cmd");
  EXPECT_EQ(upstream_.published[0].qos, 1);
  v1::Frame sent;
  ASSERT_EQ(wire::decode_frame(upstream_.published[0].payload, sent), wire::WireError::kOk);
  EXPECT_EQ(sent.envelope().origin(), "app:demo:alice");
  EXPECT_EQ(sent.envelope().payload(), "on");
  EXPECT_EQ(sent.envelope().seq(), 0u);

  p->set_topic("devices/d1/telemetry");  // not in the app's publish filters
  send(*s, call);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_FORBIDDEN);
  p->set_topic("devices/+/cmd");
  send(*s, call);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_BAD_REQUEST);
  p->set_topic("devices/d1/cmd");
  p->set_qos(0);
  send(*s, call);  // second token of the burst; QoS 0 is answered at once
  EXPECT_TRUE(drain(*s)[0].call().has_publish_result());
  send(*s, call);
  frames = drain(*s);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_RATE_LIMITED);
  EXPECT_GT(frames[0].call().error().retry_after_ms(), 0u);
  upstream_.up = false;
  Session* t = open();
  connect(*t, token());
  send(*t, call);
  EXPECT_EQ(error_of(drain(*t)), v1::ERROR_CODE_UNAVAILABLE);
}

TEST_F(HubTest, UnacknowledgedQos1PublishTimesOut) {
  Session* s = open();
  connect(*s, token());
  v1::CallFrame call;
  call.set_id(8);
  call.mutable_publish()->set_topic("devices/d1/cmd");
  call.mutable_publish()->set_qos(1);
  send(*s, call);
  hub_.on_publish_ack(999, 0);  // someone else's id: ignored
  hub_.tick(kNowUs + kPublishAckTimeoutUs / 2);
  EXPECT_TRUE(drain(*s).empty());
  hub_.tick(kNowUs + kPublishAckTimeoutUs + 1);
  auto frames = drain(*s);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_EQ(frames[0].call().id(), 8u);
  hub_.on_publish_ack(1, 0);  // late: nothing more
  EXPECT_TRUE(drain(*s).empty());
}

TEST_F(HubTest, TokenClaimNarrowsPublish) {
  Session* s = open();
  connect(*s, token({{"publish", json::array()}}));
  v1::CallFrame call;
  call.set_id(5);
  call.mutable_publish()->set_topic("devices/d1/cmd");
  send(*s, call);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_FORBIDDEN);
  EXPECT_TRUE(upstream_.published.empty());
}

TEST_F(HubTest, GarbageAndOversizedFramesGetTypedErrors) {
  Session* s = open();
  connect(*s, token());
  hub_.on_client_frame(*s, "\xff\xff\xff", kNowUs);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_BAD_REQUEST);
  hub_.on_client_frame(*s, std::string(2000, '\x0a'), kNowUs);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_TOO_LARGE);
  v1::Frame env;
  env.mutable_envelope()->set_topic("x");
  std::string bytes;
  wire::encode_frame(env, bytes);
  hub_.on_client_frame(*s, bytes, kNowUs);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_BAD_REQUEST);
  EXPECT_FALSE(s->closing);
}

TEST_F(HubTest, CallsBeforeConnectAreUnauthorized) {
  Session* s = open();
  v1::CallFrame call;
  call.set_id(3);
  *call.mutable_subscribe()->mutable_subscription() = sub("devices/#");
  send(*s, call);
  auto frames = drain(*s);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_UNAUTHORIZED);
  EXPECT_TRUE(s->closing);
  EXPECT_FALSE(upstream_.subscribed.count("$lw/env/devices/#"));
}

TEST_F(HubTest, ExpiryClosesAndRefreshExtends) {
  Session* s = open();
  connect(*s, token({}, "demo", kNowS + 10));
  v1::CallFrame call;
  call.set_id(9);
  call.mutable_refresh()->set_token(token({}, "demo", kNowS + 100));
  send(*s, call);
  auto frames = drain(*s);
  ASSERT_TRUE(frames[0].call().has_refresh_result());
  EXPECT_EQ(frames[0].call().refresh_result().expires_at_s(), kNowS + 100);
  hub_.tick(kNowUs + 50'000'000);
  EXPECT_FALSE(s->closing);
  hub_.tick(kNowUs + 100'000'000);
  EXPECT_TRUE(s->closing);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_TOKEN_EXPIRED);
}

TEST_F(HubTest, UnauthenticatedSessionsTimeOut) {
  Session* s = open();
  hub_.tick(kNowUs + kConnectTimeoutUs + 1);
  EXPECT_TRUE(s->closing);
}

TEST_F(HubTest, OffsetResumeForSse) {
  Session* live = open();
  connect(*live, token(), {sub("devices/#")});
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", seq), kNowUs);
  }
  const std::uint64_t after_first = 1;  // offset of seq 1
  Session* s = open();
  connect(*s, token(), {sub("devices/#")});
  hub_.resume_from_offset(*s, after_first);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].group().recovered());
  ASSERT_EQ(frames[0].group().envelopes_size(), 2);
  EXPECT_EQ(frames[0].group().envelopes(0).seq(), 2u);
}

TEST_F(HubTest, MetricsRender) {
  Session* s = open();
  connect(*s, token(), {sub("devices/#")});
  const std::string text = hub_.render_metrics();
  EXPECT_NE(text.find("laneway_bridge_connections{lane=\"ws\"} 1"), std::string::npos);
  EXPECT_NE(text.find("laneway_bridge_upstream_filters 1"), std::string::npos);
  EXPECT_NE(text.find("laneway_bridge_latency_ms_bucket{le=\"+Inf\"}"), std::string::npos);
}

}  // namespace
}  // namespace laneway::bridge

namespace laneway::bridge {
namespace {

TEST_F(HubTest, DetachedSseSessionsLingerThenClose) {
  Session* s = hub_.open(Lane::kSse, nullptr, "", kNowUs);
  hub_.detach(*s, kNowUs);
  connect(*s, token(), {sub("devices/#")});
  hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", 1), kNowUs);
  EXPECT_EQ(s->queue.size(), 1u);  // kept for the stream that attaches later
  CountingSink stream;
  hub_.attach(*s, &stream);
  EXPECT_EQ(stream.wakes, 1);
  const std::string id = s->id;
  hub_.detach(*s, kNowUs);
  hub_.tick(kNowUs + (config_.sse_resume_window_ms - 1) * 1000);
  EXPECT_NE(hub_.find(id), nullptr);
  hub_.tick(kNowUs + (config_.sse_resume_window_ms + 1) * 1000);
  EXPECT_EQ(hub_.find(id), nullptr);
  EXPECT_EQ(hub_.router().users("devices/#"), 0u);
}

}  // namespace
}  // namespace laneway::bridge

namespace laneway::bridge {
namespace {

TEST_F(HubTest, PresenceShowsOnlyDevicesTheSessionMaySee) {
  hub_.on_broker_message("$lw/presence/d1", presence_frame("d1", "device", true), kNowUs);
  hub_.on_broker_message("$lw/presence/d2", presence_frame("d2", "device", false), kNowUs);
  hub_.on_broker_message("$lw/presence/operator:alice",
                         presence_frame("operator:alice", "operator", true), kNowUs);
  Session* s = open();
  connect(*s, token({{"subscribe", {"devices/d1/#"}}}));
  v1::CallFrame call;
  call.set_id(4);
  call.mutable_presence();
  send(*s, call);
  auto frames = drain(*s);
  ASSERT_TRUE(frames[0].call().has_presence_result());
  const auto& clients = frames[0].call().presence_result().clients();
  ASSERT_EQ(clients.size(), 1);  // d2 is outside the token, operators are never listed
  EXPECT_EQ(clients[0].client_id(), "d1");
  EXPECT_TRUE(clients[0].online());
  call.mutable_presence()->set_filter("a/b");
  send(*s, call);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_BAD_REQUEST);
}

TEST_F(HubTest, HistoryCallIsAuthorizedAndBounded) {
  Session* live = open();
  connect(*live, token(), {sub("devices/#")});
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    hub_.on_broker_message("$lw/env/devices/d1/t", envelope_frame("devices/d1/t", seq), kNowUs);
  }
  Session* s = open();
  connect(*s, token({{"subscribe", {"devices/d1/#"}}}));
  v1::CallFrame call;
  call.set_id(6);
  call.mutable_history()->set_topic("devices/d1/t");
  call.mutable_history()->mutable_since()->set_epoch(9);
  call.mutable_history()->mutable_since()->set_seq(1);
  send(*s, call);
  auto frames = drain(*s);
  ASSERT_TRUE(frames[0].call().has_history_result());
  const auto& group = frames[0].call().history_result().group();
  EXPECT_TRUE(group.recovered());
  ASSERT_EQ(group.envelopes_size(), 2);
  EXPECT_EQ(group.envelopes(0).seq(), 2u);
  call.mutable_history()->set_limit(1);
  send(*s, call);
  EXPECT_EQ(drain(*s)[0].call().history_result().group().envelopes_size(), 1);
  call.mutable_history()->set_topic("devices/d2/t");  // outside the token
  send(*s, call);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_FORBIDDEN);
  call.mutable_history()->set_topic("devices/+/t");
  send(*s, call);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_BAD_REQUEST);
}

// Malformed frames draw on the call rate limit: a client sending nothing else is answered
// until its burst is spent, then closed, not answered for ever.
TEST_F(HubTest, GarbageFramesSpendTheCallBudgetAndCloseAnAbuser) {
  Session* s = open();
  connect(*s, token());
  const std::size_t burst = static_cast<std::size_t>(config_.limits.call_burst);
  std::size_t errors = 0;
  for (std::size_t i = 0; i < burst * 3 && !s->closing; ++i) {
    hub_.on_client_frame(*s, "\xff\xff garbage", kNowUs);
    errors += drain(*s).size();
  }
  EXPECT_TRUE(s->closing);
  EXPECT_LE(errors, burst + 1);  // one BAD_REQUEST per call of the burst, then the close
  Session* other = open();
  EXPECT_EQ(error_of(connect(*other, token())), v1::ERROR_CODE_UNSPECIFIED);
}

TEST_F(HubTest, MaxSessionsRefusesMore) {
  config_.limits.max_sessions = 2;
  EXPECT_NE(open(), nullptr);
  EXPECT_NE(open(), nullptr);
  EXPECT_EQ(open(), nullptr);
}

}  // namespace
}  // namespace laneway::bridge
