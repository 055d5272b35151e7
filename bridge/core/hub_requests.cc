// The requests that leave subscriptions alone: publish (and the broker's PUBACK), history,
// presence, token refresh.
#include <algorithm>

#include "authorization.h"
#include "hub.h"
#include "laneway/wire/frame_codec.h"
#include "laneway/wire/frame_limit.h"
#include "laneway/wire/origin.h"
#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {

CallOutcome Hub::handle_publish(Session& s, const v1::CallFrame& call, const Reply& reply,
                                std::int64_t now_us) {
  const v1::PublishRequest& req = call.publish();
  const std::uint32_t id = call.id();
  if (!wire::is_valid_topic(req.topic()) || req.topic().front() == '$' || req.qos() > 1) {
    return refuse_call(reply, id, v1::ERROR_CODE_BAD_REQUEST, "bad topic or qos");
  }
  if (!may_publish(s, req.topic())) {
    return refuse_call(reply, id, v1::ERROR_CODE_FORBIDDEN, "publish not allowed: " + req.topic());
  }
  if (const std::uint32_t wait = s.publish_limiter.take(now_us)) {
    return refuse_call(reply, id, v1::ERROR_CODE_RATE_LIMITED, "publish rate exceeded", wait);
  }
  v1::Frame frame;
  v1::Envelope* env = frame.mutable_envelope();
  env->set_topic(req.topic());
  env->set_payload(req.payload());
  env->set_timestamp_us(now_us);
  env->set_origin(wire::browser_origin(s.app->id, s.claims.subject));
  env->set_content_type(req.content_type());
  env->set_qos(req.qos());
  env->set_retain(req.retain());
  std::string bytes;
  // Once the plugin sequenced it, the envelope must still fit the limit the sessions that
  // receive it were told (docs/wire.md "Frame limit").
  if (wire::encode_frame(frame, bytes, config_.limits.max_frame_bytes) != wire::WireError::kOk ||
      !wire::unsequenced_envelope_fits(env->ByteSizeLong(), req.topic().size(),
                                       config_.limits.max_frame_bytes)) {
    metrics_.drop(DropReason::kClientOverLimit);
    return refuse_call(reply, id, v1::ERROR_CODE_TOO_LARGE,
                       "publish over the frame limit of " +
                           std::to_string(config_.limits.max_frame_bytes) + " bytes");
  }
  if (auto full = refuse_if_upstream_full(reply, id, bytes.size())) return *full;
  const int mid = upstream_.connected()
                      ? upstream_.publish(std::string(kInPrefix) + req.topic(), bytes,
                                          static_cast<int>(req.qos()), req.retain())
                      : 0;
  if (mid == 0) {
    return refuse_call(reply, id, v1::ERROR_CODE_UNAVAILABLE, "broker unavailable", 1000);
  }
  acks_.issued(mid);
  metrics_.client_publish();
  if (req.qos() == 1) {
    // Answered once the broker accepted it (on_publish_ack), on the session's queue.
    acks_.await(mid, AckLedger::Owner::kPublish);
    publishes_.track(mid, PendingPublish{s.id, id, now_us + kPublishAckTimeoutUs});
    return CallOutcome::answered();
  }
  v1::CallFrame result;
  result.set_id(id);
  result.mutable_publish_result();
  reply(result);
  return CallOutcome::answered();
}

std::optional<CallOutcome> Hub::refuse_if_upstream_full(const Reply& reply, std::uint32_t call_id,
                                                        std::size_t bytes) {
  if (acks_.may_issue() && upstream_.has_room(bytes)) return std::nullopt;
  acks_.count_refusal();
  return refuse_call(reply, call_id, v1::ERROR_CODE_UNAVAILABLE,
                     "too many messages waiting for the broker", 1000);
}

void Hub::on_publish_ack(int mid, int reason) {
  // The ledger says whose the id is: a publish's and an RPC request's never share one.
  const auto owner = acks_.on_puback(mid);
  if (!owner) return;
  if (*owner == AckLedger::Owner::kRpc) {
    on_rpc_ack(mid, reason);
    return;
  }
  const auto pending = publishes_.on_ack(mid);
  if (!pending) return;
  Session* s = find(pending->session_id);
  if (!s) return;
  if (reason >= 0x80) {
    queue_call(*s, error_frame(pending->call_id, v1::ERROR_CODE_FORBIDDEN,
                               "the broker refused the publish"));
    return;
  }
  v1::CallFrame result;
  result.set_id(pending->call_id);
  result.mutable_publish_result();
  queue_call(*s, result);
}

void Hub::expire_publishes(std::int64_t now_us) {
  for (const PendingPublish& p : publishes_.expire(now_us)) {
    if (Session* s = find(p.session_id)) {
      queue_call(*s, error_frame(p.call_id, v1::ERROR_CODE_UNAVAILABLE,
                                 "the broker did not acknowledge the publish", 1000));
    }
  }
}

