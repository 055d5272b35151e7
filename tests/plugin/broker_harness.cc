#include "broker_harness.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "laneway/registry/serial.h"
#include "net.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Freer<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;

X509Ptr read_cert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return nullptr;
  X509Ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

KeyPtr read_key(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return nullptr;
  KeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return key;
}

bool write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = cert ? PEM_write_X509(f, cert) == 1
                       : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  return ok;
}

}  // namespace

std::string current_user() {
  const passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : "root";
}

std::string certificate_serial(const std::string& path) {
  X509Ptr cert = read_cert(path);
  if (!cert) return {};
  std::unique_ptr<BIGNUM, Freer<BIGNUM, BN_free>> bn(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out = registry::normalize_serial(hex ? hex : "").value_or("");
  OPENSSL_free(hex);
  return out;
}

BrokerHarness::BrokerHarness() : BrokerHarness(Options{}) {}

BrokerHarness::BrokerHarness(Options options)
    : options_(std::move(options)), dir_("laneway-plugin-test") {
  std::string output;
  if (!certs({"init"}, &output) ||
      !certs({"server", "--name", "broker", "--dns", "localhost", "--ip", "127.0.0.1"}, &output)) {
    setup_error_ = "laneway-certs failed: " + output;
    return;
  }
  registry_ = registry::Registry::open_read_write(dir_.file("fleet.db"), &setup_error_);
  if (!registry_) return;
  port_ = free_tcp_port();
  if (!write_config()) return;
}

BrokerHarness::~BrokerHarness() {
  if (broker_) broker_->stop();
}

bool run_certs(const std::string& pki, const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv = {LANEWAY_CERTS_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--dir");
  argv.push_back(pki);
  std::string out;
  const int rc = run_command(argv, &out, 60s);
  if (output) *output = out;
  return rc == 0;
}

bool register_device(registry::Registry& registry, const std::string& pki, const std::string& id,
                     const std::vector<std::string>& groups) {
  registry::Device device;
  device.id = id;
  device.groups = groups;
  device.cert_serial = certificate_serial(pki + "/devices/" + id + ".crt");
  std::string error;
  return !device.cert_serial.empty() && registry.upsert_device(device, &error);
}

bool BrokerHarness::certs(const std::vector<std::string>& args, std::string* output) {
  return run_certs(pki(), args, output);
}

bool BrokerHarness::add_device(const std::string& id, const std::vector<std::string>& groups,
                               bool register_device) {
  std::vector<std::string> args = {"device", "--id", id};
  for (const auto& group : groups) {
    args.push_back("--group");
    args.push_back(group);
  }
  if (!certs(args)) return false;
  return !register_device || laneway::test::register_device(*registry_, pki(), id, groups);
}

bool BrokerHarness::add_service(const std::string& role, const std::string& id) {
  return certs({"service", "--role", role, "--id", id});
}

bool BrokerHarness::add_expired_device(const std::string& id) {
  X509Ptr ca = read_cert(pki() + "/ca.crt");
  KeyPtr ca_key = read_key(pki() + "/ca.key");
  if (!ca || !ca_key) return false;
  KeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) return false;
  X509_set_version(cert.get(), 2);
  unsigned char serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof serial_bytes);
  serial_bytes[0] &= 0x7f;
  std::unique_ptr<BIGNUM, Freer<BIGNUM, BN_free>> bn(
      BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -10 * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), -86400L);
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, const std::string& value) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  };
  add("O", "laneway");
  add("OU", "device");
  add("CN", id);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* eku = X509V3_EXT_conf_nid(nullptr, &ctx, NID_ext_key_usage, "clientAuth");
  if (eku) {
    X509_add_ext(cert.get(), eku, -1);
    X509_EXTENSION_free(eku);
  }
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0) return false;
  const std::string prefix = pki() + "/devices/" + id;
  if (!write_pem(prefix + ".crt", cert.get(), nullptr) ||
      !write_pem(prefix + ".key", nullptr, key.get()))
    return false;
  registry::Device device;
  device.id = id;
  device.cert_serial = certificate_serial(prefix + ".crt");
  std::string error;
  return registry_->upsert_device(device, &error);
}

bool BrokerHarness::write_config() {
  const std::string conf = dir_.file("mosquitto.conf");
  std::string output;
  const int rc = run_command(
      {LANEWAY_BROKER_CONFIG_BIN, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--pki",
       pki(), "--registry", dir_.file("fleet.db"), "--data-dir", dir_.file("data"), "--map",
       options_.map, "--user", current_user(), "--log-dest", "stderr", "--out", conf},
      &output, 30s);
  if (rc != 0) {
    setup_error_ = "laneway-broker-config failed: " + output;
    return false;
  }
  if (options_.debug_log) std::ofstream(conf, std::ios::app) << "log_type debug\n";
  if (options_.plugin) return true;
  // Baseline: the same file without the plugin. With no auth plugin, the client
  // certificate is the only credential, so anonymous (username-less) clients are allowed.
  std::ifstream in(conf);
  std::ostringstream bare;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("plugin", 0) == 0) continue;
    if (line == "allow_anonymous false") line = "allow_anonymous true";
    bare << line << '\n';
  }
  in.close();
  std::ofstream(conf, std::ios::trunc) << bare.str();
  return true;
}

bool BrokerHarness::start() {
  if (!setup_error_.empty()) return false;
  if (broker_ && broker_->running()) return true;
  std::string error;
  broker_ = Process::start({{"mosquitto", "-c", dir_.file("mosquitto.conf")}, {}, "", ""}, &error);
  if (!broker_) {
    setup_error_ = "cannot start mosquitto: " + error;
    return false;
  }
  // Count "running" lines: a restarted broker appends to the same log.
  return wait_until(
             [&] {
               return !broker_->running() ||
                      broker_->output().find(" running") != std::string::npos;
             },
             10s) &&
         broker_->running();
}

void BrokerHarness::stop() {
  if (broker_) broker_->stop();
}

void BrokerHarness::crash() {
  if (!broker_) return;
  broker_->signal(SIGKILL);
  broker_->wait_exit(5s);
}

bool BrokerHarness::running() {
  return broker_ && broker_->running();
}

std::string BrokerHarness::log() {
  return broker_ ? broker_->output() : std::string();
}

std::size_t BrokerHarness::count_log(const std::string& needle) {
  const std::string text = log();
  std::size_t count = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++count;
  return count;
}

std::vector<std::string> BrokerHarness::simulate_argv(const std::string& fleet_bin,
                                                      const std::vector<std::string>& more) const {
  std::vector<std::string> argv{
      fleet_bin,    "simulate",          "--pki",  pki(),
      "--registry", dir() + "/fleet.db", "--port", std::to_string(port())};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

ClientOptions BrokerHarness::device(const std::string& id, int protocol,
                                    const std::string& client_id) const {
  ClientOptions options;
  options.client_id = client_id.empty() ? id : client_id;
  options.cafile = pki() + "/ca.crt";
  options.certfile = pki() + "/devices/" + id + ".crt";
  options.keyfile = pki() + "/devices/" + id + ".key";
  options.protocol = protocol;
  return options;
}

ClientOptions BrokerHarness::service(const std::string& role, const std::string& id,
                                     int protocol) const {
  ClientOptions options;
  options.client_id = role + "-" + id;
  options.cafile = pki() + "/ca.crt";
  options.certfile = pki() + "/services/" + role + "-" + id + ".crt";
  options.keyfile = pki() + "/services/" + role + "-" + id + ".key";
  options.protocol = protocol;
  return options;
}

}  // namespace laneway::test
