// RPC through the session core: the MQTT v5 request the hub publishes, reply matching by
// correlation data, timeouts (clamped, offline hint), authorization by app and token, the
// per-session and bridge-wide bounds, and broker refusals. The real device round trip is
// in the integration suite.
#include "hub_fixture.h"

namespace laneway::bridge {
namespace {

constexpr const char* kReplyTopicD1 = "devices/d1/rpc-reply/bridge-laneway-bridge";

v1::CallFrame rpc_call(std::uint32_t id, const std::string& device, const std::string& method,
                       std::uint32_t timeout_ms = 0, const std::string& payload = "{}") {
  v1::CallFrame call;
  call.set_id(id);
  auto* r = call.mutable_rpc();
  r->set_device_id(device);
  r->set_method(method);
  r->set_payload(payload);
  r->set_timeout_ms(timeout_ms);
  return call;
}

class HubRpcTest : public HubTest {
 protected:
  Session* connected(const std::string& tok = token()) {
    Session* s = open();
    connect(*s, tok);
    return s;
  }
  void reply(const std::string& topic, const std::string& correlation, const std::string& payload,
             const std::string& content_type = "") {
    hub_.on_broker_message(topic, payload, kNowUs, MessageProperties{correlation, content_type});
  }
};

TEST_F(HubRpcTest, RequestCarriesV5PropertiesAndTheReplyIsMatchedByCorrelation) {
  EXPECT_TRUE(upstream_.subscribed.count("devices/+/rpc-reply/bridge-laneway-bridge"));
  EXPECT_EQ(hub_.rpc_reply_filter(), "devices/+/rpc-reply/bridge-laneway-bridge");
  Session* s = connected();
  v1::CallFrame call = rpc_call(7, "d1", "get_state", 800, R"({"x":1})");
  call.mutable_rpc()->set_content_type("application/json");
  send(*s, call);
  EXPECT_TRUE(drain(*s).empty());  // answered when the device replies
  ASSERT_EQ(upstream_.requests.size(), 1u);
  const auto& req = upstream_.requests[0];
  EXPECT_EQ(req.topic, "devices/d1/rpc/get_state");
  EXPECT_EQ(req.payload, R"({"x":1})");
  EXPECT_EQ(req.response_topic, kReplyTopicD1);
  EXPECT_EQ(req.correlation.size(), 32u);
  EXPECT_EQ(req.content_type, "application/json");
  EXPECT_EQ(hub_.rpcs().size(), 1u);

  reply(kReplyTopicD1, "not-the-correlation", "x");
  // Right correlation from another device's subtree: not the device that was asked.
  reply("devices/d2/rpc-reply/bridge-laneway-bridge", req.correlation, "x");
  // Another bridge's reply topic is not this bridge's business.
  reply("devices/d1/rpc-reply/bridge-other", req.correlation, "x");
  EXPECT_TRUE(drain(*s).empty());
  EXPECT_EQ(hub_.rpcs().size(), 1u);

  reply(kReplyTopicD1, req.correlation, R"({"ok":true})", "application/json");
  auto frames = drain(*s);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_TRUE(frames[0].call().has_rpc_result()) << frames[0].DebugString();
  EXPECT_EQ(frames[0].call().id(), 7u);
  EXPECT_EQ(frames[0].call().rpc_result().payload(), R"({"ok":true})");
  EXPECT_EQ(frames[0].call().rpc_result().content_type(), "application/json");
  EXPECT_EQ(hub_.rpcs().size(), 0u);
  reply(kReplyTopicD1, req.correlation, "again");  // a duplicate: nothing more
  EXPECT_TRUE(drain(*s).empty());
  EXPECT_EQ(hub_.metrics().rpcs(RpcOutcome::kReply), 1u);
}

TEST_F(HubRpcTest, NoReplyIsATimeoutClampedToTheMaximumAndNamesAnOfflineDevice) {
  Session* s = connected();
  send(*s, rpc_call(3, "d1", "ping", 60000));  // over rpc_timeout_max_ms (1000)
  ASSERT_EQ(upstream_.requests.size(), 1u);
  hub_.on_publish_ack(upstream_.requests[0].mid, 0x10);  // no matching subscribers
  hub_.expire_rpcs(kNowUs + 999'000);
  EXPECT_TRUE(drain(*s).empty());
  hub_.expire_rpcs(kNowUs + 1'000'000);
  auto frames = drain(*s);
  ASSERT_EQ(error_of(frames), v1::ERROR_CODE_TIMEOUT);
  EXPECT_EQ(frames[0].call().id(), 3u);
  EXPECT_NE(frames[0].call().error().message().find("1000 ms"), std::string::npos);
  EXPECT_NE(frames[0].call().error().message().find("offline"), std::string::npos);
  reply(kReplyTopicD1, upstream_.requests[0].correlation, "late");  // dropped
  EXPECT_TRUE(drain(*s).empty());

  // No timeout named: the default (500 ms); the once-a-second tick also expires RPCs.
  send(*s, rpc_call(4, "d1", "ping"));
  hub_.tick(kNowUs + 499'000);
  EXPECT_TRUE(drain(*s).empty());
  hub_.tick(kNowUs + 500'000);
  frames = drain(*s);
  ASSERT_EQ(error_of(frames), v1::ERROR_CODE_TIMEOUT);
  EXPECT_EQ(frames[0].call().error().message().find("offline"), std::string::npos);
  EXPECT_EQ(hub_.metrics().rpcs(RpcOutcome::kTimeout), 2u);
}

TEST_F(HubRpcTest, AppFiltersAndTokenClaimsDecideWhoMayCallWhat) {
  Session* s = connected();
  send(*s, rpc_call(1, "d2", "reboot"));  // app allows ping on any device, all of d1
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_FORBIDDEN);
  send(*s, rpc_call(2, "d/2", "ping"));
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_BAD_REQUEST);
  send(*s, rpc_call(3, "d2", "+"));
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_BAD_REQUEST);
  send(*s, rpc_call(4, "d2", ""));
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_BAD_REQUEST);
  EXPECT_TRUE(upstream_.requests.empty());

