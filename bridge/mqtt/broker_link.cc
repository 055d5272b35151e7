#include "broker_link.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

#include "laneway/wire/frame_limit.h"
#include "mosquitto_callback_guard.h"
#include "replace_file.h"

namespace laneway::bridge {

namespace {
// Upstream subscriptions use QoS 1 so the broker retries a delivery the bridge has not
// acknowledged; the delivered QoS is still min(publish QoS, 1).
constexpr int kSubscribeQos = 1;
// Retained messages only for a subscription the broker did not have yet: re-subscribing
// what a resumed session still holds must not replay retained envelopes as new.
constexpr int kSubscribeOptions = MQTT_SUB_OPT_SEND_RETAIN_NEW;
// The queued backlog of a resumed session arrives right after CONNACK, back to back; this
// long without a message means it is through.
constexpr auto kBacklogQuiet = std::chrono::milliseconds(300);
// Bounds on what is read back from broker.state_file.
constexpr std::size_t kMaxStateFilters = 100000;
constexpr std::size_t kMaxFilterBytes = 65535;
// On stop, how long the DISCONNECT may take to go out before the link is dropped anyway.
constexpr auto kDisconnectGrace = std::chrono::milliseconds(2000);

struct LibInit {
  LibInit() { mosquitto_lib_init(); }
  ~LibInit() { mosquitto_lib_cleanup(); }
};
}  // namespace

void BrokerLink::MosqFree::operator()(struct mosquitto* m) const {
  mosquitto_destroy(m);
}

namespace {

std::vector<BrokerAddress> broker_addresses(const BrokerConfig& config) {
  std::vector<BrokerAddress> addresses = {{config.host, config.port}};
  addresses.insert(addresses.end(), config.standby.begin(), config.standby.end());
  return addresses;
}

}  // namespace

BrokerLink::BrokerLink(const BrokerConfig& config, LinkBudget budget, std::function<void()> wake)
    : config_(config),
      budget_(budget),
      wake_(std::move(wake)),
      addresses_(broker_addresses(config)),
      loop_({static_cast<unsigned>(config.reconnect_min_s),
             static_cast<unsigned>(config.reconnect_max_s)},
            &addresses_, config.keepalive_s) {
  static LibInit init;
  if (!persistent()) return;
  std::ifstream in(config_.state_file);
  std::string line;
  while (previous_filters_.size() < kMaxStateFilters && std::getline(in, line)) {
    if (!line.empty() && line.size() <= kMaxFilterBytes) previous_filters_.push_back(line);
  }
}

BrokerLink::~BrokerLink() {
  stop();
}

bool BrokerLink::start(std::string& error) {
  mosq_.reset(mosquitto_new(config_.client_id.c_str(), /*clean_start=*/!persistent(), this));
  if (!mosq_) {
    error = "broker: mosquitto_new failed";
    return false;
  }
  struct mosquitto* m = mosq_.get();
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  int rc = mosquitto_tls_set(m, config_.ca_file.c_str(), nullptr, config_.cert_file.c_str(),
                             config_.key_file.c_str(), nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    error = std::string("broker: TLS setup failed: ") + mosquitto_strerror(rc);
    return false;
  }
  mosquitto_tls_opts_set(m, /*SSL_VERIFY_PEER*/ 1, "tlsv1.2", nullptr);
  MqttNetworkLoop::prepare(m);
  mosquitto_connect_v5_callback_set(m, &MosquittoCallbackGuard<&BrokerLink::on_connect>::call);
  mosquitto_disconnect_v5_callback_set(m,
                                       &MosquittoCallbackGuard<&BrokerLink::on_disconnect>::call);
  mosquitto_message_v5_callback_set(m, &MosquittoCallbackGuard<&BrokerLink::on_message>::call);
  mosquitto_publish_v5_callback_set(m, &MosquittoCallbackGuard<&BrokerLink::on_publish>::call);
  mosquitto_subscribe_v5_callback_set(m, &MosquittoCallbackGuard<&BrokerLink::on_subscribe>::call);
  if (persistent()) {
    // CONNECT properties need the _v5 connect, which connects in this thread; libmosquitto
    // keeps the properties for every automatic reconnect.
    struct PropsFree {
      void operator()(mosquitto_property* p) const { mosquitto_property_free_all(&p); }
    };
    mosquitto_property* raw = nullptr;
    rc = mosquitto_property_add_int32(&raw, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                      config_.session_expiry_s);
    const std::unique_ptr<mosquitto_property, PropsFree> props(raw);
    if (rc != MOSQ_ERR_SUCCESS) {
      error = std::string("broker: ") + mosquitto_strerror(rc);
      return false;
    }
    const BrokerAddress& first = addresses_.next_attempt();
    rc = mosquitto_connect_bind_v5(m, first.host.c_str(), first.port, config_.keepalive_s, nullptr,
                                   props.get());
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_INVAL && rc != MOSQ_ERR_NOMEM) {
      // Broker not reachable yet: the loop thread retries with the same properties.
      std::fprintf(stderr, "laneway-bridge: broker not reachable yet (%s); retrying\n",
                   mosquitto_strerror(rc));
      rc = MOSQ_ERR_SUCCESS;
    }
  } else {
    const BrokerAddress& first = addresses_.next_attempt();
    rc = mosquitto_connect_bind_async(m, first.host.c_str(), first.port, config_.keepalive_s,
                                      nullptr);
  }
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO) {
    error = std::string("broker: connect failed: ") + mosquitto_strerror(rc);
    return false;
  }
  // A refused first connect (broker not up yet) is retried by the network thread.
  if (!loop_.start(m, error)) return false;
  started_ = true;
  wait_for_backlog();
  return true;
}

