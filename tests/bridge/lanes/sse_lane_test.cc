// The SSE + POST lane's transport-free parts: resume tokens and the HTTP status of a typed
// refusal (docs/bridge.md "SSE + POST").
#include "sse_lane.h"

#include <gtest/gtest.h>

#include "http_status.h"

namespace laneway::bridge {
namespace {

TEST(ResumeToken, ParsesInstanceAndOffsetOnly) {
  std::string instance;
  std::uint64_t offset = 0;
  ASSERT_TRUE(parse_resume_token("a1b2c3.42", instance, offset));
  EXPECT_EQ(instance, "a1b2c3");
  EXPECT_EQ(offset, 42u);
  for (const char* bad :
       {"", ".", "a1b2", ".42", "a1.", "a1.4x", "a1.-1", "a1.99999999999999999999"}) {
    EXPECT_FALSE(parse_resume_token(bad, instance, offset)) << bad;
  }
}

TEST(HttpStatus, TypedRefusalsMapToTheirStatus) {
  EXPECT_EQ(http_status_for(v1::ERROR_CODE_UNAUTHORIZED), 401u);
  EXPECT_EQ(http_status_for(v1::ERROR_CODE_TOKEN_EXPIRED), 401u);
  EXPECT_EQ(http_status_for(v1::ERROR_CODE_FORBIDDEN), 403u);
  EXPECT_EQ(http_status_for(v1::ERROR_CODE_TOO_LARGE), 413u);
  EXPECT_EQ(http_status_for(v1::ERROR_CODE_RATE_LIMITED), 429u);
  EXPECT_EQ(http_status_for(v1::ERROR_CODE_UNAVAILABLE), 503u);
  EXPECT_EQ(http_status_for(v1::ERROR_CODE_BAD_REQUEST), 400u);
  EXPECT_EQ(connect_refusal_status(v1::ERROR_CODE_UNAVAILABLE), 503u);
  EXPECT_EQ(connect_refusal_status(v1::ERROR_CODE_UNAUTHORIZED), 403u);
}

}  // namespace
}  // namespace laneway::bridge
