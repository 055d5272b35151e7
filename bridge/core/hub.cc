#include "hub.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "laneway/wire/frame_codec.h"
#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {
namespace {

SharedFrame encode_shared(const v1::Frame& frame) {
  std::string bytes;
  // Frames the bridge builds itself are bounded by construction; the generous limit only
  // guards against a bug turning into an unbounded allocation.
  if (wire::encode_frame(frame, bytes, std::size_t{64} << 20) != wire::WireError::kOk) {
    return nullptr;
  }
  return make_shared_frame(bytes);
}

bool covered_by_any(const std::vector<std::string>& allowed, const std::string& filter) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return wire::filter_covers(a, filter); });
}

bool matched_by_any(const std::vector<std::string>& allowed, const std::string& topic) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return wire::topic_matches(a, topic); });
}

bool intersects_any(const std::vector<std::string>& allowed, const std::string& filter) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return wire::filters_intersect(a, filter); });
}

v1::ErrorCode token_error_code(TokenError e) {
  return e == TokenError::kOk ? v1::ERROR_CODE_UNSPECIFIED : v1::ERROR_CODE_UNAUTHORIZED;
}

}  // namespace

std::string random_hex_id() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    // Without a working CSPRNG session ids would be guessable; refuse to run on.
    std::fprintf(stderr, "laneway-bridge: RAND_bytes failed\n");
    std::abort();
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned char c : raw) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

Hub::Hub(const BridgeConfig& config, Upstream& upstream)
    : config_(config),
      upstream_(upstream),
      history_(config.history),
      instance_id_(random_hex_id().substr(0, 12)),
      rpcs_(config.limits.rpc_pending_max, config.limits.rpc_pending_per_session),
      rpc_requester_("bridge-" + config.broker.client_id),
      rpc_reply_filter_("devices/+/rpc-reply/" + rpc_requester_) {
  // Envelope filters an earlier run left in the persistent broker session: the broker
  // queued their envelopes while the bridge was down and delivers them now, so they go to
  // history as usual; no session uses them yet, so they linger like any released filter
  // (the clock starts at the first tick) and are unsubscribed if nobody comes back.
  for (const std::string& mqtt_filter : upstream_.previous_filters()) {
    if (mqtt_filter.substr(0, kEnvPrefix.size()) != kEnvPrefix) continue;
    const std::string filter = mqtt_filter.substr(kEnvPrefix.size());
    if (!wire::is_valid_filter(filter) || lingering_.count(filter)) continue;
    lingering_[filter] = kLingerFromFirstTick;
    upstream_.subscribe(mqtt_filter);
  }
  upstream_.subscribe(kPresenceFilter);
  // One subscription for every RPC reply this bridge will ever get (plugin ACL: bridges
  // read devices/+/rpc-reply/#); replies are told apart by their correlation data.
  upstream_.subscribe(rpc_reply_filter_);
}

v1::CallFrame Hub::error_frame(std::uint32_t id, v1::ErrorCode code, const std::string& msg,
                               std::uint32_t retry_after_ms) {
  v1::CallFrame f;
  f.set_id(id);
  auto* e = f.mutable_error();
  e->set_code(code);
  e->set_message(msg);
  e->set_retry_after_ms(retry_after_ms);
  return f;
}

Session* Hub::open(Lane lane, LaneSink* sink, std::string origin, std::int64_t now_us) {
  last_tick_us_ = std::max(last_tick_us_, now_us);
  if (sessions_.size() >= config_.limits.max_sessions) return nullptr;
  auto session =
      std::make_unique<Session>(random_hex_id(), lane, sink, std::move(origin), config_.limits);
  session->opened_at_us = now_us;
  Session* raw = session.get();
  sessions_.emplace(raw->id, std::move(session));
  auto& lc = metrics_.lane(lane);
  lc.connections++;
  lc.connections_total++;
  return raw;
}

void Hub::close(Session* s) {
  if (!s) return;
  drop_held(*s);
  while (!s->filters.empty()) remove_subscription(*s, s->filters.back());
  rpcs_.drop_session(s->id);
  metrics_.lane(s->lane).connections--;
  sessions_.erase(s->id);
}