  Session* none = connected(token({{"rpc", json::array()}}));
  send(*none, rpc_call(1, "d1", "ping"));
  EXPECT_EQ(error_of(drain(*none)), v1::ERROR_CODE_FORBIDDEN);

  // The claim narrows: reboot on d1 only, though the app allows all of d1 and ping anywhere.
  Session* narrow = connected(token({{"rpc", {"devices/d1/rpc/reboot", "devices/d9/rpc/#"}}}));
  send(*narrow, rpc_call(1, "d2", "ping"));
  EXPECT_EQ(error_of(drain(*narrow)), v1::ERROR_CODE_FORBIDDEN);
  send(*narrow, rpc_call(2, "d9", "reboot"));  // claimed, but not the app's
  EXPECT_EQ(error_of(drain(*narrow)), v1::ERROR_CODE_FORBIDDEN);
  send(*narrow, rpc_call(3, "d1", "reboot"));
  EXPECT_TRUE(drain(*narrow).empty());
  ASSERT_EQ(upstream_.requests.size(), 1u);
  EXPECT_EQ(upstream_.requests[0].topic, "devices/d1/rpc/reboot");

  // An app without rpc filters calls nothing.
  Session* other = open("");  // that app lists no origins
  connect(*other,
          testing::mint_token("HS256", "other-secret-other-secret-other-secret",
                              {{"sub", "bob"}, {"exp", kNowS + 600}, {"app", "other"}}),
          {}, "other");
  ASSERT_TRUE(other->authenticated);
  send(*other, rpc_call(1, "d1", "ping"));
  EXPECT_EQ(error_of(drain(*other)), v1::ERROR_CODE_FORBIDDEN);
}

TEST_F(HubRpcTest, InFlightRpcsAreBoundedPerSessionAndBridgeWide) {
  Session* a = connected();
  send(*a, rpc_call(1, "d1", "ping"));
  send(*a, rpc_call(2, "d1", "ping"));
  send(*a, rpc_call(3, "d1", "ping"));  // per-session bound is 2
  auto frames = drain(*a);
  ASSERT_EQ(error_of(frames), v1::ERROR_CODE_RATE_LIMITED);
  EXPECT_EQ(frames[0].call().id(), 3u);
  EXPECT_GT(frames[0].call().error().retry_after_ms(), 0u);

  Session* b = connected();
  send(*b, rpc_call(1, "d1", "ping"));
  EXPECT_TRUE(drain(*b).empty());
  Session* c = connected();
  send(*c, rpc_call(1, "d1", "ping"));  // bridge-wide bound is 3
  EXPECT_EQ(error_of(drain(*c)), v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_EQ(hub_.rpcs().size(), 3u);

  // A closed session's RPCs free their slots; its late replies go nowhere.
  const std::string a_correlation = upstream_.requests[0].correlation;
  hub_.close(a);
  EXPECT_EQ(hub_.rpcs().size(), 1u);
  reply(kReplyTopicD1, a_correlation, "late");
  send(*c, rpc_call(2, "d1", "ping"));
  EXPECT_TRUE(drain(*c).empty());
  EXPECT_EQ(hub_.rpcs().size(), 2u);
}

TEST_F(HubRpcTest, BrokerRefusalAndBrokerDownAreTyped) {
  Session* s = connected();
  send(*s, rpc_call(1, "d1", "ping"));
  hub_.on_publish_ack(upstream_.requests[0].mid, 0x87);  // not authorized
  auto frames = drain(*s);
  ASSERT_EQ(error_of(frames), v1::ERROR_CODE_FORBIDDEN);
  EXPECT_EQ(frames[0].call().id(), 1u);
  EXPECT_EQ(hub_.rpcs().size(), 0u);
  upstream_.up = false;
  send(*s, rpc_call(2, "d1", "ping"));
  frames = drain(*s);
  ASSERT_EQ(error_of(frames), v1::ERROR_CODE_UNAVAILABLE);
  EXPECT_GT(frames[0].call().error().retry_after_ms(), 0u);
  EXPECT_EQ(hub_.rpcs().size(), 0u);
}

TEST_F(HubRpcTest, RpcCountsAgainstThePublishRate) {
  Session* s = connected();
  v1::CallFrame publish;
  publish.set_id(9);
  publish.mutable_publish()->set_topic("devices/d1/cmd");
  send(*s, publish);
  send(*s, publish);  // the burst (2) is used up
  drain(*s);
  send(*s, rpc_call(1, "d1", "ping"));
  EXPECT_EQ(error_of(drain(*s)), v1::ERROR_CODE_RATE_LIMITED);
  EXPECT_TRUE(upstream_.requests.empty());
}

}  // namespace
}  // namespace laneway::bridge
