// The admin listener's bearer check (bridge/core/bearer_token.h): only the exact token, in
// an RFC 6750 Authorization header, opens /metrics and /healthz.
#include "bearer_token.h"

#include <gtest/gtest.h>

#include <string>

namespace laneway::bridge {
namespace {

const std::string kToken = "0123456789abcdef0123456789abcdef";

TEST(AdminBearerToken, AcceptsOnlyTheExactToken) {
  EXPECT_TRUE(bearer_token_matches("Bearer " + kToken, kToken));
  EXPECT_TRUE(bearer_token_matches("bearer " + kToken, kToken));  // the scheme is case-blind
  EXPECT_TRUE(bearer_token_matches("BEARER  " + kToken + " ", kToken));
  EXPECT_FALSE(bearer_token_matches("Bearer " + kToken.substr(1), kToken));  // a prefix
  EXPECT_FALSE(bearer_token_matches("Bearer " + kToken + "0", kToken));      // longer
  std::string flipped = kToken;
  flipped.back() = 'e';
  EXPECT_FALSE(bearer_token_matches("Bearer " + flipped, kToken));
  EXPECT_FALSE(bearer_token_matches("Bearer " + std::string("0123456789ABCDEF0123456789ABCDEF"),
                                    kToken));  // the token itself is case-sensitive
}

TEST(AdminBearerToken, RefusesOtherSchemesAndEmptyValues) {
  EXPECT_FALSE(bearer_token_matches("", kToken));
  EXPECT_FALSE(bearer_token_matches(kToken, kToken));  // no scheme
  EXPECT_FALSE(bearer_token_matches("Basic " + kToken, kToken));
  EXPECT_FALSE(bearer_token_matches("Bearer", kToken));
  EXPECT_FALSE(bearer_token_matches("Bearer ", kToken));
  // Without a configured token nothing matches, an empty presented one included.
  EXPECT_FALSE(bearer_token_matches("Bearer ", ""));
  EXPECT_FALSE(bearer_token_matches("Bearer x", ""));
}

TEST(AdminBearerToken, CredentialsAreWhatFollowsTheBearerScheme) {
  EXPECT_EQ(bearer_credentials("Bearer a.b.c"), "a.b.c");
  EXPECT_EQ(bearer_credentials("bearer  a.b.c "), "a.b.c");
  EXPECT_EQ(bearer_credentials("Bearer "), "");
  EXPECT_EQ(bearer_credentials("Basic dXNlcjpwdw=="), std::nullopt);
  EXPECT_EQ(bearer_credentials(""), std::nullopt);
}

TEST(AdminBearerToken, SyntaxIsRfc6750B64token) {
  EXPECT_TRUE(is_bearer_token_syntax(kToken));
  EXPECT_TRUE(is_bearer_token_syntax("abc-._~+/XYZ09=="));
  EXPECT_FALSE(is_bearer_token_syntax(""));
  EXPECT_FALSE(is_bearer_token_syntax("=abc"));
  EXPECT_FALSE(is_bearer_token_syntax("ab=c"));
  EXPECT_FALSE(is_bearer_token_syntax("ab c"));
  EXPECT_FALSE(is_bearer_token_syntax("ab\"c"));
  EXPECT_FALSE(is_bearer_token_syntax("ab\nc"));
}

}  // namespace
}  // namespace laneway::bridge