Session* Hub::find(const std::string& session_id) {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void Hub::detach(Session& s, std::int64_t now_us) {
  s.sink = nullptr;
  s.detached_since_us = now_us;
}

void Hub::attach(Session& s, LaneSink* sink) {
  s.sink = sink;
  s.detached_since_us = 0;
  if (!s.queue.empty() || s.closing) wake(s);
}

void Hub::wake(Session& s) {
  if (s.sink) s.sink->request_write();
}

void Hub::queue_call(Session& s, const v1::CallFrame& call) {
  v1::Frame frame;
  *frame.mutable_call() = call;
  SharedFrame shared = encode_shared(frame);
  if (!shared) return;
  if (!s.queue.push(QueuedFrame{std::move(shared), 0})) {
    fail_and_close(s, v1::ERROR_CODE_SLOW_CONSUMER, "outbound queue full");
    return;
  }
  wake(s);
}

void Hub::fail_and_close(Session& s, v1::ErrorCode code, const std::string& message,
                         std::uint32_t id) {
  if (s.closing) return;
  if (code == v1::ERROR_CODE_SLOW_CONSUMER) {
    metrics_.drop(DropReason::kSlowConsumer);
    s.queue.clear();  // the client resumes from its positions after reconnecting
  }
  v1::Frame frame;
  *frame.mutable_call() = error_frame(id, code, message);
  if (SharedFrame shared = encode_shared(frame)) s.queue.push_unbounded(QueuedFrame{shared, 0});
  s.closing = true;
  wake(s);
}

void Hub::refuse_oversized(Session& s) {
  queue_call(
      s, error_frame(0, v1::ERROR_CODE_TOO_LARGE,
                     "frame over " + std::to_string(config_.limits.max_frame_bytes) + " bytes"));
}

void Hub::on_client_frame(Session& s, std::string_view bytes, std::int64_t now_us) {
  if (s.closing) return;
  auto& lc = metrics_.lane(s.lane);
  lc.frames_in++;
  lc.bytes_in += bytes.size();
  v1::Frame frame;
  const wire::WireError err = wire::decode_frame(bytes, frame, config_.limits.max_frame_bytes);
  if (err == wire::WireError::kTooLarge) {
    refuse_oversized(s);
    return;
  }
  if (err != wire::WireError::kOk) {
    queue_call(s, error_frame(0, v1::ERROR_CODE_BAD_REQUEST, wire::describe(err)));
    return;
  }
  if (!frame.has_call()) {
    queue_call(s, error_frame(0, v1::ERROR_CODE_BAD_REQUEST, "clients send CallFrames only"));
    return;
  }
  handle_call(
      s, frame.call(), [this, &s](const v1::CallFrame& r) { queue_call(s, r); }, now_us);
}

bool Hub::handle_call(Session& s, const v1::CallFrame& call, const Reply& reply,
                      std::int64_t now_us) {
  if (s.closing) return false;
  last_tick_us_ = std::max(last_tick_us_, now_us);
  const std::uint32_t id = call.id();
  if (const std::uint32_t wait = s.call_limiter.take(now_us)) {
    reply(error_frame(id, v1::ERROR_CODE_RATE_LIMITED, "too many calls", wait));
    return false;
  }
  if (s.connect_held) {
    // Neither authenticated nor refused yet: whatever comes next waits for that answer.
    reply(error_frame(id, v1::ERROR_CODE_BAD_REQUEST, "the connect is not answered yet"));
    return false;
  }
  if (call.body_case() == v1::CallFrame::kConnect) return handle_connect(s, call, reply, now_us);
  if (!s.authenticated) {
    fail_and_close(s, v1::ERROR_CODE_UNAUTHORIZED, "connect first", id);
    return false;
  }
  switch (call.body_case()) {
    case v1::CallFrame::kSubscribe:
      return handle_subscribe(s, call, reply, now_us);
    case v1::CallFrame::kUnsubscribe:
      handle_unsubscribe(s, call, reply);
      break;
    case v1::CallFrame::kPublish:
      handle_publish(s, call, reply, now_us);
      break;
    case v1::CallFrame::kHistory:
      handle_history(s, call, reply);
      break;
    case v1::CallFrame::kPresence:
      handle_presence(s, call, reply);
      break;
    case v1::CallFrame::kRefresh:
      handle_refresh(s, call, reply, now_us);
      break;
    case v1::CallFrame::kPing: {
      v1::CallFrame pong;
      pong.set_id(id);
      pong.mutable_pong()->set_sent_at_us(call.ping().sent_at_us());
      reply(pong);
      break;
    }
    case v1::CallFrame::kRpc:
      handle_rpc(s, call, reply, now_us);
      break;
    default:
      reply(error_frame(id, v1::ERROR_CODE_BAD_REQUEST, "not a request"));
      break;
  }
  return false;
}

bool origin_allowed(const AppConfig& app, const std::string& origin) {
  // No Origin header: a same-origin GET from a browser or a non-browser client (which could
  // send any Origin it likes anyway). Origin checks stop other sites' pages, which always
  // carry their Origin on WebSocket and cross-origin requests.
  if (origin.empty()) return true;
  return std::any_of(app.origins.begin(), app.origins.end(),
                     [&](const std::string& o) { return o == "*" || o == origin; });
}

v1::ErrorCode Hub::check_subscribe(const Session& s, const std::string& filter) const {
  if (!wire::is_valid_filter(filter) || filter.front() == '$') return v1::ERROR_CODE_BAD_REQUEST;
  if (!covered_by_any(s.app->subscribe, filter)) return v1::ERROR_CODE_FORBIDDEN;
  if (s.claims.subscribe_claimed && !covered_by_any(s.claims.subscribe, filter)) {
    return v1::ERROR_CODE_FORBIDDEN;
  }
  return v1::ERROR_CODE_UNSPECIFIED;
}

bool Hub::may_read_topic(const Session& s, const std::string& topic) const {
  return matched_by_any(s.app->subscribe, topic) &&
         (!s.claims.subscribe_claimed || matched_by_any(s.claims.subscribe, topic));
}

bool Hub::may_publish(const Session& s, const std::string& topic) const {
  return matched_by_any(s.app->publish, topic) &&
         (!s.claims.publish_claimed || matched_by_any(s.claims.publish, topic));
}

bool Hub::handle_connect(Session& s, const v1::CallFrame& call, const Reply& reply,
                         std::int64_t now_us) {
  const std::uint32_t id = call.id();
  const v1::ConnectRequest& req = call.connect();
  if (s.authenticated) {
    reply(error_frame(id, v1::ERROR_CODE_BAD_REQUEST, "already connected"));
    return false;
  }
  const AppConfig* app = config_.find_app(req.app_id());
  if (!app) {
    fail_and_close(s, v1::ERROR_CODE_UNAUTHORIZED, "unknown app", id);
    return false;
  }
  if (!origin_allowed(*app, s.origin)) {
    fail_and_close(s, v1::ERROR_CODE_FORBIDDEN, "origin not allowed for this app", id);
    return false;
  }
  TokenClaims claims;
  const TokenError terr = verify_token(*app, req.token(), now_us / 1'000'000, claims);
  if (terr != TokenError::kOk) {
    fail_and_close(s, token_error_code(terr), describe(terr), id);
    return false;
  }
  s.app = app;
  s.claims = std::move(claims);
  // Subscriptions are all-or-nothing with the connect.
  if (static_cast<std::size_t>(req.subscriptions_size()) > config_.limits.max_subscriptions) {
    fail_and_close(s, v1::ERROR_CODE_BAD_REQUEST, "too many subscriptions", id);
    return false;
  }
  for (const auto& sub : req.subscriptions()) {
    const v1::ErrorCode code = check_subscribe(s, sub.filter());
    if (code != v1::ERROR_CODE_UNSPECIFIED) {
      fail_and_close(s, code, "subscription not allowed: " + sub.filter(), id);
      return false;
    }
  }
  std::vector<v1::Subscription> subs(req.subscriptions().begin(), req.subscriptions().end());
  return answer_or_hold(s, id, /*connect=*/true, std::move(subs), reply, now_us);
}

UpstreamState Hub::broker_state(const std::vector<v1::Subscription>& subs) const {
  UpstreamState all = UpstreamState::kGranted;
  for (const v1::Subscription& sub : subs) {
    const UpstreamState st = upstream_.subscription_state(std::string(kEnvPrefix) + sub.filter());
    if (st == UpstreamState::kRefused) return st;
    if (st == UpstreamState::kPending) all = st;
  }
  return all;
}

void Hub::acquire_upstream(const std::string& filter) {
  if (upstream_subs_.acquire(filter) && lingering_.erase(filter) == 0) {
    upstream_.subscribe(std::string(kEnvPrefix) + filter);
  }
}

void Hub::release_upstream(const std::string& filter) {
  if (upstream_subs_.release(filter)) {
    // Kept a while so a reconnecting client finds the history current.
    lingering_[filter] = last_tick_us_ + std::int64_t{config_.history.upstream_linger_ms} * 1000;
  }
}

bool Hub::answer_or_hold(Session& s, std::uint32_t id, bool connect,
                         std::vector<v1::Subscription> subs, const Reply& reply,
                         std::int64_t now_us) {
  // Without the broker nothing can be acknowledged; the client retries (like publish).
  if (!subs.empty() && !upstream_.connected()) {
    refuse(s, id, connect, {}, reply, v1::ERROR_CODE_UNAVAILABLE, "broker unavailable", 1000);
    return false;
  }
  // SUBSCRIBE goes out now, so the round trip runs while the request waits.
  for (const v1::Subscription& sub : subs) acquire_upstream(sub.filter());
  switch (broker_state(subs)) {
    case UpstreamState::kGranted:  // the hot path: filters in use already
      grant(s, id, connect, subs, reply);
      return false;
    case UpstreamState::kRefused:
      refuse(s, id, connect, subs, reply, v1::ERROR_CODE_FORBIDDEN,
             "the broker refused the subscription", 0);
      return false;
    case UpstreamState::kPending:
      break;
  }
  if (s.held_answers >= kHeldAnswersPerSession || held_.size() >= kHeldAnswersMax) {
    refuse(s, id, connect, subs, reply, v1::ERROR_CODE_UNAVAILABLE,
           "too many subscriptions waiting for the broker", 1000);
    return false;
  }
  s.held_answers++;
  s.held_filters += subs.size();
  s.connect_held = s.connect_held || connect;
  held_.push_back(
      HeldAnswer{&s, id, connect, std::move(subs), reply, now_us + kSubscribeAckTimeoutUs});
  return true;
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
    cr->set_ping_interval_ms(s.lane == Lane::kSse ? config_.sse_heartbeat_ms
                                                  : config_.ws_ping_interval_ms);
    cr->set_server_version(kBridgeVersion);
    cr->set_max_frame_bytes(static_cast<std::uint32_t>(config_.limits.max_frame_bytes));
    for (const auto& o : outcomes) *cr->add_subscriptions() = o.result;
  } else {
    *result.mutable_subscribe_result() = outcomes.front().result;
  }
  // The answer first, then the replays: the client learns of a subscription before any
  // envelope it brings.
  reply(result);
  for (auto& o : outcomes) {
    if (o.resumed) queue_replay(s, std::move(o.replay), o.result.recovered());
  }
}