bool BrokerLink::resumed_session() {
  std::lock_guard<std::mutex> lock(news_mutex_);
  return connack_seen_ && session_present_;
}

void BrokerLink::wait_for_backlog() {
  if (!persistent() || config_.backlog_wait_ms == 0) return;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(config_.backlog_wait_ms);
  std::unique_lock<std::mutex> lock(news_mutex_);
  if (!news_.wait_until(lock, deadline, [&] { return connack_seen_; })) return;
  if (!session_present_) return;  // a new session: nothing was queued for this bridge
  for (;;) {
    const std::uint64_t seen = messages_seen_;
    const auto until = std::min(deadline, Clock::now() + kBacklogQuiet);
    if (!news_.wait_until(lock, until, [&] { return messages_seen_ != seen; })) break;
    if (Clock::now() >= deadline) break;
  }
  std::fprintf(stderr, "laneway-bridge: resumed broker session; %llu queued messages received\n",
               static_cast<unsigned long long>(messages_seen_));
}

void BrokerLink::save_filters_locked() {
  if (!persistent()) return;
  // Replaced whole: a crash leaves the old list or the new one.
  std::string error;
  const bool ok = replace_file(
      config_.state_file,
      [this](std::ostream& out) {
        for (const auto& f : filters_) out << f << '\n';
        return static_cast<bool>(out);
      },
      error);
  if (!ok && !state_error_logged_) {
    state_error_logged_ = true;
    std::fprintf(stderr, "laneway-bridge: broker.state_file: %s\n", error.c_str());
  }
  if (ok) state_error_logged_ = false;
}

void BrokerLink::stop() {
  if (!mosq_ || !started_.exchange(false)) return;
  mosquitto_disconnect_v5(mosq_.get(), MQTT_RC_NORMAL_DISCONNECTION, nullptr);
  loop_.stop(kDisconnectGrace);
}

void BrokerLink::check_frame_limit(const mosquitto_property* connack) const {
  std::uint32_t max_packet = 0;
  if (!mosquitto_property_read_int32(connack, MQTT_PROP_MAXIMUM_PACKET_SIZE, &max_packet, false) ||
      max_packet <= wire::kPacketHeadroomBytes) {
    std::fprintf(stderr,
                 "laneway-bridge: the broker announces no frame limit (a cluster core, or a "
                 "mosquitto.conf not from laneway-broker-config): envelopes over %zu bytes "
                 "are dropped here (docs/wire.md \"Frame limit\")\n",
                 budget_.max_frame_bytes);
    return;
  }
  const std::size_t broker_limit = max_packet - wire::kPacketHeadroomBytes;
  if (broker_limit != budget_.max_frame_bytes) {
    std::fprintf(stderr,
                 "laneway-bridge: warning: the broker's frame limit is %zu bytes, "
                 "limits.max_frame_bytes is %zu: set both to the same number (docs/wire.md "
                 "\"Frame limit\")\n",
                 broker_limit, budget_.max_frame_bytes);
  }
}

