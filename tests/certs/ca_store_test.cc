// The CA directory: what init writes, the overwrite guard, encrypted CA keys.
#include "laneway/certs/ca_store.h"

#include <gtest/gtest.h>

#include "laneway/certs/index.h"
#include "pki_check.h"
#include "temp_dir.h"

namespace laneway::certs {
namespace {

using testing::file_mode;
using testing::load_cert;
using testing::load_crl;
using testing::read_text;

TEST(CaStore, InitWritesCaKeyIndexAndEmptyValidCrl) {
  test::TempDir tmp;
  const auto dir = tmp.path() / "pki";
  auto ca = CaStore::create(dir, {});
  ASSERT_TRUE(ca.ok()) << ca.error().message;

  EXPECT_EQ(file_mode(dir / "ca.key"), 0600u);
  EXPECT_TRUE(std::filesystem::exists(dir / "index.tsv"));
  X509Ptr cert = load_cert(dir / "ca.crt");
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);  // self-signed
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(cert.get())), EVP_PKEY_EC);
  const uint32_t ku = X509_get_key_usage(cert.get());
  EXPECT_TRUE(ku & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(ku & KU_CRL_SIGN);

  X509CrlPtr crl = load_crl(dir / "crl.pem");
  ASSERT_TRUE(crl);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(cert.get())), 1);
  EXPECT_LE(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 0);  // -1: no list at all
  EXPECT_GT(X509_cmp_current_time(X509_CRL_get0_nextUpdate(crl.get())), 0);
}

TEST(CaStore, InitRefusesExistingCaWithoutForceAndLeavesItAlone) {
  test::TempDir tmp;
  const auto dir = tmp.path() / "pki";
  ASSERT_TRUE(CaStore::create(dir, {}).ok());
  const std::string before = read_text(dir / "ca.key");

  auto again = CaStore::create(dir, {});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("--force"), std::string::npos);
  EXPECT_EQ(read_text(dir / "ca.key"), before);

  InitOptions force;
  force.force = true;
  ASSERT_TRUE(CaStore::create(dir, force).ok());
  EXPECT_NE(read_text(dir / "ca.key"), before);
}

TEST(CaStore, RsaCaIs3072Bits) {
  test::TempDir tmp;
  InitOptions options;
  options.algorithm = KeyAlgorithm::kRsa3072;
  auto ca = CaStore::create(tmp.path() / "pki", options);
  ASSERT_TRUE(ca.ok()) << ca.error().message;
  EXPECT_EQ(EVP_PKEY_get_base_id(ca->key()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(ca->key()), 3072);
}

TEST(CaStore, EncryptedCaKeyOpensOnlyWithTheRightPassphrase) {
  test::TempDir tmp;
  const auto dir = tmp.path() / "pki";
  InitOptions options;
  options.passphrase = "correct horse";
  ASSERT_TRUE(CaStore::create(dir, options).ok());
  EXPECT_NE(read_text(dir / "ca.key").find("ENCRYPTED"), std::string::npos);

  EXPECT_TRUE(CaStore::open(dir, std::string("correct horse")).ok());
  auto wrong = CaStore::open(dir, std::string("battery staple"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos);
  auto missing = CaStore::open(dir, std::nullopt);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("--ca-pass-file"), std::string::npos);
}

TEST(CaStore, OpenWithoutCaSaysToRunInit) {
  test::TempDir tmp;
  auto ca = CaStore::open(tmp.path() / "nothing-here");
  ASSERT_FALSE(ca.ok());
  EXPECT_NE(ca.error().message.find("init"), std::string::npos);
}

TEST(Index, LinesRoundTrip) {
  IndexEntry e;
  e.serial_hex = "0A1B";
  e.role = "device";
  e.id = "dev-1";
  e.not_after = 1900000000;
  e.status = 'R';
  e.revoked_at = 1800000000;
  e.groups = {"g1", "g2"};
  const std::string line = format_index_line(e);
  EXPECT_EQ(line, "0A1B\tdevice\tdev-1\t1900000000\tR\t1800000000\tg1,g2");
  auto parsed = parse_index_line(line);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->groups, e.groups);
  EXPECT_EQ(parsed->revoked_at, e.revoked_at);
  EXPECT_FALSE(parse_index_line("0A1B\tdevice\tdev-1").ok());
  EXPECT_FALSE(parse_index_line("0A1B\tdevice\tdev-1\tsoon\tV\t-\t-").ok());
}

}  // namespace
}  // namespace laneway::certs
