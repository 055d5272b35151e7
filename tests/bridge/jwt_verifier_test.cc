#include "jwt_verifier.h"

#include <gtest/gtest.h>

#include <limits>

#include "test_tokens.h"

namespace laneway::bridge {
namespace {

using nlohmann::json;
using testing::kTestSecret;
using testing::mint_token;

constexpr std::int64_t kNow = 1'800'000'000;

json claims(const std::string& app = "demo") {
  return json{{"sub", "alice"}, {"exp", kNow + 600}, {"app", app}};
}

AppConfig hs_app() {
  AppConfig app;
  app.id = "demo";
  app.keys.push_back(JwtKey{JwtAlg::kHS256, "", kTestSecret});
  app.subscribe = {"devices/#"};
  return app;
}

TEST(JwtVerifier, AcceptsHs256AndReadsClaims) {
  json c = claims();
  c["subscribe"] = {"devices/d1/#"};
  c["publish"] = json::array();
  TokenClaims out;
  ASSERT_EQ(verify_token(hs_app(), mint_token("HS256", kTestSecret, c), kNow, out),
            TokenError::kOk);
  EXPECT_EQ(out.subject, "alice");
  EXPECT_EQ(out.expires_at_s, kNow + 600);
  EXPECT_TRUE(out.subscribe_claimed);
  EXPECT_EQ(out.subscribe, std::vector<std::string>{"devices/d1/#"});
  EXPECT_TRUE(out.publish_claimed);
  EXPECT_TRUE(out.publish.empty());
}

TEST(JwtVerifier, AbsentFilterClaimsAreNotNarrowing) {
  TokenClaims out;
  ASSERT_EQ(verify_token(hs_app(), mint_token("HS256", kTestSecret, claims()), kNow, out),
            TokenError::kOk);
  EXPECT_FALSE(out.subscribe_claimed);
  EXPECT_FALSE(out.publish_claimed);
}

TEST(JwtVerifier, RefusesForgedExpiredOtherAppAndMalformed) {
  TokenClaims out;
  const AppConfig app = hs_app();
  EXPECT_EQ(verify_token(app, mint_token("HS256", "another-secret-another-secret-xx", claims()),
                         kNow, out),
            TokenError::kBadSignature);
  json expired = claims();
  expired["exp"] = kNow - 1;
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, expired), kNow, out),
            TokenError::kExpired);
  json future = claims();
  future["nbf"] = kNow + 100;
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, future), kNow, out),
            TokenError::kNotYetValid);
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, claims("other")), kNow, out),
            TokenError::kWrongApp);
  json no_app = claims();
  no_app.erase("app");
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, no_app), kNow, out),
            TokenError::kWrongApp);
  json no_exp = claims();
  no_exp.erase("exp");
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, no_exp), kNow, out),
            TokenError::kBadClaims);
  json bad_filter = claims();
  bad_filter["subscribe"] = {"devices/#/x"};
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, bad_filter), kNow, out),
            TokenError::kBadClaims);
  json dollar = claims();
  dollar["subscribe"] = {"$lw/#"};
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, dollar), kNow, out),
            TokenError::kBadClaims);
  EXPECT_EQ(verify_token(app, "", kNow, out), TokenError::kMalformed);
  EXPECT_EQ(verify_token(app, "not a token", kNow, out), TokenError::kMalformed);
  EXPECT_EQ(verify_token(app, "@@@.b.c", kNow, out), TokenError::kMalformed);
  EXPECT_EQ(verify_token(app, std::string(kMaxTokenBytes + 1, 'a'), kNow, out),
            TokenError::kMalformed);
  // A flipped signature byte.
  std::string token = mint_token("HS256", kTestSecret, claims());
  token.back() = token.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_token(app, token, kNow, out), TokenError::kBadSignature);
}

// Time claims far outside int64 are clamped, not converted with undefined behaviour: a huge
// exp is a token that expires in year 9999, a huge nbf one that is not valid yet.
TEST(JwtVerifier, HugeTimeClaimsAreClamped) {
  TokenClaims out;
  const AppConfig app = hs_app();
  json far = claims();
  far["exp"] = 1e300;
  ASSERT_EQ(verify_token(app, mint_token("HS256", kTestSecret, far), kNow, out), TokenError::kOk);
  EXPECT_EQ(out.expires_at_s, 253'402'300'799);
  EXPECT_LT(out.expires_at_s, std::numeric_limits<std::int64_t>::max() / 1'000'000);
  json past = claims();
  past["exp"] = -1e300;
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, past), kNow, out),
            TokenError::kExpired);
  json later = claims();
  later["nbf"] = 1e300;
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, later), kNow, out),
            TokenError::kNotYetValid);
  json big = claims();
  big["exp"] = std::int64_t{9'000'000'000'000'000'000};
  ASSERT_EQ(verify_token(app, mint_token("HS256", kTestSecret, big), kNow, out), TokenError::kOk);
  EXPECT_EQ(out.expires_at_s, 253'402'300'799);
}

TEST(JwtVerifier, RefusesAlgNone) {
  TokenClaims out;
  const std::string none = mint_token("none", "", claims());
  EXPECT_EQ(verify_token(hs_app(), none, kNow, out), TokenError::kAlgorithm);
}

TEST(JwtVerifier, Rs256AndEs256FromIndependentSigners) {
  const auto rsa = testing::make_rsa_key();
  const auto ec = testing::make_ec_p256_key();
  AppConfig app;
  app.id = "demo";
  app.keys.push_back(JwtKey{JwtAlg::kRS256, "", rsa.public_pem});
  app.keys.push_back(JwtKey{JwtAlg::kES256, "", ec.public_pem});
  TokenClaims out;
  EXPECT_EQ(verify_token(app, mint_token("RS256", rsa.private_pem, claims()), kNow, out),
            TokenError::kOk);
  EXPECT_EQ(verify_token(app, mint_token("ES256", ec.private_pem, claims()), kNow, out),
            TokenError::kOk);
  const auto other = testing::make_ec_p256_key();
  EXPECT_EQ(verify_token(app, mint_token("ES256", other.private_pem, claims()), kNow, out),
            TokenError::kBadSignature);
  // HS256 is not configured for this app: refused before any key is tried.
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, claims()), kNow, out),
            TokenError::kAlgorithm);
}

TEST(JwtVerifier, RefusesPublicKeyUsedAsHmacSecret) {
  const auto rsa = testing::make_rsa_key();
  AppConfig app;
  app.id = "demo";
  app.keys.push_back(JwtKey{JwtAlg::kRS256, "", rsa.public_pem});
  TokenClaims out;
  // The classic confusion attack: HS256 signed with the RSA public key's PEM as secret.
  EXPECT_EQ(verify_token(app, mint_token("HS256", rsa.public_pem, claims()), kNow, out),
            TokenError::kAlgorithm);
}

TEST(JwtVerifier, KidSelectsTheKey) {
  AppConfig app;
  app.id = "demo";
  app.keys.push_back(JwtKey{JwtAlg::kHS256, "old", "old-secret-old-secret-old-secret-xx"});
  app.keys.push_back(JwtKey{JwtAlg::kHS256, "new", kTestSecret});
  TokenClaims out;
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, claims(), json{{"kid", "new"}}),
                         kNow, out),
            TokenError::kOk);
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, claims(), json{{"kid", "old"}}),
                         kNow, out),
            TokenError::kBadSignature);
  // Without a kid every key of the algorithm is tried (rotation).
  EXPECT_EQ(verify_token(app, mint_token("HS256", kTestSecret, claims()), kNow, out),
            TokenError::kOk);
}

}  // namespace
}  // namespace laneway::bridge
