#include "golden_vectors.h"

namespace laneway::testing {

namespace {

v1::Frame envelope_frame(const std::string& topic, const std::string& payload, std::uint64_t seq) {
  v1::Frame frame;
  auto* env = frame.mutable_envelope();
  env->set_topic(topic);
  env->set_payload(payload);
  env->set_seq(seq);
  env->set_epoch(1700000000);
  env->set_timestamp_us(1700000000123456);
  env->set_origin("d-0001");
  return frame;
}

std::string large_payload() {
  std::string payload(64 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>((i * 31 + 7) & 0xff);
  return payload;
}

v1::Envelope* add_history_envelope(v1::GroupEnvelope* group, std::uint64_t seq) {
  auto* env = group->add_envelopes();
  env->set_topic("devices/d-0001/telemetry");
  env->set_payload("{\"t\":" + std::to_string(20 + seq) + "}");
  env->set_seq(seq);
  env->set_epoch(1700000000);
  env->set_timestamp_us(1700000000000000 + static_cast<std::int64_t>(seq) * 1000);
  env->set_origin("d-0001");
  env->set_content_type("application/json");
  env->set_qos(1);
  return env;
}

}  // namespace

std::vector<GoldenVector> golden_vectors() {
  std::vector<GoldenVector> out;

  {
    auto frame = envelope_frame("devices/d-0001/telemetry", "{\"t\":21.5}", 42);
    frame.mutable_envelope()->set_content_type("application/json");
    frame.mutable_envelope()->set_qos(1);
    out.push_back(
        {"envelope_basic", "Envelope: JSON telemetry, seq 42, QoS 1, every field set", frame});
  }
  {
    auto frame = envelope_frame("broadcast/all", "", 1);
    out.push_back(
        {"envelope_empty_payload", "Envelope: empty payload (field omitted on the wire)", frame});
  }
  {
    auto frame = envelope_frame("fleet/g1/firmware", large_payload(), 7);
    frame.mutable_envelope()->set_retain(true);
    frame.mutable_envelope()->set_content_type("application/octet-stream");
    out.push_back({"envelope_large",
                   "Envelope: 64 KiB binary payload, byte i = (31*i + 7) mod 256, retained",
                   frame});
  }
  {
    auto frame = envelope_frame("devices/капибара-7/温度/🌡", "grüße", 3);
    frame.mutable_envelope()->set_origin("капибара-7");
    out.push_back({"envelope_unicode_topic",
                   "Envelope: non-ASCII topic and origin (Cyrillic, CJK, emoji), UTF-8 payload",
                   frame});
  }
  {
    v1::Frame frame;
    v1::Presence presence;
    presence.set_client_id("d-0001");
    presence.set_role("device");
    presence.set_online(true);
    presence.set_since_us(1700000000500000);
    presence.add_groups("g1");
    presence.add_groups("eu-west");
    frame = envelope_frame("$lw/presence/d-0001", presence.SerializeAsString(), 5);
    frame.mutable_envelope()->set_content_type("application/x-laneway-presence");
    frame.mutable_envelope()->set_qos(1);
    frame.mutable_envelope()->set_retain(true);
    out.push_back(
        {"envelope_presence", "Envelope carrying a Presence payload (online, 2 groups)", frame});
  }
  {
    v1::Frame frame;
    auto* group = frame.mutable_group();
    for (std::uint64_t seq = 10; seq <= 12; ++seq) add_history_envelope(group, seq);
    group->set_reason(v1::GroupEnvelope::REASON_HISTORY);
    group->set_recovered(true);
    auto* span = group->add_spans();
    span->set_topic("devices/d-0001/telemetry");
    span->set_epoch(1700000000);
    span->set_from_seq(10);
    span->set_to_seq(12);
    out.push_back({"group_history_recovered",
                   "GroupEnvelope: 3 replayed envelopes, recovered=true, one span", frame});
  }
  {
    v1::Frame frame;
    auto* group = frame.mutable_group();
    group->set_reason(v1::GroupEnvelope::REASON_HISTORY);
    group->set_recovered(false);
    auto* span = group->add_spans();
    span->set_topic("devices/d-0001/telemetry");
    span->set_epoch(1700000001);
    out.push_back({"group_history_gap",
                   "GroupEnvelope: no envelopes, recovered=false (gap not coverable, new epoch)",
                   frame});
  }
  {
    v1::Frame frame;
    auto* call = frame.mutable_call();
    call->set_id(1);
    auto* connect = call->mutable_connect();
    connect->set_app_id("dashboard");
    connect->set_token("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln");
    connect->set_client("laneway-js/0.1.0");
    auto* sub = connect->add_subscriptions();
    sub->set_filter("devices/+/telemetry");
    auto* since = sub->add_since();
    since->set_topic("devices/d-0001/telemetry");
    since->set_epoch(1700000000);
    since->set_seq(41);
    auto* sub2 = connect->add_subscriptions();
    sub2->set_filter("$lw/presence/+");
    sub2->set_datagrams(true);
    out.push_back({"call_connect",
                   "CallFrame id 1: connect with JWT and two subscriptions, one "
                   "resuming from (1700000000, 41)",
                   frame});
  }
  {
    v1::Frame frame;
    auto* call = frame.mutable_call();
    call->set_id(1);
    auto* result = call->mutable_connect_result();
    result->set_session_id("s-7f3a");
    result->set_subject("alice");
    result->set_expires_at_s(1700003600);
    auto* sub = result->add_subscriptions();
    sub->set_filter("devices/+/telemetry");
    sub->set_recovered(true);
    sub->set_epoch(1700000000);
    result->set_ping_interval_ms(25000);
    result->set_server_version("0.1.0");
    result->set_max_frame_bytes(1048576);
    out.push_back({"call_connect_result", "CallFrame id 1: connect result", frame});
  }
  {
    v1::Frame frame;
    auto* call = frame.mutable_call();
    call->set_id(2);
    auto* publish = call->mutable_publish();
    publish->set_topic("devices/d-0001/cmd");
    publish->set_payload(std::string("\x00\x01\x02\xff", 4));
    publish->set_qos(1);
    out.push_back({"call_publish", "CallFrame id 2: publish 4 binary bytes at QoS 1", frame});
  }
  {
    v1::Frame frame;
    auto* call = frame.mutable_call();
    call->set_id(3);
    auto* rpc = call->mutable_rpc();
    rpc->set_device_id("d-0001");
    rpc->set_method("reboot");
    rpc->set_payload("{\"delay_s\":5}");
    rpc->set_timeout_ms(5000);
    rpc->set_content_type("application/json");
    out.push_back({"call_rpc", "CallFrame id 3: RPC reboot to d-0001, 5 s timeout", frame});
  }
  {
    v1::Frame frame;
    auto* call = frame.mutable_call();
    call->set_id(2);
    auto* error = call->mutable_error();
    error->set_code(v1::ERROR_CODE_RATE_LIMITED);
    error->set_message("publish rate over 50/s");
    error->set_retry_after_ms(200);
    out.push_back({"call_error_rate_limited",
                   "CallFrame id 2: typed error RATE_LIMITED, retry "
                   "after 200 ms",
                   frame});
  }
  {
    v1::Frame frame;
    auto* call = frame.mutable_call();
    call->mutable_ping()->set_sent_at_us(1700000000999999);
    out.push_back({"call_ping", "CallFrame id 0 (server push): ping with timestamp", frame});
  }
  {
    v1::Frame frame;
    frame.mutable_call()->set_id(9);
    frame.mutable_call()->mutable_pong();
    out.push_back(
        {"call_pong_empty", "CallFrame id 9: pong with no fields (empty submessage)", frame});
  }
  return out;
}

std::vector<std::string> stream_vector_members() {
  return {"envelope_basic", "group_history_recovered", "call_pong_empty", "envelope_empty_payload"};
}

}  // namespace laneway::testing
