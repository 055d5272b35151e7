// The provisioning service's pure parts: request/reply encoding and topic parsing, the
// per-claim rate limiter, the CSR checks, and presence decoding.
#include <gtest/gtest.h>

#include "claim_rate_limiter.h"
#include "csr_check.h"
#include "device_csr.h"
#include "laneway.pb.h"
#include "presence_recorder.h"
#include "provisioning_protocol.h"

namespace laneway::fleet {
namespace {

TEST(ProvisioningProtocol, TopicsRoundTripAndStrangeTopicsAreRejected) {
  EXPECT_EQ(request_topic("line-7", "dev-1"), "provision/line-7/dev-1/csr");
  EXPECT_EQ(reply_topic("line-7", "dev-1"), "provision/line-7/dev-1/reply");
  auto parsed = parse_request_topic("provision/line-7/dev-1/csr");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->batch, "line-7");
  EXPECT_EQ(parsed->client_id, "dev-1");
  for (const char* bad :
       {"provision/line-7/dev-1/reply", "provision//dev-1/csr", "provision/line-7//csr",
        "provision/line-7/csr", "devices/x/y/csr", "provision/a/b/c/csr"})
    EXPECT_FALSE(parse_request_topic(bad)) << bad;
}

TEST(ProvisioningProtocol, RequestAndReplyRoundTripAndBadRequestsSayWhy) {
  std::string error;
  auto request = decode_request(encode_request({"dev-1", "PEM"}), &error);
  ASSERT_TRUE(request) << error;
  EXPECT_EQ(request->device_id, "dev-1");
  EXPECT_EQ(request->csr_pem, "PEM");
  EXPECT_FALSE(decode_request("not json", &error));
  EXPECT_EQ(error, "request is not a JSON object");
  EXPECT_FALSE(decode_request("{\"device_id\":1,\"csr\":\"x\"}", &error));
  EXPECT_FALSE(decode_request(std::string(kMaxRequestBytes + 1, ' '), &error));

  ProvisionReply ok;
  ok.ok = true;
  ok.device_id = "dev-1";
  ok.certificate_pem = "CERT";
  ok.ca_pem = "CA";
  ok.serial = "ab";
  ok.not_after = 42;
  ok.groups = {"north"};
  auto back = decode_reply(encode_reply(ok), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(back->ok);
  EXPECT_EQ(back->certificate_pem, "CERT");
  EXPECT_EQ(back->groups, std::vector<std::string>{"north"});
  ProvisionReply no;
  no.error = "replay";
  no.message = "this key was already provisioned";
  back = decode_reply(encode_reply(no), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_FALSE(back->ok);
  EXPECT_EQ(back->error, "replay");
}

TEST(ClaimRateLimiter, BurstThenRateAndClaimsAreIndependent) {
  ClaimRateLimiter limiter(/*rate=*/1, /*burst=*/2);
  const auto t0 = ClaimRateLimiter::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_FALSE(limiter.allow("a", t0));
  EXPECT_TRUE(limiter.allow("b", t0));  // another claim has its own bucket
  EXPECT_FALSE(limiter.allow("a", t0 + std::chrono::milliseconds(500)));
  EXPECT_TRUE(limiter.allow("a", t0 + std::chrono::milliseconds(1100)));
}

TEST(ClaimRateLimiter, TableIsBounded) {
  ClaimRateLimiter limiter(/*rate=*/0.0, /*burst=*/1, /*max_batches=*/2);
  const auto t0 = ClaimRateLimiter::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_TRUE(limiter.allow("b", t0));
  // Both buckets are empty (not forgettable): a third claim is refused rather than growing.
  EXPECT_FALSE(limiter.allow("c", t0));
}

TEST(CsrCheck, GoodCsrHasAStableKeyFingerprintAndMismatchedCnIsRefused) {
  DeviceKeyAndCsr made;
  std::string error;
  ASSERT_TRUE(make_device_csr("dev-1", &made, &error)) << error;
  CheckedCsr first;
  CheckedCsr second;
  ASSERT_TRUE(check_csr(made.csr_pem, "dev-1", &first, &error)) << error;
  ASSERT_TRUE(check_csr(made.csr_pem, "dev-1", &second, &error)) << error;
  EXPECT_EQ(first.key_sha256.size(), 64u);
  EXPECT_EQ(first.key_sha256, second.key_sha256);
  EXPECT_FALSE(check_csr(made.csr_pem, "dev-2", &first, &error));
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
  EXPECT_FALSE(check_csr("garbage", "dev-1", &first, &error));
  DeviceKeyAndCsr other;
  ASSERT_TRUE(make_device_csr("dev-1", &other, &error)) << error;
  ASSERT_TRUE(check_csr(other.csr_pem, "dev-1", &second, &error)) << error;
  EXPECT_NE(first.key_sha256, second.key_sha256);
}

std::string presence_frame(const std::string& id, const std::string& role, bool online,
                           std::int64_t since_us) {
  laneway::v1::Presence presence;
  presence.set_client_id(id);
  presence.set_role(role);
  presence.set_online(online);
  presence.set_since_us(since_us);
  laneway::v1::Frame frame;
  frame.mutable_envelope()->set_payload(presence.SerializeAsString());
  return frame.SerializeAsString();
}

TEST(PresenceRecorder, KeepsDevicesLatestChangeOnlyAndIsBounded) {
  PresenceRecorder recorder(/*max_pending=*/2);
  EXPECT_FALSE(recorder.add("$lw/presence/d-1", presence_frame("d-1", "device", true, 5000000)));
  EXPECT_FALSE(recorder.add("$lw/presence/d-1", presence_frame("d-1", "device", false, 4000000)));
  EXPECT_FALSE(recorder.add("$lw/presence/operator:admin",
                            presence_frame("operator:admin", "operator", true, 1)));
  EXPECT_FALSE(recorder.add("$lw/presence/d-2", "garbage"));
  EXPECT_FALSE(recorder.add("$lw/presence/d-3", presence_frame("d-4", "device", true, 1)));
  EXPECT_EQ(recorder.pending(), 1u);
  EXPECT_TRUE(recorder.add("$lw/presence/d-5", presence_frame("d-5", "device", true, 1)));
}

}  // namespace
}  // namespace laneway::fleet
