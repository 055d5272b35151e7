// The lane-independent session core: authentication, authorization, subscriptions and
// their upstream aggregation, history/resume, fan-out of shared frames into bounded
// session queues, publish, presence, token expiry. Every lane (WebSocket, SSE + POST,
// WebTransport) is a thin adapter that moves bytes between its transport and a Session.
//
// Single-threaded: every method runs on the event-loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config.h"
#include "history.h"
#include "history_snapshot.h"
#include "laneway.pb.h"
#include "metrics.h"
#include "rpc_table.h"
#include "session.h"
#include "upstream.h"
#include "upstream_subscriptions.h"

namespace laneway::bridge {

inline constexpr const char* kBridgeVersion = "laneway-bridge/0.1.0";
// A session must authenticate (connect) within this long after the transport opened.
inline constexpr std::int64_t kConnectTimeoutUs = 10'000'000;
// A QoS 1 publish the broker has not acknowledged by then is answered UNAVAILABLE.
inline constexpr std::int64_t kPublishAckTimeoutUs = 10'000'000;
// A connect or subscribe whose filters the broker has not acknowledged (SUBACK) by then is
// answered UNAVAILABLE.
inline constexpr std::int64_t kSubscribeAckTimeoutUs = 10'000'000;
// Answers held for a SUBACK, per session and on the whole bridge; past either the request
// is answered UNAVAILABLE at once. Each holds its request's filters and a Reply (for POST
// /v1/call an open HTTP transaction), so both stay bounded.
inline constexpr std::size_t kHeldAnswersPerSession = 64;
inline constexpr std::size_t kHeldAnswersMax = 10'000;
// Largest Frame the bridge decodes from the broker (and so keeps in history).
inline constexpr std::size_t kMaxBrokerFrameBytes = std::size_t{64} << 20;

class Hub {
 public:
  using Reply = std::function<void(const v1::CallFrame&)>;

  Hub(const BridgeConfig& config, Upstream& upstream);
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  const BridgeConfig& config() const { return config_; }
  Metrics& metrics() { return metrics_; }
  const HistoryStore& history() const { return history_; }
  const UpstreamSubscriptions& upstream_subscriptions() const { return upstream_subs_; }
  // Random per process start; SSE resume tokens carry it so a token from another bridge
  // (or an earlier run) is recognised as not resumable here.
  const std::string& instance_id() const { return instance_id_; }
  std::size_t session_count() const { return sessions_.size(); }

  // A lane's transport opened. Returns nullptr when the bridge is at max_sessions.
  Session* open(Lane lane, LaneSink* sink, std::string origin, std::int64_t now_us);
  // The transport is gone: forget the session (its subscriptions are released).
  void close(Session* session);
  Session* find(const std::string& session_id);
  // SSE: the event stream of `s` went away (detach, sink = null) or (re)attached. A
  // detached session is closed after sse_resume_window_ms.
  void detach(Session& s, std::int64_t now_us);
  void attach(Session& s, LaneSink* sink);

  // One Frame as received on a binary lane. Malformed, oversized or non-call frames get a
  // typed error; the session stays open.
  void on_client_frame(Session& s, std::string_view bytes, std::int64_t now_us);
  // Tells the session its frame was over max_frame_bytes (the lane discarded it unread).
  void refuse_oversized(Session& s);
  // Handles one request. The reply goes to `reply` (before anything the request queues,
  // such as a history replay); pushes go to the session queue.
  //
  // A connect or subscribe is answered once the broker holds every filter it names
  // (docs/bridge.md "Resume"). When one is not acknowledged yet, the answer is held and
  // this returns true: `reply` has been copied and is called later, from settle_answers()
  // or tick(), unless the session closes first (then never). A lane that gets true must
  // keep what `reply` refers to alive until then or make `reply` safe without it.
  bool handle_call(Session& s, const v1::CallFrame& call, const Reply& reply, std::int64_t now_us);
  // Sends the held answers whose filters the broker has now granted or refused, or whose
  // deadline passed. The server calls it after each broker drain, before it fans the
  // drained messages out (server.cc says why); tick() calls it too.
  void settle_answers(std::int64_t now_us);
  std::size_t held_answers() const { return held_.size(); }
  // SSE Last-Event-ID resume: replays what the session's filters missed after `offset`.
  void resume_from_offset(Session& s, std::uint64_t offset);

  // Queues a frame built for this session (replies, errors) and wakes its lane.
  void queue_call(Session& s, const v1::CallFrame& call);
  // Queues a final typed error and marks the session closing.
  void fail_and_close(Session& s, v1::ErrorCode code, const std::string& message,
                      std::uint32_t id = 0);

  // From the broker (event-loop thread, after the MQTT thread handed it over). `props`
  // matter only for RPC replies.
  void on_broker_message(std::string_view mqtt_topic, std::string_view payload, std::int64_t now_us,
                         const MessageProperties& props = {});
  // The broker acknowledged the QoS 1 publish with this message id; `reason` is its MQTT v5
  // reason code (below 0x80 accepted, 0x10 accepted with no subscriber, else refused).
  void on_publish_ack(int mid, int reason);

  // RPCs past their deadline are answered TIMEOUT. tick() does it too; the server calls it
  // more often so that sub-second timeouts are kept closely.
  void expire_rpcs(std::int64_t now_us);
  const RpcTable& rpcs() const { return rpcs_; }
  // `devices/+/rpc-reply/bridge-<client id>`: where devices answer this bridge's RPCs.
  const std::string& rpc_reply_filter() const { return rpc_reply_filter_; }

