// The bridge's MQTT v5 client to the broker (libmosquitto, mTLS with the `bridge` service
// certificate). Its network I/O runs on a thread of its own (MqttNetworkLoop: poll(), reconnect
// with exponential backoff); this class hands every received message to the event-loop
// thread through a bounded inbox and keeps the set of upstream filters so a reconnect
// re-subscribes them. Everything the session core calls is safe from the event loop.
//
// With broker.state_file set and broker.session_expiry_s > 0 the session is persistent
// (docs/bridge.md "Restart"): the broker queues envelopes while the bridge is down, the filter set
// is recorded in broker.state_file, and start() waits (bounded) for the queued backlog before
// returning.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "config.h"
#include "mqtt_network_loop.h"
#include "upstream.h"

struct mosquitto;
struct mosquitto_message;
typedef struct mqtt5__property mosquitto_property;

namespace laneway::bridge {

// The link's share of the bridge's memory budget (docs/bridge.md "Memory budget").
struct LinkBudget {
  std::size_t inbox_messages = 100000;     // received, not yet taken by the event loop
  std::size_t inbox_bytes = 64u << 20;     // the same, payload and topic bytes
  std::size_t outgoing_bytes = 64u << 20;  // published, not yet written (QoS 0) or acked (QoS 1)
  // The bridge's frame limit, which the broker's (from CONNACK) should equal
  // (docs/wire.md "Frame limit").
  std::size_t max_frame_bytes = 65536;
};

class BrokerLink : public Upstream {
 public:
  // `wake` is called on the MQTT thread whenever the inbox gains messages or the link
  // state changes; it must only poke the event loop (lws_cancel_service).
  BrokerLink(const BrokerConfig& config, LinkBudget budget, std::function<void()> wake);
  ~BrokerLink() override;
  BrokerLink(const BrokerLink&) = delete;
  BrokerLink& operator=(const BrokerLink&) = delete;

  // Starts connecting in the background. Returns false (with `error`) on a setup problem
  // such as unreadable certificate files; connection failures are retried forever. When
  // the broker resumes a session this bridge left (session present), it returns once the
  // queued backlog has arrived (no message for a short quiet spell) or after
  // broker.backlog_wait_ms, so the first clients find it in history.
  bool start(std::string& error);
  void stop();

  bool connected() const override { return connected_.load(); }
  // The first CONNACK said session present: the broker kept this bridge's subscriptions
  // and queued for it while it was down. False while no CONNACK has come yet.
  bool resumed_session();
  // Successful connections so far; a change after the first means a reconnect.
  std::uint64_t connections() const { return connections_.load(); }
  void subscribe(const std::string& filter) override;
  void unsubscribe(const std::string& filter) override;
  UpstreamState subscription_state(const std::string& filter) const override;
  int publish(const std::string& topic, std::string_view payload, int qos, bool retain) override;
  int publish_request(const std::string& topic, std::string_view payload,
                      const std::string& response_topic, std::string_view correlation,
                      const std::string& content_type) override;
  std::vector<std::string> previous_filters() const override { return previous_filters_; }
  bool has_room(std::size_t bytes) const override;
  UpstreamLoad load() const override;

  // Replaces `batch` with everything received since the last call: the messages in
  // order, the QoS 1 acknowledgements, what the full inbox dropped, and whether the link
  // reconnected meanwhile (event-loop thread only).
  void take_batch(BrokerBatch& batch);

 private:
  static void on_connect(struct mosquitto*, void* self, int rc, int flags,
                         const mosquitto_property*);
  static void on_disconnect(struct mosquitto*, void* self, int rc, const mosquitto_property*);
  // Compares the broker's frame limit, read from CONNACK's maximum packet size, with the
  // bridge's, and says once per connection when they differ.
  void check_frame_limit(const mosquitto_property* connack) const;
  static void on_publish(struct mosquitto*, void* self, int mid, int reason,
                         const mosquitto_property*);
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* msg,
                         const mosquitto_property*);
  static void on_subscribe(struct mosquitto*, void* self, int mid, int count, const int* reasons,
                           const mosquitto_property*);
  // Sends SUBSCRIBE for `filter` and records its message id, so the SUBACK finds its
  // filter. Under filters_mutex_.
  void send_subscribe_locked(struct mosquitto* m, const std::string& filter);

  // A persistent session needs the state file too: without the list of what the broker
  // kept, a restart could never release those subscriptions.
  bool persistent() const { return config_.session_expiry_s > 0 && !config_.state_file.empty(); }
  void wait_for_backlog();
  // Records filters_ in broker.state_file (temporary file + rename). Under filters_mutex_.
  void save_filters_locked();

  struct MosqFree {
    void operator()(struct mosquitto* m) const;
  };

  const BrokerConfig& config_;
  const LinkBudget budget_;
  std::function<void()> wake_;
  std::unique_ptr<struct mosquitto, MosqFree> mosq_;
  BrokerAddresses addresses_;  // broker.host:port, then broker.standby[]
  MqttNetworkLoop loop_;       // declared after mosq_: stopped before the client is destroyed
  std::atomic<bool> connected_{false};
  std::atomic<bool> started_{false};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> connections_{0};
  std::vector<std::string> previous_filters_;  // read from state_file at construction
  std::uint64_t connections_batched_ = 0;      // connections() as of the last take_batch
  bool state_error_logged_ = false;

  // Connection and arrival news for wait_for_backlog().
  std::mutex news_mutex_;
  std::condition_variable news_;
  bool connack_seen_ = false;
  bool session_present_ = false;  // of the first CONNACK
  std::uint64_t messages_seen_ = 0;

  std::mutex filters_mutex_;
  std::set<std::string> filters_;

  // The broker's answer to each filter in filters_ (subscription_state). A mutex of its
  // own, taken after filters_mutex_ and never held across a libmosquitto call, so that a
  // callback libmosquitto might run from inside one of its calls cannot deadlock on it.
  struct SubscriptionAck {
    UpstreamState state = UpstreamState::kPending;
    int mid = 0;  // of the SUBSCRIBE whose SUBACK counts; an older one is stale
  };
  mutable std::mutex acks_state_mutex_;
  std::unordered_map<std::string, SubscriptionAck> sub_acks_;
  std::unordered_map<int, std::string> sub_mids_;  // SUBSCRIBE message id → filter

  mutable std::mutex inbox_mutex_;
  std::deque<UpstreamMessage> inbox_;
  std::size_t inbox_bytes_ = 0;
  // Never dropped: each releases an id in the hub's ack ledger, which bounds how many there
  // can be (limits.upstream_inflight_max).
  std::vector<std::pair<int, int>> acks_;

  // What libmosquitto holds for us until written (QoS 0) or acknowledged (QoS 1). Its own
  // mutex, never held across a libmosquitto call: on_publish may run inside one.
  struct Outgoing {
    std::size_t bytes = 0;
    bool qos1 = false;
  };
  mutable std::mutex outgoing_mutex_;
  std::unordered_map<int, Outgoing> outgoing_;
  std::size_t outgoing_bytes_ = 0;
  // Ids whose on_publish ran before publish() could record them (the network thread wrote
  // the message first): publish() then records nothing.
  std::unordered_set<int> completed_early_;
  // Records a message libmosquitto accepted as `mid` (publish(), publish_request()).
  void track_outgoing(int mid, std::size_t bytes, bool qos1);
  // on_publish for `mid`: releases its bytes; true when the hub must hear of it (QoS 1, or
  // an id not recorded yet, whose QoS is unknown).
  bool release_outgoing(int mid);
};

}  // namespace laneway::bridge
