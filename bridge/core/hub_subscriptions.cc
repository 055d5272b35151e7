// Connect, subscribe and unsubscribe: the requests that change what a session receives,
// answered only once the broker holds every filter they name (docs/bridge.md "Resume"),
// with the history replay a resuming subscription asks for.
#include <algorithm>

#include "authorization.h"
#include "frame_encoding.h"
#include "hub.h"
#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {

CallOutcome Hub::handle_connect(Session& s, const v1::CallFrame& call, const Reply& reply,
                                std::int64_t now_us) {
  const std::uint32_t id = call.id();
  const v1::ConnectRequest& req = call.connect();
  if (s.authenticated) {
    return refuse_call(reply, id, v1::ERROR_CODE_BAD_REQUEST, "already connected");
  }
  if (draining_) {
    fail_and_close(s, v1::ERROR_CODE_UNAVAILABLE, kDrainingMessage, id, drain_retry_after_ms_);
    return CallOutcome::refused(v1::ERROR_CODE_UNAVAILABLE, kDrainingMessage,
                                drain_retry_after_ms_);
  }
  const AppConfig* app = config_.find_app(req.app_id());
  if (!app) return refuse_and_close(s, id, v1::ERROR_CODE_UNAUTHORIZED, "unknown app");
  if (!origin_allowed(*app, s.origin)) {
    return refuse_and_close(s, id, v1::ERROR_CODE_FORBIDDEN, "origin not allowed for this app");
  }
  TokenClaims claims;
  const TokenError terr = verify_token(*app, req.token(), now_us / 1'000'000, claims);
  if (terr != TokenError::kOk) {
    return refuse_and_close(s, id, v1::ERROR_CODE_UNAUTHORIZED, describe(terr));
  }
  s.app = app;
  s.claims = std::move(claims);
  // Subscriptions are all-or-nothing with the connect.
  if (static_cast<std::size_t>(req.subscriptions_size()) > config_.limits.max_subscriptions) {
    return refuse_and_close(s, id, v1::ERROR_CODE_BAD_REQUEST, "too many subscriptions");
  }
  for (const auto& sub : req.subscriptions()) {
    const v1::ErrorCode code = check_subscribe(s, sub.filter());
    if (code != v1::ERROR_CODE_UNSPECIFIED) {
      return refuse_and_close(s, id, code, "subscription not allowed: " + sub.filter());
    }
  }
  std::vector<v1::Subscription> subs(req.subscriptions().begin(), req.subscriptions().end());
  return answer_or_hold(s, id, /*connect=*/true, std::move(subs), reply, now_us);
}

CallOutcome Hub::handle_subscribe(Session& s, const v1::CallFrame& call, const Reply& reply,
                                  std::int64_t now_us) {
  const v1::Subscription& sub = call.subscribe().subscription();
  const v1::ErrorCode code = check_subscribe(s, sub.filter());
  if (code != v1::ERROR_CODE_UNSPECIFIED) {
    return refuse_call(reply, call.id(), code, "subscription not allowed: " + sub.filter());
  }
  if (!s.subscribed(sub.filter()) &&
      s.filters.size() + s.held_filters >= config_.limits.max_subscriptions) {
    return refuse_call(reply, call.id(), v1::ERROR_CODE_BAD_REQUEST, "too many subscriptions");
  }
  return answer_or_hold(s, call.id(), /*connect=*/false, {sub}, reply, now_us);
}

CallOutcome Hub::handle_unsubscribe(Session& s, const v1::CallFrame& call, const Reply& reply) {
  const std::string& filter = call.unsubscribe().filter();
  // Held subscribes of the filter are answered with an error first, so the unsubscribe
  // stays the last word.
  for (HeldAnswer& a : held_.take_subscribes(s, filter)) {
    refuse(s, a.call_id, false, a.subs, a.reply, v1::ERROR_CODE_BAD_REQUEST,
           "unsubscribed before the broker acknowledged the subscription", 0);
  }
  remove_subscription(s, filter);
  v1::CallFrame result;
  result.set_id(call.id());
  result.mutable_unsubscribe_result()->set_filter(filter);
  reply(result);
  return CallOutcome::answered();
}