void Hub::refuse(Session& s, std::uint32_t id, bool connect,
                 const std::vector<v1::Subscription>& subs, const Reply& reply, v1::ErrorCode code,
                 const std::string& message, std::uint32_t retry_after_ms) {
  for (const v1::Subscription& sub : subs) release_upstream(sub.filter());
  if (!connect) {
    reply(error_frame(id, code, message, retry_after_ms));
    return;
  }
  if (s.closing) return;
  // A connect is all-or-nothing: like its other refusals, this one ends the session. It
  // goes through `reply` (which for POST /v1/call is the HTTP response, not the queue).
  reply(error_frame(id, code, message, retry_after_ms));
  s.closing = true;
  wake(s);
}

void Hub::settle_answers(std::int64_t now_us) {
  if (held_.empty()) return;
  // Settled answers leave the list before any reply runs, so nothing a reply does can
  // disturb the walk.
  struct Settled {
    HeldAnswer answer;
    UpstreamState state;
  };
  std::vector<Settled> settled;
  for (auto it = held_.begin(); it != held_.end();) {
    const UpstreamState st = broker_state(it->subs);
    if (st == UpstreamState::kPending && it->deadline_us > now_us) {
      ++it;
      continue;
    }
    Session& s = *it->session;
    s.held_answers--;
    s.held_filters -= it->subs.size();
    if (it->connect) s.connect_held = false;
    settled.push_back(Settled{std::move(*it), st});
    it = held_.erase(it);
  }
  for (Settled& done : settled) {
    HeldAnswer& a = done.answer;
    Session& s = *a.session;
    if (s.closing) {
      // Nobody to answer; what the request acquired goes back.
      for (const v1::Subscription& sub : a.subs) release_upstream(sub.filter());
      continue;
    }
    if (done.state == UpstreamState::kRefused) {
      refuse(s, a.call_id, a.connect, a.subs, a.reply, v1::ERROR_CODE_FORBIDDEN,
             "the broker refused the subscription", 0);
      continue;
    }
    if (done.state == UpstreamState::kPending) {
      refuse(s, a.call_id, a.connect, a.subs, a.reply, v1::ERROR_CODE_UNAVAILABLE,
             "the broker did not acknowledge the subscription", 1000);
      continue;
    }
    // A refresh while the subscribe waited may have narrowed what the session may read.
    v1::ErrorCode code = v1::ERROR_CODE_UNSPECIFIED;
    for (const v1::Subscription& sub : a.subs) {
      if (code == v1::ERROR_CODE_UNSPECIFIED) code = check_subscribe(s, sub.filter());
    }
    if (code != v1::ERROR_CODE_UNSPECIFIED) {
      refuse(s, a.call_id, a.connect, a.subs, a.reply, code, "subscription not allowed", 0);
      continue;
    }
    grant(s, a.call_id, a.connect, a.subs, a.reply);
  }
}

