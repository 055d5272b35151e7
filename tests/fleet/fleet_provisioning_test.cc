// Claim provisioning end to end on a real mosquitto with the laneway plugin: `laneway-fleet
// serve` as the operator-role service, devices holding a `laneway-certs claim` certificate
// (`laneway-fleet enroll`, `laneway-fleet simulate --claim`), real TLS everywhere. Checks the
// accepted path (CSR -> certificate -> reconnect as the device -> telemetry on $lw/env) and
// that every refusal (bad CSR, unknown / exhausted claim, replay, taken id, rate limit)
// leaves nothing registered, counted or issued.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "broker_harness.h"
#include "laneway.pb.h"
#include "process.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

// A CSR made here with the OpenSSL API: `key_bits` 0 = EC P-256, else RSA of that size.
std::string make_csr(const std::string& cn, int rsa_bits = 0) {
  EVP_PKEY* key = rsa_bits ? EVP_RSA_gen(static_cast<unsigned>(rsa_bits)) : EVP_EC_gen("P-256");
  X509_REQ* req = X509_REQ_new();
  X509_NAME* name = X509_REQ_get_subject_name(req);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req, key);
  X509_REQ_sign(req, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return pem;
}

class FleetProvisioningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(broker_.setup_error(), "");
    ASSERT_TRUE(broker_.add_service("operator", "admin"));
    ASSERT_TRUE(broker_.certs({"claim", "--batch", "line-7"}));
    ASSERT_TRUE(broker_.start()) << broker_.log();
  }

  std::string registry_path() const { return broker_.dir() + "/fleet.db"; }
  std::string claim_prefix(const std::string& batch) const {
    return broker_.pki() + "/claims/" + batch;
  }

  int fleet(std::vector<std::string> args, std::string* output) {
    args.insert(args.begin(), LANEWAY_FLEET_BIN);
    return run_command(args, output, 60s);
  }

  void add_claim(const std::string& batch, int allowed, const std::vector<std::string>& groups) {
    std::vector<std::string> args = {"claim",      "add",          "--batch",
                                     batch,        "--allowed",    std::to_string(allowed),
                                     "--registry", registry_path()};
    for (const auto& g : groups) args.insert(args.end(), {"--group", g});
    std::string output;
    ASSERT_EQ(fleet(args, &output), 0) << output;
  }

  // Starts `serve`; waits until it says it is serving.
  Process serve(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {LANEWAY_FLEET_BIN,
                                     "serve",
                                     "--pki",
                                     broker_.pki(),
                                     "--port",
                                     std::to_string(broker_.port()),
                                     "--registry",
                                     registry_path(),
                                     "--presence-flush",
                                     "0.2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string error;
    auto process = Process::start({argv, {}, "", ""}, &error);
    EXPECT_TRUE(process) << error;
    EXPECT_TRUE(wait_until(
        [&] { return process->output().find("serving provision/+/+/csr") != std::string::npos; },
        20s))
        << process->output() << broker_.log();
    return std::move(*process);
  }

  // `enroll` one device; returns the exit code, output in `output`.
  int enroll(const std::string& batch, const std::string& id, std::string* output,
             const std::string& csr_file = "") {
    std::vector<std::string> args = {"enroll",
                                     "--claim",
                                     claim_prefix(batch),
                                     "--id",
                                     id,
                                     "--pki",
                                     broker_.pki(),
                                     "--port",
                                     std::to_string(broker_.port()),
                                     "--out",
                                     broker_.dir() + "/" + id,
                                     "--timeout",
                                     "10000"};
    if (!csr_file.empty()) args.insert(args.end(), {"--csr", csr_file});
    return fleet(args, output);
  }

  std::string device_show(const std::string& id, bool registry_only = true) {
    std::string output;
    std::vector<std::string> args = {
        "device",        "show",  "--id",        id,       "--registry",
        registry_path(), "--pki", broker_.pki(), "--port", std::to_string(broker_.port())};
    if (registry_only) args.push_back("--registry-only");
    fleet(args, &output);
    return output;
  }

  // Number of device certificates in the CA's index.
  int issued_device_certificates() {
    std::istringstream index(read_file(broker_.pki() + "/index.tsv"));
    int count = 0;
    for (std::string line; std::getline(index, line);)
      if (line.find("\tdevice\t") != std::string::npos) ++count;
    return count;
  }

  std::unique_ptr<MqttTestClient> watcher(const std::vector<std::string>& filters) {
    auto client = std::make_unique<MqttTestClient>(broker_.service("operator", "admin"));
    EXPECT_EQ(client->connect(broker_.port()), 0);
    for (const auto& filter : filters) EXPECT_TRUE(accepted(client->subscribe(filter)));
    return client;
  }

  static bool is_envelope_from(const ReceivedMessage& m, const std::string& id) {
    if (m.topic != "$lw/env/devices/" + id + "/telemetry") return false;
    laneway::v1::Frame frame;
    return frame.ParseFromString(m.payload) && frame.has_envelope() &&
           frame.envelope().origin() == id;
  }

  BrokerHarness broker_;
};

