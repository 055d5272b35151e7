#include "history.h"

#include <gtest/gtest.h>

namespace laneway::bridge {
namespace {

SharedFrame frame_of(std::size_t size) {
  return make_shared_frame(std::string(size, 'x'));
}

std::vector<std::uint64_t> seqs(const Replay& r) {
  std::vector<std::uint64_t> out;
  for (const auto& e : r.entries) out.push_back(e.seq);
  return out;
}

TEST(History, ResumesInOrderWhenCovered) {
  HistoryStore h({.max_messages_per_topic = 10, .max_bytes_per_topic = 1000, .max_topics = 10});
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    EXPECT_EQ(h.append("t", 7, seq, frame_of(10)).status, AppendStatus::kAppended);
  }
  Replay r = h.since_position("t", 7, 2);
  EXPECT_TRUE(r.recovered);
  EXPECT_EQ(seqs(r), (std::vector<std::uint64_t>{3, 4, 5}));
  r = h.since_position("t", 7, 5);
  EXPECT_TRUE(r.recovered);
  EXPECT_TRUE(r.entries.empty());
}

TEST(History, CountLimitMakesOlderPositionsUnrecoverable) {
  HistoryStore h({.max_messages_per_topic = 3, .max_bytes_per_topic = 1000, .max_topics = 10});
  for (std::uint64_t seq = 1; seq <= 6; ++seq) h.append("t", 1, seq, frame_of(10));
  Replay r = h.since_position("t", 1, 3);  // needs 4..6: kept exactly
  EXPECT_TRUE(r.recovered);
  EXPECT_EQ(seqs(r), (std::vector<std::uint64_t>{4, 5, 6}));
  r = h.since_position("t", 1, 2);  // needs 3, evicted
  EXPECT_FALSE(r.recovered);
  EXPECT_EQ(seqs(r), (std::vector<std::uint64_t>{4, 5, 6}));  // what is kept, flagged
}

TEST(History, ByteLimitEvicts) {
  HistoryStore h({.max_messages_per_topic = 100, .max_bytes_per_topic = 25, .max_topics = 10});
  for (std::uint64_t seq = 1; seq <= 4; ++seq) h.append("t", 1, seq, frame_of(10));
  EXPECT_LE(h.total_bytes(), 25u);
  EXPECT_FALSE(h.since_position("t", 1, 1).recovered);
  EXPECT_TRUE(h.since_position("t", 1, 2).recovered);
}

TEST(History, NewEpochIsNeverRecovered) {
  HistoryStore h({.max_messages_per_topic = 10, .max_bytes_per_topic = 1000, .max_topics = 10});
  h.append("t", 1, 1, frame_of(1));
  h.append("t", 1, 2, frame_of(1));
  EXPECT_EQ(h.append("t", 2, 1, frame_of(1)).status, AppendStatus::kGap);
  Replay r = h.since_position("t", 1, 2);
  EXPECT_FALSE(r.recovered);
  EXPECT_EQ(seqs(r), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(h.epoch_of("t"), 2u);
}

TEST(History, SeqJumpResetsTheRing) {
  HistoryStore h({.max_messages_per_topic = 10, .max_bytes_per_topic = 1000, .max_topics = 10});
  h.append("t", 1, 1, frame_of(1));
  h.append("t", 1, 2, frame_of(1));
  EXPECT_EQ(h.append("t", 1, 5, frame_of(1)).status, AppendStatus::kGap);
  EXPECT_FALSE(h.since_position("t", 1, 2).recovered);  // 3 and 4 never reached the bridge
  EXPECT_TRUE(h.since_position("t", 1, 4).recovered);
}

TEST(History, DuplicatesAndStaleEpochsAreIgnored) {
  HistoryStore h({.max_messages_per_topic = 10, .max_bytes_per_topic = 1000, .max_topics = 10});
  EXPECT_EQ(h.append("t", 2, 1, frame_of(1)).status, AppendStatus::kAppended);
  EXPECT_EQ(h.append("t", 2, 1, frame_of(1)).status, AppendStatus::kDuplicate);
  EXPECT_EQ(h.append("t", 1, 9, frame_of(1)).status, AppendStatus::kDuplicate);
  EXPECT_EQ(h.last_offset(), 1u);
}

TEST(History, StaleRingsNeverClaimRecoveredUntilContinued) {
  HistoryStore h({.max_messages_per_topic = 10, .max_bytes_per_topic = 1000, .max_topics = 10});
  h.append("a", 1, 1, frame_of(1));
  h.append("a", 1, 2, frame_of(1));
  h.append("b", 1, 1, frame_of(1));
  h.mark_stale([](const std::string& t) { return t == "a"; });
  EXPECT_FALSE(h.since_position("a", 1, 2).recovered);
  Replay r = h.since_position("a", 1, 1);
  EXPECT_FALSE(r.recovered);
  EXPECT_EQ(seqs(r), (std::vector<std::uint64_t>{2}));  // still handed out, flagged
  EXPECT_TRUE(h.since_position("b", 1, 1).recovered);
  EXPECT_FALSE(h.since_offset({"#"}, 0).recovered);
  h.append("a", 1, 3, frame_of(1));
  EXPECT_TRUE(h.since_position("a", 1, 2).recovered);
}

TEST(History, UnknownTopicIsNotRecovered) {
  HistoryStore h({});
  EXPECT_FALSE(h.since_position("nope", 1, 1).recovered);
}

TEST(History, OffsetResumeAcrossTopics) {
  HistoryStore h({.max_messages_per_topic = 2, .max_bytes_per_topic = 1000, .max_topics = 10});
  h.append("a/1", 1, 1, frame_of(1));  // offset 1
  h.append("b/1", 1, 1, frame_of(1));  // 2
  h.append("a/2", 1, 1, frame_of(1));  // 3
  h.append("a/1", 1, 2, frame_of(1));  // 4
  Replay r = h.since_offset({"a/#"}, 1);
  EXPECT_TRUE(r.recovered);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].offset, 3u);
  EXPECT_EQ(r.entries[1].offset, 4u);
  h.append("a/1", 1, 3, frame_of(1));                 // 5, evicts offset 1
  EXPECT_TRUE(h.since_offset({"a/#"}, 1).recovered);  // offset 1 itself was delivered
  h.append("a/1", 1, 4, frame_of(1));                 // 6, evicts offset 4
  EXPECT_FALSE(h.since_offset({"a/#"}, 3).recovered);
  EXPECT_TRUE(h.since_offset({"b/#"}, 3).recovered);    // b/1 lost nothing
  EXPECT_FALSE(h.since_offset({"a/#"}, 99).recovered);  // a token from the future
}