CallOutcome Hub::answer_or_hold(Session& s, std::uint32_t id, bool connect,
                                std::vector<v1::Subscription> subs, const Reply& reply,
                                std::int64_t now_us) {
  // Without the broker nothing can be acknowledged; the client retries (like publish).
  if (!subs.empty() && !upstream_.connected()) {
    return refuse(s, id, connect, {}, reply, v1::ERROR_CODE_UNAVAILABLE, "broker unavailable",
                  1000);
  }
  // SUBSCRIBE goes out now, so the round trip runs while the request waits.
  for (const v1::Subscription& sub : subs) router_.acquire(sub.filter());
  switch (router_.broker_state(subs)) {
    case UpstreamState::kGranted:  // the hot path: filters in use already
      grant(s, id, connect, subs, reply);
      return CallOutcome::answered();
    case UpstreamState::kRefused:
      return refuse(s, id, connect, subs, reply, v1::ERROR_CODE_FORBIDDEN,
                    "the broker refused the subscription", 0);
    case UpstreamState::kPending:
      break;
  }
  if (!held_.has_room(s)) {
    return refuse(s, id, connect, subs, reply, v1::ERROR_CODE_UNAVAILABLE,
                  "too many subscriptions waiting for the broker", 1000);
  }
  held_.hold(HeldAnswer{&s, id, connect, std::move(subs), reply, now_us + kSubscribeAckTimeoutUs});
  return CallOutcome::held();
}

void Hub::grant(Session& s, std::uint32_t id, bool connect,
                const std::vector<v1::Subscription>& subs, const Reply& reply) {
  std::vector<SubscriptionOutcome> outcomes;
  outcomes.reserve(subs.size());
  for (const v1::Subscription& sub : subs) outcomes.push_back(add_subscription(s, sub));
  v1::CallFrame result;
  result.set_id(id);
  if (connect) {
    s.authenticated = true;
    auto* cr = result.mutable_connect_result();
    cr->set_session_id(s.id);
    cr->set_subject(s.claims.subject);
    cr->set_expires_at_s(s.claims.expires_at_s);
    cr->set_ping_interval_ms(ping_interval_ms(s.lane));
    cr->set_server_version(kBridgeVersion);
    cr->set_max_frame_bytes(static_cast<std::uint32_t>(config_.limits.max_frame_bytes));
    // A session POST created waits for its event stream: this is what opens it.
    if (s.lane == Lane::kSse && !s.sink) {
      cr->set_attach_ticket(issue_attach_ticket(s, clock_us_ + kAttachTicketTtlUs));
    }
    for (const auto& o : outcomes) *cr->add_subscriptions() = o.result;
  } else {
    *result.mutable_subscribe_result() = outcomes.front().result;
  }
  // The answer first, then the replays: the client learns of a subscription before any
  // envelope it brings.
  reply(result);
  for (const auto& o : outcomes) {
    if (o.resumed) queue_replay(s, o.replay, o.result.recovered());
  }
}

std::uint32_t Hub::ping_interval_ms(Lane lane) const {
  switch (lane) {
    case Lane::kSse:
      return config_.sse_heartbeat_ms;
    case Lane::kWebTransport:
      return config_.webtransport.ping_interval_ms;
    case Lane::kWebSocket:
      break;
  }
  return config_.ws_ping_interval_ms;
}

CallOutcome Hub::refuse(Session& s, std::uint32_t id, bool connect,
                        const std::vector<v1::Subscription>& subs, const Reply& reply,
                        v1::ErrorCode code, const std::string& message,
                        std::uint32_t retry_after_ms) {
  release_filters(subs);
  if (connect && s.closing) return CallOutcome::dropped();
  reply(error_frame(id, code, message, retry_after_ms));
  if (connect) {
    // A connect is all-or-nothing: like its other refusals, this one ends the session. It
    // went through `reply` (which for POST /v1/call is the HTTP response, not the queue).
    s.final_error = Session::FinalError{id, code, message, retry_after_ms};
    s.closing = true;
    wake(s);
  }
  return CallOutcome::refused(code, message, retry_after_ms);
}

void Hub::release_filters(const std::vector<v1::Subscription>& subs) {
  for (const v1::Subscription& sub : subs) router_.release(sub.filter(), clock_us_);
}

void Hub::settle_answers(std::int64_t now_us) {
  if (held_.size() == 0) return;
  auto settled = held_.take_settled(now_us, [this](const std::vector<v1::Subscription>& subs) {
    return router_.broker_state(subs);
  });
  for (HeldAnswers::Settled& done : settled) settle(done);
}