TEST_F(FleetProvisioningTest, ClaimCsrCertificateReconnectTelemetry) {
  add_claim("line-7", 5, {"north"});
  Process service = serve();
  std::string output;
  ASSERT_EQ(enroll("line-7", "fresh-1", &output), 0) << output << service.output();
  EXPECT_NE(output.find("enrolled fresh-1 serial"), std::string::npos) << output;

  // The registry has it active, with the issued serial, the claim's group and its origin.
  const std::string serial = certificate_serial(broker_.dir() + "/fresh-1.crt");
  ASSERT_FALSE(serial.empty());
  const std::string shown = device_show("fresh-1");
  EXPECT_NE(shown.find("status: active"), std::string::npos) << shown;
  EXPECT_NE(shown.find("cert_serial: " + serial), std::string::npos) << shown;
  EXPECT_NE(shown.find("groups: north"), std::string::npos) << shown;
  EXPECT_NE(shown.find("provisioned_by: claim line-7"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("cert_not_after: -"), std::string::npos) << shown;
  ASSERT_EQ(fleet({"claim", "list", "--registry", registry_path()}, &output), 0);
  EXPECT_NE(output.find("line-7\tactive\t1/5"), std::string::npos) << output;

  // The device reconnects with its own identity and its telemetry is on the wire.
  auto wire = watcher({"$lw/env/devices/+/telemetry"});
  ClientOptions device;
  device.client_id = "fresh-1";
  device.cafile = broker_.pki() + "/ca.crt";
  device.certfile = broker_.dir() + "/fresh-1.crt";
  device.keyfile = broker_.dir() + "/fresh-1.key";
  MqttTestClient client(device);
  ASSERT_EQ(client.connect(broker_.port()), 0) << broker_.log();
  EXPECT_TRUE(accepted(client.publish("devices/fresh-1/telemetry", "{\"t\":21}", 1)));
  EXPECT_TRUE(wire->wait_message(
      [](const ReceivedMessage& m) { return is_envelope_from(m, "fresh-1"); }, 10s))
      << broker_.log();

  // serve recorded the device's presence; the broker's retained presence says online.
  EXPECT_TRUE(wait_until(
      [&] { return device_show("fresh-1").find("first_seen: -") == std::string::npos; }, 10s))
      << device_show("fresh-1") << service.output();
  EXPECT_NE(device_show("fresh-1", false).find("online: yes (broker presence"), std::string::npos)
      << device_show("fresh-1", false);
  client.disconnect();
  EXPECT_TRUE(wait_until(
      [&] { return device_show("fresh-1", false).find("online: no") != std::string::npos; }, 10s))
      << device_show("fresh-1", false);
}

TEST_F(FleetProvisioningTest, ClaimClientCannotPublishTelemetryOrLeaveItsTopics) {
  add_claim("line-7", 5, {});
  ClientOptions claim;
  claim.client_id = "would-be-1";
  claim.cafile = broker_.pki() + "/ca.crt";
  claim.certfile = claim_prefix("line-7") + ".crt";
  claim.keyfile = claim_prefix("line-7") + ".key";
  MqttTestClient client(claim);
  ASSERT_EQ(client.connect(broker_.port()), 0) << broker_.log();
  auto refused = client.publish("devices/would-be-1/telemetry", "{}", 1);
  ASSERT_TRUE(refused);
  EXPECT_GE(*refused, 0x80);
  EXPECT_GE(*client.publish("fleet/north/x", "{}", 1), 0x80);
  EXPECT_GE(*client.subscribe("provision/line-7/other-client/#"), 0x80);
  EXPECT_GE(*client.subscribe("$lw/env/#"), 0x80);
  EXPECT_TRUE(accepted(client.subscribe("provision/line-7/would-be-1/reply")));
  EXPECT_TRUE(accepted(client.publish("provision/line-7/would-be-1/csr", "not json", 1)));
}

TEST_F(FleetProvisioningTest, RefusalsLeaveNothingHalfRegistered) {
  add_claim("line-7", 3, {"north"});
  ASSERT_TRUE(broker_.certs({"claim", "--batch", "line-9"}));  // a certificate, no claim row
  Process service = serve();
  const int issued_before = issued_device_certificates();
  std::string output;

  // Bad CSRs: not a CSR, a weak key, a subject naming another id.
  const std::string garbage = broker_.dir() + "/garbage.csr";
  write_file(garbage,
             "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n");
  EXPECT_EQ(enroll("line-7", "bad-1", &output, garbage), 1);
  EXPECT_NE(output.find("bad-1 refused: bad_csr"), std::string::npos) << output;
  const std::string weak = broker_.dir() + "/weak.csr";
  write_file(weak, make_csr("bad-2", 1024));
  EXPECT_EQ(enroll("line-7", "bad-2", &output, weak), 1);
  EXPECT_NE(output.find("bad-2 refused: bad_csr"), std::string::npos) << output;
  EXPECT_NE(output.find("RSA"), std::string::npos) << output;
  const std::string other = broker_.dir() + "/other.csr";
  write_file(other, make_csr("someone-else"));
  EXPECT_EQ(enroll("line-7", "bad-3", &output, other), 1);
  EXPECT_NE(output.find("does not match the requested device id"), std::string::npos) << output;
  // Not a JSON request at all (a raw publish) gets no certificate either; see the ACL test.

  // Unknown claim (certificate valid, but not registered as a claim).
  EXPECT_EQ(enroll("line-9", "lost-1", &output), 1);
  EXPECT_NE(output.find("lost-1 refused: unknown_claim"), std::string::npos) << output;

  // Replay: the same CSR twice, and a taken id with a new key.
  const std::string good = broker_.dir() + "/good.csr";
  write_file(good, make_csr("ok-1"));
  ASSERT_EQ(enroll("line-7", "ok-1", &output, good), 0) << output << service.output();
  EXPECT_EQ(enroll("line-7", "ok-1", &output, good), 1);
  EXPECT_NE(output.find("ok-1 refused: replay"), std::string::npos) << output;
  EXPECT_EQ(enroll("line-7", "ok-1", &output), 1);
  EXPECT_NE(output.find("ok-1 refused: id_taken"), std::string::npos) << output;

  // Exhausted: 3 allowed, 1 used, two more fit, the fourth does not.
  ASSERT_EQ(enroll("line-7", "ok-2", &output), 0) << output;
  ASSERT_EQ(enroll("line-7", "ok-3", &output), 0) << output;
  EXPECT_EQ(enroll("line-7", "ok-4", &output), 1);
  EXPECT_NE(output.find("ok-4 refused: claim_exhausted"), std::string::npos) << output;

  // Exactly the three accepted devices exist, the claim counts three, the CA issued three.
  ASSERT_EQ(fleet({"device", "list", "--registry", registry_path()}, &output), 0);
  std::set<std::string> ids;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) ids.insert(line.substr(0, line.find('\t')));
  EXPECT_EQ(ids, (std::set<std::string>{"ok-1", "ok-2", "ok-3"})) << output;
  ASSERT_EQ(fleet({"claim", "list", "--registry", registry_path()}, &output), 0);
  EXPECT_NE(output.find("line-7\tactive\t3/3"), std::string::npos) << output;
  EXPECT_EQ(issued_device_certificates(), issued_before + 3);
}