void BrokerLink::on_connect(struct mosquitto* m, void* self_ptr, int rc, int flags,
                            const mosquitto_property* props) {
  auto* self = static_cast<BrokerLink*>(self_ptr);
  if (rc != 0) {
    std::fprintf(stderr, "laneway-bridge: broker refused the connection: %s\n",
                 mosquitto_reason_string(rc));
    return;
  }
  const bool session_present = (flags & 1) != 0;  // CONNACK acknowledge flags, bit 0
  std::fprintf(stderr, "laneway-bridge: connected to the broker%s\n",
               session_present ? " (session resumed)" : "");
  self->check_frame_limit(props);
  self->loop_.on_connected();
  {
    // Under the lock, so a subscribe() racing with this either lands in the set before the
    // loop below or sees connected_ and subscribes itself.
    std::lock_guard<std::mutex> lock(self->filters_mutex_);
    self->connected_ = true;
    self->connections_++;
    // Even a resumed session's subscriptions are asked again: only a SUBACK on this
    // connection says the broker holds them now.
    for (const auto& f : self->filters_) self->send_subscribe_locked(m, f);
  }
  {
    std::lock_guard<std::mutex> lock(self->news_mutex_);
    if (!self->connack_seen_) self->session_present_ = session_present;  // the first one
    self->connack_seen_ = true;
  }
  self->news_.notify_all();
  self->wake_();
}

void BrokerLink::on_disconnect(struct mosquitto*, void* self_ptr, int rc,
                               const mosquitto_property*) {
  auto* self = static_cast<BrokerLink*>(self_ptr);
  if (self->connected_.exchange(false) && rc != 0) {  // rc 0: our own disconnect
    std::fprintf(stderr, "laneway-bridge: lost the broker (%s); reconnecting\n",
                 mosquitto_strerror(rc));
  }
  {
    // Without a connection the broker holds nothing for us that we could vouch for; the
    // SUBACKs of SUBSCRIBEs still in flight will never come.
    std::lock_guard<std::mutex> lock(self->acks_state_mutex_);
    for (auto& [filter, ack] : self->sub_acks_) ack = SubscriptionAck{};
    self->sub_mids_.clear();
  }
  {
    // QoS 0 messages not written yet are gone with the connection; QoS 1 ones stay with
    // libmosquitto, which sends them again on the next connection.
    std::lock_guard<std::mutex> lock(self->outgoing_mutex_);
    for (auto it = self->outgoing_.begin(); it != self->outgoing_.end();) {
      if (it->second.qos1) {
        ++it;
        continue;
      }
      self->outgoing_bytes_ -= it->second.bytes;
      it = self->outgoing_.erase(it);
    }
  }
  self->wake_();
}

void BrokerLink::on_message(struct mosquitto*, void* self_ptr, const struct mosquitto_message* msg,
                            const mosquitto_property* props) {
  auto* self = static_cast<BrokerLink*>(self_ptr);
  if (!msg || !msg->topic) return;
  // Only RPC replies carry these; envelopes on $lw/env have none, so this costs nothing
  // on the fan-out path.
  std::string correlation;
  std::string content_type;
  if (props) {
    void* data = nullptr;
    std::uint16_t len = 0;
    if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &data, &len, false)) {
      std::unique_ptr<void, decltype(&std::free)> owner(data, &std::free);
      correlation.assign(static_cast<const char*>(data), len);
    }
    char* text = nullptr;
    if (mosquitto_property_read_string(props, MQTT_PROP_CONTENT_TYPE, &text, false)) {
      std::unique_ptr<char, decltype(&std::free)> owner(text, &std::free);
      content_type = text;
    }
  }
  const std::size_t payload_len =
      static_cast<std::size_t>(msg->payloadlen > 0 ? msg->payloadlen : 0);
  const std::size_t bytes = payload_len + std::strlen(msg->topic) + correlation.size();
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(self->inbox_mutex_);
    if (self->inbox_.size() >= self->budget_.inbox_messages ||
        self->inbox_bytes_ + bytes > self->budget_.inbox_bytes) {
      self->dropped_++;
      return;
    }
    was_empty = self->inbox_.empty();
    self->inbox_bytes_ += bytes;
    self->inbox_.push_back(UpstreamMessage{
        msg->topic, std::string(static_cast<const char*>(msg->payload), payload_len),
        std::move(correlation), std::move(content_type)});
  }
  {
    std::lock_guard<std::mutex> lock(self->news_mutex_);
    self->messages_seen_++;
  }
  self->news_.notify_all();
  if (was_empty) self->wake_();
}

