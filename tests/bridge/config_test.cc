#include "config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "temp_dir.h"

namespace laneway::bridge {
namespace {

using nlohmann::json;

json minimal() {
  return json{{"tls", {{"cert", "/pki/server.crt"}, {"key", "/pki/server.key"}}},
              {"broker",
               {{"ca", "ca.crt"}, {"cert", "bridge.crt"}, {"key", "bridge.key"}, {"port", 18883}}},
              {"apps",
               {{{"id", "demo"},
                 {"keys", {{{"alg", "HS256"}, {"secret", std::string(32, 's')}}}},
                 {"origins", {"https://app.example"}},
                 {"subscribe", {"devices/#"}},
                 {"publish", {"devices/+/cmd"}}}}}};
}

TEST(Config, ParsesAndResolvesRelativePaths) {
  std::string error;
  auto c = parse_config(minimal().dump(), "/etc/laneway", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->broker.ca_file, "/etc/laneway/ca.crt");
  EXPECT_EQ(c->tls.cert_file, "/pki/server.crt");
  EXPECT_EQ(c->broker.port, 18883);
  ASSERT_NE(c->find_app("demo"), nullptr);
  EXPECT_EQ(c->find_app("demo")->publish, std::vector<std::string>{"devices/+/cmd"});
  EXPECT_EQ(c->limits.max_frame_bytes, 64u * 1024);
  EXPECT_EQ(c->listen.size(), 1u);
  EXPECT_FALSE(c->tls.http2);
  json j = minimal();
  j["tls"]["http2"] = true;
  c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->tls.http2);
  j["tls"]["http2"] = "yes";
  EXPECT_FALSE(parse_config(j.dump(), "", error));
}

TEST(Config, RefusesMistakesWithOneLineErrors) {
  std::string error;
  EXPECT_FALSE(parse_config("{", "", error));
  EXPECT_EQ(error, "config: not valid JSON");

  json j = minimal();
  j["limits"] = {{"max_frame_byte", 10}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("unknown option 'max_frame_byte'"), std::string::npos);

  j = minimal();
  j["apps"][0]["subscribe"] = {"$lw/#"};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("apps[0].subscribe"), std::string::npos);

  j = minimal();
  j["apps"][0]["keys"][0]["secret"] = "short";
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("at least 32 bytes"), std::string::npos);

  j = minimal();
  j["apps"][0]["keys"][0]["alg"] = "none";
  EXPECT_FALSE(parse_config(j.dump(), "", error));

  j = minimal();
  j.erase("tls");
  EXPECT_FALSE(parse_config(j.dump(), "", error));

  j = minimal();
  j["listen"] = {{{"host", "127.0.0.1"}, {"port", 70000}}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("out of range"), std::string::npos);

  // App ids are part of envelope origins (docs/wire.md "Origins"): no `:`, no spaces.
  for (const char* id : {"operator:alice", "a b", "dash\n"}) {
    j = minimal();
    j["apps"][0]["id"] = id;
    EXPECT_FALSE(parse_config(j.dump(), "", error)) << id;
    EXPECT_NE(error.find("apps[0].id"), std::string::npos) << error;
  }

  j = minimal();
  j["apps"].push_back(j["apps"][0]);
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("duplicate"), std::string::npos);

  j = minimal();
  j["apps"][0]["keys"][0] = {{"alg", "RS256"}, {"public_key_file", "/nonexistent.pem"}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("cannot read"), std::string::npos);
}

// Standalone SSE streams carry the JWT in their URL: an app opts in (docs/bridge.md "SSE
// attach tickets").
TEST(Config, UrlTokensForStandaloneSseAreOptIn) {
  std::string error;
  auto c = parse_config(minimal().dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_FALSE(c->find_app("demo")->sse_url_token);
  json j = minimal();
  j["apps"][0]["sse_url_token"] = true;
  c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->find_app("demo")->sse_url_token);
  j["apps"][0]["sse_url_token"] = "yes";
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("apps[0].sse_url_token"), std::string::npos) << error;
}