  // Once a second: token expiry, connect timeouts, detached SSE sessions past their window,
  // upstream subscriptions past their linger time.
  void tick(std::int64_t now_us);
  // The broker link (re)connected: whatever was published meanwhile never reached the
  // bridge, so every topic's history is stale until its seq continues.
  void on_broker_reconnected();

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

  // Both return true when the answer is held for a SUBACK (see handle_call).
  bool handle_connect(Session& s, const v1::CallFrame& call, const Reply& reply,
                      std::int64_t now_us);
  bool handle_subscribe(Session& s, const v1::CallFrame& call, const Reply& reply,
                        std::int64_t now_us);
  void handle_unsubscribe(Session& s, const v1::CallFrame& call, const Reply& reply);
  void handle_publish(Session& s, const v1::CallFrame& call, const Reply& reply,
                      std::int64_t now_us);
  void handle_history(Session& s, const v1::CallFrame& call, const Reply& reply);
  void handle_presence(Session& s, const v1::CallFrame& call, const Reply& reply);
  void handle_refresh(Session& s, const v1::CallFrame& call, const Reply& reply,
                      std::int64_t now_us);
  // RPC (hub_rpc.cc).
  void handle_rpc(Session& s, const v1::CallFrame& call, const Reply& reply, std::int64_t now_us);
  bool on_rpc_reply(std::string_view topic, std::string_view payload,
                    const MessageProperties& props);
  void on_rpc_ack(int mid, int reason);
  bool may_call(const Session& s, const std::string& request_topic) const;

  // Checks a filter against app and token; returns OK or the error code to answer.
  v1::ErrorCode check_subscribe(const Session& s, const std::string& filter) const;
  bool may_read_topic(const Session& s, const std::string& topic) const;
  bool may_publish(const Session& s, const std::string& topic) const;

  // A connect or subscribe whose filters are acquired upstream, waiting for the broker.
  struct HeldAnswer {
    Session* session;  // close() drops the session's answers first
    std::uint32_t call_id;
    bool connect;
    // The request's subscriptions; each holds one upstream_subs_ reference until answered.
    std::vector<v1::Subscription> subs;
    Reply reply;
    std::int64_t deadline_us;
  };
  // What the broker says about every filter of a request, taken together.
  UpstreamState broker_state(const std::vector<v1::Subscription>& subs) const;
  // Takes one upstream reference on `filter` (SUBSCRIBE goes out for its first user), and
  // gives one back (a last user's filter lingers).
  void acquire_upstream(const std::string& filter);
  void release_upstream(const std::string& filter);
  // Answers a request now or holds it for the SUBACK; `subs` are acquired already.
  bool answer_or_hold(Session& s, std::uint32_t id, bool connect,
                      std::vector<v1::Subscription> subs, const Reply& reply, std::int64_t now_us);
  // The broker holds every filter: joins the session to them and answers.
  void grant(Session& s, std::uint32_t id, bool connect, const std::vector<v1::Subscription>& subs,
             const Reply& reply);
  // Gives the filters back and answers with an error (a connect's closes the session).
  void refuse(Session& s, std::uint32_t id, bool connect, const std::vector<v1::Subscription>& subs,
              const Reply& reply, v1::ErrorCode code, const std::string& message,
              std::uint32_t retry_after_ms);
  // Forgets `s`'s held answers, giving their filters back (the session is closing).
  void drop_held(Session& s);
  // An unsubscribe overtakes `s`'s held subscribes of `filter`: they are answered with an
  // error first, so the unsubscribe stays the last word.
  void cancel_held(Session& s, const std::string& filter);

  // Joins `s` to an acquired filter (or gives the reference back when it has it already)
  // and computes its history replay.
  SubscriptionOutcome add_subscription(Session& s, const v1::Subscription& sub);
  void remove_subscription(Session& s, const std::string& filter);
  void queue_replay(Session& s, std::vector<HistoryEntry> entries, bool recovered);

  void deliver(Session& s, const SharedFrame& frame, std::uint64_t offset);
  void wake(Session& s);
  void on_envelope(std::string_view topic, std::string_view payload, std::int64_t now_us);
  void on_presence(std::string_view payload);

  const BridgeConfig& config_;
  Upstream& upstream_;
  Metrics metrics_;
  HistoryStore history_;
  UpstreamSubscriptions upstream_subs_;
  std::string instance_id_;
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;
  // filter → sessions subscribed with exactly that filter
  std::unordered_map<std::string, std::unordered_set<Session*>> index_;
  std::unordered_map<std::string, v1::Presence> presence_;
  // Filters no session uses any more, still subscribed upstream until this time (µs).
  std::unordered_map<std::string, std::int64_t> lingering_;
  // A lingering_ deadline not set yet (filters restored at start, before any clock).
  static constexpr std::int64_t kLingerFromFirstTick = -1;
  std::int64_t last_tick_us_ = 0;
  // QoS 1 publishes waiting for the broker's PUBACK: message id → who asked.
  struct PendingPublish {
    std::string session_id;
    std::uint32_t call_id;
    std::int64_t deadline_us;
  };
  std::unordered_map<int, PendingPublish> pending_publishes_;
  std::list<HeldAnswer> held_;  // in arrival order
  RpcTable rpcs_;
  std::string rpc_requester_;     // `bridge-<client id>`, the last level of the reply topic
  std::string rpc_reply_filter_;  // `devices/+/rpc-reply/<requester>`
  std::uint64_t fanout_counter_ = 0;
};

// Whether a request carrying `origin` (empty = no Origin header) may use `app`.
bool origin_allowed(const AppConfig& app, const std::string& origin);

// 128 random bits as 32 lowercase hex characters (OpenSSL RAND_bytes).
std::string random_hex_id();

}  // namespace laneway::bridge