CallOutcome Hub::handle_history(Session& s, const v1::CallFrame& call, const Reply& reply) {
  const v1::HistoryRequest& req = call.history();
  if (!wire::is_valid_topic(req.topic()) || req.topic().front() == '$') {
    return refuse_call(reply, call.id(), v1::ERROR_CODE_BAD_REQUEST, "bad topic");
  }
  if (!may_read_topic(s, req.topic())) {
    return refuse_call(reply, call.id(), v1::ERROR_CODE_FORBIDDEN,
                       "history not allowed: " + req.topic());
  }
  std::size_t limit = config_.limits.history_request_max;
  if (req.limit() > 0) limit = std::min<std::size_t>(limit, req.limit());
  const bool from_oldest = !req.has_since();
  Replay r = from_oldest ? history_.since_position(req.topic(), 0, 0, limit)
                         : history_.since_position(req.topic(), req.since().epoch(),
                                                   req.since().seq(), limit);
  // "From the oldest kept" is a complete answer when nothing of the topic was dropped.
  GroupBuilder group(from_oldest ? !r.entries.empty() && r.entries.front().seq == 1 : r.recovered);
  for (const HistoryEntry& e : r.entries) {
    // At least one, so the client's next ask moves on (every envelope admitted fits alone;
    // only one kept from before a smaller limit was configured would not).
    if (!group.empty() && group.bytes_with(e) > config_.limits.max_frame_bytes) {
      group.set_recovered(false);  // truncated: the client asks again from the last seq
      break;
    }
    group.add(e);
  }
  v1::CallFrame result;
  result.set_id(call.id());
  v1::Frame built = group.take_frame();
  result.mutable_history_result()->mutable_group()->Swap(built.mutable_group());
  reply(result);
  return CallOutcome::answered();
}

CallOutcome Hub::handle_presence(Session& s, const v1::CallFrame& call, const Reply& reply) {
  const v1::PresenceRequest& asked = call.presence();
  const std::string filter = asked.filter().empty() ? std::string("+") : asked.filter();
  if (!wire::is_valid_filter(filter) || filter.find('/') != std::string::npos) {
    return refuse_call(reply, call.id(), v1::ERROR_CODE_BAD_REQUEST, "bad presence filter");
  }
  v1::CallFrame result;
  result.set_id(call.id());
  auto* pr = result.mutable_presence_result();
  if (filter != "+" && filter != "#") {  // one device, by id
    const v1::Presence* p = presence_.find(filter);
    if (p && may_see_device(s, p->client_id())) *pr->add_clients() = *p;
    reply(result);
    return CallOutcome::answered();
  }
  const std::size_t page_max = config_.limits.presence_page_max;
  const std::size_t limit =
      asked.limit() == 0 ? page_max : std::min<std::size_t>(asked.limit(), page_max);
  // Bounded work per call, however few of the devices this session may see.
  const std::size_t scan_max = kPresenceScanFactor * page_max;
  // A page also ends before a device that would take its frame over the frame limit the
  // session was told; that device opens the next page (the cursor is the one before it).
  const std::size_t frame_max = config_.limits.max_frame_bytes;
  const std::size_t byte_budget = frame_max - std::min(kPresenceFrameHeadroom, frame_max / 2);
  std::size_t bytes = 0;
  std::string last_visited;
  bool page_full = false;
  std::string next = presence_.for_each_after(asked.after(), scan_max, [&](const v1::Presence& p) {
    if (may_see_device(s, p.client_id())) {
      const std::size_t entry = wire::field_bytes(p.ByteSizeLong());
      if (pr->clients_size() > 0 && bytes + entry > byte_budget) {
        page_full = true;
        return false;
      }
      *pr->add_clients() = p;
      bytes += entry;
    }
    last_visited = p.client_id();
    return static_cast<std::size_t>(pr->clients_size()) < limit;
  });
  pr->set_next(page_full ? last_visited : std::move(next));
  reply(result);
  return CallOutcome::answered();
}

CallOutcome Hub::handle_refresh(Session& s, const v1::CallFrame& call, const Reply& reply,
                                std::int64_t now_us) {
  TokenClaims claims;
  const TokenError terr = verify_token(*s.app, call.refresh().token(), now_us / 1'000'000, claims);
  if (terr != TokenError::kOk) {
    return refuse_call(reply, call.id(), v1::ERROR_CODE_UNAUTHORIZED, describe(terr));
  }
  if (claims.subject != s.claims.subject) {
    return refuse_call(reply, call.id(), v1::ERROR_CODE_FORBIDDEN,
                       "refresh token has another subject");
  }
  s.claims = std::move(claims);
  // A narrower token ends the subscriptions it no longer allows.
  const std::vector<std::string> filters = s.filters;
  for (const auto& f : filters) {
    if (check_subscribe(s, f) != v1::ERROR_CODE_UNSPECIFIED) remove_subscription(s, f);
  }
  v1::CallFrame result;
  result.set_id(call.id());
  result.mutable_refresh_result()->set_expires_at_s(s.claims.expires_at_s);
  reply(result);
  return CallOutcome::answered();
}

}  // namespace laneway::bridge