void Hub::drop_held(Session& s) {
  if (s.held_answers == 0) return;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->session != &s) {
      ++it;
      continue;
    }
    for (const v1::Subscription& sub : it->subs) release_upstream(sub.filter());
    it = held_.erase(it);
  }
  s.held_answers = 0;
  s.held_filters = 0;
  s.connect_held = false;
}

void Hub::cancel_held(Session& s, const std::string& filter) {
  if (s.held_answers == 0) return;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->session != &s || it->connect || it->subs.front().filter() != filter) {
      ++it;
      continue;
    }
    const HeldAnswer a = std::move(*it);
    it = held_.erase(it);
    s.held_answers--;
    s.held_filters -= a.subs.size();
    refuse(s, a.call_id, false, a.subs, a.reply, v1::ERROR_CODE_BAD_REQUEST,
           "unsubscribed before the broker acknowledged the subscription", 0);
  }
}

Hub::SubscriptionOutcome Hub::add_subscription(Session& s, const v1::Subscription& sub) {
  SubscriptionOutcome out;
  const std::string& filter = sub.filter();
  out.result.set_filter(filter);
  out.result.set_recovered(true);
  out.result.set_epoch(history_.latest_epoch());
  if (std::find(s.filters.begin(), s.filters.end(), filter) == s.filters.end()) {
    s.filters.push_back(filter);
    index_[filter].insert(&s);
  } else {
    release_upstream(filter);  // the session holds a reference already
  }
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
  auto idx = index_.find(f);
  if (idx != index_.end()) {
    idx->second.erase(&s);
    if (idx->second.empty()) index_.erase(idx);
  }
  release_upstream(f);
}