TEST_F(FleetProvisioningTest, RateLimitPerClaimRefusesWithoutSigning) {
  add_claim("line-7", 100, {});
  // Two at once, then about one per 1000 s: the third request in a row is over the limit.
  Process service = serve({"--claim-rate", "0.001", "--claim-burst", "2"});
  std::string output;
  ASSERT_EQ(enroll("line-7", "rl-1", &output), 0) << output;
  ASSERT_EQ(enroll("line-7", "rl-2", &output), 0) << output;
  EXPECT_EQ(enroll("line-7", "rl-3", &output), 1);
  EXPECT_NE(output.find("rl-3 refused: rate_limited"), std::string::npos) << output;
  EXPECT_NE(device_show("rl-3").find("error: no device rl-3"), std::string::npos);
  ASSERT_EQ(fleet({"claim", "list", "--registry", registry_path()}, &output), 0);
  EXPECT_NE(output.find("line-7\tactive\t2/100"), std::string::npos) << output;
}

TEST_F(FleetProvisioningTest, SimulatorProvisionsThroughTheClaimAndPublishes) {
  add_claim("line-7", 10, {"south"});
  Process service = serve();
  auto wire = watcher({"$lw/env/devices/+/telemetry"});
  const std::string store = broker_.dir() + "/store";
  std::vector<std::string> argv = {LANEWAY_FLEET_BIN,
                                   "simulate",
                                   "--devices",
                                   "5",
                                   "--prefix",
                                   "cl-",
                                   "--claim",
                                   claim_prefix("line-7"),
                                   "--store",
                                   store,
                                   "--pki",
                                   broker_.pki(),
                                   "--port",
                                   std::to_string(broker_.port()),
                                   "--group",
                                   "south",
                                   "--rate",
                                   "2",
                                   "--duration",
                                   "60",
                                   "--stats-interval",
                                   "0"};
  std::string error;
  auto sim = Process::start({argv, {}, "", ""}, &error);
  ASSERT_TRUE(sim) << error;
  std::set<std::string> seen;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (seen.size() < 5 && std::chrono::steady_clock::now() < deadline) {
    auto m = wire->wait_message(
        [](const ReceivedMessage& m) { return m.topic.rfind("$lw/env/devices/cl-", 0) == 0; },
        500ms);
    if (!m) continue;
    laneway::v1::Frame frame;
    if (frame.ParseFromString(m->payload) && frame.has_envelope())
      seen.insert(frame.envelope().origin());
  }
  EXPECT_EQ(seen.size(), 5u) << sim->output() << service.output();
  EXPECT_NE(sim->output().find("claim provisioned=5 already=0 failed=0"), std::string::npos)
      << sim->output();
  EXPECT_NE(device_show("cl-000003").find("provisioned_by: claim line-7"), std::string::npos);
  // A broadcast to the claim's group reaches them (the group came from the claim).
  std::string output;
  ASSERT_EQ(fleet({"group", "list", "--registry", registry_path()}, &output), 0);
  EXPECT_NE(output.find("south\t5"), std::string::npos) << output;
  sim->signal(SIGTERM);
  ASSERT_TRUE(sim->wait_exit(10s));

  // A second run finds the stored identities and provisions nothing.
  ASSERT_EQ(fleet({"simulate", "--devices", "5", "--prefix", "cl-", "--claim",
                   claim_prefix("line-7"), "--store", store, "--pki", broker_.pki(), "--port",
                   std::to_string(broker_.port()), "--duration", "2", "--stats-interval", "0"},
                  &output),
            0)
      << output;
  EXPECT_NE(output.find("claim provisioned=0 already=5 failed=0"), std::string::npos) << output;
  EXPECT_NE(output.find("ever_connected=5"), std::string::npos) << output;
}

}  // namespace
}  // namespace laneway::test