void Hub::settle(HeldAnswers::Settled& done) {
  HeldAnswer& a = done.answer;
  Session& s = *a.session;
  if (s.closing) {
    release_filters(a.subs);  // nobody to answer
    return;
  }
  if (done.state == UpstreamState::kRefused) {
    refuse(s, a.call_id, a.connect, a.subs, a.reply, v1::ERROR_CODE_FORBIDDEN,
           "the broker refused the subscription", 0);
    return;
  }
  if (done.state == UpstreamState::kPending) {
    refuse(s, a.call_id, a.connect, a.subs, a.reply, v1::ERROR_CODE_UNAVAILABLE,
           "the broker did not acknowledge the subscription", 1000);
    return;
  }
  // A refresh while the subscribe waited may have narrowed what the session may read.
  for (const v1::Subscription& sub : a.subs) {
    if (const v1::ErrorCode code = check_subscribe(s, sub.filter());
        code != v1::ERROR_CODE_UNSPECIFIED) {
      refuse(s, a.call_id, a.connect, a.subs, a.reply, code, "subscription not allowed", 0);
      return;
    }
  }
  grant(s, a.call_id, a.connect, a.subs, a.reply);
}

Hub::SubscriptionOutcome Hub::add_subscription(Session& s, const v1::Subscription& sub) {
  SubscriptionOutcome out;
  const std::string& filter = sub.filter();
  out.result.set_filter(filter);
  out.result.set_recovered(true);
  out.result.set_epoch(history_.latest_epoch());
  if (!s.subscribed(filter)) {
    s.filters.push_back(filter);
    router_.join(s, filter);
  } else {
    router_.release(filter, clock_us_);  // the session holds a reference already
  }
  // The datagram wish follows the latest subscribe of the filter.
  auto& dg = s.datagram_filters;
  dg.erase(std::remove(dg.begin(), dg.end(), filter), dg.end());
  if (sub.datagrams()) dg.push_back(filter);
  if (sub.since_size() > 0) {
    out.resumed = true;
    bool recovered = true;
    for (const v1::Position& p : sub.since()) {
      if (!wire::is_valid_topic(p.topic()) || !wire::topic_matches(filter, p.topic())) {
        recovered = false;  // a position we cannot honour is a gap, not a silent skip
        continue;
      }
      Replay r = history_.since_position(p.topic(), p.epoch(), p.seq());
      recovered = recovered && r.recovered;
      for (auto& e : r.entries) out.replay.push_back(std::move(e));
    }
    std::sort(out.replay.begin(), out.replay.end(),
              [](const HistoryEntry& a, const HistoryEntry& b) { return a.offset < b.offset; });
    out.result.set_recovered(recovered);
    metrics_.resume(recovered);
  }
  return out;
}

void Hub::remove_subscription(Session& s, const std::string& filter) {
  auto it = std::find(s.filters.begin(), s.filters.end(), filter);
  if (it == s.filters.end()) return;
  const std::string f = *it;  // `filter` may alias the erased element
  s.filters.erase(it);
  auto& dg = s.datagram_filters;
  dg.erase(std::remove(dg.begin(), dg.end(), f), dg.end());
  router_.leave(s, f);
  router_.release(f, clock_us_);
}

void Hub::resume_from_offset(Session& s, std::uint64_t offset) {
  Replay r = history_.since_offset(s.filters, offset);
  metrics_.resume(r.recovered);
  queue_replay(s, r.entries, r.recovered);
}

void Hub::queue_replay(Session& s, const std::vector<HistoryEntry>& entries, bool recovered) {
  // Split into groups within the frame limit (every envelope admitted fits alone in one,
  // docs/wire.md "Frame limit"). An empty replay is one empty group: it still tells the
  // client whether anything was lost.
  const std::size_t budget = config_.limits.max_frame_bytes;
  std::size_t i = 0;
  do {
    GroupBuilder group(recovered);
    for (; i < entries.size(); ++i) {
      if (!group.empty() && group.bytes_with(entries[i]) > budget) break;
      group.add(entries[i]);
    }
    const std::uint64_t offset = group.offset();
    SharedFrame shared = encode_group(group.take_frame());
    if (!shared) return;
    deliver(s, shared, offset);
  } while (i < entries.size() && !s.closing);
}

}  // namespace laneway::bridge