void Hub::on_broker_reconnected() {
  history_.mark_all_stale();
}

HistorySnapshot Hub::snapshot_history(std::int64_t now_us) const {
  return HistorySnapshot{instance_id_, history_.export_state(), now_us};
}

bool Hub::restore_history(HistorySnapshot snapshot, bool vouch, std::string& error) {
  if (!sessions_.empty()) {
    error = "sessions are already open";
    return false;
  }
  if (snapshot.instance_id.empty() || snapshot.instance_id.find('.') != std::string::npos) {
    error = "bad instance id";  // SSE resume tokens are <instance>.<offset>
    return false;
  }
  if (!history_.import_state(std::move(snapshot.state), vouch, error)) return false;
  instance_id_ = std::move(snapshot.instance_id);
  return true;
}

void Hub::queue_replay(Session& s, std::vector<HistoryEntry> entries, bool recovered) {
  // Split into groups no larger than a client frame so every group fits the lane limits.
  const std::size_t budget = config_.limits.max_frame_bytes;
  std::size_t i = 0;
  do {
    v1::Frame frame;
    auto* group = frame.mutable_group();
    group->set_reason(v1::GroupEnvelope::REASON_HISTORY);
    group->set_recovered(recovered);
    std::size_t bytes = 0;
    std::uint64_t offset = 0;
    std::unordered_map<std::string, v1::Span*> spans;
    for (; i < entries.size(); ++i) {
      if (bytes > 0 && bytes + entries[i].frame->size() > budget) break;
      v1::Frame stored;
      if (wire::decode_frame(entries[i].frame->bytes(), stored, kMaxBrokerFrameBytes) !=
              wire::WireError::kOk ||
          !stored.has_envelope()) {
        continue;
      }
      const v1::Envelope& env = stored.envelope();
      v1::Span*& span = spans[env.topic()];
      if (!span) {
        span = group->add_spans();
        span->set_topic(env.topic());
        span->set_epoch(env.epoch());
        span->set_from_seq(env.seq());
      }
      span->set_to_seq(env.seq());
      *group->add_envelopes() = env;
      bytes += entries[i].frame->size();
      offset = std::max(offset, entries[i].offset);
    }
    SharedFrame shared = encode_shared(frame);
    if (!shared) return;
    deliver(s, shared, offset);
  } while (i < entries.size() && !s.closing);
}

void Hub::resume_from_offset(Session& s, std::uint64_t offset) {
  Replay r = history_.since_offset(s.filters, offset);
  metrics_.resume(r.recovered);
  queue_replay(s, std::move(r.entries), r.recovered);
}

bool Hub::handle_subscribe(Session& s, const v1::CallFrame& call, const Reply& reply,
                           std::int64_t now_us) {
  const v1::Subscription& sub = call.subscribe().subscription();
  const v1::ErrorCode code = check_subscribe(s, sub.filter());
  if (code != v1::ERROR_CODE_UNSPECIFIED) {
    reply(error_frame(call.id(), code, "subscription not allowed: " + sub.filter()));
    return false;
  }
  const bool already =
      std::find(s.filters.begin(), s.filters.end(), sub.filter()) != s.filters.end();
  if (!already && s.filters.size() + s.held_filters >= config_.limits.max_subscriptions) {
    reply(error_frame(call.id(), v1::ERROR_CODE_BAD_REQUEST, "too many subscriptions"));
    return false;
  }
  return answer_or_hold(s, call.id(), /*connect=*/false, {sub}, reply, now_us);
}

