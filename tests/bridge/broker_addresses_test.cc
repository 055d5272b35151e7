// The order in which the bridge tries its brokers (bridge/mqtt/broker_addresses.h).
#include "broker_addresses.h"

#include <gtest/gtest.h>

namespace laneway::bridge {
namespace {

TEST(BrokerAddresses, EachAttemptTriesTheNextAndAProbedPrimaryComesFirst) {
  BrokerAddresses addresses({{"core-1", 8883}, {"core-2", 8883}, {"core-3", 1883}});
  EXPECT_EQ(addresses.next_attempt().host, "core-1");
  EXPECT_TRUE(addresses.on_primary());
  EXPECT_EQ(addresses.next_attempt().host, "core-2");  // core-1 failed or was lost
  EXPECT_FALSE(addresses.on_primary());
  EXPECT_EQ(addresses.current().host, "core-2");
  EXPECT_EQ(addresses.next_attempt().host, "core-3");
  EXPECT_EQ(addresses.next_attempt().host, "core-1");  // around again
  addresses.next_attempt();
  addresses.prefer_primary();  // the probe reached core-1
  EXPECT_EQ(addresses.next_attempt().host, "core-1");
  EXPECT_EQ(addresses.next_attempt().host, "core-2");
}

TEST(BrokerAddresses, OneAddressIsAlwaysThatOne) {
  BrokerAddresses addresses({{"broker", 8883}});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(addresses.next_attempt().host, "broker");
  EXPECT_TRUE(addresses.on_primary());
}

}  // namespace
}  // namespace laneway::bridge
