// The session core's test fixture: an in-memory upstream that records what the hub asks of
// the broker, a lane sink that counts wake-ups, a two-app configuration, token minting and
// helpers to send calls and drain a session's queue. Shared by the hub's test files.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "hub.h"
#include "laneway/wire/frame_codec.h"
#include "test_tokens.h"

namespace laneway::bridge {

using nlohmann::json;

inline constexpr std::int64_t kNowS = 1'800'000'000;
inline constexpr std::int64_t kNowUs = kNowS * 1'000'000;

class RecordingUpstream : public Upstream {
 public:
  bool connected() const override { return up; }
  void subscribe(const std::string& f) override {
    subscribed.insert(f);
    subscribe_calls++;
    acks[f] = hold_subacks ? UpstreamState::kPending : UpstreamState::kGranted;
  }
  void unsubscribe(const std::string& f) override {
    subscribed.erase(f);
    acks.erase(f);
  }
  UpstreamState subscription_state(const std::string& f) const override {
    auto it = acks.find(f);
    return up && it != acks.end() ? it->second : UpstreamState::kPending;
  }
  // The broker's SUBACK for `f` (a test holding SUBACKs sends them with this).
  void suback(const std::string& f, bool granted = true) {
    acks[f] = granted ? UpstreamState::kGranted : UpstreamState::kRefused;
  }
  int publish(const std::string& topic, std::string_view payload, int qos, bool) override {
    published.push_back({topic, std::string(payload), qos});
    return next_mid();
  }
  int publish_request(const std::string& topic, std::string_view payload,
                      const std::string& response_topic, std::string_view correlation,
                      const std::string& content_type) override {
    const int mid = next_mid();
    requests.push_back(
        {topic, std::string(payload), response_topic, std::string(correlation), content_type, mid});
    return mid;
  }
  bool has_room(std::size_t bytes) const override { return bytes <= room; }
  // As libmosquitto: 1..65535, then 1 again, whatever is still in flight.
  int next_mid() {
    last_mid = last_mid % 65535 + 1;
    return last_mid;
  }
  struct Pub {
    std::string topic;
    std::string payload;
    int qos;
  };
  struct Request {
    std::string topic;
    std::string payload;
    std::string response_topic;
    std::string correlation;
    std::string content_type;
    int mid;
  };
  int last_mid = 0;  // message ids count up from 1 across publishes and requests
  std::size_t room = std::size_t{1} << 30;  // what has_room() allows
  std::vector<Request> requests;
  bool up = true;
  // By default the broker acknowledges a subscription at once; a test sets this to answer
  // each SUBSCRIBE itself (suback()), or never.
  bool hold_subacks = false;
  std::map<std::string, UpstreamState> acks;  // what subscription_state() answers, while up
  std::set<std::string> subscribed;
  int subscribe_calls = 0;
  std::vector<Pub> published;
};

class CountingSink : public LaneSink {
 public:
  void request_write() override { wakes++; }
  int wakes = 0;
};

inline BridgeConfig test_config() {
  BridgeConfig c;
  AppConfig demo;
  demo.id = "demo";
  demo.keys.push_back(JwtKey{JwtAlg::kHS256, "", testing::kTestSecret});
  demo.origins = {"https://app.example"};
  demo.subscribe = {"devices/#", "broadcast/#"};
  demo.publish = {"devices/+/cmd"};
  demo.rpc = {"devices/+/rpc/ping", "devices/d1/rpc/#"};
  AppConfig other;
  other.id = "other";
  other.keys.push_back(JwtKey{JwtAlg::kHS256, "", "other-secret-other-secret-other-secret"});
  other.subscribe = {"fleet/#"};
  c.apps = {demo, other};
  c.limits.queue_max_bytes = 4096;
  c.limits.max_frame_bytes = 1024;
  c.limits.publish_rate_per_s = 1;
  c.limits.publish_burst = 2;
  c.limits.rpc_timeout_max_ms = 1000;
  c.limits.rpc_timeout_default_ms = 500;
  c.limits.rpc_pending_per_session = 2;
  c.limits.rpc_pending_max = 3;
  c.history.max_messages_per_topic = 4;
  return c;
}

inline std::string token(json extra = json::object(), const std::string& app = "demo",
                         std::int64_t exp = kNowS + 600) {
  json c{{"sub", "alice"}, {"exp", exp}, {"app", app}};
  if (extra.is_object()) c.update(extra);
  return testing::mint_token("HS256", testing::kTestSecret, c);
}

inline std::string envelope_frame(const std::string& topic, std::uint64_t seq,
                                  std::uint64_t epoch = 9, const std::string& payload = "p") {
  v1::Frame f;
  auto* e = f.mutable_envelope();
  e->set_topic(topic);
  e->set_payload(payload);
  e->set_seq(seq);
  e->set_epoch(epoch);
  e->set_origin("d1");
  e->set_timestamp_us(kNowUs - 1000);
  std::string bytes;
  EXPECT_EQ(wire::encode_frame(f, bytes), wire::WireError::kOk);
  return bytes;
}

// A `$lw/presence/<client>` message as the plugin sends it.
inline std::string presence_frame(const std::string& client, const std::string& role, bool online,
                                  std::int64_t since_us = kNowUs) {
  v1::Presence p;
  p.set_client_id(client);
  p.set_role(role);
  p.set_online(online);
  p.set_since_us(since_us);
  v1::Frame f;
  f.mutable_envelope()->set_topic("$lw/presence/" + client);
  f.mutable_envelope()->set_payload(p.SerializeAsString());
  f.mutable_envelope()->set_content_type("application/x-laneway-presence");
  std::string bytes;
  EXPECT_EQ(wire::encode_frame(f, bytes), wire::WireError::kOk);
  return bytes;
}

inline v1::Frame decode(const QueuedFrame& q) {
  v1::Frame f;
  EXPECT_EQ(wire::decode_frame(q.frame->bytes(), f, std::size_t{1} << 24), wire::WireError::kOk);
  return f;
}

inline std::vector<v1::Frame> drain(Session& s) {
  std::vector<v1::Frame> out;
  while (!s.queue.empty()) {
    out.push_back(decode(s.queue.front()));
    s.queue.pop();
  }
  return out;
}

// A subscription to `filter` that resumes `topic` after (epoch, seq).
inline v1::Subscription sub_since(const std::string& filter, const std::string& topic,
                                  std::uint64_t epoch, std::uint64_t seq) {
  v1::Subscription s;
  s.set_filter(filter);
  v1::Position* pos = s.add_since();
  pos->set_topic(topic);
  pos->set_epoch(epoch);
  pos->set_seq(seq);
  return s;
}

class HubTest : public ::testing::Test {
 protected:
  HubTest() : config_(test_config()), hub_(config_, upstream_) {}

