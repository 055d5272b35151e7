// Provisioning claims and the claim flow's registration: every refusal (unknown, disabled,
// expired, exhausted claim; id taken; replayed key; signer refusal; a failure after
// signing) leaves the registry exactly as it was, and an accepted one writes the device,
// its groups, the key and the claim count together.
#include <gtest/gtest.h>

#include <string>

#include "laneway/registry/registry.h"
#include "temp_dir.h"

namespace laneway::registry {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

class RegistryClaims : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    registry_ = Registry::open_read_write(dir_.file("fleet.db"), &error);
    ASSERT_TRUE(registry_) << error;
    Claim claim;
    claim.batch = "line-7";
    claim.allowed = 2;
    claim.expires_at_s = kNow + 3600;
    claim.groups = {"north", "beta"};
    ASSERT_TRUE(registry_->upsert_claim(claim, &error)) << error;
  }

  // Registers `id` with key `key` through claim `batch`; the signer hands out serial
  // 0A<n> and counts its calls.
  ClaimOutcome request(const std::string& batch, const std::string& id, const std::string& key,
                       bool sign_ok = true) {
    ClaimRequest req{batch, id, key, kNow};
    return registry_->register_claimed_device(
        req,
        [&](const std::vector<std::string>& groups, ClaimIssued* out, std::string* error) {
          ++signed_;
          last_groups_ = groups;
          if (!sign_ok) {
            *error = "weak key";
            return false;
          }
          out->cert_serial = "0A" + std::to_string(signed_);
          out->not_after_s = kNow + 86400;
          return true;
        },
        [&](const ClaimIssued& issued) { undone_.push_back(issued.cert_serial); });
  }

  std::int64_t used(const std::string& batch) {
    auto lookup = registry_->find_claim(batch);
    EXPECT_EQ(lookup.status, ClaimLookupStatus::kFound) << lookup.error;
    return lookup.claim.used;
  }

  test::TempDir dir_;
  std::unique_ptr<Registry> registry_;
  int signed_ = 0;
  std::vector<std::string> last_groups_;
  std::vector<std::string> undone_;
};

TEST_F(RegistryClaims, AcceptedRequestRegistersDeviceGroupsKeyAndCount) {
  auto outcome = request("line-7", "dev-1", "key-1");
  ASSERT_EQ(outcome.refusal, ClaimRefusal::kNone) << outcome.message;
  EXPECT_EQ(outcome.issued.cert_serial, "a1");
  EXPECT_EQ(last_groups_, (std::vector<std::string>{"beta", "north"}));
  auto lookup = registry_->find_device("dev-1");
  ASSERT_EQ(lookup.status, LookupStatus::kFound);
  EXPECT_EQ(lookup.device.status, DeviceStatus::kActive);
  EXPECT_EQ(lookup.device.cert_serial, "a1");
  EXPECT_EQ(lookup.device.cert_not_after_s, kNow + 86400);
  EXPECT_EQ(lookup.device.provisioned_by, "line-7");
  EXPECT_EQ(lookup.device.groups, (std::vector<std::string>{"beta", "north"}));
  EXPECT_EQ(used("line-7"), 1);
  EXPECT_TRUE(undone_.empty());
}

