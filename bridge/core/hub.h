// The session core: the one thing every lane talks to. It keeps the bridge sessions and
// routes each client request and each broker batch to the part that owns the answer
// (docs/architecture.md "The session core"):
//
//   SubscriptionRouter  who receives which topic; the broker subscriptions behind it
//   HeldAnswers         connects and subscribes waiting for the broker's SUBACK
//   GroupBuilder        every replayed or recovered group of envelopes
//   HistoryStore        per-topic history rings and stream offsets
//   authorization.h     what a session may subscribe, read, publish and call
//   PublishTracker      QoS 1 publishes waiting for the broker's PUBACK
//   RpcTable            RPCs to devices waiting for their reply
//   PresenceTable       who is online
//
// Lanes are thin adapters that move bytes between their transport and a Session.
// Single-threaded: every method runs on the event-loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ack_ledger.h"
#include "call_outcome.h"
#include "config.h"
#include "held_answers.h"
#include "history.h"
#include "history_snapshot.h"
#include "laneway.pb.h"
#include "metrics.h"
#include "presence_table.h"
#include "publish_tracker.h"
#include "replay_builder.h"
#include "rpc_table.h"
#include "session.h"
#include "subscription_router.h"
#include "upstream.h"

namespace laneway::bridge {

inline constexpr const char* kBridgeVersion = "laneway-bridge/0.1.0";
// The final error of every session while the bridge drains.
inline constexpr const char* kDrainingMessage = "bridge draining: connect to another replica";
// A session must authenticate (connect) within this long after the transport opened.
inline constexpr std::int64_t kConnectTimeoutUs = 10'000'000;
// A QoS 1 publish the broker has not acknowledged by then is answered UNAVAILABLE.
inline constexpr std::int64_t kPublishAckTimeoutUs = 10'000'000;
// A connect or subscribe whose filters the broker has not acknowledged (SUBACK) by then is
// answered UNAVAILABLE.
inline constexpr std::int64_t kSubscribeAckTimeoutUs = 10'000'000;
// The ticket a connect result carries must open the session's event stream this soon.
inline constexpr std::int64_t kAttachTicketTtlUs = 30'000'000;
// A presence listing examines at most this many times `limits.presence_page_max` devices per
// call, however few of them the session may see (docs/bridge.md "Presence").
inline constexpr std::size_t kPresenceScanFactor = 10;
// What a presence page keeps free below limits.max_frame_bytes (at most half of it) for the
// CallFrame around its entries and the `next` cursor.
inline constexpr std::size_t kPresenceFrameHeadroom = 4096;

class Hub {
 public:
  using Reply = bridge::Reply;

  Hub(const BridgeConfig& config, Upstream& upstream);
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  const BridgeConfig& config() const { return config_; }
  Metrics& metrics() { return metrics_; }
  const HistoryStore& history() const { return history_; }
  const SubscriptionRouter& router() const { return router_; }
  // Random per process start; SSE resume tokens carry it so a token from another bridge
  // (or an earlier run) is recognised as not resumable here.
  const std::string& instance_id() const { return instance_id_; }
  std::size_t session_count() const { return sessions_.size(); }

  // --- sessions -----------------------------------------------------------------------
  // A lane's transport opened. Returns nullptr when the bridge is at max_sessions.
  Session* open(Lane lane, LaneSink* sink, std::string origin, std::int64_t now_us);
  // The transport is gone: forget the session (its subscriptions are released).
  void close(Session* session);
  Session* find(const std::string& session_id);
  // SSE: the event stream of `s` went away (detach, sink = null) or (re)attached. A
  // detached session is closed after sse_resume_window_ms.
  void detach(Session& s, std::int64_t now_us);
  void attach(Session& s, LaneSink* sink);
  // SSE attach tickets (docs/bridge.md "SSE attach tickets"): issues the session's next
  // ticket, replacing the one before, valid until `expires_us` (0: the session's life); and
  // spends `ticket` when it is the session's current one and unexpired.
  std::string issue_attach_ticket(Session& s, std::int64_t expires_us);
  bool spend_attach_ticket(Session& s, std::string_view ticket, std::int64_t now_us);

