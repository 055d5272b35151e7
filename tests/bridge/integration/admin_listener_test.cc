// The admin listener against a real laneway-bridge (and the real broker it needs to start):
// /healthz and /metrics left the public port (404 there, where they used to answer 200 to
// anyone) for a listener of their own, loopback on the port the bridge announces, guarded by
// a bearer token when one is set, and a bridge refuses to expose it without one
// (docs/bridge.md "The admin listener").
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bridge_system.h"
#include "net.h"
#include "process.h"
#include "suite_env_test.h"
#include "test_tokens.h"

namespace laneway::bridge {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "f3b1c9d2e8a7465b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f";

struct Reply {
  int status = -1;
  std::string headers;  // lower-cased
  std::string body;
};

// One GET with curl (certificate checked against the test CA); status -1 when curl failed.
Reply get(const std::string& ca, int port, const std::string& path,
          const std::vector<std::string>& headers = {}) {
  const std::string marker = "\n@@status=";
  std::vector<std::string> argv{
      "curl",      "-sS", "--max-time",           "5", "--cacert", ca, "-D", "-",
      "--http1.1", "-w",  marker + "%{http_code}"};
  for (const std::string& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  argv.push_back("https://127.0.0.1:" + std::to_string(port) + path);
  std::string out;
  Reply reply;
  if (test::run_command(argv, &out, 10s) != 0) {
    reply.body = out;
    return reply;
  }
  const std::size_t m = out.rfind(marker);
  if (m == std::string::npos) return reply;
  reply.status = std::atoi(out.c_str() + m + marker.size());
  const std::size_t split = out.find("\r\n\r\n");
  const std::size_t body_at = split == std::string::npos ? 0 : split + 4;
  reply.headers = out.substr(0, body_at);
  for (char& c : reply.headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  reply.body = out.substr(body_at, m - body_at);
  return reply;
}

// One broker; each test starts the bridges it needs.
struct AdminEnv : BridgeSystem {
  AdminEnv() : BridgeSystem("laneway-bridge-admin") {}
  void setup() { prepare(); }

  json config(int port, const std::string& client_id) const {
    json c = base_config("127.0.0.1", port, client_id);
    c["apps"] = {{{"id", "demo"},
                  {"keys", {{{"alg", "HS256"}, {"secret", testing::kTestSecret}}}},
                  {"origins", {"*"}},
                  {"subscribe", {"devices/#"}}}};
    return c;
  }
  std::string ca() const { return broker.pki() + "/ca.crt"; }
};

class AdminListenerTest : public SuiteEnvTest<AdminEnv> {
 protected:
  static void SetUpTestSuite() { start_suite(""); }
};

// Fails before the admin listener: the public port answered both with 200 to anyone.
TEST_F(AdminListenerTest, PublicPortNoLongerServesMetricsOrHealthz) {
  AdminEnv& e = *env_;
  const int port = test::free_tcp_port();
  std::string why;
  auto bridge = e.start_bridge("public", e.config(port, "bridge-public"), &why);
  ASSERT_TRUE(bridge) << why;
  for (const char* path : {"/metrics", "/healthz"}) {
    const Reply r = get(e.ca(), port, path);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_EQ(r.body.find("laneway_bridge_"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("broker_connected"), std::string::npos) << path;
  }
  // What the dashboard and the SDK read from the public port is still there.
  const Reply info = get(e.ca(), port, "/api/info");
  EXPECT_EQ(info.status, 200) << info.body;
  EXPECT_NE(info.body.find("\"transports\""), std::string::npos) << info.body;
}

// admin.listen 127.0.0.1:0: one announced line names the port the kernel chose, and that
// port serves /metrics and /healthz without a token (loopback), 404 for anything else.
TEST_F(AdminListenerTest, LoopbackAdminServesMetricsAndHealthzOnItsAnnouncedPort) {
  AdminEnv& e = *env_;
  const int port = test::free_tcp_port();
  std::string why;
  auto bridge = e.start_bridge("loopback", e.config(port, "bridge-loopback"), &why);
  ASSERT_TRUE(bridge) << why;
  const std::string out = bridge->output();
  const std::string line = "laneway-bridge: admin listening on https://127.0.0.1:";
  ASSERT_NE(out.find(line), std::string::npos) << out;
  EXPECT_EQ(out.find(line), out.rfind(line)) << "announced more than once:\n" << out;
  const int admin = BridgeSystem::admin_port(*bridge);
  ASSERT_GT(admin, 0) << out;
  EXPECT_NE(admin, port);

  const Reply metrics = get(e.ca(), admin, "/metrics");
  EXPECT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_NE(metrics.headers.find("content-type: text/plain; version=0.0.4"), std::string::npos)
      << metrics.headers;
  EXPECT_NE(metrics.body.find("laneway_bridge_broker_connected 1"), std::string::npos)
      << metrics.body;
  const Reply health = get(e.ca(), admin, "/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  const json h = json::parse(health.body, nullptr, false);
  ASSERT_TRUE(h.is_object()) << health.body;
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["broker_connected"], true);
  EXPECT_EQ(get(e.ca(), admin, "/api/info").status, 404);
  EXPECT_EQ(get(e.ca(), admin, "/").status, 404);
}

// With admin.token (here from admin.token_file) every admin request needs it: none or a
// wrong one is 401 with a Bearer challenge, whatever the path; the right one opens both.
TEST_F(AdminListenerTest, BearerTokenGuardsEveryAdminPath) {
  AdminEnv& e = *env_;
  std::ofstream(e.dir.file("admin.token")) << kToken << "\n";
  json config = e.config(test::free_tcp_port(), "bridge-token");
  config["admin"] = {{"listen", "127.0.0.1:0"}, {"token_file", e.dir.file("admin.token")}};
  std::string why;
  auto bridge = e.start_bridge("token", config, &why);
  ASSERT_TRUE(bridge) << why;
  const int admin = BridgeSystem::admin_port(*bridge);
  ASSERT_GT(admin, 0) << bridge->output();

  const std::string right = std::string("Authorization: Bearer ") + kToken;
  std::string wrong_token = kToken;
  wrong_token.back() = wrong_token.back() == '0' ? '1' : '0';
  for (const char* path : {"/metrics", "/healthz", "/nothing-here"}) {
    const Reply none = get(e.ca(), admin, path);
    EXPECT_EQ(none.status, 401) << path << ": " << none.body;
    EXPECT_NE(none.headers.find("www-authenticate: bearer"), std::string::npos) << none.headers;
    EXPECT_EQ(none.body.find("laneway_bridge_"), std::string::npos);

    const Reply wrong = get(e.ca(), admin, path, {"Authorization: Bearer " + wrong_token});
    EXPECT_EQ(wrong.status, 401) << path;
    EXPECT_NE(wrong.headers.find("www-authenticate: bearer"), std::string::npos);
    EXPECT_NE(wrong.headers.find("error=\"invalid_token\""), std::string::npos) << wrong.headers;

    const Reply basic = get(e.ca(), admin, path, {std::string("Authorization: Basic ") + kToken});
    EXPECT_EQ(basic.status, 401) << path;
  }
  const Reply metrics = get(e.ca(), admin, "/metrics", {right});
  EXPECT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_NE(metrics.body.find("laneway_bridge_connections"), std::string::npos);
  const Reply health = get(e.ca(), admin, "/healthz", {right});
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_NE(health.body.find("\"status\":\"ok\""), std::string::npos) << health.body;
  EXPECT_EQ(get(e.ca(), admin, "/nothing-here", {right}).status, 404);
}

// An admin listener off loopback without a token never starts: --check and a real start
// both refuse the file with one line naming the option.
TEST_F(AdminListenerTest, ExposedWithoutTokenIsRefusedAtConfigLoad) {
  AdminEnv& e = *env_;
  json config = e.config(test::free_tcp_port(), "bridge-exposed");
  config["admin"] = {{"listen", "0.0.0.0:0"}};
  std::ofstream(e.dir.file("exposed.json")) << config.dump(2);
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{LANEWAY_BRIDGE_BIN, "--config", e.dir.file("exposed.json"),
                                 "--check"},
        std::vector<std::string>{LANEWAY_BRIDGE_BIN, "--config", e.dir.file("exposed.json")}}) {
    std::string out;
    EXPECT_EQ(test::run_command(argv, &out, 20s), 2) << out;
    EXPECT_NE(out.find("admin.listen: 0.0.0.0 is not a loopback address; set admin.token"),
              std::string::npos)
        << out;
  }
}

}  // namespace
}  // namespace laneway::bridge