TEST(History, TopicLimitForgetsLeastRecent) {
  HistoryStore h({.max_messages_per_topic = 10, .max_bytes_per_topic = 1000, .max_topics = 2});
  h.append("a", 1, 1, frame_of(1));
  h.append("b", 1, 1, frame_of(1));
  h.append("a", 1, 2, frame_of(1));
  h.append("c", 1, 1, frame_of(1));  // forgets b
  EXPECT_EQ(h.topic_count(), 2u);
  EXPECT_FALSE(h.since_position("b", 1, 0).recovered);
  EXPECT_TRUE(h.since_position("a", 1, 1).recovered);
  EXPECT_FALSE(h.since_offset({"#"}, 1).recovered);  // b's offset 2 is gone
}

// Past the total, the least recently appended topic gives up its oldest entries first, and
// a topic emptied that way is forgotten; every resume it breaks says recovered=false.
TEST(History, TotalBudgetEvictsTheLeastRecentTopicFirst) {
  HistoryStore h({.max_messages_per_topic = 100,
                  .max_bytes_per_topic = 1000,
                  .max_topics = 100,
                  .max_total_bytes = 100});
  for (std::uint64_t seq = 1; seq <= 4; ++seq) h.append("old", 1, seq, frame_of(10));
  for (std::uint64_t seq = 1; seq <= 5; ++seq) h.append("new", 1, seq, frame_of(10));
  EXPECT_EQ(h.total_bytes(), 90u);
  h.append("new", 1, 6, frame_of(30));  // 120 > 100: "old" loses 1 and 2
  EXPECT_LE(h.total_bytes(), 100u);
  EXPECT_FALSE(h.since_position("old", 1, 1).recovered);
  EXPECT_TRUE(h.since_position("old", 1, 2).recovered);
  EXPECT_TRUE(h.since_position("new", 1, 0).recovered);
  h.append("new", 1, 7, frame_of(40));  // "old" goes entirely, then "new" pays itself
  EXPECT_LE(h.total_bytes(), 100u);
  EXPECT_EQ(h.topic_count(), 1u);
  EXPECT_FALSE(h.since_position("old", 1, 4).recovered);
  EXPECT_TRUE(h.since_position("new", 1, 6).recovered);
}

// With the SSE lane on, each frame's base64 copy counts: 12 bytes cost 12 + 16.
TEST(History, SseEncodingCountsAgainstTheBudget) {
  HistoryStore h({.max_messages_per_topic = 100,
                  .max_bytes_per_topic = 1000,
                  .max_topics = 10,
                  .max_total_bytes = 60,
                  .count_sse_encoding = true});
  for (std::uint64_t seq = 1; seq <= 3; ++seq) h.append("t", 1, seq, frame_of(12));
  EXPECT_EQ(h.total_bytes(), 56u);
  EXPECT_FALSE(h.since_position("t", 1, 0).recovered);
  EXPECT_TRUE(h.since_position("t", 1, 1).recovered);
}

}  // namespace
}  // namespace laneway::bridge