  // --- from clients ---------------------------------------------------------------------
  // One Frame as received on a binary lane. Malformed, oversized or non-call frames get a
  // typed error; the session stays open.
  void on_client_frame(Session& s, std::string_view bytes, std::int64_t now_us);
  // A frame the lane discarded unread: over max_frame_bytes, or a WebSocket text message.
  // Counted as received; the session gets a typed error and stays open.
  void refuse_oversized(Session& s);
  void refuse_text_message(Session& s);
  // Handles one request. The reply goes to `reply` (before anything the request queues,
  // such as a history replay); pushes go to the session queue.
  //
  // A connect or subscribe is answered once the broker holds every filter it names
  // (docs/bridge.md "Resume"). When one is not acknowledged yet the outcome is kHeld:
  // `reply` has been copied and runs later, from on_broker_batch() or tick(), unless the
  // session closes first (then never). A lane that gets kHeld must keep what `reply`
  // refers to alive until then or make `reply` safe without it.
  CallOutcome handle_call(Session& s, const v1::CallFrame& call, const Reply& reply,
                          std::int64_t now_us);
  std::size_t held_answers() const { return held_.size(); }
  // SSE Last-Event-ID resume: replays what the session's filters missed after `offset`.
  void resume_from_offset(Session& s, std::uint64_t offset);

  // Queues a frame built for this session (replies, errors) and wakes its lane.
  void queue_call(Session& s, const v1::CallFrame& call);
  // Queues a final typed error and marks the session closing.
  void fail_and_close(Session& s, v1::ErrorCode code, const std::string& message,
                      std::uint32_t id = 0, std::uint32_t retry_after_ms = 0);

  // --- draining (docs/bridge.md "Draining") ----------------------------------------------
  // The bridge is about to stop: every session is told to move (a final UNAVAILABLE with
  // `retry_after_ms`, which the SDK takes as "go to another replica"), detached SSE sessions
  // (no stream to tell) end at once, and connects from now on are refused the same way.
  void begin_drain(std::uint32_t retry_after_ms);
  bool draining() const { return draining_; }

  // --- from the broker ------------------------------------------------------------------
  // One batch, in this order: a reconnect marks history stale; held answers the broker
  // has now decided are settled; then the messages fan out; then the PUBACKs. Settling
  // before the fan-out is what keeps a subscribe's first envelope: a message the broker
  // sent after a SUBACK was pushed to the inbox after that SUBACK was recorded (one MQTT
  // thread), so if it is in this batch the answer settles first and its session is among
  // the receivers; if the SUBACK comes later, so does the message.
  void on_broker_batch(const BrokerBatch& batch, std::int64_t now_us);
  // One message (used by on_broker_batch; tests call it directly). `props` matter only
  // for RPC replies.
  void on_broker_message(std::string_view mqtt_topic, std::string_view payload, std::int64_t now_us,
                         const MessageProperties& props = {});
  // The broker acknowledged the QoS 1 publish with this message id; `reason` is its MQTT v5
  // reason code (below 0x80 accepted, 0x10 accepted with no subscriber, else refused).
  void on_publish_ack(int mid, int reason);
  // Sends the held answers whose filters the broker has now granted or refused, or whose
  // deadline passed (on_broker_batch and tick call it).
  void settle_answers(std::int64_t now_us);

  // --- time -----------------------------------------------------------------------------
  // RPCs past their deadline are answered TIMEOUT. tick() does it too; the server calls it
  // more often so that sub-second timeouts are kept closely.
  void expire_rpcs(std::int64_t now_us);
  const RpcTable& rpcs() const { return rpcs_; }
  // `devices/+/rpc-reply/bridge-<client id>`: where devices answer this bridge's RPCs.
  const std::string& rpc_reply_filter() const { return rpc_reply_filter_; }
  // Once a second: token expiry, connect timeouts, detached SSE sessions past their window,
  // upstream subscriptions past their linger time.
  void tick(std::int64_t now_us);

  // --- restart --------------------------------------------------------------------------
  // Graceful stop and the next start (docs/bridge.md "Restart"): the history and the
  // instance id that names its offset space, so SSE resume tokens stay valid too.
  HistorySnapshot snapshot_history(std::int64_t now_us) const;
  // Before the first session and the first broker message. `vouch`: the broker kept this
  // bridge's session while it was down, so the restored rings are complete up to what it
  // delivers next; otherwise every restored ring is stale. Returns false with `error` and
  // changes nothing when the snapshot is inconsistent.
  bool restore_history(HistorySnapshot snapshot, bool vouch, std::string& error);

  std::string render_metrics() const;

  static v1::CallFrame error_frame(std::uint32_t id, v1::ErrorCode code, const std::string& msg,
                                   std::uint32_t retry_after_ms = 0);

 private:
  struct SubscriptionOutcome {
    v1::SubscribeResult result;
    std::vector<HistoryEntry> replay;
    bool resumed = false;
  };

