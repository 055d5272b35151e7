// A connect or subscribe is answered once the broker acknowledged its filters (SUBACK),
// so an envelope published right after the answer reaches the session (docs/bridge.md
// "Resume"). The in-memory upstream holds SUBACKs here until the test sends them; the
// hub settles held answers on tick() (the server also does it after each broker drain).
#include "hub_fixture.h"

namespace laneway::bridge {
namespace {

constexpr std::int64_t kAckDeadlineUs = 10'000'000;  // the hub's SUBACK deadline

class HubSubackTest : public HubTest {
 protected:
  HubSubackTest() { upstream_.hold_subacks = true; }

  void subscribe(Session& s, const std::string& filter, std::uint32_t id) {
    v1::CallFrame call;
    call.set_id(id);
    *call.mutable_subscribe()->mutable_subscription() = sub(filter);
    send(s, call);
  }

  void unsubscribe(Session& s, const std::string& filter, std::uint32_t id) {
    v1::CallFrame call;
    call.set_id(id);
    call.mutable_unsubscribe()->set_filter(filter);
    send(s, call);
  }

  void publish_from_device(const std::string& topic, std::uint64_t seq) {
    hub_.on_broker_message("$lw/env/" + topic, envelope_frame(topic, seq), kNowUs);
  }

  static std::string env(const std::string& filter) { return "$lw/env/" + filter; }

  // The one frame expected in `frames` (an empty Frame when there is not exactly one).
  static v1::Frame only(const std::vector<v1::Frame>& frames) {
    EXPECT_EQ(frames.size(), 1u);
    return frames.size() == 1 ? frames[0] : v1::Frame();
  }
};

TEST_F(HubSubackTest, SubscribeIsAnsweredAfterTheSubackAndBeforeAnyEnvelope) {
  Session* s = open();
  ASSERT_TRUE(only(connect(*s, token())).call().has_connect_result());  // no filters: at once
  subscribe(*s, "devices/d1/#", 2);
  // SUBSCRIBE went out with the request; the answer waits for the broker.
  EXPECT_TRUE(upstream_.subscribed.count(env("devices/d1/#")));
  EXPECT_TRUE(drain(*s).empty());
  hub_.tick(kNowUs);
  EXPECT_TRUE(drain(*s).empty());

  upstream_.suback(env("devices/d1/#"));
  hub_.tick(kNowUs);
  publish_from_device("devices/d1/t", 1);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_TRUE(frames[0].call().has_subscribe_result());
  EXPECT_EQ(frames[0].call().id(), 2u);
  EXPECT_EQ(frames[0].call().subscribe_result().filter(), "devices/d1/#");
  ASSERT_TRUE(frames[1].has_envelope());
  EXPECT_EQ(frames[1].envelope().seq(), 1u);
}

TEST_F(HubSubackTest, AFilterTheBrokerGrantedIsAnsweredAtOnce) {
  Session* a = open();
  connect(*a, token());
  subscribe(*a, "devices/d1/#", 2);
  EXPECT_TRUE(drain(*a).empty());  // the first user waits for the SUBACK
  upstream_.suback(env("devices/d1/#"));
  hub_.tick(kNowUs);
  ASSERT_TRUE(only(drain(*a)).call().has_subscribe_result());
  Session* b = open();
  auto frames = connect(*b, token(), {sub("devices/d1/#")});
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].call().has_connect_result());
  subscribe(*a, "devices/d1/#", 3);  // a filter the session has: nothing new to wait for
  EXPECT_TRUE(only(drain(*a)).call().has_subscribe_result());
  EXPECT_EQ(hub_.router().users("devices/d1/#"), 2u);
}

TEST_F(HubSubackTest, ASecondSessionOnAFilterStillPendingWaitsToo) {
  Session* a = open();
  Session* b = open();
  connect(*a, token());
  connect(*b, token());
  const int calls = upstream_.subscribe_calls;
  subscribe(*a, "devices/#", 2);
  subscribe(*b, "devices/#", 7);
  EXPECT_EQ(upstream_.subscribe_calls, calls + 1);  // one broker subscription for both
  EXPECT_TRUE(drain(*a).empty());
  EXPECT_TRUE(drain(*b).empty());
  upstream_.suback(env("devices/#"));
  hub_.tick(kNowUs);
  publish_from_device("devices/d2/t", 1);
  for (auto [session, id] : {std::pair{a, 2u}, std::pair{b, 7u}}) {
    auto frames = drain(*session);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].call().id(), id);
    EXPECT_TRUE(frames[0].call().has_subscribe_result());
    EXPECT_TRUE(frames[1].has_envelope());
  }
  EXPECT_EQ(hub_.router().users("devices/#"), 2u);
}

