// sign-csr through the library: the code path the fleet provisioning service uses.
#include "laneway/certs/csr.h"

#include <gtest/gtest.h>

#include "csr_builder.h"
#include "laneway/certs/ca_store.h"
#include "laneway/certs/index.h"
#include "laneway/certs/issuer.h"
#include "pki_check.h"
#include "temp_dir.h"

namespace laneway::certs {
namespace {

using namespace testing;

class CsrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CaStore::create(tmp_.path() / "pki", {});
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    ca_.emplace(std::move(ca).value());
  }
  std::size_t index_size() { return read_index(ca_->index_path())->size(); }

  test::TempDir tmp_;
  std::optional<CaStore> ca_;
};

TEST_F(CsrTest, SignsAnEcCsrAsADeviceCertificateForTheDevicesOwnKey) {
  PKeyPtr device_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  // The CSR asks for another CN and CA:TRUE; neither may reach the certificate.
  const std::string csr = make_csr_pem(device_key.get(), "evil", /*request_ca=*/true);
  CsrSignRequest request;
  request.id = "meter-42";
  request.groups = {"north"};
  auto issued = sign_csr(*ca_, csr, request);
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_TRUE(issued->key_path.empty());
  EXPECT_FALSE(std::filesystem::exists(ca_->dir() / "devices" / "meter-42.key"));

  X509Ptr cert = load_cert(ca_->dir() / "devices" / "meter-42.crt");
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_private_key(cert.get(), device_key.get()), 1);
  EXPECT_EQ(verify_chain(ca_->cert(), cert.get(), nullptr, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  EXPECT_EQ(subject_field(cert.get(), NID_commonName), "meter-42");
  EXPECT_EQ(subject_field(cert.get(), NID_organizationalUnitName), "device");
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  auto index = read_index(ca_->index_path());
  ASSERT_EQ(index->size(), 1u);
  EXPECT_EQ(index->front().groups, std::vector<std::string>{"north"});
}

TEST_F(CsrTest, AcceptsDerAndRsa2048AndEd25519) {
  PKeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
  PKeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  CsrSignRequest request;
  request.write_file = false;  // the fleet service's mode: PEM back, nothing on disk
  request.id = "rsa-dev";
  auto a = sign_csr(*ca_, make_csr_der(rsa.get(), "x"), request);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->cert_path.empty());
  EXPECT_NE(a->cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(X509_get_key_usage(a->cert.get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  request.id = "ed-dev";
  auto b = sign_csr(*ca_, make_csr_pem(ed.get(), "x"), request);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(index_size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(ca_->dir() / "devices"));
}

TEST_F(CsrTest, RefusesWeakKeysUnknownCurvesBadSignaturesAndGarbage) {
  PKeyPtr rsa1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)));
  PKeyPtr k1(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
  PKeyPtr good(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  CsrSignRequest request;
  request.id = "dev";

  auto weak = sign_csr(*ca_, make_csr_pem(rsa1024.get(), "x"), request);
  ASSERT_FALSE(weak.ok());
  EXPECT_NE(weak.error().message.find("weak key"), std::string::npos) << weak.error().message;

  auto curve = sign_csr(*ca_, make_csr_pem(k1.get(), "x"), request);
  ASSERT_FALSE(curve.ok());
  EXPECT_NE(curve.error().message.find("secp256k1"), std::string::npos) << curve.error().message;

  // Flip one byte of the signature (the last bytes of the DER) and re-encode.
  std::string der = make_csr_der(good.get(), "x");
  der[der.size() - 3] ^= 0x01;
  auto tampered = sign_csr(*ca_, der, request);
  ASSERT_FALSE(tampered.ok());
  EXPECT_NE(tampered.error().message.find("signature"), std::string::npos)
      << tampered.error().message;

  auto garbage = sign_csr(
      *ca_, "-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n",
      request);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("malformed"), std::string::npos);
  EXPECT_FALSE(sign_csr(*ca_, "", request).ok());

  request.id = "bad/id";
  EXPECT_FALSE(sign_csr(*ca_, make_csr_pem(good.get(), "x"), request).ok());

  EXPECT_EQ(index_size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(ca_->dir() / "devices"));
}

}  // namespace
}  // namespace laneway::certs
