// Client-chosen text reaches the broker log escaped (plugin/src/log_text.h).
#include "log_text.h"

#include <gtest/gtest.h>

namespace laneway::plugin {
namespace {

TEST(LogText, ControlBytesBackslashesAndNonAsciiAreEscaped) {
  EXPECT_EQ(printable("devices/d-1/telemetry"), "devices/d-1/telemetry");
  EXPECT_EQ(printable("d-1\nlaneway: forged line"), "d-1\\x0alaneway: forged line");
  EXPECT_EQ(printable("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(printable("a\\x0ab"), "a\\x5cx0ab") << "an escape cannot be forged either";
  EXPECT_EQ(printable(std::string("\0\x7f\xc2\x85", 4)), "\\x00\\x7f\\xc2\\x85");
}

}  // namespace
}  // namespace laneway::plugin
