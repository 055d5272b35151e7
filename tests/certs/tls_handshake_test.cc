// A real mutual-TLS handshake: openssl s_server requiring a client certificate and checking
// the CRL laneway-certs wrote, and an OpenSSL C API client presenting a device certificate.
// A valid device gets through; a revoked one, or one from another CA, does not.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>

#include "laneway/certs/ossl.h"
#include "net.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::certs {
namespace {

namespace fs = std::filesystem;

void run_certs(std::vector<std::string> args) {
  args.insert(args.begin(), LANEWAY_CERTS_BIN);
  std::string output;
  ASSERT_EQ(test::run_command(args, &output), 0) << output;
}

struct Outcome {
  bool accepted = false;
  std::string detail;
};

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Connects as the holder of cert/key, trusting ca for the server, and asks the s_server
// -www page for "/". In TLS 1.3 the server judges the client certificate after the client's
// handshake has completed, so only the HTTP answer (or the alert instead of it) tells.
Outcome connect_as(std::uint16_t port, const fs::path& ca, const fs::path& cert,
                   const fs::path& key, int max_version) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return {false, "SSL_CTX_new"};
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1 ||
      SSL_CTX_use_certificate_file(ctx.get(), cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return {false, "cannot load client credentials"};
  }
  Socket sock(::socket(AF_INET, SOCK_STREAM, 0));
  timeval timeout{5, 0};  // bounds every read and write below
  setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(sock.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return {false, "connect failed"};

  SslPtr ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), sock.get());
  SSL_set1_host(ssl.get(), "localhost");  // the server certificate must match its SAN
  SSL_set_tlsext_host_name(ssl.get(), "localhost");
  auto failure = [&](const char* stage) {
    const unsigned long err = ERR_get_error();
    ERR_clear_error();
    return Outcome{false,
                   std::string(stage) + ": " + (err ? ERR_reason_error_string(err) : "closed")};
  };
  if (SSL_connect(ssl.get()) != 1) return failure("handshake");
  const std::string request = "GET / HTTP/1.0\r\n\r\n";
  if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0)
    return failure("write");
  std::string response;
  char buf[4096];
  for (int i = 0; i < 1000; ++i) {  // bounded: s_server's page is a few KiB
    const int n = SSL_read(ssl.get(), buf, sizeof buf);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
  }
  ERR_clear_error();
  if (response.rfind("HTTP/1.0 200", 0) == 0) return {true, "HTTP 200"};
  return {false, "no HTTP answer (alert or close)"};
}

class TlsHandshakeTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new test::TempDir("laneway-certs-tls");
    const std::string dir = tmp_->file("pki");
    const std::string other = tmp_->file("other-pki");
    run_certs({"init", "--dir", dir});
    run_certs(
        {"server", "--dir", dir, "--name", "broker", "--dns", "localhost", "--ip", "127.0.0.1"});
    run_certs({"device", "--dir", dir, "--id", "good-device"});
    run_certs({"device", "--dir", dir, "--id", "revoked-device"});
    run_certs({"revoke", "--dir", dir, "--id", "revoked-device"});
    // A CSR-signed device and a batch device take the same path to the broker.
    run_certs(
        {"batch", "--dir", dir, "--count", "1", "--group", "g", "--out", tmp_->file("batch")});
    run_certs({"init", "--dir", other});
    run_certs({"device", "--dir", other, "--id", "good-device"});

    port_ = test::free_tcp_port();
    const fs::path pki = dir;
    std::string error;
    server_ = new std::optional<test::Process>(test::Process::start(
        {{"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port_), "-Verify", "1",
          "-verify_return_error", "-CAfile", (pki / "ca.crt").string(), "-CRL",
          (pki / "crl.pem").string(), "-crl_check", "-cert", (pki / "servers/broker.crt").string(),
          "-key", (pki / "servers/broker.key").string(), "-www", "-quiet"},
         {},
         "",
         ""},
        &error));
    ASSERT_TRUE(server_->has_value()) << error;
    ASSERT_TRUE(test::wait_for_tcp_port(port_, std::chrono::milliseconds(10000)))
        << (*server_)->output();
  }
  static void TearDownTestSuite() {
    delete server_;  // stops s_server by PID
    server_ = nullptr;
    delete tmp_;
    tmp_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(server_ != nullptr && server_->has_value() && (*server_)->running())
        << "openssl s_server did not start";
  }

  Outcome connect(const fs::path& pki, const std::string& prefix) {
    return connect_as(port_, fs::path(tmp_->file("pki")) / "ca.crt", pki / (prefix + ".crt"),
                      pki / (prefix + ".key"), GetParam());
  }

  static test::TempDir* tmp_;
  static std::optional<test::Process>* server_;
  static std::uint16_t port_;
};

test::TempDir* TlsHandshakeTest::tmp_ = nullptr;
std::optional<test::Process>* TlsHandshakeTest::server_ = nullptr;
std::uint16_t TlsHandshakeTest::port_ = 0;

TEST_P(TlsHandshakeTest, ValidDeviceIsAccepted) {
  const Outcome outcome = connect(tmp_->file("pki"), "devices/good-device");
  EXPECT_TRUE(outcome.accepted) << outcome.detail << "\n" << (*server_)->output();
  const Outcome batch = connect(tmp_->file("batch"), "g-000001");
  EXPECT_TRUE(batch.accepted) << batch.detail;
}

TEST_P(TlsHandshakeTest, RevokedDeviceIsRefused) {
  const Outcome outcome = connect(tmp_->file("pki"), "devices/revoked-device");
  EXPECT_FALSE(outcome.accepted) << outcome.detail;
  // And the server is still serving others afterwards.
  EXPECT_TRUE(connect(tmp_->file("pki"), "devices/good-device").accepted);
}

TEST_P(TlsHandshakeTest, DeviceFromAnotherCaIsRefused) {
  const Outcome outcome = connect(tmp_->file("other-pki"), "devices/good-device");
  EXPECT_FALSE(outcome.accepted) << outcome.detail;
}

INSTANTIATE_TEST_SUITE_P(TlsVersions, TlsHandshakeTest,
                         ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == TLS1_2_VERSION ? std::string("Tls12")
                                                               : std::string("Tls13");
                         });

}  // namespace
}  // namespace laneway::certs