void BrokerLink::subscribe(const std::string& filter) {
  std::lock_guard<std::mutex> lock(filters_mutex_);
  if (!filters_.insert(filter).second) return;
  save_filters_locked();
  {
    std::lock_guard<std::mutex> acks_lock(acks_state_mutex_);
    sub_acks_[filter] = SubscriptionAck{};
  }
  // Not connected: the next CONNACK subscribes everything in filters_.
  if (mosq_ && connected_) {
    send_subscribe_locked(mosq_.get(), filter);
    loop_.poke();
  }
}

void BrokerLink::send_subscribe_locked(struct mosquitto* m, const std::string& filter) {
  int mid = 0;
  const int rc =
      mosquitto_subscribe_v5(m, &mid, filter.c_str(), kSubscribeQos, kSubscribeOptions, nullptr);
  std::lock_guard<std::mutex> lock(acks_state_mutex_);
  SubscriptionAck& ack = sub_acks_[filter];
  ack = SubscriptionAck{};
  // A failure here is the link going down under us: the reconnect subscribes it again.
  if (rc != MOSQ_ERR_SUCCESS) return;
  ack.mid = mid;
  sub_mids_[mid] = filter;
}

void BrokerLink::on_subscribe(struct mosquitto*, void* self_ptr, int mid, int count,
                              const int* reasons, const mosquitto_property*) {
  auto* self = static_cast<BrokerLink*>(self_ptr);
  {
    // filters_mutex_ first: send_subscribe_locked records the message id under it once
    // mosquitto_subscribe_v5 has returned, and a quick SUBACK must not overtake that.
    std::lock_guard<std::mutex> filters_lock(self->filters_mutex_);
    std::lock_guard<std::mutex> lock(self->acks_state_mutex_);
    auto m = self->sub_mids_.find(mid);
    if (m == self->sub_mids_.end()) return;
    const std::string filter = std::move(m->second);
    self->sub_mids_.erase(m);
    auto it = self->sub_acks_.find(filter);
    // Unsubscribed meanwhile, or subscribed again since: this SUBACK no longer counts.
    if (it == self->sub_acks_.end() || it->second.mid != mid) return;
    // One filter per SUBSCRIBE; MQTT v5 reason codes below 0x80 grant a QoS.
    const int reason = count >= 1 && reasons ? reasons[0] : 0x80;
    it->second.state = reason < 0x80 ? UpstreamState::kGranted : UpstreamState::kRefused;
    if (reason >= 0x80) {
      std::fprintf(stderr, "laneway-bridge: the broker refused the subscription %s: %s\n",
                   filter.c_str(), mosquitto_reason_string(reason));
    }
  }
  self->wake_();  // answers waiting for this SUBACK go out from the event loop
}

UpstreamState BrokerLink::subscription_state(const std::string& filter) const {
  std::lock_guard<std::mutex> lock(acks_state_mutex_);
  auto it = sub_acks_.find(filter);
  return it == sub_acks_.end() ? UpstreamState::kPending : it->second.state;
}

void BrokerLink::unsubscribe(const std::string& filter) {
  std::lock_guard<std::mutex> lock(filters_mutex_);
  if (filters_.erase(filter) == 0) return;
  save_filters_locked();
  {
    std::lock_guard<std::mutex> acks_lock(acks_state_mutex_);
    sub_acks_.erase(filter);
  }
  if (mosq_ && connected_) {
    mosquitto_unsubscribe_v5(mosq_.get(), nullptr, filter.c_str(), nullptr);
    loop_.poke();
  }
}

bool BrokerLink::has_room(std::size_t bytes) const {
  std::lock_guard<std::mutex> lock(outgoing_mutex_);
  return outgoing_bytes_ + bytes <= budget_.outgoing_bytes;
}

UpstreamLoad BrokerLink::load() const {
  UpstreamLoad load;
  {
    std::lock_guard<std::mutex> lock(outgoing_mutex_);
    load.outgoing_messages = outgoing_.size();
    load.outgoing_bytes = outgoing_bytes_;
  }
  std::lock_guard<std::mutex> lock(inbox_mutex_);
  load.inbox_bytes = inbox_bytes_;
  return load;
}