void Hub::handle_unsubscribe(Session& s, const v1::CallFrame& call, const Reply& reply) {
  cancel_held(s, call.unsubscribe().filter());
  remove_subscription(s, call.unsubscribe().filter());
  v1::CallFrame result;
  result.set_id(call.id());
  result.mutable_unsubscribe_result()->set_filter(call.unsubscribe().filter());
  reply(result);
}

void Hub::handle_publish(Session& s, const v1::CallFrame& call, const Reply& reply,
                         std::int64_t now_us) {
  const v1::PublishRequest& req = call.publish();
  const std::uint32_t id = call.id();
  if (!wire::is_valid_topic(req.topic()) || req.topic().front() == '$' || req.qos() > 1) {
    reply(error_frame(id, v1::ERROR_CODE_BAD_REQUEST, "bad topic or qos"));
    return;
  }
  if (!may_publish(s, req.topic())) {
    reply(error_frame(id, v1::ERROR_CODE_FORBIDDEN, "publish not allowed: " + req.topic()));
    return;
  }
  if (req.payload().size() > config_.limits.max_frame_bytes) {
    reply(error_frame(id, v1::ERROR_CODE_TOO_LARGE, "payload too large"));
    return;
  }
  if (const std::uint32_t wait = s.publish_limiter.take(now_us)) {
    reply(error_frame(id, v1::ERROR_CODE_RATE_LIMITED, "publish rate exceeded", wait));
    return;
  }
  v1::Frame frame;
  v1::Envelope* env = frame.mutable_envelope();
  env->set_topic(req.topic());
  env->set_payload(req.payload());
  env->set_timestamp_us(now_us);
  env->set_origin(s.app->id + ":" + s.claims.subject);
  env->set_content_type(req.content_type());
  env->set_qos(req.qos());
  env->set_retain(req.retain());
  std::string bytes;
  int mid = 0;
  if (wire::encode_frame(frame, bytes, std::size_t{64} << 20) == wire::WireError::kOk &&
      upstream_.connected()) {
    mid = upstream_.publish(std::string(kInPrefix) + req.topic(), bytes,
                            static_cast<int>(req.qos()), req.retain());
  }
  if (mid == 0) {
    reply(error_frame(id, v1::ERROR_CODE_UNAVAILABLE, "broker unavailable", 1000));
    return;
  }
  metrics_.client_publish();
  if (req.qos() == 1) {
    // Answered once the broker accepted it (on_publish_ack), on the session's queue.
    pending_publishes_[mid] = PendingPublish{s.id, id, now_us + kPublishAckTimeoutUs};
    return;
  }
  v1::CallFrame result;
  result.set_id(id);
  result.mutable_publish_result();
  reply(result);
}

void Hub::on_publish_ack(int mid, int reason) {
  on_rpc_ack(mid, reason);
  const bool accepted = reason < 0x80;
  auto it = pending_publishes_.find(mid);
  if (it == pending_publishes_.end()) return;
  const PendingPublish pending = it->second;
  pending_publishes_.erase(it);
  Session* s = find(pending.session_id);
  if (!s) return;
  if (!accepted) {
    queue_call(*s, error_frame(pending.call_id, v1::ERROR_CODE_FORBIDDEN,
                               "the broker refused the publish"));
    return;
  }
  v1::CallFrame result;
  result.set_id(pending.call_id);
  result.mutable_publish_result();
  queue_call(*s, result);
}

void Hub::handle_history(Session& s, const v1::CallFrame& call, const Reply& reply) {
  const v1::HistoryRequest& req = call.history();
  if (!wire::is_valid_topic(req.topic()) || req.topic().front() == '$') {
    reply(error_frame(call.id(), v1::ERROR_CODE_BAD_REQUEST, "bad topic"));
    return;
  }
  if (!may_read_topic(s, req.topic())) {
    reply(error_frame(call.id(), v1::ERROR_CODE_FORBIDDEN, "history not allowed: " + req.topic()));
    return;
  }
  std::size_t limit = config_.limits.history_request_max;
  if (req.limit() > 0) limit = std::min<std::size_t>(limit, req.limit());
  const bool from_oldest = !req.has_since();
  Replay r = from_oldest ? history_.since_position(req.topic(), 0, 0, limit)
                         : history_.since_position(req.topic(), req.since().epoch(),
                                                   req.since().seq(), limit);
  v1::CallFrame result;
  result.set_id(call.id());
  auto* group = result.mutable_history_result()->mutable_group();
  group->set_reason(v1::GroupEnvelope::REASON_HISTORY);
  // "From the oldest kept" is a complete answer when nothing of the topic was dropped.
  group->set_recovered(from_oldest ? !r.entries.empty() && r.entries.front().seq == 1
                                   : r.recovered);
  std::size_t bytes = 0;
  for (const HistoryEntry& e : r.entries) {
    if (bytes + e.frame->size() > config_.limits.max_frame_bytes) {
      group->set_recovered(false);  // truncated: the client asks again from the last seq
      break;
    }
    v1::Frame stored;
    if (wire::decode_frame(e.frame->bytes(), stored, kMaxBrokerFrameBytes) !=
            wire::WireError::kOk ||
        !stored.has_envelope()) {
      continue;
    }
    if (group->spans_size() == 0) {
      auto* span = group->add_spans();
      span->set_topic(req.topic());
      span->set_epoch(stored.envelope().epoch());
      span->set_from_seq(stored.envelope().seq());
    }
    group->mutable_spans(0)->set_to_seq(stored.envelope().seq());
    *group->add_envelopes() = stored.envelope();
    bytes += e.frame->size();
  }
  reply(result);
}

