// Counters and gauges behind GET /metrics (Prometheus text format 0.0.4). Updated only on
// the event-loop thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace laneway::bridge {

enum class Lane { kWebSocket = 0, kSse = 1, kWebTransport = 2 };
inline constexpr std::size_t kLaneCount = 3;
const char* lane_name(Lane lane);

// Over the frame limit (docs/wire.md "Frame limit"): kOverLimit an envelope from the broker,
// kClientOverLimit a client's frame or a publish whose envelope would be.
enum class DropReason {
  kSlowConsumer = 0,
  kBrokerInbox,
  kMalformedUpstream,
  kOverLimit,
  kClientOverLimit,
  kCount
};

// How an RPC a session asked for ended.
enum class RpcOutcome { kReply = 0, kTimeout, kRefused, kCount };

struct LaneCounters {
  std::int64_t connections = 0;  // gauge
  std::uint64_t connections_total = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t frames_in = 0;
  std::uint64_t bytes_in = 0;
};

class Metrics {
 public:
  // Latency buckets in milliseconds (upper bounds; +Inf implied).
  static constexpr std::array<double, 12> kLatencyBucketsMs = {0.5, 1,   2,   5,    10,   25,
                                                               50,  100, 250, 1000, 2500, 10000};

  LaneCounters& lane(Lane l) { return lanes_[static_cast<std::size_t>(l)]; }
  void drop(DropReason r, std::uint64_t n = 1) { drops_[static_cast<std::size_t>(r)] += n; }
  void resume(bool recovered) { (recovered ? resumes_recovered_ : resumes_gap_)++; }
  void broker_message(std::size_t bytes) {
    broker_messages_in_++;
    broker_bytes_in_ += bytes;
  }
  void client_publish() { client_publishes_++; }
  void rpc(RpcOutcome o) { rpcs_[static_cast<std::size_t>(o)]++; }
  std::uint64_t rpcs(RpcOutcome o) const { return rpcs_[static_cast<std::size_t>(o)]; }
  void observe_latency_ms(double ms);

  std::uint64_t drops(DropReason r) const { return drops_[static_cast<std::size_t>(r)]; }
  std::uint64_t resumes(bool recovered) const {
    return recovered ? resumes_recovered_ : resumes_gap_;
  }

  // Gauges sampled at render time are passed in.
  struct Gauges {
    std::size_t queued_bytes = 0;
    std::size_t queued_frames = 0;
    std::size_t max_queue_bytes = 0;
    std::size_t upstream_filters = 0;
    std::size_t history_topics = 0;
    std::size_t history_bytes = 0;
    bool broker_connected = false;
    std::size_t rpc_pending = 0;
    std::size_t held_answers = 0;  // connects/subscribes waiting for the broker's SUBACK
    // The memory budget (docs/bridge.md "Memory budget"): what is used of each total.
    std::size_t history_budget_bytes = 0;
    std::size_t upstream_acks_outstanding = 0;
    std::uint64_t upstream_refusals = 0;
    std::size_t upstream_outgoing_messages = 0;
    std::size_t upstream_outgoing_bytes = 0;
    std::size_t broker_inbox_bytes = 0;
    std::size_t presence_devices = 0;
    std::uint64_t presence_dropped = 0;  // newcomers refused with every kept device online
  };
  std::string render(const Gauges& g) const;

 private:
  std::array<LaneCounters, kLaneCount> lanes_{};
  std::array<std::uint64_t, static_cast<std::size_t>(DropReason::kCount)> drops_{};
  std::uint64_t resumes_recovered_ = 0;
  std::uint64_t resumes_gap_ = 0;
  std::uint64_t broker_messages_in_ = 0;
  std::uint64_t broker_bytes_in_ = 0;
  std::uint64_t client_publishes_ = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(RpcOutcome::kCount)> rpcs_{};
  std::array<std::uint64_t, kLatencyBucketsMs.size()> latency_buckets_{};
  std::uint64_t latency_count_ = 0;
  double latency_sum_ms_ = 0;
};

// WebTransport transport counters (the QUIC server keeps them; the lane samples them at
// render time). Sessions per lane are in laneway_bridge_connections{lane="wt"} as for
// every lane; these are what only WebTransport has.
struct WebTransportSample {
  std::uint64_t quic_connections = 0;  // gauge
  std::uint64_t sessions = 0;          // gauge
  std::uint64_t sessions_total = 0;
  std::uint64_t sessions_rejected = 0;
  std::uint64_t streams_total = 0;
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t datagrams_dropped = 0;
  std::uint64_t datagrams_on_stream = 0;  // QoS 0 envelopes too large for a datagram
  std::uint64_t migrations = 0;
  std::uint64_t stateless_resets = 0;
  std::uint64_t protocol_errors = 0;
  std::int64_t certificate_expiry_s = 0;  // gauge: seconds until the certificate expires
  std::uint64_t certificate_reloads = 0;
};
// Appends the laneway_bridge_wt_* families (Prometheus text).
void render_webtransport_metrics(std::string& out, const WebTransportSample& s);

}  // namespace laneway::bridge