void BrokerLink::track_outgoing(int mid, std::size_t bytes, bool qos1) {
  std::lock_guard<std::mutex> lock(outgoing_mutex_);
  if (completed_early_.erase(mid)) return;
  outgoing_bytes_ += bytes;
  outgoing_[mid] = Outgoing{bytes, qos1};
}

bool BrokerLink::release_outgoing(int mid) {
  std::lock_guard<std::mutex> lock(outgoing_mutex_);
  const auto it = outgoing_.find(mid);
  if (it == outgoing_.end()) {
    completed_early_.insert(mid);
    return true;
  }
  const bool qos1 = it->second.qos1;
  outgoing_bytes_ -= it->second.bytes;
  outgoing_.erase(it);
  return qos1;
}

int BrokerLink::publish(const std::string& topic, std::string_view payload, int qos, bool retain) {
  if (!mosq_ || !connected_ || !has_room(payload.size())) return 0;
  int mid = 0;
  if (mosquitto_publish_v5(mosq_.get(), &mid, topic.c_str(), static_cast<int>(payload.size()),
                           payload.data(), qos, retain, nullptr) != MOSQ_ERR_SUCCESS) {
    return 0;
  }
  track_outgoing(mid, payload.size() + topic.size(), qos > 0);
  loop_.poke();
  return mid > 0 ? mid : 1;
}

int BrokerLink::publish_request(const std::string& topic, std::string_view payload,
                                const std::string& response_topic, std::string_view correlation,
                                const std::string& content_type) {
  if (!mosq_ || !connected_ || !has_room(payload.size())) return 0;
  struct PropsFree {
    void operator()(mosquitto_property* p) const { mosquitto_property_free_all(&p); }
  };
  mosquitto_property* raw = nullptr;
  bool ok = mosquitto_property_add_string(&raw, MQTT_PROP_RESPONSE_TOPIC, response_topic.c_str()) ==
            MOSQ_ERR_SUCCESS;
  ok = ok && mosquitto_property_add_binary(&raw, MQTT_PROP_CORRELATION_DATA, correlation.data(),
                                           static_cast<std::uint16_t>(correlation.size())) ==
                 MOSQ_ERR_SUCCESS;
  if (ok && !content_type.empty()) {
    ok = mosquitto_property_add_string(&raw, MQTT_PROP_CONTENT_TYPE, content_type.c_str()) ==
         MOSQ_ERR_SUCCESS;
  }
  const std::unique_ptr<mosquitto_property, PropsFree> props(raw);  // the list, once built
  if (!ok) return 0;
  int mid = 0;
  // QoS 1: the broker's PUBACK says whether any device was subscribed (0x10 = offline).
  if (mosquitto_publish_v5(mosq_.get(), &mid, topic.c_str(), static_cast<int>(payload.size()),
                           payload.data(), 1, false, props.get()) != MOSQ_ERR_SUCCESS) {
    return 0;
  }
  track_outgoing(mid, payload.size() + topic.size(), true);
  loop_.poke();
  return mid > 0 ? mid : 1;
}

void BrokerLink::on_publish(struct mosquitto*, void* self_ptr, int mid, int reason,
                            const mosquitto_property*) {
  auto* self = static_cast<BrokerLink*>(self_ptr);
  // libmosquitto calls this for QoS 0 too, once the message is written: that only frees
  // budget, the hub waits on QoS 1 acknowledgements alone.
  if (!self->release_outgoing(mid)) return;
  {
    std::lock_guard<std::mutex> lock(self->inbox_mutex_);
    // MQTT v5 reason codes below 0x80 are successes; the hub reads 0x10 as "no subscriber".
    self->acks_.emplace_back(mid, reason);
  }
  self->wake_();
}

void BrokerLink::take_batch(BrokerBatch& batch) {
  batch.clear();
  // The count is read before the messages: those after a reconnect continue the new link.
  const std::uint64_t connections = connections_.load();
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    batch.messages.reserve(inbox_.size());
    while (!inbox_.empty()) {
      batch.messages.push_back(std::move(inbox_.front()));
      inbox_.pop_front();
    }
    inbox_bytes_ = 0;
    batch.acks.swap(acks_);
  }
  batch.reconnected = connections_batched_ != 0 && connections != connections_batched_;
  connections_batched_ = connections;
  batch.dropped = dropped_.exchange(0);
}

}  // namespace laneway::bridge
