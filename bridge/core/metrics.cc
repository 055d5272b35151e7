#include "metrics.h"

#include <cstdio>
#include <type_traits>

namespace laneway::bridge {

const char* lane_name(Lane lane) {
  switch (lane) {
    case Lane::kWebSocket:
      return "ws";
    case Lane::kSse:
      return "sse";
    case Lane::kWebTransport:
      return "wt";
  }
  return "?";
}

void Metrics::observe_latency_ms(double ms) {
  latency_count_++;
  latency_sum_ms_ += ms;
  for (std::size_t i = 0; i < kLatencyBucketsMs.size(); ++i) {
    if (ms <= kLatencyBucketsMs[i]) latency_buckets_[i]++;
  }
}

namespace {

void line(std::string& out, const char* fmt, auto... args) {
  char buf[256];
  const int n = std::snprintf(buf, sizeof buf, fmt, args...);
  if (n > 0) out.append(buf, static_cast<std::size_t>(n) < sizeof buf ? n : sizeof buf - 1);
  out.push_back('\n');
}

void help(std::string& out, const char* name, const char* type, const char* text) {
  line(out, "# HELP %s %s", name, text);
  line(out, "# TYPE %s %s", name, type);
}

// A metric with one unlabelled sample.
void sample(std::string& out, const char* name, const char* type, const char* text,
            std::uint64_t value) {
  help(out, name, type, text);
  line(out, "%s %llu", name, static_cast<unsigned long long>(value));
}

}  // namespace

std::string Metrics::render(const Gauges& g) const {
  std::string out;
  using ull = unsigned long long;
  using ll = long long;
  // One sample per lane of a LaneCounters field, labelled `label="<lane>"`.
  auto per_lane = [&](const char* name, const char* label, auto LaneCounters::*field) {
    for (Lane l : {Lane::kWebSocket, Lane::kSse, Lane::kWebTransport}) {
      const auto value = lanes_[static_cast<std::size_t>(l)].*field;
      if constexpr (std::is_signed_v<decltype(value)>)
        line(out, "%s{%s=\"%s\"} %lld", name, label, lane_name(l), static_cast<ll>(value));
      else
        line(out, "%s{%s=\"%s\"} %llu", name, label, lane_name(l), static_cast<ull>(value));
    }
  };
  help(out, "laneway_bridge_connections", "gauge", "Open sessions per lane.");
  per_lane("laneway_bridge_connections", "lane", &LaneCounters::connections);
  help(out, "laneway_bridge_connections_total", "counter", "Sessions opened per lane.");
  per_lane("laneway_bridge_connections_total", "lane", &LaneCounters::connections_total);
  help(out, "laneway_bridge_messages_out_total", "counter", "Frames written to clients.");
  per_lane("laneway_bridge_messages_out_total", "lane", &LaneCounters::frames_out);
  help(out, "laneway_bridge_bytes_out_total", "counter", "Frame bytes written to clients.");
  per_lane("laneway_bridge_bytes_out_total", "lane", &LaneCounters::bytes_out);
  help(out, "laneway_bridge_messages_in_total", "counter",
       "Frames received: from clients per lane, and from the broker.");
  per_lane("laneway_bridge_messages_in_total", "source", &LaneCounters::frames_in);
  line(out, "laneway_bridge_messages_in_total{source=\"broker\"} %llu",
       static_cast<ull>(broker_messages_in_));
  help(out, "laneway_bridge_bytes_in_total", "counter", "Bytes received.");
  per_lane("laneway_bridge_bytes_in_total", "source", &LaneCounters::bytes_in);
  line(out, "laneway_bridge_bytes_in_total{source=\"broker\"} %llu",
       static_cast<ull>(broker_bytes_in_));
  help(out, "laneway_bridge_client_publishes_total", "counter",
       "Browser publishes forwarded to the broker.");
  line(out, "laneway_bridge_client_publishes_total %llu", static_cast<ull>(client_publishes_));
  help(out, "laneway_bridge_drops_total", "counter", "Frames or sessions dropped, by reason.");
  line(out, "laneway_bridge_drops_total{reason=\"slow_consumer\"} %llu",
       static_cast<ull>(drops(DropReason::kSlowConsumer)));
  line(out, "laneway_bridge_drops_total{reason=\"broker_inbox\"} %llu",
       static_cast<ull>(drops(DropReason::kBrokerInbox)));
  line(out, "laneway_bridge_drops_total{reason=\"malformed_upstream\"} %llu",
       static_cast<ull>(drops(DropReason::kMalformedUpstream)));
  line(out, "laneway_bridge_drops_total{reason=\"over_frame_limit\"} %llu",
       static_cast<ull>(drops(DropReason::kOverLimit)));
  line(out, "laneway_bridge_drops_total{reason=\"client_over_frame_limit\"} %llu",
       static_cast<ull>(drops(DropReason::kClientOverLimit)));
  help(out, "laneway_bridge_resumes_total", "counter", "Resumes, by whether the gap was covered.");
  line(out, "laneway_bridge_resumes_total{recovered=\"true\"} %llu",
       static_cast<ull>(resumes_recovered_));
  line(out, "laneway_bridge_resumes_total{recovered=\"false\"} %llu",
       static_cast<ull>(resumes_gap_));
  help(out, "laneway_bridge_queue_bytes", "gauge", "Bytes waiting in all session queues.");
  line(out, "laneway_bridge_queue_bytes %llu", static_cast<ull>(g.queued_bytes));
  help(out, "laneway_bridge_queue_frames", "gauge", "Frames waiting in all session queues.");
  line(out, "laneway_bridge_queue_frames %llu", static_cast<ull>(g.queued_frames));
  help(out, "laneway_bridge_queue_max_session_bytes", "gauge", "Deepest session queue, bytes.");
  line(out, "laneway_bridge_queue_max_session_bytes %llu", static_cast<ull>(g.max_queue_bytes));
  help(out, "laneway_bridge_upstream_filters", "gauge", "Distinct broker subscriptions held.");
  line(out, "laneway_bridge_upstream_filters %llu", static_cast<ull>(g.upstream_filters));
  help(out, "laneway_bridge_history_topics", "gauge", "Topics with history kept.");
  line(out, "laneway_bridge_history_topics %llu", static_cast<ull>(g.history_topics));
  help(out, "laneway_bridge_history_bytes", "gauge", "Bytes of history kept.");
  line(out, "laneway_bridge_history_bytes %llu", static_cast<ull>(g.history_bytes));
  sample(out, "laneway_bridge_presence_devices", "gauge", "Devices whose presence is kept.",
         g.presence_devices);
  sample(out, "laneway_bridge_presence_dropped_total", "counter",
         "Presences of new devices dropped: limits.presence_max_devices reached, all online.",
         g.presence_dropped);
  sample(out, "laneway_bridge_history_budget_bytes", "gauge", "history.max_total_bytes.",
         g.history_budget_bytes);
  sample(out, "laneway_bridge_upstream_acks_outstanding", "gauge",
         "Upstream QoS 1 messages waiting for the broker's PUBACK.", g.upstream_acks_outstanding);
  sample(out, "laneway_bridge_upstream_refusals_total", "counter",
         "Publishes and RPC requests refused UNAVAILABLE: ack ledger or link queue full.",
         g.upstream_refusals);
  sample(out, "laneway_bridge_upstream_outgoing_bytes", "gauge",
         "Bytes queued to the broker, not yet written (QoS 0) or acknowledged (QoS 1).",
         g.upstream_outgoing_bytes);
  sample(out, "laneway_bridge_upstream_outgoing_messages", "gauge",
         "Messages queued to the broker, not yet written or acknowledged.",
         g.upstream_outgoing_messages);
  sample(out, "laneway_bridge_broker_inbox_bytes", "gauge",
         "Bytes received from the broker, not yet taken by the event loop.", g.broker_inbox_bytes);
  help(out, "laneway_bridge_held_answers", "gauge",
       "Connects and subscribes waiting for the broker to acknowledge their subscriptions.");
  line(out, "laneway_bridge_held_answers %llu", static_cast<ull>(g.held_answers));
  help(out, "laneway_bridge_broker_connected", "gauge", "1 while the MQTT link is up.");
  line(out, "laneway_bridge_broker_connected %d", g.broker_connected ? 1 : 0);
  help(out, "laneway_bridge_rpcs_total", "counter",
       "RPCs to devices, by outcome (reply, timeout, refused by the broker or a bound).");
  line(out, "laneway_bridge_rpcs_total{result=\"reply\"} %llu",
       static_cast<ull>(rpcs(RpcOutcome::kReply)));
  line(out, "laneway_bridge_rpcs_total{result=\"timeout\"} %llu",
       static_cast<ull>(rpcs(RpcOutcome::kTimeout)));
  line(out, "laneway_bridge_rpcs_total{result=\"refused\"} %llu",
       static_cast<ull>(rpcs(RpcOutcome::kRefused)));
  help(out, "laneway_bridge_rpc_pending", "gauge", "RPCs waiting for a device's reply.");
  line(out, "laneway_bridge_rpc_pending %llu", static_cast<ull>(g.rpc_pending));
  help(out, "laneway_bridge_latency_ms", "histogram",
       "Plugin sequencing to bridge fan-out latency, milliseconds.");
  for (std::size_t i = 0; i < kLatencyBucketsMs.size(); ++i) {
    line(out, "laneway_bridge_latency_ms_bucket{le=\"%g\"} %llu", kLatencyBucketsMs[i],
         static_cast<ull>(latency_buckets_[i]));
  }
  line(out, "laneway_bridge_latency_ms_bucket{le=\"+Inf\"} %llu", static_cast<ull>(latency_count_));
  line(out, "laneway_bridge_latency_ms_sum %g", latency_sum_ms_);
  line(out, "laneway_bridge_latency_ms_count %llu", static_cast<ull>(latency_count_));
  return out;
}

void render_webtransport_metrics(std::string& out, const WebTransportSample& s) {
  using ull = unsigned long long;
  help(out, "laneway_bridge_wt_quic_connections", "gauge", "Open QUIC connections.");
  line(out, "laneway_bridge_wt_quic_connections %llu", static_cast<ull>(s.quic_connections));
  help(out, "laneway_bridge_wt_sessions", "gauge", "Open WebTransport sessions.");
  line(out, "laneway_bridge_wt_sessions %llu", static_cast<ull>(s.sessions));
  help(out, "laneway_bridge_wt_sessions_total", "counter",
       "WebTransport sessions accepted, and refused (origin, limits).");
  line(out, "laneway_bridge_wt_sessions_total{result=\"accepted\"} %llu",
       static_cast<ull>(s.sessions_total));
  line(out, "laneway_bridge_wt_sessions_total{result=\"refused\"} %llu",
       static_cast<ull>(s.sessions_rejected));
  help(out, "laneway_bridge_wt_streams_total", "counter", "WebTransport streams opened.");
  line(out, "laneway_bridge_wt_streams_total %llu", static_cast<ull>(s.streams_total));
  help(out, "laneway_bridge_wt_datagrams_total", "counter",
       "WebTransport datagrams: received, sent, dropped (queue full or too large).");
  line(out, "laneway_bridge_wt_datagrams_total{direction=\"in\"} %llu",
       static_cast<ull>(s.datagrams_in));
  line(out, "laneway_bridge_wt_datagrams_total{direction=\"out\"} %llu",
       static_cast<ull>(s.datagrams_out));
  line(out, "laneway_bridge_wt_datagrams_total{direction=\"dropped\"} %llu",
       static_cast<ull>(s.datagrams_dropped));
  help(out, "laneway_bridge_wt_datagram_fallbacks_total", "counter",
       "QoS 0 envelopes sent on the stream because no datagram could carry them.");
  line(out, "laneway_bridge_wt_datagram_fallbacks_total %llu",
       static_cast<ull>(s.datagrams_on_stream));
  help(out, "laneway_bridge_wt_migrations_total", "counter",
       "Validated QUIC path changes (migrations and NAT rebindings).");
  line(out, "laneway_bridge_wt_migrations_total %llu", static_cast<ull>(s.migrations));
  help(out, "laneway_bridge_wt_stateless_resets_total", "counter", "Stateless resets sent.");
  line(out, "laneway_bridge_wt_stateless_resets_total %llu", static_cast<ull>(s.stateless_resets));
  help(out, "laneway_bridge_wt_protocol_errors_total", "counter",
       "Streams or connections closed for bad HTTP/3 or QUIC input.");
  line(out, "laneway_bridge_wt_protocol_errors_total %llu", static_cast<ull>(s.protocol_errors));
  help(out, "laneway_bridge_wt_certificate_expiry_seconds", "gauge",
       "Seconds until the WebTransport certificate expires.");
  line(out, "laneway_bridge_wt_certificate_expiry_seconds %lld",
       static_cast<long long>(s.certificate_expiry_s));
  help(out, "laneway_bridge_wt_certificate_reloads_total", "counter",
       "WebTransport certificate rotations picked up.");
  line(out, "laneway_bridge_wt_certificate_reloads_total %llu",
       static_cast<ull>(s.certificate_reloads));
}

}  // namespace laneway::bridge
