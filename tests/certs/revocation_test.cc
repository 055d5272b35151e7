// Revocation: index.tsv marks, crl.pem contents, and chain verification with CRL checking.
#include "laneway/certs/revocation.h"

#include <gtest/gtest.h>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/crl.h"
#include "laneway/certs/index.h"
#include "laneway/certs/issuer.h"
#include "pki_check.h"
#include "temp_dir.h"

namespace laneway::certs {
namespace {

using namespace testing;

class RevocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CaStore::create(tmp_.path() / "pki", {});
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    ca_.emplace(std::move(ca).value());
  }
  IssuedCertificate issue(Role role, const std::string& id, bool force = false) {
    IssueRequest request;
    request.role = role;
    request.id = id;
    request.force = force;
    auto issued = issue_with_new_key(*ca_, request);
    EXPECT_TRUE(issued.ok()) << (issued.ok() ? "" : issued.error().message);
    return issued.ok() ? std::move(issued).value() : IssuedCertificate{};
  }
  int verify_now(const IssuedCertificate& issued) {
    X509CrlPtr crl = load_crl(ca_->crl_path());
    EXPECT_TRUE(crl);
    return verify_chain(ca_->cert(), issued.cert.get(), crl.get());
  }

  test::TempDir tmp_;
  std::optional<CaStore> ca_;
};

TEST_F(RevocationTest, RevokedDeviceFailsCrlCheckOthersStillPass) {
  IssuedCertificate a = issue(Role::kDevice, "dev-a");
  IssuedCertificate b = issue(Role::kDevice, "dev-b");
  EXPECT_EQ(verify_now(a), X509_V_OK);

  auto outcome = revoke(*ca_, {std::string("dev-a"), std::nullopt});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->revoked, std::vector<std::string>{a.serial_hex});

  EXPECT_EQ(verify_now(a), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify_now(b), X509_V_OK);
  X509CrlPtr crl = load_crl(ca_->crl_path());
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca_->cert())), 1);
  EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 1);

  auto index = read_index(ca_->index_path());
  ASSERT_TRUE(index.ok());
  EXPECT_EQ((*index)[0].status, 'R');
  EXPECT_GT((*index)[0].revoked_at, 0);
  EXPECT_EQ((*index)[1].status, 'V');
}

TEST_F(RevocationTest, RevokeByIdCoversEveryValidCertificateOfThatIdentity) {
  IssuedCertificate first = issue(Role::kDevice, "dev-x");
  IssuedCertificate second = issue(Role::kDevice, "dev-x", /*force=*/true);
  // Same name, other role: untouched by revoking the device.
  IssuedCertificate service = issue(Role::kBridge, "dev-x");
  auto outcome = revoke(*ca_, {std::string("dev-x"), std::nullopt});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->revoked.size(), 2u);
  EXPECT_EQ(verify_now(first), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify_now(second), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify_now(service), X509_V_OK);

  auto svc = revoke(*ca_, {std::string("bridge:dev-x"), std::nullopt});
  ASSERT_TRUE(svc.ok()) << svc.error().message;
  EXPECT_EQ(verify_now(service), X509_V_ERR_CERT_REVOKED);

  // Again: already revoked is reported, not an error.
  auto again = revoke(*ca_, {std::string("dev-x"), std::nullopt});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->revoked.empty());
  EXPECT_EQ(again->already_revoked.size(), 2u);
}

TEST_F(RevocationTest, RevokeBySerialInAnyCase) {
  IssuedCertificate a = issue(Role::kClaim, "batch-1");
  std::string lower = a.serial_hex;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto outcome = revoke(*ca_, {std::nullopt, "0x" + lower});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(verify_now(a), X509_V_ERR_CERT_REVOKED);
}

TEST_F(RevocationTest, UnknownTargetsChangeNothing) {
  issue(Role::kDevice, "dev-a");
  const std::string index_before = read_text(ca_->index_path());
  const std::string crl_before = read_text(ca_->crl_path());
  EXPECT_FALSE(revoke(*ca_, {std::string("nobody"), std::nullopt}).ok());
  EXPECT_FALSE(revoke(*ca_, {std::nullopt, std::string("ABCDEF")}).ok());
  EXPECT_FALSE(revoke(*ca_, {std::string("wizard:dev-a"), std::nullopt}).ok());
  EXPECT_FALSE(revoke(*ca_, {std::string("a/b"), std::nullopt}).ok());
  EXPECT_FALSE(revoke(*ca_, {std::nullopt, std::nullopt}).ok());
  EXPECT_EQ(read_text(ca_->index_path()), index_before);
  EXPECT_EQ(read_text(ca_->crl_path()), crl_before);
}

TEST_F(RevocationTest, CrlNumberIncreasesWithEachPublication) {
  auto number_of = [&] {
    X509CrlPtr crl = load_crl(ca_->crl_path());
    Asn1IntegerPtr n(static_cast<ASN1_INTEGER*>(
        X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
    return n ? ASN1_INTEGER_get(n.get()) : -1;
  };
  const long first = number_of();
  EXPECT_GE(first, 1);
  ASSERT_TRUE(publish_crl(*ca_, 7).ok());
  EXPECT_EQ(number_of(), first + 1);
  X509CrlPtr crl = load_crl(ca_->crl_path());
  int days = 0;
  int secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_CRL_get0_lastUpdate(crl.get()),
                           X509_CRL_get0_nextUpdate(crl.get())),
            1);
  EXPECT_EQ(days, 7);
}

}  // namespace
}  // namespace laneway::certs
