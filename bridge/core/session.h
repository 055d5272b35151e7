// One bridge session: a browser client as the hub knows it, whatever lane carries it (the
// wire's session_id names it; the SDK's Client is its other end). Lanes own the transport
// (a channel: WsConnection, SseStream, WtChannel); the hub owns the Session and everything
// about it that is not the transport (docs/architecture.md "Words").
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "jwt_verifier.h"
#include "laneway.pb.h"
#include "metrics.h"
#include "outbound_queue.h"
#include "rate_limiter.h"

namespace laneway::bridge {

// What a lane gives the hub so it can ask for its session's queue to be written.
class LaneSink {
 public:
  virtual ~LaneSink() = default;
  // Frames were queued (or the session is closing): schedule a write. Called on the event
  // loop thread; must not write synchronously.
  virtual void request_write() = 0;
};

struct Session {
  Session(std::string session_id, Lane session_lane, LaneSink* lane_sink,
          std::string request_origin, const Limits& limits)
      : id(std::move(session_id)),
        lane(session_lane),
        sink(lane_sink),
        origin(std::move(request_origin)),
        queue(limits.queue_max_bytes, lane == Lane::kSse),
        publish_limiter(limits.publish_rate_per_s, limits.publish_burst),
        call_limiter(limits.call_rate_per_s, limits.call_burst) {}

  bool subscribed(std::string_view filter) const {
    return std::find(filters.begin(), filters.end(), filter) != filters.end();
  }
  // WebTransport: whether a QoS 0 envelope of `topic` may go as a datagram, because an
  // active subscription matching it asked for datagrams (Subscription.datagrams).
  bool wants_datagram(std::string_view topic) const;

  // 128-bit random, hex. It names the session in URLs and headers; it is not a credential
  // (docs/bridge.md "SSE attach tickets"): POST /v1/call also needs the session's JWT, a
  // stream its attach ticket.
  const std::string id;
  const Lane lane;
  // The transport writing this session's queue; null while an SSE session waits for its
  // event stream to (re)attach.
  LaneSink* sink;
  std::int64_t detached_since_us = 0;  // when sink became null (SSE linger)
  const std::string origin;            // the request's Origin header, empty when none was sent
  std::int64_t opened_at_us = 0;

  bool authenticated = false;
  // Set once a final error is queued: the hub delivers nothing more and the lane closes
  // the transport after writing what is queued.
  bool closing = false;
  // That final error, so a lane answering over its own channel (POST /v1/call, the opening
  // of a standalone SSE stream) can say it without decoding the queue.
  struct FinalError {
    std::uint32_t call_id = 0;
    v1::ErrorCode code = v1::ERROR_CODE_UNSPECIFIED;
    std::string message;
    std::uint32_t retry_after_ms = 0;
  } final_error;
  const AppConfig* app = nullptr;
  TokenClaims claims;
  std::vector<std::string> filters;           // active subscriptions
  std::vector<std::string> datagram_filters;  // those of them that asked for datagrams
  // Answers held for the broker's SUBACK (HeldAnswers), and how many filters they hold
  // upstream, which count against max_subscriptions like active ones.
  std::size_t held_answers = 0;
  std::size_t held_filters = 0;
  bool connect_held = false;  // the connect itself waits; nothing else is taken meanwhile

  OutboundQueue queue;
  RateLimiter publish_limiter;
  RateLimiter call_limiter;
  std::uint64_t fanout_mark = 0;  // last broker message delivered (dedups overlapping filters)
  // SSE sessions created by POST connect: the one credential the next event stream may
  // attach with, single-use (docs/bridge.md "SSE attach tickets"), and until when; 0: for
  // as long as the session lives.
  std::string attach_ticket;
  std::int64_t attach_ticket_expires_us = 0;
  // POST /v1/call: the bearer JWT last verified for this session and its exp, so a session's
  // every POST does not check the same signature again.
  std::string verified_bearer;
  std::int64_t verified_bearer_expires_at_s = 0;
};

}  // namespace laneway::bridge
