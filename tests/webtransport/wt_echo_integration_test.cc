// laneway-wt-echo as a real process: a WebTransport session from Debian's headless
// Chromium (bidi echo, uni echo, datagram echo, close code), and raw UDP garbage that must
// neither take the server down nor stop it serving the next browser.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "net.h"
#include "process.h"
#include "temp_dir.h"
#include "wait.h"

using namespace std::chrono_literals;
using laneway::test::Process;
using laneway::test::TempDir;

namespace {

// A fresh ECDSA P-256 certificate valid for 10 days (Chromium accepts at most 14 for
// serverCertificateHashes); returns the base64 SHA-256 of its DER, or "" on failure.
std::string make_certificate(const TempDir& dir, std::string* log) {
  const std::string cert = dir.file("wt.crt"), key = dir.file("wt.key");
  if (laneway::test::run_command(
          {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-days", "10", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert},
          log) != 0) {
    return "";
  }
  std::string hash;
  const std::string script =
      "openssl x509 -in '" + cert + "' -outform DER | openssl dgst -sha256 -binary | base64 -w0";
  if (laneway::test::run_command({"sh", "-c", script}, &hash) != 0) return "";
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) hash.pop_back();
  return hash;
}

class EchoServer {
 public:
  bool start(const TempDir& dir, std::string* error) {
    std::string log;
    hash_ = make_certificate(dir, &log);
    if (hash_.empty()) {
      *error = "certificate: " + log;
      return false;
    }
    port_ = laneway::test::free_udp_port();
    auto p = Process::start({{LANEWAY_WT_ECHO, "--cert", dir.file("wt.crt"), "--key",
                              dir.file("wt.key"), "--port", std::to_string(port_)},
                             {},
                             dir.file("echo.log"),
                             {}},
                            error);
    if (!p) return false;
    process_.emplace(std::move(*p));
    if (!laneway::test::wait_until(
            [&] { return process_->output().find("listening on udp port") != std::string::npos; },
            10s)) {
      *error = "server did not start: " + process_->output();
      return false;
    }
    return true;
  }
  std::uint16_t port() const { return port_; }
  const std::string& hash() const { return hash_; }
  Process& process() { return *process_; }

 private:
  std::uint16_t port_ = 0;
  std::string hash_;
  std::optional<Process> process_;
};

// Runs the Playwright driver; returns its exit code and fills `output`.
int run_browser(const EchoServer& server, std::string* output) {
  return laneway::test::run_command(
      {"node", std::string(LANEWAY_WT_TEST_DIR) + "/browser_echo.mjs", "--port",
       std::to_string(server.port()), "--hash", server.hash()},
      output, 120s);
}

bool node_modules_present() {
  std::ifstream f(std::string(LANEWAY_WT_TEST_DIR) + "/node_modules/playwright-core/package.json");
  return f.good();
}

int udp_socket_to(std::uint16_t port, sockaddr_in* to) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  *to = {};
  to->sin_family = AF_INET;
  to->sin_port = htons(port);
  to->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return fd;
}

// Waits (bounded) for one datagram; returns its size or -1.
long receive_within(int fd, std::uint8_t* buf, std::size_t len, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return -1;
  return recv(fd, buf, len, 0);
}

}  // namespace

TEST(WebTransportEcho, HeadlessChromiumCompletesASession) {
  ASSERT_TRUE(node_modules_present())
      << "run `npm ci` in tests/webtransport (scripts/deps.sh does) to install playwright-core";
  TempDir dir("laneway-wt");
  EchoServer server;
  std::string error;
  ASSERT_TRUE(server.start(dir, &error)) << error;

  std::string output;
  const int rc = run_browser(server, &output);
  EXPECT_EQ(rc, 0) << output << "\nserver:\n" << server.process().output();
  EXPECT_NE(output.find("\"bidiEcho\":true"), std::string::npos) << output;
  EXPECT_NE(output.find("\"uniEcho\":true"), std::string::npos) << output;
  EXPECT_NE(output.find("\"datagramEcho\":true"), std::string::npos) << output;
  EXPECT_NE(output.find("\"closeCode\":7"), std::string::npos) << output;
  // The server saw the session open on the configured path and close with the browser's code.
  ASSERT_TRUE(laneway::test::wait_until(
      [&] {
        return server.process().output().find("closed code=7 reason=bye") != std::string::npos;
      },
      5s))
      << server.process().output();
  EXPECT_NE(server.process().output().find("opened path=/v1/wt query=client=browser-test"),
            std::string::npos);
  EXPECT_TRUE(server.process().running());
}

TEST(WebTransportEcho, UdpGarbageNeitherKillsNorBlocksTheServer) {
  ASSERT_TRUE(node_modules_present()) << "run `npm ci` in tests/webtransport";
  TempDir dir("laneway-wt");
  EchoServer server;
  std::string error;
  ASSERT_TRUE(server.start(dir, &error)) << error;

  sockaddr_in to;
  const int fd = udp_socket_to(server.port(), &to);
  ASSERT_GE(fd, 0);
  std::mt19937 rng(7);
  std::uint8_t buf[2048];

  // 1. A short-header packet for a connection the server never had: stateless reset, which
  //    must be smaller than what we sent (RFC 9000 §10.3) and end in a 16-byte token.
  std::uint8_t short_pkt[60];
  for (auto& b : short_pkt) b = static_cast<std::uint8_t>(rng());
  short_pkt[0] = 0x40 | (short_pkt[0] & 0x3f);  // short header, fixed bit set
  sendto(fd, short_pkt, sizeof(short_pkt), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  const long reset = receive_within(fd, buf, sizeof(buf), 3000);
  EXPECT_GT(reset, 20);
  EXPECT_LT(reset, static_cast<long>(sizeof(short_pkt)));

  // 2. A padded long-header packet with an unknown version: version negotiation listing v1.
  std::uint8_t initial[1200] = {0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0};
  sendto(fd, initial, sizeof(initial), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  const long vn = receive_within(fd, buf, sizeof(buf), 3000);
  ASSERT_GT(vn, 7);
  EXPECT_EQ(buf[1] | buf[2] | buf[3] | buf[4], 0);  // version field 0 = version negotiation
  bool lists_v1 = false;
  for (long i = 7; i + 4 <= vn; ++i) {
    lists_v1 = lists_v1 || (buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 0 && buf[i + 3] == 1);
  }
  EXPECT_TRUE(lists_v1);

  // 3. A flood of random datagrams of random sizes, long and short headers alike.
  for (int i = 0; i < 2000; ++i) {
    const std::size_t len = rng() % 1400;
    for (std::size_t j = 0; j < len; ++j) buf[j] = static_cast<std::uint8_t>(rng());
    sendto(fd, buf, len, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  close(fd);

  // 4. Still alive, and still serving a real browser.
  EXPECT_TRUE(server.process().running());
  std::string output;
  EXPECT_EQ(run_browser(server, &output), 0) << output << "\nserver:\n"
                                             << server.process().output();
  EXPECT_TRUE(server.process().running());
}
