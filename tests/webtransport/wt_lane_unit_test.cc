// The WebTransport lane's certificate hash / rotation bookkeeping and the `webtransport`
// config section, without sockets (the lane itself: tests/bridge/lanes/wt_lane_test.cc).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config.h"
#include "process.h"
#include "temp_dir.h"
#include "wt_certificate.h"

namespace laneway::bridge {
namespace {

class CertificateRotationTest : public ::testing::Test {
 protected:
  // A fresh ECDSA P-256 pair at `prefix`.crt/.key.
  void make_pair(const std::string& prefix) {
    std::string out;
    ASSERT_EQ(
        test::run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:P-256", "-nodes", "-days", "5", "-subj",
                           "/CN=127.0.0.1", "-keyout", prefix + ".key", "-out", prefix + ".crt"},
                          &out),
        0)
        << out;
  }
  std::int64_t now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  test::TempDir dir_{"laneway-wt-cert"};
};

TEST_F(CertificateRotationTest, AdvertisesCurrentThenPreviousAndSkipsPairsThatDoNotLoad) {
  const std::string cert = dir_.file("wt.crt"), key = dir_.file("wt.key");
  make_pair(dir_.file("wt"));
  CertificateRotation r(cert, key, 3);
  std::string error;
  ASSERT_TRUE(r.load(now(), error)) << error;
  const std::string first = r.current().sha256_base64;
  EXPECT_EQ(first.size(), 44u);  // base64 of 32 bytes
  EXPECT_EQ(r.advertised_hashes(now()), std::vector<std::string>{first});
  int installs = 0;
  EXPECT_FALSE(r.poll(now(), [&](std::string&) { return ++installs, true; }));  // unchanged
  EXPECT_EQ(installs, 0);

  // A new pair the server refuses (say, a key that does not match yet): nothing changes.
  make_pair(dir_.file("next"));
  std::filesystem::rename(dir_.file("next.crt"), cert);
  EXPECT_FALSE(r.poll(now(), [](std::string& e) { return e = "key mismatch", false; }));
  EXPECT_EQ(r.current().sha256_base64, first);

  // The key arrives: the pair is retried and takes over; the previous hash stays listed.
  std::filesystem::rename(dir_.file("next.key"), key);
  EXPECT_TRUE(r.poll(now(), [](std::string&) { return true; }));
  const auto hashes = r.advertised_hashes(now());
  ASSERT_EQ(hashes.size(), 2u);
  EXPECT_NE(hashes[0], first);
  EXPECT_EQ(hashes[1], first);
  EXPECT_EQ(r.reloads(), 1u);
  // Once the previous certificate has expired it is no longer advertised.
  EXPECT_EQ(r.advertised_hashes(now() + 30 * 86400).size(), 1u);
}

TEST(CertificateInfo, RefusesWhatIsNotACertificate) {
  test::TempDir dir("laneway-wt-cert-bad");
  std::ofstream(dir.file("junk.pem")) << "not a certificate\n";
  std::string error;
  EXPECT_FALSE(read_certificate_info(dir.file("junk.pem"), error));
  EXPECT_NE(error.find("no PEM certificate"), std::string::npos);
  EXPECT_FALSE(read_certificate_info(dir.file("missing.pem"), error));
}

const char* kBase = R"({"tls": {"cert": "c", "key": "k"},
  "broker": {"ca": "a", "cert": "b", "key": "c"},
  "apps": [{"id": "demo", "keys": [{"alg": "HS256", "secret": "0123456789abcdef0123456789abcdef"}]}],
  "listen": [{"host": "127.0.0.1", "port": 9443}, {"host": "::1", "port": 9443}])";

TEST(WebTransportConfig, DefaultsAndErrors) {
  std::string error;
  auto off = parse_config(std::string(kBase) + "}", "/etc/laneway", error);
  ASSERT_TRUE(off) << error;
  EXPECT_FALSE(off->webtransport.enabled);

  auto on = parse_config(
      std::string(kBase) + R"(, "webtransport": {"cert": "wt/wt.crt", "key": "wt/wt.key"}})",
      "/etc/laneway", error);
  ASSERT_TRUE(on) << error;
  EXPECT_TRUE(on->webtransport.enabled);
  EXPECT_EQ(on->webtransport.port, 8443);
  EXPECT_EQ(on->webtransport.hosts, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(on->webtransport.cert_file, "/etc/laneway/wt/wt.crt");
  EXPECT_TRUE(on->webtransport.datagrams);

  EXPECT_FALSE(parse_config(std::string(kBase) + R"(, "webtransport": {}})", "", error));
  EXPECT_NE(error.find("webtransport: cert and key required"), std::string::npos) << error;
  EXPECT_FALSE(parse_config(
      std::string(kBase) + R"(, "webtransport": {"cert": "a", "key": "b", "datagram": true}})", "",
      error));
  EXPECT_NE(error.find("unknown option 'datagram'"), std::string::npos) << error;
  EXPECT_FALSE(parse_config(
      std::string(kBase) + R"(, "webtransport": {"cert": "a", "key": "b", "port": 70000}})", "",
      error));
  EXPECT_NE(error.find("webtransport.port: out of range"), std::string::npos) << error;
  auto disabled =
      parse_config(std::string(kBase) + R"(, "webtransport": {"enabled": false}})", "", error);
  ASSERT_TRUE(disabled) << error;
  EXPECT_FALSE(disabled->webtransport.enabled);
}

}  // namespace
}  // namespace laneway::bridge