TEST(Config, StandbyBrokersFollowThePrimary) {
  std::string error;
  json j = minimal();
  j["broker"]["host"] = "core-1";
  j["broker"]["standby"] = {{{"host", "core-2"}, {"port", 8884}}, {{"host", "core-3"}}};
  auto c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  ASSERT_EQ(c->broker.standby.size(), 2u);
  EXPECT_EQ(c->broker.standby[0].host, "core-2");
  EXPECT_EQ(c->broker.standby[0].port, 8884);
  EXPECT_EQ(c->broker.standby[1].port, 8883);
  j["broker"]["standby"] = {{{"port", 8884}}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("standby"), std::string::npos);
  j["broker"]["standby"] = {{{"host", "x"}, {"colour", "red"}}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  j["broker"]["standby"] = "core-2";
  EXPECT_FALSE(parse_config(j.dump(), "", error));
}

TEST(Config, LanesCanBeSwitchedOff) {
  std::string error;
  json j = minimal();
  auto c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->lanes.ws);
  EXPECT_TRUE(c->lanes.sse);
  j["lanes"] = {{"ws", false}};
  c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_FALSE(c->lanes.ws);
  EXPECT_TRUE(c->lanes.sse);
  j["lanes"] = {{"sse", 0}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_EQ(error, "lanes.sse: must be true or false");
  j["lanes"] = {{"wss", false}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("unknown option 'wss'"), std::string::npos);
}

TEST(Config, RpcFiltersLimitsAndAPlainClientId) {
  std::string error;
  json j = minimal();
  auto c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->find_app("demo")->rpc.empty());  // no rpc filters: no RPC
  EXPECT_EQ(c->limits.rpc_timeout_default_ms, 5000u);
  j["apps"][0]["rpc"] = {"devices/+/rpc/ping"};
  j["limits"] = {
      {"rpc_timeout_default_ms", 2000}, {"rpc_pending_per_session", 4}, {"rpc_pending_max", 100}};
  c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->find_app("demo")->rpc, std::vector<std::string>{"devices/+/rpc/ping"});
  EXPECT_EQ(c->limits.rpc_pending_per_session, 4u);
  EXPECT_EQ(c->limits.rpc_pending_max, 100u);
  j["apps"][0]["rpc"] = {"devices/+/rpc/#/x"};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("apps[0].rpc"), std::string::npos);

  j = minimal();
  j["broker"]["client_id"] = "bridge/1";  // it becomes a topic level of the reply topic
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("broker.client_id"), std::string::npos);
}

}  // namespace
}  // namespace laneway::bridge

namespace laneway::bridge {
namespace {

TEST(Config, MirrorFiltersAndDrainTime) {
  std::string error;
  auto c = parse_config(minimal().dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->history.mirror_filters.empty());
  EXPECT_EQ(c->drain_ms, 3000u);
  json j = minimal();
  j["history"]["mirror"] = {"devices/#", "broadcast/#"};
  j["drain_ms"] = 0;
  c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->history.mirror_filters, (std::vector<std::string>{"devices/#", "broadcast/#"}));
  EXPECT_EQ(c->drain_ms, 0u);
  j["history"]["mirror"] = {"$lw/env/#"};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("history.mirror"), std::string::npos) << error;
  j["history"]["mirror"] = {"a/#/b"};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
}

TEST(Config, WebTransportPingInterval) {
  std::string error;
  json j = minimal();
  auto c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->webtransport.ping_interval_ms, 5000u);
  j["webtransport"] = {{"enabled", false}, {"ping_interval_ms", 2500}};
  c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->webtransport.ping_interval_ms, 2500u);
  j["webtransport"]["ping_interval_ms"] = 10;
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("ping_interval_ms"), std::string::npos) << error;
}

TEST(Config, ReplicasAreBaseUrls) {
  std::string error;
  json j = minimal();
  j["replicas"] = {"https://a.example:8443", "https://127.0.0.1:9443"};
  auto c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->replicas.size(), 2u);
  for (const char* bad : {"http://a.example", "https://a.example/", "a.example:8443"}) {
    j["replicas"] = {bad};
    EXPECT_FALSE(parse_config(j.dump(), "", error)) << bad;
    EXPECT_NE(error.find("replicas"), std::string::npos) << error;
  }
}

// /healthz and /metrics live on the admin listener (docs/bridge.md "The admin listener"):
// loopback 127.0.0.1:9464 unless configured otherwise.
TEST(Config, AdminDefaultsToLoopbackWithoutToken) {
  std::string error;
  auto c = parse_config(minimal().dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->admin.listen.host, "127.0.0.1");
  EXPECT_EQ(c->admin.listen.port, 9464);
  EXPECT_TRUE(c->admin.token.empty());
}

