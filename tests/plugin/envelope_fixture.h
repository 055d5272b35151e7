// A started broker with the clients the envelope tests use: device d-1, operator alice (who
// may watch `$lw/env/#`) and bridge bridge-1 (who may publish on `$lw/in/#`).
#pragma once

#include <gtest/gtest.h>

#include "broker_harness.h"

namespace laneway::test {

class EnvelopeBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(broker.setup_error(), "");
    ASSERT_TRUE(broker.add_device("d-1"));
    ASSERT_TRUE(broker.add_service("operator", "alice"));
    ASSERT_TRUE(broker.add_service("bridge", "bridge-1"));
    ASSERT_TRUE(broker.start()) << broker.log();
  }
  BrokerHarness broker;
};

}  // namespace laneway::test
