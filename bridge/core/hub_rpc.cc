// RPC from a browser session to one device, on the convention the plugin and laneway-fleet
// use (docs/plugin.md): an MQTT v5 request on `devices/<id>/rpc/<method>` with response
// topic `devices/<id>/rpc-reply/bridge-<client id>` and 16 random bytes of correlation
// data; the device publishes its answer there with the same correlation data. The reply
// payload is passed through untouched (laneway-fleet devices answer JSON
// `{"ok":true,"result":...}` or `{"ok":false,"error":...}`: application-level outcomes the
// bridge does not interpret).
#include <algorithm>
#include <string>

#include "authorization.h"
#include "hub.h"

namespace laneway::bridge {
namespace {

constexpr std::size_t kMaxContentTypeBytes = 256;

// Device ids and methods become topic levels: 1..64 of [A-Za-z0-9._-] (the registry's rule
// for device ids; laneway-fleet applies it to methods as well).
bool is_valid_rpc_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
             "0123456789._-") == std::string::npos;
}

}  // namespace

CallOutcome Hub::handle_rpc(Session& s, const v1::CallFrame& call, const Reply& reply,
                            std::int64_t now_us) {
  const v1::RpcRequest& req = call.rpc();
  const std::uint32_t id = call.id();
  if (!is_valid_rpc_name(req.device_id()) || !is_valid_rpc_name(req.method())) {
    return refuse_call(reply, id, v1::ERROR_CODE_BAD_REQUEST,
                       "device_id and method must be 1..64 of [A-Za-z0-9._-]");
  }
  if (req.content_type().size() > kMaxContentTypeBytes) {
    return refuse_call(reply, id, v1::ERROR_CODE_BAD_REQUEST, "content_type too long");
  }
  const std::string topic = "devices/" + req.device_id() + "/rpc/" + req.method();
  if (!may_call(s, topic)) {
    return refuse_call(reply, id, v1::ERROR_CODE_FORBIDDEN, "rpc not allowed: " + topic);
  }
  switch (rpcs_.can_add(s.id)) {
    case RpcTable::AddResult::kOk:
      break;
    case RpcTable::AddResult::kSessionFull:
      metrics_.rpc(RpcOutcome::kRefused);
      return refuse_call(reply, id, v1::ERROR_CODE_RATE_LIMITED,
                         "too many RPCs in flight for this session (" +
                             std::to_string(config_.limits.rpc_pending_per_session) + ")",
                         1000);
    default:
      metrics_.rpc(RpcOutcome::kRefused);
      return refuse_call(reply, id, v1::ERROR_CODE_UNAVAILABLE,
                         "too many RPCs in flight on this bridge", 1000);
  }
  // A request is a publish to the broker: the session's publish budget applies.
  if (const std::uint32_t wait = s.publish_limiter.take(now_us)) {
    return refuse_call(reply, id, v1::ERROR_CODE_RATE_LIMITED, "publish rate exceeded", wait);
  }
  std::uint32_t timeout_ms =
      req.timeout_ms() > 0 ? req.timeout_ms() : config_.limits.rpc_timeout_default_ms;
  timeout_ms = std::min(timeout_ms, config_.limits.rpc_timeout_max_ms);

  if (auto full = refuse_if_upstream_full(reply, id, req.payload().size())) {
    metrics_.rpc(RpcOutcome::kRefused);
    return *full;
  }
  const std::string correlation = random_hex_id();  // 128 random bits, never reused
  const std::string response_topic = "devices/" + req.device_id() + "/rpc-reply/" + rpc_requester_;
  const int mid = upstream_.connected()
                      ? upstream_.publish_request(topic, req.payload(), response_topic, correlation,
                                                  req.content_type())
                      : 0;
  if (mid == 0) {
    metrics_.rpc(RpcOutcome::kRefused);
    return refuse_call(reply, id, v1::ERROR_CODE_UNAVAILABLE, "broker unavailable", 1000);
  }
  acks_.issued(mid);
  acks_.await(mid, AckLedger::Owner::kRpc);
  PendingRpc pending;
  pending.session_id = s.id;
  pending.call_id = id;
  pending.device_id = req.device_id();
  pending.method = req.method();
  pending.timeout_ms = timeout_ms;
  pending.deadline_us = now_us + std::int64_t{timeout_ms} * 1000;
  pending.mid = mid;
  // Cannot fail: the bounds were checked above and the correlation is fresh.
  rpcs_.add(correlation, std::move(pending));
  // The answer (reply, TIMEOUT, refusal) arrives later on the session's queue.
  return CallOutcome::answered();
}

bool Hub::on_rpc_reply(std::string_view topic, std::string_view payload,
                       const MessageProperties& props) {
  // devices/<id>/rpc-reply/<requester>: anything else is not ours to handle here.
  constexpr std::string_view kDevices = "devices/";
  const std::string suffix = "/rpc-reply/" + rpc_requester_;
  if (topic.substr(0, kDevices.size()) != kDevices ||
      topic.size() <= kDevices.size() + suffix.size() ||
      topic.substr(topic.size() - suffix.size()) != suffix) {
    return false;
  }
  const std::string_view device =
      topic.substr(kDevices.size(), topic.size() - kDevices.size() - suffix.size());
  const std::string correlation(props.correlation);
  const PendingRpc* found = rpcs_.find(correlation);
  // A late reply (timed out, session gone), a duplicate, or a device answering with
  // correlation data that belongs to a request to another device: ignored.
  if (!found || found->device_id != device) return true;
  const PendingRpc rpc = *rpcs_.take(correlation);
  metrics_.rpc(RpcOutcome::kReply);
  Session* s = find(rpc.session_id);
  if (!s) return true;
  if (payload.size() > config_.limits.max_frame_bytes) {
    queue_call(*s, error_frame(rpc.call_id, v1::ERROR_CODE_TOO_LARGE,
                               "the device's reply is over " +
                                   std::to_string(config_.limits.max_frame_bytes) + " bytes"));
    return true;
  }
  v1::CallFrame result;
  result.set_id(rpc.call_id);
  auto* r = result.mutable_rpc_result();
  r->set_payload(std::string(payload));
  r->set_content_type(std::string(props.content_type.substr(0, kMaxContentTypeBytes)));
  queue_call(*s, result);
  return true;
}

void Hub::on_rpc_ack(int mid, int reason) {
  auto refused = rpcs_.on_puback(mid, reason);
  if (!refused) return;
  metrics_.rpc(RpcOutcome::kRefused);
  if (Session* s = find(refused->session_id)) {
    queue_call(*s, error_frame(refused->call_id, v1::ERROR_CODE_FORBIDDEN,
                               "the broker refused the request to devices/" + refused->device_id +
                                   "/rpc/" + refused->method));
  }
}

void Hub::expire_rpcs(std::int64_t now_us) {
  if (rpcs_.size() == 0 || rpcs_.next_deadline_us() > now_us) return;
  for (const PendingRpc& rpc : rpcs_.expire(now_us)) {
    metrics_.rpc(RpcOutcome::kTimeout);
    Session* s = find(rpc.session_id);
    if (!s) continue;
    std::string message = "no reply from " + rpc.device_id + " to " + rpc.method + " within " +
                          std::to_string(rpc.timeout_ms) + " ms";
    // The broker's PUBACK 0x10 said nobody was subscribed to the request topic.
    if (rpc.no_subscriber) message += " (the device is offline)";
    queue_call(*s, error_frame(rpc.call_id, v1::ERROR_CODE_TIMEOUT, message));
  }
}

}  // namespace laneway::bridge