TEST_F(HubSubackTest, ARefusedSubackIsForbiddenAndGivesTheFilterBack) {
  Session* s = open();
  connect(*s, token());
  subscribe(*s, "devices/d1/#", 2);
  upstream_.suback(env("devices/d1/#"), /*granted=*/false);
  hub_.tick(kNowUs);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].call().id(), 2u);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_FORBIDDEN);
  EXPECT_FALSE(s->closing);  // a subscribe's refusal ends only that request
  EXPECT_EQ(hub_.router().users("devices/d1/#"), 0u);
  publish_from_device("devices/d1/t", 1);
  EXPECT_TRUE(drain(*s).empty());
  // The broker said no for this filter: asking again while it lingers is refused at once.
  subscribe(*s, "devices/d1/#", 3);
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_FORBIDDEN);
  EXPECT_EQ(hub_.router().users("devices/d1/#"), 0u);
}

TEST_F(HubSubackTest, NoSubackBeforeTheDeadlineIsUnavailable) {
  Session* s = open();
  connect(*s, token());
  subscribe(*s, "devices/d1/#", 2);
  hub_.tick(kNowUs + kAckDeadlineUs - 1);
  EXPECT_TRUE(drain(*s).empty());
  hub_.tick(kNowUs + kAckDeadlineUs + 1);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].call().id(), 2u);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_GT(frames[0].call().error().retry_after_ms(), 0u);
  EXPECT_EQ(hub_.router().users("devices/d1/#"), 0u);
  upstream_.suback(env("devices/d1/#"));  // too late: nothing more
  hub_.tick(kNowUs + kAckDeadlineUs + 2);
  EXPECT_TRUE(drain(*s).empty());
  EXPECT_TRUE(s->filters.empty());
}

TEST_F(HubSubackTest, BrokerDownIsUnavailableAtOnce) {
  Session* s = open();
  connect(*s, token());
  upstream_.up = false;
  subscribe(*s, "devices/d1/#", 2);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_GT(frames[0].call().error().retry_after_ms(), 0u);
  EXPECT_FALSE(s->closing);
  EXPECT_TRUE(s->filters.empty());
  EXPECT_EQ(hub_.router().users("devices/d1/#"), 0u);
  // A connect with subscriptions is refused whole, like its other refusals.
  Session* t = open();
  EXPECT_EQ(error_of(connect(*t, token(), {sub("devices/#")})), v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_TRUE(t->closing);
  EXPECT_FALSE(t->authenticated);
  // Without subscriptions there is nothing to ask the broker.
  Session* u = open();
  EXPECT_TRUE(only(connect(*u, token())).call().has_connect_result());
}

TEST_F(HubSubackTest, ASessionClosedWhileWaitingLeavesNothingBehind) {
  Session* s = open();
  connect(*s, token());
  subscribe(*s, "devices/d1/#", 2);
  EXPECT_TRUE(drain(*s).empty());
  Session* c = open();
  EXPECT_TRUE(connect(*c, token(), {sub("broadcast/#"), sub("devices/d1/#")}).empty());
  EXPECT_FALSE(c->authenticated);
  EXPECT_EQ(hub_.router().users("devices/d1/#"), 2u);
  hub_.close(s);
  hub_.close(c);
  EXPECT_EQ(hub_.router().users("devices/d1/#"), 0u);
  EXPECT_EQ(hub_.router().users("broadcast/#"), 0u);
  EXPECT_EQ(hub_.session_count(), 0u);
  // Released like any filter: it lingers, then goes.
  EXPECT_TRUE(upstream_.subscribed.count(env("devices/d1/#")));
  upstream_.suback(env("devices/d1/#"));
  upstream_.suback(env("broadcast/#"));
  hub_.tick(kNowUs);  // the late SUBACK finds nobody to answer
  hub_.tick(kNowUs + std::int64_t{config_.history.upstream_linger_ms} * 1000 + 1);
  EXPECT_FALSE(upstream_.subscribed.count(env("devices/d1/#")));
  EXPECT_FALSE(upstream_.subscribed.count(env("broadcast/#")));
}

TEST_F(HubSubackTest, AConnectIsAnsweredWholeOrRefusedWhole) {
  Session* s = open();
  auto frames = connect(*s, token(), {sub("devices/d1/#"), sub("broadcast/#")});
  EXPECT_TRUE(frames.empty());
  EXPECT_FALSE(s->authenticated);
  upstream_.suback(env("devices/d1/#"));
  hub_.tick(kNowUs);
  EXPECT_TRUE(drain(*s).empty());  // one of two is not enough
  upstream_.suback(env("broadcast/#"), /*granted=*/false);
  hub_.tick(kNowUs);
  frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].call().id(), 1u);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_FORBIDDEN);
  EXPECT_TRUE(s->closing);
  EXPECT_FALSE(s->authenticated);
  EXPECT_TRUE(s->filters.empty());
  EXPECT_EQ(hub_.router().users("devices/d1/#"), 0u);
  EXPECT_EQ(hub_.router().users("broadcast/#"), 0u);

  Session* t = open();
  EXPECT_TRUE(connect(*t, token(), {sub("devices/d2/#"), sub("devices/d1/#")}).empty());
  upstream_.suback(env("devices/d2/#"));
  hub_.tick(kNowUs);
  frames = drain(*t);
  ASSERT_EQ(frames.size(), 1u);
  const auto& result = frames[0].call().connect_result();
  EXPECT_EQ(result.session_id(), t->id);
  ASSERT_EQ(result.subscriptions_size(), 2);
  EXPECT_EQ(result.subscriptions(0).filter(), "devices/d2/#");
  EXPECT_TRUE(t->authenticated);
}