TEST(Config, AdminListenTakesHostPortPortZeroAndIpv6) {
  std::string error;
  json j = minimal();
  j["admin"] = {{"listen", "127.0.0.5:0"}};
  auto c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->admin.listen.host, "127.0.0.5");
  EXPECT_EQ(c->admin.listen.port, 0);
  j["admin"] = {{"listen", "[::1]:9999"}};
  c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->admin.listen.host, "::1");
  EXPECT_EQ(c->admin.listen.port, 9999);
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "localhost:9464",
                          "::1:9464", "[::1]9464", "[nope]:1", "127.0.0.1:-1", ""}) {
    j["admin"] = {{"listen", bad}};
    EXPECT_FALSE(parse_config(j.dump(), "", error)) << bad;
    EXPECT_EQ(error.rfind("admin.listen: ", 0), 0u) << bad << ": " << error;
  }
  j["admin"] = {{"listen", 9464}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  j["admin"] = {{"port", 9464}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("admin: unknown option 'port'"), std::string::npos) << error;
}

TEST(Config, AdminRefusesAPublicAddressWithoutToken) {
  std::string error;
  json j = minimal();
  for (const char* exposed : {"0.0.0.0:9464", "192.0.2.7:9464", "[::]:9464", "[2001:db8::1]:1"}) {
    j["admin"] = {{"listen", exposed}};
    EXPECT_FALSE(parse_config(j.dump(), "", error)) << exposed;
    EXPECT_NE(error.find("is not a loopback address; set admin.token or admin.token_file"),
              std::string::npos)
        << error;
  }
  const std::string token(40, 'k');
  j["admin"] = {{"listen", "0.0.0.0:9464"}, {"token", token}};
  auto c = parse_config(j.dump(), "", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->admin.token, token);
  // 127.0.0.0/8 is loopback, all of it.
  j["admin"] = {{"listen", "127.1.2.3:9464"}};
  EXPECT_TRUE(parse_config(j.dump(), "", error)) << error;
}

TEST(Config, AdminTokenFileIsTrimmedAndTokensAreChecked) {
  test::TempDir dir("laneway-config-admin");
  const std::string token = "0123456789abcdef0123456789abcdef";
  std::ofstream(dir.file("admin.token")) << token << "\n";
  std::string error;
  json j = minimal();
  j["admin"] = {{"listen", "0.0.0.0:9464"}, {"token_file", "admin.token"}};
  auto c = parse_config(j.dump(), dir.path().string(), error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->admin.token, token);

  j["admin"] = {{"token", token}, {"token_file", "admin.token"}};
  EXPECT_FALSE(parse_config(j.dump(), dir.path().string(), error));
  EXPECT_NE(error.find("at most one of token, token_file"), std::string::npos) << error;
  j["admin"] = {{"token_file", "missing.token"}};
  EXPECT_FALSE(parse_config(j.dump(), dir.path().string(), error));
  EXPECT_NE(error.find("admin.token_file: cannot read"), std::string::npos) << error;
  // Too short to be a secret, or not sendable as a bearer token as it is.
  for (const std::string& bad : {std::string("short"), std::string(""), std::string(40, ' '),
                                 token + " x", token + "\"", "=" + token, std::string(1025, 'a')}) {
    j["admin"] = {{"token", bad}};
    EXPECT_FALSE(parse_config(j.dump(), "", error)) << bad;
    EXPECT_EQ(error.rfind("admin.token: ", 0), 0u) << error;
  }
  j["admin"] = {{"token", token + "=="}};
  EXPECT_TRUE(parse_config(j.dump(), "", error)) << error;
  j["admin"] = {{"token", std::string(1024, 'a')}};
  EXPECT_TRUE(parse_config(j.dump(), "", error)) << error;
}

TEST(Config, AdminNeedsAPortOfItsOwn) {
  std::string error;
  json j = minimal();
  j["listen"] = {{{"host", "127.0.0.1"}, {"port", 9464}}};
  EXPECT_FALSE(parse_config(j.dump(), "", error));
  EXPECT_NE(error.find("admin.listen: 127.0.0.1:9464 is also in listen[]"), std::string::npos)
      << error;
  j["admin"] = {{"listen", "127.0.0.1:9465"}};
  EXPECT_TRUE(parse_config(j.dump(), "", error)) << error;
}

}  // namespace
}  // namespace laneway::bridge
