// Certificates with locally generated keys: server, service, device, claim, wt-cert.
#include <gtest/gtest.h>

#include <set>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/index.h"
#include "laneway/certs/issuer.h"
#include "laneway/certs/serial.h"
#include "laneway/certs/wt_cert.h"
#include "laneway/certs/x509_io.h"
#include "pki_check.h"
#include "temp_dir.h"

namespace laneway::certs {
namespace {

using namespace testing;

class IssueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CaStore::create(tmp_.path() / "pki", {});
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    ca_.emplace(std::move(ca).value());
  }

  IssuedCertificate issue(Role role, const std::string& id, std::vector<std::string> dns = {},
                          std::vector<std::string> ips = {}) {
    IssueRequest request;
    request.role = role;
    request.id = id;
    request.dns_names = std::move(dns);
    request.ip_addresses = std::move(ips);
    auto issued = issue_with_new_key(*ca_, request);
    EXPECT_TRUE(issued.ok()) << (issued.ok() ? "" : issued.error().message);
    return issued.ok() ? std::move(issued).value() : IssuedCertificate{};
  }

  test::TempDir tmp_;
  std::optional<CaStore> ca_;
};

TEST_F(IssueTest, ServerCertificateHasServerAuthAndSans) {
  IssuedCertificate issued =
      issue(Role::kServer, "broker", {"localhost", "broker.example"}, {"127.0.0.1", "::1"});
  ASSERT_EQ(issued.cert_path, ca_->dir() / "servers" / "broker.crt");
  X509Ptr cert = load_cert(issued.cert_path);
  ASSERT_TRUE(cert);
  EXPECT_EQ(verify_chain(ca_->cert(), cert.get(), nullptr, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_NE(verify_chain(ca_->cert(), cert.get(), nullptr, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(san_dns(cert.get()), (std::vector<std::string>{"localhost", "broker.example"}));
  EXPECT_EQ(san_ips(cert.get()), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(X509_check_host(cert.get(), "broker.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(subject_field(cert.get(), NID_organizationalUnitName), "server");
  EXPECT_EQ(file_mode(issued.key_path), 0600u);
  // SKI present, AKI names the CA's SKI.
  ASSERT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  ASSERT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert.get()),
                                  X509_get0_subject_key_id(ca_->cert())),
            0);
  PKeyPtr key = load_key(issued.key_path);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
}

TEST_F(IssueTest, DeviceServiceAndClaimAreClientAuthWithTheirRoleInOu) {
  struct Case {
    Role role;
    std::string id;
    std::filesystem::path path;
  };
  const std::vector<Case> cases = {
      {Role::kDevice, "sensor-0001", ca_->dir() / "devices" / "sensor-0001.crt"},
      {Role::kBridge, "bridge-1", ca_->dir() / "services" / "bridge-bridge-1.crt"},
      {Role::kOperator, "alice", ca_->dir() / "services" / "operator-alice.crt"},
      {Role::kClaim, "batch-7", ca_->dir() / "claims" / "batch-7.crt"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.id);
    IssuedCertificate issued = issue(c.role, c.id);
    EXPECT_EQ(issued.cert_path, c.path);
    X509Ptr cert = load_cert(c.path);
    ASSERT_TRUE(cert);
    EXPECT_EQ(verify_chain(ca_->cert(), cert.get(), nullptr, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    EXPECT_NE(verify_chain(ca_->cert(), cert.get(), nullptr, X509_PURPOSE_SSL_SERVER), X509_V_OK);
    EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
    EXPECT_EQ(subject_field(cert.get(), NID_organizationName), "laneway");
    EXPECT_EQ(subject_field(cert.get(), NID_organizationalUnitName), role_name(c.role));
    EXPECT_EQ(subject_field(cert.get(), NID_commonName), c.id);
    EXPECT_EQ(file_mode(issued.key_path), 0600u);
    EXPECT_EQ(validity_seconds(cert.get()), static_cast<long>(default_days(c.role)) * 86400);
  }
  auto index = read_index(ca_->index_path());
  ASSERT_TRUE(index.ok());
  ASSERT_EQ(index->size(), cases.size());
  EXPECT_EQ((*index)[1].role, "bridge");
  EXPECT_EQ((*index)[2].role, "operator");
}

TEST_F(IssueTest, DeviceGroupsAndSerialGoToTheIndex) {
  IssueRequest request;
  request.role = Role::kDevice;
  request.id = "dev-9";
  request.groups = {"north", "pumps"};
  request.days = 30;
  auto issued = issue_with_new_key(*ca_, request);
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  auto index = read_index(ca_->index_path());
  ASSERT_TRUE(index.ok());
  ASSERT_EQ(index->size(), 1u);
  const IndexEntry& e = index->front();
  EXPECT_EQ(e.serial_hex, serial_to_hex(X509_get0_serialNumber(issued->cert.get())));
  EXPECT_EQ(e.id, "dev-9");
  EXPECT_EQ(e.status, 'V');
  EXPECT_EQ(e.groups, (std::vector<std::string>{"north", "pumps"}));
  EXPECT_EQ(e.not_after, asn1_time_to_unix(X509_get0_notAfter(issued->cert.get())));
  EXPECT_EQ(validity_seconds(issued->cert.get()), 30L * 86400);
}

TEST_F(IssueTest, ReissueNeedsForceAndWritesNothingWithoutIt) {
  issue(Role::kDevice, "dev-1");
  const std::string before = read_text(ca_->dir() / "devices" / "dev-1.crt");
  IssueRequest request;
  request.role = Role::kDevice;
  request.id = "dev-1";
  auto again = issue_with_new_key(*ca_, request);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("--force"), std::string::npos);
  EXPECT_EQ(read_text(ca_->dir() / "devices" / "dev-1.crt"), before);
  EXPECT_EQ(read_index(ca_->index_path())->size(), 1u);
  request.force = true;
  ASSERT_TRUE(issue_with_new_key(*ca_, request).ok());
  EXPECT_NE(read_text(ca_->dir() / "devices" / "dev-1.crt"), before);
}

TEST_F(IssueTest, BadIdsAreRefusedBeforeAnythingIsWritten) {
  for (const std::string& id : std::vector<std::string>{
           "", "a/b", "a+b", "a#b", std::string("a\0b", 3), std::string(65, 'x'), "..", "a b"}) {
    IssueRequest request;
    request.role = Role::kDevice;
    request.id = id;
    auto issued = issue_with_new_key(*ca_, request);
    EXPECT_FALSE(issued.ok()) << "accepted id '" << id << "'";
  }
  EXPECT_FALSE(std::filesystem::exists(ca_->dir() / "devices"));
  EXPECT_EQ(read_index(ca_->index_path())->size(), 0u);
  IssueRequest ok;
  ok.role = Role::kDevice;
  ok.id = std::string(64, 'x');
  EXPECT_TRUE(issue_with_new_key(*ca_, ok).ok());
}

TEST_F(IssueTest, WtCertIsShortLivedP256WithMatchingHash) {
  auto wt = issue_wt_cert(*ca_, {});
  ASSERT_TRUE(wt.ok()) << wt.error().message;
  X509Ptr cert = load_cert(ca_->dir() / "wt" / "wt.crt");
  ASSERT_TRUE(cert);
  EXPECT_LE(validity_seconds(cert.get()), 14L * 86400);
  EXPECT_EQ(describe_key(X509_get0_pubkey(cert.get())), "EC P-256");
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  // The printed hash is base64(SHA-256(DER)), computed here independently.
  unsigned char md[32];
  unsigned int len = 0;
  ASSERT_EQ(X509_digest(cert.get(), EVP_sha256(), md, &len), 1);
  unsigned char b64[64] = {};
  EVP_EncodeBlock(b64, md, 32);
  EXPECT_EQ(wt->sha256_base64, reinterpret_cast<char*>(b64));

  WtCertRequest max;
  max.days = 14;
  auto at_limit = issue_wt_cert(*ca_, max);
  ASSERT_TRUE(at_limit.ok());
  EXPECT_LE(validity_seconds(at_limit->issued.cert.get()), 14L * 86400);
  EXPECT_NE(at_limit->sha256_base64, wt->sha256_base64);  // rotation replaces it
  WtCertRequest too_long;
  too_long.days = 15;
  EXPECT_FALSE(issue_wt_cert(*ca_, too_long).ok());
}

TEST_F(IssueTest, ValidityIsClampedToTheCa) {
  test::TempDir tmp;
  InitOptions short_ca;
  short_ca.days = 10;
  auto ca = CaStore::create(tmp.path() / "short", short_ca);
  ASSERT_TRUE(ca.ok());
  IssueRequest request;
  request.role = Role::kDevice;
  request.id = "d";
  auto issued = issue_with_new_key(*ca, request);
  ASSERT_TRUE(issued.ok());
  EXPECT_LE(
      ASN1_TIME_compare(X509_get0_notAfter(issued->cert.get()), X509_get0_notAfter(ca->cert())), 0);
}

TEST(Serial, RandomPositive128BitAndUnique) {
  constexpr int kCount = 2000;
  std::set<std::string> seen;
  int bit_ones[128] = {};
  for (int i = 0; i < kCount; ++i) {
    auto serial = random_serial();
    ASSERT_TRUE(serial.ok());
    BignumPtr bn(ASN1_INTEGER_to_BN(serial->get(), nullptr));
    ASSERT_FALSE(BN_is_negative(bn.get()));
    ASSERT_FALSE(BN_is_zero(bn.get()));
    ASSERT_LE(BN_num_bits(bn.get()), 127);
    for (int b = 0; b < 128; ++b) bit_ones[b] += BN_is_bit_set(bn.get(), b);
    EXPECT_TRUE(seen.insert(serial_to_hex(serial->get())).second);
  }
  // Every one of the 127 random bits takes both values (a stuck bit would be 0 or kCount);
  // the chance of a fair bit staying constant over 2000 draws is 2^-1999.
  for (int b = 0; b < 127; ++b) {
    EXPECT_GT(bit_ones[b], kCount / 4) << "bit " << b;
    EXPECT_LT(bit_ones[b], kCount * 3 / 4) << "bit " << b;
  }
  EXPECT_EQ(bit_ones[127], 0);
}

TEST(Serial, CanonicalHexParsing) {
  EXPECT_EQ(canonical_serial_hex("0x0a1b").value(), "0A1B");
  EXPECT_EQ(canonical_serial_hex("00ff").value(), "FF");
  EXPECT_FALSE(canonical_serial_hex("xyz").ok());
  EXPECT_FALSE(canonical_serial_hex("").ok());
}

}  // namespace
}  // namespace laneway::certs