TEST_F(HubSubackTest, CallsWhileTheConnectWaitsAreRefusedWithoutClosing) {
  Session* s = open();
  EXPECT_TRUE(connect(*s, token(), {sub("devices/d1/#")}).empty());
  subscribe(*s, "devices/d2/#", 2);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_BAD_REQUEST);
  EXPECT_EQ(frames[0].call().id(), 2u);
  EXPECT_FALSE(s->closing);
  // The connect timeout does not cut a connect that waits for the broker; its own
  // deadline does.
  hub_.tick(kNowUs + kConnectTimeoutUs - 1);
  upstream_.suback(env("devices/d1/#"));
  hub_.tick(kNowUs + kConnectTimeoutUs + 1);
  frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].call().has_connect_result());
}

TEST_F(HubSubackTest, TheReplayIsTakenWhenTheAnswerGoesOut) {
  // a holds the filter; the link drops and comes back, so the broker must acknowledge it
  // again, and b resumes on it meanwhile.
  upstream_.hold_subacks = false;
  Session* a = open();
  connect(*a, token(), {sub("devices/#")});
  publish_from_device("devices/d1/t", 1);
  drain(*a);
  upstream_.acks[env("devices/#")] = UpstreamState::kPending;
  const v1::Subscription resume = sub_since("devices/#", "devices/d1/t", 9, 1);
  Session* b = open();
  EXPECT_TRUE(connect(*b, token(), {resume}).empty());
  publish_from_device("devices/d1/t", 2);  // a's subscription still delivers
  EXPECT_EQ(drain(*a).size(), 1u);
  EXPECT_TRUE(drain(*b).empty());
  upstream_.suback(env("devices/#"));
  hub_.tick(kNowUs);
  auto frames = drain(*b);
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_TRUE(frames[0].call().has_connect_result());
  EXPECT_TRUE(frames[0].call().connect_result().subscriptions(0).recovered());
  ASSERT_TRUE(frames[1].has_group());  // seq 2 arrived while b waited: replayed, once
  ASSERT_EQ(frames[1].group().envelopes_size(), 1);
  EXPECT_EQ(frames[1].group().envelopes(0).seq(), 2u);
  publish_from_device("devices/d1/t", 3);
  frames = drain(*b);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].envelope().seq(), 3u);
}

TEST_F(HubSubackTest, AnUnsubscribeOvertakesTheSubscribeItFollows) {
  Session* s = open();
  connect(*s, token());
  subscribe(*s, "devices/d1/#", 2);
  unsubscribe(*s, "devices/d1/#", 3);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].call().id(), 2u);
  EXPECT_EQ(error_of({frames[0]}), v1::ERROR_CODE_BAD_REQUEST);
  EXPECT_EQ(frames[1].call().id(), 3u);
  EXPECT_TRUE(frames[1].call().has_unsubscribe_result());
  upstream_.suback(env("devices/d1/#"));
  hub_.tick(kNowUs);
  EXPECT_TRUE(drain(*s).empty());
  EXPECT_TRUE(s->filters.empty());
  EXPECT_EQ(hub_.router().users("devices/d1/#"), 0u);
}

TEST_F(HubSubackTest, HeldAnswersAreBoundedPerSession) {
  upstream_.hold_subacks = false;
  Session* s = open();
  connect(*s, token(), {sub("devices/#")});
  upstream_.acks[env("devices/#")] = UpstreamState::kPending;  // a reconnect's re-SUBSCRIBE
  std::uint32_t id = 10;
  for (; id < 10 + kHeldAnswersPerSession; ++id) subscribe(*s, "devices/#", id);
  EXPECT_TRUE(drain(*s).empty());
  EXPECT_EQ(hub_.held_answers(), kHeldAnswersPerSession);
  EXPECT_NE(hub_.render_metrics().find("laneway_bridge_held_answers 64\n"), std::string::npos);
  subscribe(*s, "devices/#", id);
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_EQ(frames[0].call().id(), id);
  upstream_.suback(env("devices/#"));
  hub_.settle_answers(kNowUs);
  EXPECT_EQ(drain(*s).size(), kHeldAnswersPerSession);
  EXPECT_EQ(hub_.held_answers(), 0u);
  EXPECT_EQ(hub_.router().users("devices/#"), 1u);
}

}  // namespace
}  // namespace laneway::bridge
