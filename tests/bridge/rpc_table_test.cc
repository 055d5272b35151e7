// The pending-RPC table on its own: bounds, correlation matching, PUBACK handling,
// deadlines in order, and forgetting a closed session's requests.
#include "rpc_table.h"

#include <gtest/gtest.h>

namespace laneway::bridge {
namespace {

PendingRpc rpc(const std::string& session, std::uint32_t call_id, std::int64_t deadline_us,
               int mid = 0) {
  PendingRpc p;
  p.session_id = session;
  p.call_id = call_id;
  p.device_id = "d1";
  p.method = "ping";
  p.deadline_us = deadline_us;
  p.mid = mid;
  return p;
}

TEST(RpcTable, BoundedPerSessionAndInTotal) {
  RpcTable t(3, 2);
  EXPECT_EQ(t.add("c1", rpc("a", 1, 100)), RpcTable::AddResult::kOk);
  EXPECT_EQ(t.add("c2", rpc("a", 2, 100)), RpcTable::AddResult::kOk);
  EXPECT_EQ(t.can_add("a"), RpcTable::AddResult::kSessionFull);
  EXPECT_EQ(t.add("c3", rpc("a", 3, 100)), RpcTable::AddResult::kSessionFull);
  EXPECT_EQ(t.add("c1", rpc("b", 1, 100)), RpcTable::AddResult::kDuplicate);
  EXPECT_EQ(t.add("c4", rpc("b", 1, 100)), RpcTable::AddResult::kOk);
  EXPECT_EQ(t.add("c5", rpc("c", 1, 100)), RpcTable::AddResult::kTableFull);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.for_session("a"), 2u);
  auto taken = t.take("c1");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->call_id, 1u);
  EXPECT_FALSE(t.take("c1"));  // once only
  EXPECT_EQ(t.for_session("a"), 1u);
  EXPECT_EQ(t.add("c5", rpc("c", 1, 100)), RpcTable::AddResult::kOk);
}

TEST(RpcTable, ExpiresInDeadlineOrderAndOnlyWhenDue) {
  RpcTable t(10, 10);
  t.add("late", rpc("a", 1, 300));
  t.add("early", rpc("a", 2, 100));
  t.add("same", rpc("b", 3, 100));
  EXPECT_EQ(t.next_deadline_us(), 100);
  EXPECT_TRUE(t.expire(99).empty());
  auto due = t.expire(100);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.next_deadline_us(), 300);
  t.take("late");
  EXPECT_EQ(t.next_deadline_us(), 0);
  EXPECT_TRUE(t.expire(1000).empty());
}

TEST(RpcTable, PubackRefusalRemovesNoSubscriberOnlyMarks) {
  RpcTable t(10, 10);
  t.add("c1", rpc("a", 1, 100, /*mid=*/7));
  t.add("c2", rpc("a", 2, 100));
  t.set_mid("c2", 8);
  EXPECT_FALSE(t.on_puback(99, 0x87));  // unknown message id
  EXPECT_FALSE(t.on_puback(7, 0x10));
  ASSERT_NE(t.find("c1"), nullptr);
  EXPECT_TRUE(t.find("c1")->no_subscriber);
  EXPECT_FALSE(t.on_puback(7, 0x87));  // that id is done; a reused one is not ours
  auto refused = t.on_puback(8, 0x87);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->call_id, 2u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_FALSE(t.on_puback(8, 0));
}

TEST(RpcTable, DroppingASessionFreesItsSlotsOnly) {
  RpcTable t(3, 3);
  t.add("a1", rpc("a", 1, 100, 1));
  t.add("a2", rpc("a", 2, 200, 2));
  t.add("b1", rpc("b", 1, 150, 3));
  t.drop_session("a");
  t.drop_session("nobody");
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.for_session("a"), 0u);
  EXPECT_EQ(t.next_deadline_us(), 150);
  EXPECT_FALSE(t.on_puback(1, 0x87));
  EXPECT_TRUE(t.take("b1"));
}

}  // namespace
}  // namespace laneway::bridge