TEST_F(RegistryClaims, RefusalsLeaveNothingBehind) {
  ASSERT_EQ(request("line-7", "dev-1", "key-1").refusal, ClaimRefusal::kNone);
  const int signed_before = signed_;

  EXPECT_EQ(request("no-such", "dev-2", "key-2").refusal, ClaimRefusal::kUnknownClaim);
  EXPECT_EQ(request("line-7", "dev-1", "key-1").refusal, ClaimRefusal::kReplay);  // same CSR
  EXPECT_EQ(request("line-7", "dev-3", "key-1").refusal, ClaimRefusal::kReplay);  // same key
  EXPECT_EQ(request("line-7", "dev-1", "key-4").refusal, ClaimRefusal::kIdTaken);
  EXPECT_EQ(request("line-7", "bad/id", "key-5").refusal, ClaimRefusal::kSignFailed);
  EXPECT_EQ(signed_, signed_before);  // nothing was signed for any of them

  auto refused = request("line-7", "dev-6", "key-6", /*sign_ok=*/false);
  EXPECT_EQ(refused.refusal, ClaimRefusal::kSignFailed);
  EXPECT_EQ(refused.message, "weak key");
  for (const char* id : {"dev-2", "dev-3", "dev-6"})
    EXPECT_EQ(registry_->find_device(id).status, LookupStatus::kNotFound) << id;
  EXPECT_EQ(used("line-7"), 1);

  // Exhausted after the second device; disabled and expired claims refuse too.
  ASSERT_EQ(request("line-7", "dev-7", "key-7").refusal, ClaimRefusal::kNone);
  auto exhausted = request("line-7", "dev-8", "key-8");
  EXPECT_EQ(exhausted.refusal, ClaimRefusal::kClaimExhausted);
  EXPECT_NE(exhausted.message.find("all 2 devices"), std::string::npos) << exhausted.message;
  std::string error;
  Claim expired;
  expired.batch = "old-line";
  expired.allowed = 10;
  expired.expires_at_s = kNow;
  ASSERT_TRUE(registry_->upsert_claim(expired, &error)) << error;
  EXPECT_EQ(request("old-line", "dev-9", "key-9").refusal, ClaimRefusal::kClaimExpired);
  expired.expires_at_s = kNow + 10;
  ASSERT_TRUE(registry_->upsert_claim(expired, &error)) << error;
  ASSERT_TRUE(registry_->set_claim_status("old-line", ClaimStatus::kDisabled, &error)) << error;
  EXPECT_EQ(request("old-line", "dev-9", "key-9").refusal, ClaimRefusal::kClaimDisabled);
  EXPECT_EQ(registry_->find_device("dev-9").status, LookupStatus::kNotFound);
  EXPECT_TRUE(undone_.empty());
}

TEST_F(RegistryClaims, FailureAfterSigningRollsBackAndUndoesTheCertificate) {
  // A serial the registry cannot store fails after the signer succeeded.
  ClaimRequest req{"line-7", "dev-1", "key-1", kNow};
  auto outcome = registry_->register_claimed_device(
      req,
      [](const std::vector<std::string>&, ClaimIssued* out, std::string*) {
        out->cert_serial = "not hex";
        return true;
      },
      [&](const ClaimIssued& issued) { undone_.push_back(issued.cert_serial); });
  EXPECT_EQ(outcome.refusal, ClaimRefusal::kError);
  EXPECT_EQ(undone_, std::vector<std::string>{"not hex"});
  EXPECT_EQ(registry_->find_device("dev-1").status, LookupStatus::kNotFound);
  EXPECT_EQ(used("line-7"), 0);
  // The key was not recorded: the same request can succeed afterwards.
  EXPECT_EQ(request("line-7", "dev-1", "key-1").refusal, ClaimRefusal::kNone);
}

TEST_F(RegistryClaims, UpsertKeepsTheUsedCountAndListsClaims) {
  ASSERT_EQ(request("line-7", "dev-1", "key-1").refusal, ClaimRefusal::kNone);
  Claim more;
  more.batch = "line-7";
  more.allowed = 100;
  more.expires_at_s = kNow + 7200;
  std::string error;
  ASSERT_TRUE(registry_->upsert_claim(more, &error)) << error;
  EXPECT_EQ(used("line-7"), 1);
  auto claims = registry_->list_claims(&error);
  ASSERT_TRUE(claims) << error;
  ASSERT_EQ(claims->size(), 1u);
  EXPECT_EQ((*claims)[0].allowed, 100);
  more.batch = "bad/batch";
  EXPECT_FALSE(registry_->upsert_claim(more, &error));
  EXPECT_FALSE(registry_->set_claim_status("ghost", ClaimStatus::kDisabled, &error));
}

TEST_F(RegistryClaims, PresenceSetsFirstAndLastSeen) {
  ASSERT_EQ(request("line-7", "dev-1", "key-1").refusal, ClaimRefusal::kNone);
  std::string error;
  ASSERT_TRUE(registry_->record_presence(
      {{"dev-1", true, 1000}, {"ghost", true, 1000}, {"dev-1", false, 1500}}, &error))
      << error;
  auto device = registry_->find_device("dev-1").device;
  EXPECT_EQ(device.first_seen_s, 1000);
  EXPECT_EQ(device.last_seen_s, 1500);
  EXPECT_EQ(device.presence, "offline");
  // An older, late update does not move last_seen back or change the presence.
  ASSERT_TRUE(registry_->record_presence({{"dev-1", true, 1200}}, &error)) << error;
  device = registry_->find_device("dev-1").device;
  EXPECT_EQ(device.first_seen_s, 1000);
  EXPECT_EQ(device.last_seen_s, 1500);
  EXPECT_EQ(device.presence, "offline");
  EXPECT_EQ(registry_->find_device("ghost").status, LookupStatus::kNotFound);
}

}  // namespace
}  // namespace laneway::registry
