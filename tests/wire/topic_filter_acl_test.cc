#include <gtest/gtest.h>

#include "laneway/wire/topic_filter.h"

using laneway::wire::filter_covers;
using laneway::wire::is_valid_filter;
using laneway::wire::strip_shared_subscription;

TEST(FilterCovers, TopicsMatchLikeMqtt) {
  EXPECT_TRUE(filter_covers("devices/d1/#", "devices/d1/t"));
  EXPECT_TRUE(filter_covers("devices/d1/#", "devices/d1"));
  EXPECT_TRUE(filter_covers("devices/+/rpc/#", "devices/d9/rpc/reboot"));
  EXPECT_FALSE(filter_covers("devices/d1/#", "devices/d10/t"));
  EXPECT_FALSE(filter_covers("devices/d1/#", "devices"));
  EXPECT_FALSE(filter_covers("devices/+/rpc/#", "devices/d9/telemetry"));
  EXPECT_TRUE(filter_covers("a/b", "a/b"));
  EXPECT_FALSE(filter_covers("a/b", "a/b/c"));
  EXPECT_FALSE(filter_covers("a/b/c", "a/b"));
  EXPECT_FALSE(filter_covers("a/", "a"));
}

TEST(FilterCovers, LeadingWildcardNeverMatchesDollarTopics) {
  EXPECT_FALSE(filter_covers("#", "$lw/env/x"));
  EXPECT_FALSE(filter_covers("+/env/x", "$lw/env/x"));
  EXPECT_TRUE(filter_covers("$lw/env/#", "$lw/env/devices/d1/t"));
}

TEST(FilterCovers, FiltersAreCoveredOnlyByWiderFilters) {
  EXPECT_TRUE(filter_covers("devices/d1/#", "devices/d1/+/x"));
  EXPECT_TRUE(filter_covers("devices/d1/#", "devices/d1/#"));
  EXPECT_FALSE(filter_covers("devices/d1/#", "devices/+/t"));
  EXPECT_FALSE(filter_covers("devices/d1/#", "devices/#"));
  EXPECT_FALSE(filter_covers("devices/d1/#", "#"));
  EXPECT_TRUE(filter_covers("devices/+/rpc/#", "devices/+/rpc/#"));
  EXPECT_FALSE(filter_covers("devices/+/rpc/#", "devices/#"));
  EXPECT_FALSE(filter_covers("a/+", "a/#"));
}

TEST(Filters, Validity) {
  EXPECT_TRUE(is_valid_filter("a/+/#"));
  EXPECT_FALSE(is_valid_filter("a/#/b"));
  EXPECT_FALSE(is_valid_filter("a/b#"));
  EXPECT_FALSE(is_valid_filter("a+/b"));
  EXPECT_FALSE(is_valid_filter(""));
}

TEST(Filters, SharedSubscriptionPrefixIsStripped) {
  EXPECT_EQ(strip_shared_subscription("$share/g/devices/d1/#"), "devices/d1/#");
  EXPECT_EQ(strip_shared_subscription("devices/d1/#"), "devices/d1/#");
  EXPECT_EQ(strip_shared_subscription("$share/g"), "");
  EXPECT_EQ(strip_shared_subscription("$share//x"), "");
}
