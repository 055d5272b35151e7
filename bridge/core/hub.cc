#include "hub.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "authorization.h"
#include "frame_encoding.h"
#include "laneway/wire/frame_codec.h"
#include "laneway/wire/frame_limit.h"
#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {

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
      router_(upstream, config.history),
      acks_(config.limits.upstream_inflight_max),
      rpcs_(config.limits.rpc_pending_max, config.limits.rpc_pending_per_session),
      presence_(config.limits.presence_max_devices),
      instance_id_(random_hex_id().substr(0, 12)),
      rpc_requester_("bridge-" + config.broker.client_id),
      rpc_reply_filter_("devices/+/rpc-reply/" + rpc_requester_) {
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

// --- sessions --------------------------------------------------------------------------

Session* Hub::open(Lane lane, LaneSink* sink, std::string origin, std::int64_t now_us) {
  clock_us_ = std::max(clock_us_, now_us);
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
  // Nobody is left to answer; what the held requests acquired goes back.
  for (const HeldAnswer& a : held_.take_session(*s)) release_filters(a.subs);
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

std::string Hub::issue_attach_ticket(Session& s, std::int64_t expires_us) {
  s.attach_ticket = random_hex_id();
  s.attach_ticket_expires_us = expires_us;
  return s.attach_ticket;
}

bool Hub::spend_attach_ticket(Session& s, std::string_view ticket, std::int64_t now_us) {
  // A wrong guess leaves the ticket alone: whoever knows only the session id (it is in
  // URLs) must not be able to lock its client out.
  const bool valid = !s.attach_ticket.empty() && ticket.size() == s.attach_ticket.size() &&
                     CRYPTO_memcmp(ticket.data(), s.attach_ticket.data(), ticket.size()) == 0 &&
                     (s.attach_ticket_expires_us == 0 || now_us <= s.attach_ticket_expires_us);
  if (valid) s.attach_ticket.clear();
  return valid;
}

void Hub::wake(Session& s) {
  if (s.sink) s.sink->request_write();
}

void Hub::queue_call(Session& s, const v1::CallFrame& call) {
  SharedFrame shared = encode_call(call);
  if (!shared) return;
  if (!s.queue.push(QueuedFrame{std::move(shared), 0})) {
    fail_and_close(s, v1::ERROR_CODE_SLOW_CONSUMER, "outbound queue full");
    return;
  }
  wake(s);
}

void Hub::fail_and_close(Session& s, v1::ErrorCode code, const std::string& message,
                         std::uint32_t id, std::uint32_t retry_after_ms) {
  if (s.closing) return;
  if (code == v1::ERROR_CODE_SLOW_CONSUMER) {
    metrics_.drop(DropReason::kSlowConsumer);
    s.queue.clear();  // the client resumes from its positions after reconnecting
  }
  if (SharedFrame shared = encode_call(error_frame(id, code, message, retry_after_ms))) {
    s.queue.push_unbounded(QueuedFrame{std::move(shared), 0});
  }
  s.final_error = Session::FinalError{id, code, message, retry_after_ms};
  s.closing = true;
  wake(s);
}

void Hub::deliver(Session& s, const SharedFrame& frame, std::uint64_t offset) {
  if (s.closing || !s.authenticated) return;
  if (!s.queue.push(QueuedFrame{frame, offset})) {
    fail_and_close(s, v1::ERROR_CODE_SLOW_CONSUMER, "outbound queue over its byte limit");
    return;
  }
  wake(s);
}

void Hub::begin_drain(std::uint32_t retry_after_ms) {
  draining_ = true;
  drain_retry_after_ms_ = retry_after_ms;
  std::vector<Session*> detached;
  for (auto& [id, s] : sessions_) {
    if (!s->sink) {
      detached.push_back(s.get());
      continue;
    }
    fail_and_close(*s, v1::ERROR_CODE_UNAVAILABLE, kDrainingMessage, 0, retry_after_ms);
  }
  for (Session* s : detached) close(s);
}

// --- from clients ----------------------------------------------------------------------

void Hub::refuse_oversized(Session& s) {
  metrics_.lane(s.lane).frames_in++;
  queue_too_large(s);
}

void Hub::queue_too_large(Session& s) {
  metrics_.drop(DropReason::kClientOverLimit);
  queue_call(
      s, error_frame(0, v1::ERROR_CODE_TOO_LARGE,
                     "frame over " + std::to_string(config_.limits.max_frame_bytes) + " bytes"));
}

void Hub::refuse_text_message(Session& s) {
  metrics_.lane(s.lane).frames_in++;
  queue_call(
      s, error_frame(0, v1::ERROR_CODE_BAD_REQUEST, "text messages are not frames; send binary"));
}

void Hub::on_client_frame(Session& s, std::string_view bytes, std::int64_t now_us) {
  if (s.closing) return;
  auto& lc = metrics_.lane(s.lane);
  lc.frames_in++;
  lc.bytes_in += bytes.size();
  v1::Frame frame;
  const wire::WireError err = wire::decode_frame(bytes, frame, config_.limits.max_frame_bytes);
  if (err == wire::WireError::kTooLarge) {
    queue_too_large(s);
    return;
  }
  if (err != wire::WireError::kOk || !frame.has_call()) {
    // Garbage costs a call, so a peer sending only garbage meets the call rate limit too;
    // past it the session is closed instead of earning one more error reply.
    if (s.call_limiter.take(now_us)) {
      fail_and_close(s, v1::ERROR_CODE_RATE_LIMITED, "too many malformed frames");
      return;
    }
    queue_call(s, error_frame(0, v1::ERROR_CODE_BAD_REQUEST,
                              err != wire::WireError::kOk ? wire::describe(err)
                                                          : "clients send CallFrames only"));
    return;
  }
  handle_call(
      s, frame.call(), [this, &s](const v1::CallFrame& r) { queue_call(s, r); }, now_us);
}

CallOutcome Hub::refuse_call(const Reply& reply, std::uint32_t id, v1::ErrorCode code,
                             const std::string& message, std::uint32_t retry_after_ms) {
  reply(error_frame(id, code, message, retry_after_ms));
  return CallOutcome::refused(code, message, retry_after_ms);
}

CallOutcome Hub::refuse_and_close(Session& s, std::uint32_t id, v1::ErrorCode code,
                                  const std::string& message) {
  fail_and_close(s, code, message, id);
  return CallOutcome::refused(code, message);
}

CallOutcome Hub::handle_call(Session& s, const v1::CallFrame& call, const Reply& reply,
                             std::int64_t now_us) {
  if (s.closing) return CallOutcome::dropped();
  clock_us_ = std::max(clock_us_, now_us);
  const std::uint32_t id = call.id();
  if (const std::uint32_t wait = s.call_limiter.take(now_us)) {
    return refuse_call(reply, id, v1::ERROR_CODE_RATE_LIMITED, "too many calls", wait);
  }
  if (s.connect_held) {
    // Neither authenticated nor refused yet: whatever comes next waits for that answer.
    return refuse_call(reply, id, v1::ERROR_CODE_BAD_REQUEST, "the connect is not answered yet");
  }
  if (call.body_case() == v1::CallFrame::kConnect) return handle_connect(s, call, reply, now_us);
  if (!s.authenticated)
    return refuse_and_close(s, id, v1::ERROR_CODE_UNAUTHORIZED, "connect first");
  switch (call.body_case()) {
    case v1::CallFrame::kSubscribe:
      return handle_subscribe(s, call, reply, now_us);
    case v1::CallFrame::kUnsubscribe:
      return handle_unsubscribe(s, call, reply);
    case v1::CallFrame::kPublish:
      return handle_publish(s, call, reply, now_us);
    case v1::CallFrame::kHistory:
      return handle_history(s, call, reply);
    case v1::CallFrame::kPresence:
      return handle_presence(s, call, reply);
    case v1::CallFrame::kRefresh:
      return handle_refresh(s, call, reply, now_us);
    case v1::CallFrame::kPing: {
      v1::CallFrame pong;
      pong.set_id(id);
      pong.mutable_pong()->set_sent_at_us(call.ping().sent_at_us());
      reply(pong);
      return CallOutcome::answered();
    }
    case v1::CallFrame::kRpc:
      return handle_rpc(s, call, reply, now_us);
    default:
      return refuse_call(reply, id, v1::ERROR_CODE_BAD_REQUEST, "not a request");
  }
}

// --- from the broker -------------------------------------------------------------------

void Hub::on_broker_batch(const BrokerBatch& batch, std::int64_t now_us) {
  if (batch.reconnected) history_.mark_all_stale();
  settle_answers(now_us);
  for (const UpstreamMessage& m : batch.messages) {
    on_broker_message(m.topic, m.payload, now_us, MessageProperties{m.correlation, m.content_type});
  }
  for (const auto& [mid, reason] : batch.acks) on_publish_ack(mid, reason);
  if (batch.dropped > 0) metrics_.drop(DropReason::kBrokerInbox, batch.dropped);
}

void Hub::on_broker_message(std::string_view mqtt_topic, std::string_view payload,
                            std::int64_t now_us, const MessageProperties& props) {
  metrics_.broker_message(payload.size());
  if (on_rpc_reply(mqtt_topic, payload, props)) return;
  if (mqtt_topic.substr(0, kEnvPrefix.size()) == kEnvPrefix) {
    on_envelope(mqtt_topic.substr(kEnvPrefix.size()), payload, now_us);
  } else if (mqtt_topic.substr(0, kPresencePrefix.size()) == kPresencePrefix) {
    if (!presence_.on_message(payload)) metrics_.drop(DropReason::kMalformedUpstream);
  }
}

void Hub::on_envelope(std::string_view topic, std::string_view payload, std::int64_t now_us) {
  // Sessions were told the limit: an envelope that could not travel alone in a group within
  // it is dropped here, and the next one on its topic shows them the gap.
  if (!wire::envelope_fits(payload.size(), topic.size(), config_.limits.max_frame_bytes)) {
    metrics_.drop(DropReason::kOverLimit);
    return;
  }
  v1::Frame frame;
  if (wire::decode_frame(payload, frame, config_.limits.max_frame_bytes) != wire::WireError::kOk ||
      !frame.has_envelope() || frame.envelope().topic() != topic ||
      !wire::is_valid_topic(frame.envelope().topic())) {
    metrics_.drop(DropReason::kMalformedUpstream);
    return;
  }
  const v1::Envelope& env = frame.envelope();
  // The broker's bytes, as they are.
  SharedFrame shared =
      make_shared_frame(payload, FrameLabel{FrameKind::kEnvelope, env.topic(), env.qos()});
  const auto appended = history_.append(env.topic(), env.epoch(), env.seq(), shared);
  if (appended.status == AppendStatus::kDuplicate) return;
  if (env.timestamp_us() > 0 && now_us >= env.timestamp_us()) {
    metrics_.observe_latency_ms(static_cast<double>(now_us - env.timestamp_us()) / 1000.0);
  }
  if (appended.status == AppendStatus::kGap) {
    // The bridge itself missed envelopes (broker restart, new epoch): live sessions learn
    // it from a one-envelope history group with recovered=false, encoded once for all.
    GroupBuilder gap(/*recovered=*/false);
    gap.add(env, payload.size(), appended.offset);
    shared = encode_group(gap.take_frame());
    if (!shared) return;
  }
  router_.for_each_receiver(topic, [&](Session& s) { deliver(s, shared, appended.offset); });
}

// --- time ------------------------------------------------------------------------------

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
  clock_us_ = now_us;
  settle_answers(now_us);
  expire_rpcs(now_us);
  expire_publishes(now_us);
  expire_lingering(now_us);
}

void Hub::expire_lingering(std::int64_t now_us) {
  for (const std::string& filter : router_.expire_lingering(now_us)) {
    // Topics no remaining upstream subscription covers stop being current.
    history_.mark_stale([&](const std::string& topic) {
      return wire::topic_matches(filter, topic) && !router_.upstream_covers(topic);
    });
  }
}

// --- restart and metrics ---------------------------------------------------------------

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

std::string Hub::render_metrics() const {
  Metrics::Gauges g;
  for (const auto& [id, s] : sessions_) {
    g.queued_bytes += s->queue.bytes();
    g.queued_frames += s->queue.size();
    g.max_queue_bytes = std::max(g.max_queue_bytes, s->queue.bytes());
  }
  g.upstream_filters = router_.upstream_filters();
  g.history_topics = history_.topic_count();
  g.history_bytes = history_.total_bytes();
  g.broker_connected = upstream_.connected();
  g.rpc_pending = rpcs_.size();
  g.held_answers = held_.size();
  g.history_budget_bytes = config_.history.max_total_bytes;
  g.presence_devices = presence_.size();
  g.presence_dropped = presence_.dropped();
  g.upstream_acks_outstanding = acks_.outstanding();
  g.upstream_refusals = acks_.refusals();
  const UpstreamLoad load = upstream_.load();
  g.upstream_outgoing_messages = load.outgoing_messages;
  g.upstream_outgoing_bytes = load.outgoing_bytes;
  g.broker_inbox_bytes = load.inbox_bytes;
  return metrics_.render(g);
}

}  // namespace laneway::bridge