  Session* open(std::string origin = "https://app.example") {
    return hub_.open(Lane::kWebSocket, &sink_, std::move(origin), kNowUs);
  }

  void send(Session& s, const v1::CallFrame& call) {
    v1::Frame f;
    *f.mutable_call() = call;
    std::string bytes;
    ASSERT_EQ(wire::encode_frame(f, bytes), wire::WireError::kOk);
    hub_.on_client_frame(s, bytes, kNowUs);
  }

  // Connects `s` and returns the frames it got (connect result first).
  std::vector<v1::Frame> connect(Session& s, const std::string& tok,
                                 std::vector<v1::Subscription> subs = {},
                                 const std::string& app = "demo") {
    v1::CallFrame call;
    call.set_id(1);
    call.mutable_connect()->set_app_id(app);
    call.mutable_connect()->set_token(tok);
    for (auto& sub : subs) *call.mutable_connect()->add_subscriptions() = sub;
    send(s, call);
    return drain(s);
  }

  static v1::Subscription sub(const std::string& filter) {
    v1::Subscription s;
    s.set_filter(filter);
    return s;
  }

  static v1::ErrorCode error_of(const std::vector<v1::Frame>& frames) {
    if (frames.empty() || !frames.back().has_call() || !frames.back().call().has_error()) {
      return v1::ERROR_CODE_UNSPECIFIED;
    }
    return frames.back().call().error().code();
  }

  BridgeConfig config_;
  RecordingUpstream upstream_;
  CountingSink sink_;
  Hub hub_;
};

}  // namespace laneway::bridge
