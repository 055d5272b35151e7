// The session core's bounds on what it holds for the broker (docs/bridge.md "Memory
// budget"): upstream message ids, the link's outgoing bytes, and history in total.
#include "ack_ledger.h"
#include "hub_fixture.h"

namespace laneway::bridge {
namespace {

v1::CallFrame publish_call(std::uint32_t id, int qos) {
  v1::CallFrame call;
  call.set_id(id);
  auto* p = call.mutable_publish();
  p->set_topic("devices/d1/cmd");
  p->set_payload("on");
  p->set_qos(qos);
  return call;
}

TEST(AckLedger, IdsComeRoundOnlyWhenNothingOlderIsOutstanding) {
  AckLedger ledger(100);
  EXPECT_TRUE(ledger.may_issue());
  ledger.issued(65000);
  ledger.await(65000, AckLedger::Owner::kPublish);
  // 30,000 further ids (QoS 0, SUBSCRIBEs) wrap past 65535 and stay under half the space.
  int mid = 65000;
  for (int i = 0; i < 30000; ++i) {
    ASSERT_TRUE(ledger.may_issue()) << i;
    mid = mid % AckLedger::kMaxMid + 1;
    ledger.issued(mid);
  }
  // A jump the hub did not see (the link spent ids on SUBSCRIBEs) counts as well.
  ledger.issued(mid + 3000);
  EXPECT_FALSE(ledger.may_issue());
  EXPECT_EQ(ledger.on_puback(65000), AckLedger::Owner::kPublish);
  EXPECT_FALSE(ledger.on_puback(65000));  // a duplicate PUBACK belongs to nobody
  EXPECT_TRUE(ledger.may_issue());
}

TEST(AckLedger, BoundedInCount) {
  AckLedger ledger(2);
  ledger.issued(1);
  ledger.await(1, AckLedger::Owner::kPublish);
  ledger.issued(2);
  ledger.await(2, AckLedger::Owner::kRpc);
  EXPECT_FALSE(ledger.may_issue());
  EXPECT_EQ(ledger.on_puback(2), AckLedger::Owner::kRpc);
  EXPECT_TRUE(ledger.may_issue());
}

// One QoS 1 publish waits on a slow broker while another session publishes 70,000 times:
// before any id could come round, the bridge refuses publishes (UNAVAILABLE, retry
// after), and the late PUBACK answers the session that asked, once.
TEST_F(HubTest, PubackIdsNeverAnswerTheWrongCallerAcrossTheWrap) {
  config_.limits.publish_rate_per_s = 1e6;
  config_.limits.publish_burst = 1e6;
  config_.limits.call_rate_per_s = 1e6;
  config_.limits.call_burst = 1e6;
  Session* slow = open();
  connect(*slow, token());
  Session* busy = open();
  connect(*busy, token({{"sub", "bob"}}));

  send(*slow, publish_call(7, 1));
  ASSERT_EQ(upstream_.last_mid, 1);
  EXPECT_TRUE(drain(*slow).empty());

  int accepted = 0;
  int refused = 0;
  for (std::uint32_t i = 0; i < 70000; ++i) {
    const int before = upstream_.last_mid;
    send(*busy, publish_call(100 + i, 1));
    if (upstream_.last_mid != before) hub_.on_publish_ack(upstream_.last_mid, 0);
    for (const v1::Frame& f : drain(*busy)) {
      ASSERT_TRUE(f.has_call());
      ASSERT_EQ(f.call().id(), 100 + i) << "an answer meant for another call";
      if (f.call().has_publish_result()) {
        accepted++;
      } else {
        ASSERT_EQ(f.call().error().code(), v1::ERROR_CODE_UNAVAILABLE);
        EXPECT_GT(f.call().error().retry_after_ms(), 0u);
        refused++;
      }
    }
    ASSERT_TRUE(drain(*slow).empty()) << "the slow caller answered by publish " << i;
  }
  EXPECT_EQ(accepted + refused, 70000);
  EXPECT_GT(refused, 0);
  EXPECT_LT(accepted, AckLedger::kMaxMid);

  hub_.on_publish_ack(1, 0);
  const auto answer = drain(*slow);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].call().id(), 7u);
  EXPECT_TRUE(answer[0].call().has_publish_result());
  // With the old id released, publishing goes on.
  send(*busy, publish_call(1, 0));
  const auto after = drain(*busy);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(after[0].call().has_publish_result());
}

TEST_F(HubTest, PublishIsRefusedWhileTheLinkHasNoRoom) {
  config_.limits.publish_burst = 10;
  Session* s = open();
  connect(*s, token());
  upstream_.room = 10;  // the link's outgoing bytes are at their budget
  send(*s, publish_call(3, 0));
  const auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(error_of(frames), v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_TRUE(upstream_.published.empty());
  EXPECT_NE(hub_.render_metrics().find("laneway_bridge_upstream_refusals_total 1\n"),
            std::string::npos);
  upstream_.room = 1 << 20;
  send(*s, publish_call(4, 0));
  EXPECT_EQ(upstream_.published.size(), 1u);
  send(*s, publish_call(5, 1));  // waits for its PUBACK
  EXPECT_NE(hub_.render_metrics().find("laneway_bridge_upstream_acks_outstanding 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace laneway::bridge
