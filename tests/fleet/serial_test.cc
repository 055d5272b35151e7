#include "laneway/registry/serial.h"

#include <gtest/gtest.h>

using laneway::registry::normalize_serial;

TEST(NormalizeSerial, LowercasesAndStripsLeadingZeros) {
  EXPECT_EQ(normalize_serial("0A1B"), "a1b");
  EXPECT_EQ(normalize_serial("a1b"), "a1b");
  EXPECT_EQ(normalize_serial("0x00FF"), "ff");
  EXPECT_EQ(normalize_serial("01:02"), "102");
}

TEST(NormalizeSerial, ZeroIsZero) {
  EXPECT_EQ(normalize_serial("000"), "0");
}

TEST(NormalizeSerial, RejectsNonHex) {
  EXPECT_FALSE(normalize_serial(""));
  EXPECT_FALSE(normalize_serial("xyz"));
  EXPECT_FALSE(normalize_serial("12 34"));
  EXPECT_FALSE(normalize_serial(":"));
}