  // Answers `reply` with an error and says so.
  static CallOutcome refuse_call(const Reply& reply, std::uint32_t id, v1::ErrorCode code,
                                 const std::string& message, std::uint32_t retry_after_ms = 0);
  // Ends the session with a final error (fail_and_close) and says so.
  CallOutcome refuse_and_close(Session& s, std::uint32_t id, v1::ErrorCode code,
                               const std::string& message);

  // Subscriptions (hub_subscriptions.cc).
  CallOutcome handle_connect(Session& s, const v1::CallFrame& call, const Reply& reply,
                             std::int64_t now_us);
  CallOutcome handle_subscribe(Session& s, const v1::CallFrame& call, const Reply& reply,
                               std::int64_t now_us);
  CallOutcome handle_unsubscribe(Session& s, const v1::CallFrame& call, const Reply& reply);
  // Answers a request now or holds it for the SUBACK; acquires its filters first.
  CallOutcome answer_or_hold(Session& s, std::uint32_t id, bool connect,
                             std::vector<v1::Subscription> subs, const Reply& reply,
                             std::int64_t now_us);
  // The broker holds every filter: joins the session to them and answers.
  void grant(Session& s, std::uint32_t id, bool connect, const std::vector<v1::Subscription>& subs,
             const Reply& reply);
  // Gives the filters back and answers with an error (a connect's closes the session).
  CallOutcome refuse(Session& s, std::uint32_t id, bool connect,
                     const std::vector<v1::Subscription>& subs, const Reply& reply,
                     v1::ErrorCode code, const std::string& message, std::uint32_t retry_after_ms);
  void settle(HeldAnswers::Settled& done);
  void release_filters(const std::vector<v1::Subscription>& subs);
  // Joins `s` to an acquired filter (or gives the reference back when it has it already)
  // and computes its history replay.
  SubscriptionOutcome add_subscription(Session& s, const v1::Subscription& sub);
  void remove_subscription(Session& s, const std::string& filter);
  void queue_replay(Session& s, const std::vector<HistoryEntry>& entries, bool recovered);
  // What ConnectResult tells a client of `lane` to ping at.
  std::uint32_t ping_interval_ms(Lane lane) const;

  // The other requests (hub_requests.cc, hub_rpc.cc).
  CallOutcome handle_publish(Session& s, const v1::CallFrame& call, const Reply& reply,
                             std::int64_t now_us);
  CallOutcome handle_history(Session& s, const v1::CallFrame& call, const Reply& reply);
  CallOutcome handle_presence(Session& s, const v1::CallFrame& call, const Reply& reply);
  CallOutcome handle_refresh(Session& s, const v1::CallFrame& call, const Reply& reply,
                             std::int64_t now_us);
  CallOutcome handle_rpc(Session& s, const v1::CallFrame& call, const Reply& reply,
                         std::int64_t now_us);
  bool on_rpc_reply(std::string_view topic, std::string_view payload,
                    const MessageProperties& props);
  void on_rpc_ack(int mid, int reason);
  // The refusal of an upstream message that the ack ledger or the link has no room for;
  // nullopt when there is room.
  std::optional<CallOutcome> refuse_if_upstream_full(const Reply& reply, std::uint32_t call_id,
                                                     std::size_t bytes);
  void expire_publishes(std::int64_t now_us);

  void queue_too_large(Session& s);
  void deliver(Session& s, const SharedFrame& frame, std::uint64_t offset);
  void wake(Session& s);
  void on_envelope(std::string_view topic, std::string_view payload, std::int64_t now_us);
  void expire_lingering(std::int64_t now_us);

  const BridgeConfig& config_;
  Upstream& upstream_;
  Metrics metrics_;
  HistoryStore history_;
  SubscriptionRouter router_;
  HeldAnswers held_;
  PublishTracker publishes_;
  AckLedger acks_;
  RpcTable rpcs_;
  PresenceTable presence_;
  std::string instance_id_;
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;
  bool draining_ = false;
  std::uint32_t drain_retry_after_ms_ = 0;
  // The latest time the hub was told (calls, ticks): released filters linger from it.
  std::int64_t clock_us_ = 0;
  std::string rpc_requester_;     // `bridge-<client id>`, the last level of the reply topic
  std::string rpc_reply_filter_;  // `devices/+/rpc-reply/<requester>`
};

// 128 random bits as 32 lowercase hex characters (OpenSSL RAND_bytes).
std::string random_hex_id();

}  // namespace laneway::bridge