void Hub::handle_presence(Session& s, const v1::CallFrame& call, const Reply& reply) {
  std::string filter = call.presence().filter();
  if (filter.empty()) filter = "+";
  if (!wire::is_valid_filter(filter) || filter.find('/') != std::string::npos) {
    reply(error_frame(call.id(), v1::ERROR_CODE_BAD_REQUEST, "bad presence filter"));
    return;
  }
  v1::CallFrame result;
  result.set_id(call.id());
  auto* pr = result.mutable_presence_result();
  for (const auto& [client, presence] : presence_) {
    if (presence.role() != "device" || !wire::topic_matches(filter, client)) continue;
    // A device is visible when the session may see some topic under devices/<id>/.
    const std::string scope = "devices/" + client + "/#";
    if (!intersects_any(s.app->subscribe, scope)) continue;
    if (s.claims.subscribe_claimed && !intersects_any(s.claims.subscribe, scope)) continue;
    *pr->add_clients() = presence;
  }
  reply(result);
}

void Hub::handle_refresh(Session& s, const v1::CallFrame& call, const Reply& reply,
                         std::int64_t now_us) {
  TokenClaims claims;
  const TokenError terr = verify_token(*s.app, call.refresh().token(), now_us / 1'000'000, claims);
  if (terr != TokenError::kOk) {
    reply(error_frame(call.id(), v1::ERROR_CODE_UNAUTHORIZED, describe(terr)));
    return;
  }
  if (claims.subject != s.claims.subject) {
    reply(error_frame(call.id(), v1::ERROR_CODE_FORBIDDEN, "refresh token has another subject"));
    return;
  }
  s.claims = std::move(claims);
  // A narrower token ends the subscriptions it no longer allows.
  std::vector<std::string> filters = s.filters;
  for (const auto& f : filters) {
    if (check_subscribe(s, f) != v1::ERROR_CODE_UNSPECIFIED) remove_subscription(s, f);
  }
  v1::CallFrame result;
  result.set_id(call.id());
  result.mutable_refresh_result()->set_expires_at_s(s.claims.expires_at_s);
  reply(result);
}

void Hub::deliver(Session& s, const SharedFrame& frame, std::uint64_t offset) {
  if (s.closing || !s.authenticated) return;
  if (!s.queue.push(QueuedFrame{frame, offset})) {
    fail_and_close(s, v1::ERROR_CODE_SLOW_CONSUMER, "outbound queue over its byte limit");
    return;
  }
  wake(s);
}

void Hub::on_broker_message(std::string_view mqtt_topic, std::string_view payload,
                            std::int64_t now_us, const MessageProperties& props) {
  metrics_.broker_message(payload.size());
  if (on_rpc_reply(mqtt_topic, payload, props)) return;
  if (mqtt_topic.substr(0, kEnvPrefix.size()) == kEnvPrefix) {
    on_envelope(mqtt_topic.substr(kEnvPrefix.size()), payload, now_us);
  } else if (mqtt_topic.substr(0, kPresencePrefix.size()) == kPresencePrefix) {
    on_presence(payload);
  }
}

