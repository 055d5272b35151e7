#include "laneway/wire/topic_filter.h"

#include <gtest/gtest.h>

namespace laneway::wire {
namespace {

TEST(TopicFilter, ValidTopicsAndFilters) {
  EXPECT_TRUE(is_valid_topic("devices/d1/telemetry"));
  EXPECT_TRUE(is_valid_topic("/"));
  EXPECT_FALSE(is_valid_topic(""));
  EXPECT_FALSE(is_valid_topic("a/+/b"));
  EXPECT_FALSE(is_valid_topic("a/#"));
  EXPECT_FALSE(is_valid_topic(std::string("a\0b", 3)));
  EXPECT_TRUE(is_valid_filter("#"));
  EXPECT_TRUE(is_valid_filter("+"));
  EXPECT_TRUE(is_valid_filter("a/+/c/#"));
  EXPECT_TRUE(is_valid_filter("+/+"));
  EXPECT_FALSE(is_valid_filter(""));
  EXPECT_FALSE(is_valid_filter("a/#/c"));
  EXPECT_FALSE(is_valid_filter("a/b#"));
  EXPECT_FALSE(is_valid_filter("a/b+/c"));
  EXPECT_FALSE(is_valid_filter("##"));
}

TEST(TopicFilter, Matching) {
  EXPECT_TRUE(topic_matches("devices/+/telemetry", "devices/d1/telemetry"));
  EXPECT_FALSE(topic_matches("devices/+/telemetry", "devices/d1/x/telemetry"));
  EXPECT_TRUE(topic_matches("devices/#", "devices/d1/telemetry"));
  EXPECT_TRUE(topic_matches("devices/#", "devices"));  // '#' includes the parent level
  EXPECT_FALSE(topic_matches("devices/+", "devices"));
  EXPECT_TRUE(topic_matches("+/+", "/x"));  // empty levels are levels
  EXPECT_FALSE(topic_matches("a/b", "a/b/c"));
  EXPECT_FALSE(topic_matches("a/b/c", "a/b"));
  EXPECT_TRUE(topic_matches("#", "anything/at/all"));
}

TEST(TopicFilter, DollarTopicsNeedAnExplicitFirstLevel) {
  EXPECT_FALSE(topic_matches("#", "$lw/env/devices/d1"));
  EXPECT_FALSE(topic_matches("+/env/#", "$lw/env/x"));
  EXPECT_TRUE(topic_matches("$lw/env/#", "$lw/env/devices/d1"));
  EXPECT_TRUE(topic_matches("$lw/presence/+", "$lw/presence/d-1"));
}

TEST(TopicFilter, Covers) {
  EXPECT_TRUE(filter_covers("#", "devices/+/t"));
  EXPECT_TRUE(filter_covers("devices/#", "devices/d1/#"));
  EXPECT_TRUE(filter_covers("devices/#", "devices"));
  EXPECT_TRUE(filter_covers("devices/+/t", "devices/d1/t"));
  EXPECT_TRUE(filter_covers("devices/+/t", "devices/+/t"));
  EXPECT_FALSE(filter_covers("devices/d1/t", "devices/+/t"));
  EXPECT_FALSE(filter_covers("devices/+/t", "devices/#"));
  EXPECT_FALSE(filter_covers("devices/+", "devices/+/t"));
  EXPECT_FALSE(filter_covers("devices/d1/#", "devices/#"));
  EXPECT_FALSE(filter_covers("devices/d1/#", "devices/+/x"));
  EXPECT_FALSE(filter_covers("#", "$lw/env/#"));
  EXPECT_FALSE(filter_covers("+/#", "$SYS/x"));
  EXPECT_TRUE(filter_covers("$SYS/#", "$SYS/x"));
  EXPECT_FALSE(filter_covers("fleet/g1/#", "fleet/g2/x"));
}

TEST(TopicFilter, Intersect) {
  EXPECT_TRUE(filters_intersect("devices/+/t", "devices/d1/#"));
  EXPECT_TRUE(filters_intersect("devices/d1/#", "devices/#"));
  EXPECT_FALSE(filters_intersect("devices/d1/#", "devices/d2/#"));
  EXPECT_FALSE(filters_intersect("a/+", "a/b/c"));
  EXPECT_FALSE(filters_intersect("#", "$x/#"));
  EXPECT_TRUE(filters_intersect("a/#", "a"));
}

}  // namespace
}  // namespace laneway::wire
