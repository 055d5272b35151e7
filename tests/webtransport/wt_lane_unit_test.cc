// The WebTransport lane's own logic without sockets: which frames may go as datagrams, the
// certificate hash / rotation bookkeeping, and the `webtransport` config section.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config.h"
#include "datagram_route.h"
#include "process.h"
#include "temp_dir.h"
#include "wt_certificate.h"

namespace laneway::bridge {
namespace {

v1::CallFrame connect_call(std::vector<std::pair<std::string, bool>> subs) {
  v1::CallFrame call;
  for (const auto& [filter, datagrams] : subs) {
    auto* s = call.mutable_connect()->add_subscriptions();
    s->set_filter(filter);
    s->set_datagrams(datagrams);
  }
  return call;
}

TEST(DatagramSubscriptions, FollowTheClientsCalls) {
  DatagramSubscriptions d;
  d.on_client_call(connect_call({{"devices/+/status", true}, {"devices/#", false}}));
  const std::vector<std::string> active = {"devices/+/status", "devices/#"};
  EXPECT_TRUE(d.wants("devices/d1/status", active));
  EXPECT_FALSE(d.wants("devices/d1/telemetry", active));
  // Only while the hub still has the subscription.
  EXPECT_FALSE(d.wants("devices/d1/status", {"devices/#"}));

  v1::CallFrame sub;
  sub.mutable_subscribe()->mutable_subscription()->set_filter("devices/+/status");
  sub.mutable_subscribe()->mutable_subscription()->set_datagrams(false);
  d.on_client_call(sub);
  EXPECT_FALSE(d.wants("devices/d1/status", active));
  EXPECT_TRUE(d.empty());

  sub.mutable_subscribe()->mutable_subscription()->set_datagrams(true);
  d.on_client_call(sub);
  EXPECT_TRUE(d.wants("devices/d1/status", active));
  v1::CallFrame unsub;
  unsub.mutable_unsubscribe()->set_filter("devices/+/status");
  d.on_client_call(unsub);
  EXPECT_TRUE(d.empty());
}

SharedFrame envelope_frame(const std::string& topic, unsigned qos) {
  v1::Frame f;
  f.mutable_envelope()->set_topic(topic);
  f.mutable_envelope()->set_qos(qos);
  f.mutable_envelope()->set_payload("x");
  return make_shared_frame(f.SerializeAsString());
}

TEST(FrameClassifier, OnlyQosZeroEnvelopesAndABoundedCache) {
  FrameClassifier c(4);
  EXPECT_TRUE(c.classify(envelope_frame("a/b", 0)).qos0_envelope);
  EXPECT_EQ(c.classify(envelope_frame("a/b", 0)).topic, "a/b");
  EXPECT_FALSE(c.classify(envelope_frame("a/b", 1)).qos0_envelope);
  v1::Frame call;
  call.mutable_call()->set_id(1);
  EXPECT_FALSE(c.classify(make_shared_frame(call.SerializeAsString())).qos0_envelope);
  EXPECT_FALSE(c.classify(make_shared_frame("\xff\xff garbage")).qos0_envelope);
  // Many distinct frames: the cache never holds more than its bound, and a held frame
  // answers the same as before.
  const SharedFrame kept = envelope_frame("k", 0);
  for (int i = 0; i < 100; ++i) c.classify(envelope_frame("t/" + std::to_string(i), 0));
  EXPECT_TRUE(c.classify(kept).qos0_envelope);
}

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