void Hub::on_envelope(std::string_view topic, std::string_view payload, std::int64_t now_us) {
  v1::Frame frame;
  if (wire::decode_frame(payload, frame, kMaxBrokerFrameBytes) != wire::WireError::kOk ||
      !frame.has_envelope() || frame.envelope().topic() != topic ||
      !wire::is_valid_topic(frame.envelope().topic())) {
    metrics_.drop(DropReason::kMalformedUpstream);
    return;
  }
  const v1::Envelope& env = frame.envelope();
  const std::string topic_str(topic);
  SharedFrame shared = make_shared_frame(payload);  // the broker's bytes, as they are
  const auto appended = history_.append(topic_str, env.epoch(), env.seq(), shared);
  if (appended.status == AppendStatus::kDuplicate) return;
  if (env.timestamp_us() > 0 && now_us >= env.timestamp_us()) {
    metrics_.observe_latency_ms(static_cast<double>(now_us - env.timestamp_us()) / 1000.0);
  }
  if (appended.status == AppendStatus::kGap) {
    // The bridge itself missed envelopes (broker restart, new epoch): live sessions learn
    // it from a one-envelope history group with recovered=false, encoded once for all.
    v1::Frame gap;
    auto* group = gap.mutable_group();
    group->set_reason(v1::GroupEnvelope::REASON_HISTORY);
    group->set_recovered(false);
    *group->add_envelopes() = env;
    auto* span = group->add_spans();
    span->set_topic(env.topic());
    span->set_epoch(env.epoch());
    span->set_from_seq(env.seq());
    span->set_to_seq(env.seq());
    shared = encode_shared(gap);
    if (!shared) return;
  }
  const std::uint64_t mark = ++fanout_counter_;
  for (auto& [filter, sessions] : index_) {
    if (!wire::topic_matches(filter, topic)) continue;
    for (Session* s : sessions) {
      if (s->fanout_mark == mark) continue;
      s->fanout_mark = mark;
      deliver(*s, shared, appended.offset);
    }
  }
}

void Hub::on_presence(std::string_view payload) {
  v1::Frame frame;
  v1::Presence presence;
  if (wire::decode_frame(payload, frame, std::size_t{1} << 20) != wire::WireError::kOk ||
      !frame.has_envelope() || !presence.ParseFromString(frame.envelope().payload()) ||
      presence.client_id().empty()) {
    metrics_.drop(DropReason::kMalformedUpstream);
    return;
  }
  if (presence_.size() >= 1'000'000 && !presence_.count(presence.client_id())) return;
  presence_[presence.client_id()] = std::move(presence);
}

void Hub::tick(std::int64_t now_us) {
  const std::int64_t now_s = now_us / 1'000'000;
  const std::int64_t window_us = std::int64_t{config_.sse_resume_window_ms} * 1000;
  std::vector<Session*> expired;
  for (auto& [id, s] : sessions_) {
    s->queue.release_if_empty();
    if (!s->sink && s->detached_since_us > 0 && now_us - s->detached_since_us > window_us) {
      expired.push_back(s.get());
      continue;
    }
    if (s->closing) continue;
    if (s->authenticated && s->claims.expires_at_s <= now_s) {
      fail_and_close(*s, v1::ERROR_CODE_TOKEN_EXPIRED, "token expired; reconnect with a new one");
    } else if (!s->authenticated && !s->connect_held &&
               now_us - s->opened_at_us > kConnectTimeoutUs) {
      fail_and_close(*s, v1::ERROR_CODE_UNAUTHORIZED, "no connect within the time limit");
    }
  }
  for (Session* s : expired) close(s);
  last_tick_us_ = now_us;
  settle_answers(now_us);
  expire_rpcs(now_us);
  for (auto it = pending_publishes_.begin(); it != pending_publishes_.end();) {
    if (it->second.deadline_us > now_us) {
      ++it;
      continue;
    }
    if (Session* s = find(it->second.session_id)) {
      queue_call(*s, error_frame(it->second.call_id, v1::ERROR_CODE_UNAVAILABLE,
                                 "the broker did not acknowledge the publish", 1000));
    }
    it = pending_publishes_.erase(it);
  }
  for (auto it = lingering_.begin(); it != lingering_.end();) {
    if (it->second == kLingerFromFirstTick) {
      it->second = now_us + std::int64_t{config_.history.upstream_linger_ms} * 1000;
    }
    if (it->second > now_us) {
      ++it;
      continue;
    }
    const std::string filter = it->first;
    it = lingering_.erase(it);
    upstream_.unsubscribe(std::string(kEnvPrefix) + filter);
    // Topics no remaining subscription covers stop being current.
    const auto held = upstream_subs_.filters();
    history_.mark_stale([&](const std::string& topic) {
      if (!wire::topic_matches(filter, topic)) return false;
      for (const auto& h : held) {
        if (wire::topic_matches(h, topic)) return false;
      }
      for (const auto& [l, until] : lingering_) {
        if (wire::topic_matches(l, topic)) return false;
      }
      return true;
    });
  }
}

std::string Hub::render_metrics() const {
  Metrics::Gauges g;
  for (const auto& [id, s] : sessions_) {
    g.queued_bytes += s->queue.bytes();
    g.queued_frames += s->queue.size();
    g.max_queue_bytes = std::max(g.max_queue_bytes, s->queue.bytes());
  }
  g.upstream_filters = upstream_subs_.distinct() + lingering_.size();
  g.history_topics = history_.topic_count();
  g.history_bytes = history_.total_bytes();
  g.broker_connected = upstream_.connected();
  g.rpc_pending = rpcs_.size();
  g.held_answers = held_.size();
  return metrics_.render(g);
}

}  // namespace laneway::bridge
