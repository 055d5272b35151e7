#include <gtest/gtest.h>

#include "outbound_queue.h"
#include "rate_limiter.h"
#include "shared_frame.h"
#include "upstream_subscriptions.h"

namespace laneway::bridge {
namespace {

TEST(SharedFrame, BytesAndBase64AreSharedNotCopied) {
  SharedFrame f = make_shared_frame("abc");
  EXPECT_EQ(f->bytes(), "abc");
  EXPECT_EQ(f->base64(), "YWJj");
  EXPECT_EQ(&f->base64(), &f->base64());
  OutboundQueue a(100, false);
  OutboundQueue b(100, false);
  ASSERT_TRUE(a.push({f, 1}));
  ASSERT_TRUE(b.push({f, 1}));
  EXPECT_EQ(a.front().frame.get(), b.front().frame.get());  // one buffer, two sessions
  EXPECT_EQ(f.use_count(), 3);
  EXPECT_EQ(reinterpret_cast<const char*>(f->payload_with_headroom()), f->bytes().data());
}

TEST(OutboundQueue, EmptyQueueStorageIsReleasedAndComesBack) {
  OutboundQueue q(100, false);
  q.release_if_empty();  // never used: nothing to release
  EXPECT_TRUE(q.empty());
  ASSERT_TRUE(q.push({make_shared_frame("abc"), 1}));
  q.release_if_empty();  // not empty: kept
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q.front().frame->bytes(), "abc");
  q.pop();
  q.release_if_empty();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  ASSERT_TRUE(q.push({make_shared_frame("de"), 2}));
  EXPECT_EQ(q.front().offset, 2u);
  EXPECT_EQ(q.bytes(), 2u);
}

TEST(OutboundQueue, BoundedInBytes) {
  OutboundQueue q(25, false);
  EXPECT_TRUE(q.push({make_shared_frame(std::string(10, 'a')), 0}));
  EXPECT_TRUE(q.push({make_shared_frame(std::string(10, 'b')), 0}));
  EXPECT_FALSE(q.push({make_shared_frame(std::string(10, 'c')), 0}));
  EXPECT_EQ(q.bytes(), 20u);
  EXPECT_EQ(q.size(), 2u);
  q.pop();
  EXPECT_EQ(q.bytes(), 10u);
  EXPECT_TRUE(q.push({make_shared_frame(std::string(15, 'c')), 0}));
  q.push_unbounded({make_shared_frame(std::string(100, 'e')), 0});
  EXPECT_EQ(q.bytes(), 125u);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

// An SSE session's queue pays for the base64 copy its lane writes and keeps: 12 frame bytes
// are 12 + 16 of budget, so two fit in 60 and a third does not.
TEST(OutboundQueue, SseQueueCountsTheBase64Copy) {
  OutboundQueue q(60, true);
  EXPECT_TRUE(q.push({make_shared_frame(std::string(12, 'a')), 0}));
  EXPECT_TRUE(q.push({make_shared_frame(std::string(12, 'b')), 0}));
  EXPECT_EQ(q.bytes(), 56u);
  EXPECT_FALSE(q.push({make_shared_frame(std::string(12, 'c')), 0}));
  q.pop();
  EXPECT_EQ(q.bytes(), 28u);
}

TEST(RateLimiter, BurstThenRate) {
  RateLimiter r(10, 3);  // 10/s, burst 3
  const std::int64_t t0 = 1'000'000;
  EXPECT_EQ(r.take(t0), 0u);
  EXPECT_EQ(r.take(t0), 0u);
  EXPECT_EQ(r.take(t0), 0u);
  const std::uint32_t wait = r.take(t0);
  EXPECT_GE(wait, 1u);
  EXPECT_LE(wait, 100u);
  EXPECT_EQ(r.take(t0 + 100'000), 0u);  // one token per 100 ms
  EXPECT_GT(r.take(t0 + 100'000), 0u);
}

TEST(UpstreamSubscriptions, RefcountedPerFilter) {
  UpstreamSubscriptions u;
  EXPECT_TRUE(u.acquire("a/#"));
  EXPECT_FALSE(u.acquire("a/#"));
  EXPECT_TRUE(u.acquire("b"));
  EXPECT_EQ(u.distinct(), 2u);
  EXPECT_FALSE(u.release("a/#"));
  EXPECT_TRUE(u.release("a/#"));
  EXPECT_FALSE(u.release("a/#"));  // unknown: no underflow
  EXPECT_EQ(u.users("b"), 1u);
  EXPECT_EQ(u.filters(), std::vector<std::string>{"b"});
}

}  // namespace
}  // namespace laneway::bridge
