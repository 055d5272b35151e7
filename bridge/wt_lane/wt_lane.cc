#include "wt_lane.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace laneway::bridge {
namespace {

// Our side of a closing session's frame stream is finished first; the session itself is
// closed this long after, so the final frames (errors) reach the client before the
// CLOSE_WEBTRANSPORT_SESSION capsule ends everything.
constexpr std::int64_t kCloseGraceUs = 1'000'000;
// Unacknowledged bytes held per frame stream. The hub's per-session queue (bounded by
// limits.queue_max_bytes, with the slow-consumer policy) absorbs a client beyond that.
constexpr std::size_t kStreamSendBuffer = 256 * 1024;
constexpr std::size_t kBatchKeepBytes = 256 * 1024;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool client_bidi(std::int64_t stream_id) {
  return (stream_id & 0x3) == 0;
}

std::size_t varint_size(std::size_t n) {
  std::size_t bytes = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++bytes;
  }
  return bytes;
}

// The value of `key` in an URL query (no percent-decoding: app ids are plain).
std::string query_value(const std::string& query, const std::string& key) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const std::size_t end = std::min(query.find('&', pos), query.size());
    const std::string_view pair(query.data() + pos, end - pos);
    if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=') {
      return std::string(pair.substr(key.size() + 1));
    }
    pos = end + 1;
  }
  return {};
}

webtransport::ServerConfig server_config(const BridgeConfig& c) {
  const WebTransportConfig& w = c.webtransport;
  webtransport::ServerConfig s;
  s.addresses = w.hosts;
  s.port = static_cast<std::uint16_t>(w.port);
  s.cert_file = w.cert_file;
  s.key_file = w.key_file;
  s.path = "/v1/wt";
  s.max_connections = w.max_sessions;
  s.max_sessions_per_connection = w.max_sessions_per_connection;
  s.max_streams_bidi = w.max_streams;
  s.max_streams_uni = w.max_streams;
  s.idle_timeout = std::chrono::milliseconds(w.idle_timeout_ms);
  s.max_stream_send_buffer = std::max(kStreamSendBuffer, c.limits.max_frame_bytes + 16);
  return s;
}

}  // namespace

WtLane::WtLane(const BridgeConfig& config, Hub& hub)
    : config_(config), wt_config_(config.webtransport), hub_(hub) {}

WtLane::~WtLane() {
  stop();
}

bool WtLane::start(struct lws_context* context, struct lws_vhost* vhost, std::string& error) {
  std::string why;
  server_ = webtransport::Server::create(server_config(config_), *this, &why);
  if (!server_) {
    error = "wt: " + why;
    return false;
  }
  certificate_ = std::make_unique<CertificateRotation>(wt_config_.cert_file, wt_config_.key_file,
                                                       wt_config_.cert_warn_days);
  if (!certificate_->load(now_us() / 1'000'000, why)) {
    error = "wt: " + why;
    return false;
  }
  loop_ = std::make_unique<WtEventLoop>(
      *server_, WtEventLoop::Hooks{[this] { write_pending(); }, [this] { every_second(); }});
  if (!loop_->attach(context, vhost, error)) return false;
  for (const std::string& host : wt_config_.hosts) {
    std::fprintf(stderr, "laneway-bridge: WebTransport on https://%s:%u/v1/wt (udp)\n",
                 host.find(':') != std::string::npos ? ("[" + host + "]").c_str() : host.c_str(),
                 static_cast<unsigned>(server_->port()));
  }
  return true;
}

void WtLane::stop() {
  if (loop_) loop_->detach();
  for (auto& [ref, w] : sessions_) hub_.close(w->session);
  sessions_.clear();
  pending_.clear();
}

std::uint16_t WtLane::port() const {
  return server_ ? server_->port() : 0;
}

std::vector<std::string> WtLane::certificate_hashes() const {
  if (!certificate_) return {};
  return certificate_->advertised_hashes(now_us() / 1'000'000);
}

WebTransportSample WtLane::sample() const {
  WebTransportSample out;
  if (!server_) return out;
  const webtransport::Stats s = server_->stats();
  out.quic_connections = s.connections;
  out.sessions = s.sessions;
  out.sessions_total = s.sessions_total;
  out.sessions_rejected = s.sessions_rejected + refused_;
  out.streams_total = s.streams_total;
  out.datagrams_in = s.datagrams_in;
  out.datagrams_out = s.datagrams_out;
  out.datagrams_dropped = s.datagrams_dropped;
  out.datagrams_on_stream = datagram_fallbacks_;
  out.migrations = s.migrations;
  out.stateless_resets = s.stateless_resets;
  out.protocol_errors = s.protocol_errors;
  out.certificate_expiry_s = certificate_->current().not_after_s - now_us() / 1'000'000;
  out.certificate_reloads = certificate_->reloads();
  return out;
}

WtLane::WtSession* WtLane::find(webtransport::SessionRef ref) {
  auto it = sessions_.find(ref);
  return it == sessions_.end() ? nullptr : it->second.get();
}

// --- sessions opening and closing --------------------------------------------------------

int WtLane::on_session_request(const webtransport::SessionRequest& request) {
  if (sessions_.size() >= wt_config_.max_sessions ||
      hub_.session_count() >= config_.limits.max_sessions) {
    return 503;
  }
  // Refuse other sites' pages before a session exists. The app is known for sure only at
  // `connect` (the hub checks the origin again then); `?app=` narrows it here.
  if (!request.origin.empty()) {
    const std::string app_id = query_value(request.query, "app");
    bool allowed = false;
    if (!app_id.empty()) {
      const AppConfig* app = config_.find_app(app_id);
      allowed = app && origin_allowed(*app, request.origin);
    } else {
      for (const AppConfig& app : config_.apps)
        allowed = allowed || origin_allowed(app, request.origin);
    }
    if (!allowed) return 403;
  }
  return 200;
}

void WtLane::on_session_opened(webtransport::SessionRef ref,
                               const webtransport::SessionRequest& request) {
  auto w = std::make_unique<WtSession>(*this, ref, config_.limits.max_frame_bytes);
  w->session = hub_.open(Lane::kWebTransport, w.get(), request.origin, now_us());
  if (!w->session) {
    ++refused_;
    server_->close_session(ref, 503, "bridge at max_sessions");
    return;
  }
  sessions_.emplace(ref, std::move(w));
}

void WtLane::on_session_closed(webtransport::SessionRef ref, std::uint32_t, std::string_view) {
  auto it = sessions_.find(ref);
  if (it == sessions_.end()) return;
  hub_.close(it->second->session);
  sessions_.erase(it);
}

void WtLane::finish(WtSession& w, std::uint32_t code, const char* reason) {
  if (w.frame_stream < 0) {
    server_->close_session(w.ref, code, reason);  // nothing to flush first
    return;
  }
  if (w.fin_sent) return;
  std::string error;
  server_->send_stream(w.ref, w.frame_stream, {}, true, &error);
  w.fin_sent = true;
  w.close_at_us = now_us() + kCloseGraceUs;
}

void WtLane::every_second() {
  const std::int64_t now = now_us();
  std::vector<webtransport::SessionRef> due;
  for (const auto& [ref, w] : sessions_) {
    if (w->fin_sent && w->close_at_us <= now) due.push_back(ref);
  }
  // close_session reports the close (on_session_closed) before it returns.
  for (const auto& ref : due) server_->close_session(ref, 0, "laneway: session closed");
  certificate_->poll(now / 1'000'000, [this](std::string& error) {
    return server_->reload_certificate(wt_config_.cert_file, wt_config_.key_file, &error);
  });
}

void WtLane::on_connection_migrated(std::uint64_t, std::string_view) {
  // Nothing to do: sessions are keyed by connection, never by address. Counted in stats.
}

// --- client to bridge --------------------------------------------------------------------

void WtLane::on_stream_data(webtransport::SessionRef ref, std::int64_t stream_id,
                            std::string_view data, bool fin) {
  WtSession* w = find(ref);
  if (!w || !w->session) return;
  if (w->frame_stream < 0 && client_bidi(stream_id)) w->frame_stream = stream_id;
  // Other streams have no meaning in laneway's protocol: their bytes are read and dropped.
  if (stream_id != w->frame_stream || w->decoder.failed()) return;
  const wire::WireError err =
      w->decoder.feed(data, [&](std::string_view record) { on_record(*w, record); });
  Session& s = *w->session;
  if (err == wire::WireError::kTooLarge) {
    hub_.fail_and_close(s, v1::ERROR_CODE_TOO_LARGE,
                        "record over max_frame_bytes; the stream cannot continue");
  } else if (err != wire::WireError::kOk) {
    hub_.fail_and_close(s, v1::ERROR_CODE_BAD_REQUEST,
                        "malformed record length; the stream cannot continue");
  } else if (fin) {
    // The client finished its side of the frame stream: it wants nothing more.
    server_->close_session(ref, 0, "client finished its frame stream");  // erases *w
  }
}

void WtLane::on_record(WtSession& w, std::string_view record) {
  if (!w.session || w.session->closing) return;
  // The hub decodes the frame for itself; the lane only needs to see which subscriptions
  // asked for datagrams.
  v1::Frame frame;
  if (frame.ParseFromArray(record.data(), static_cast<int>(record.size())) && frame.has_call()) {
    w.datagrams.on_client_call(frame.call());
  }
  hub_.on_client_frame(*w.session, record, now_us());
}

void WtLane::on_datagram(webtransport::SessionRef ref, std::string_view payload) {
  // A client datagram is one Frame too (replies still come on the stream).
  WtSession* w = find(ref);
  if (!w || !w->session) return;
  if (payload.size() > config_.limits.max_frame_bytes) {
    hub_.refuse_oversized(*w->session);
    return;
  }
  on_record(*w, payload);
}

void WtLane::on_stream_reset(webtransport::SessionRef ref, std::int64_t stream_id,
                             std::uint64_t error_code) {
  WtSession* w = find(ref);
  if (!w || stream_id != w->frame_stream) return;
  // The frame stream is gone: the session cannot carry on.
  std::fprintf(stderr, "laneway-bridge: wt: frame stream reset by the client (code %llu)\n",
               static_cast<unsigned long long>(error_code));
  server_->close_session(ref, 0, "frame stream reset");
}

// --- bridge to client --------------------------------------------------------------------

void WtLane::on_stream_acked(webtransport::SessionRef ref, std::int64_t stream_id) {
  WtSession* w = find(ref);
  if (!w || !w->session || stream_id != w->frame_stream) return;
  if (!w->session->queue.empty()) want_write(*w);
}

void WtLane::want_write(WtSession& w) {
  if (w.write_pending) return;
  w.write_pending = true;
  pending_.push_back(w.ref);
  loop_->defer();
}

void WtLane::write_pending() {
  std::vector<webtransport::SessionRef> work;
  work.swap(pending_);
  for (const auto& ref : work) {
    WtSession* w = find(ref);
    if (!w) continue;
    w->write_pending = false;
    write_session(*w);
  }
  if (batch_.capacity() > kBatchKeepBytes) {
    batch_.clear();
    batch_.shrink_to_fit();
  }
}

bool WtLane::wants_datagram(WtSession& w, const QueuedFrame& item) {
  // Only broker envelopes move the stream offset; replies and errors never qualify.
  if (item.offset == 0) return false;
  const FrameClassifier::Kind& kind = classifier_.classify(item.frame);
  return kind.qos0_envelope && w.datagrams.wants(kind.topic, w.session->filters);
}

void WtLane::write_session(WtSession& w) {
  if (!w.session || w.fin_sent) return;
  Session& s = *w.session;
  if (w.frame_stream < 0) {
    // Nothing can be written before the client opened its stream.
    if (s.closing) finish(w, 0, "laneway: session closed");
    return;
  }
  LaneCounters& counters = hub_.metrics().lane(Lane::kWebTransport);
  const bool may_datagram = wt_config_.datagrams && !w.datagrams.empty();
  const std::size_t datagram_max = may_datagram ? server_->max_datagram_payload(w.ref) : 0;
  const std::size_t room = server_->send_capacity(w.ref, w.frame_stream);
  batch_.clear();
  while (!s.queue.empty()) {
    const QueuedFrame& item = s.queue.front();
    const std::string_view bytes = item.frame->bytes();
    if (may_datagram && wants_datagram(w, item)) {
      if (bytes.size() <= datagram_max && server_->send_datagram(w.ref, bytes)) {
        counters.frames_out++;
        counters.bytes_out += bytes.size();
        s.queue.pop();
        continue;
      }
      ++datagram_fallbacks_;  // too large for the path, or the datagram queue is full
    }
    if (batch_.size() + varint_size(bytes.size()) + bytes.size() > room) break;
    wire::append_length_prefixed(bytes, batch_);
    counters.frames_out++;
    counters.bytes_out += bytes.size();
    s.queue.pop();
  }
  if (!batch_.empty()) {
    std::string error;
    if (!server_->send_stream(w.ref, w.frame_stream, batch_, false, &error)) {
      std::fprintf(stderr, "laneway-bridge: wt: stream write failed: %s\n", error.c_str());
      server_->close_session(w.ref, 0, "stream write failed");
      return;
    }
  }
  if (!s.queue.empty()) return;  // the send buffer is full: on_stream_acked resumes
  if (s.closing) finish(w, 0, "laneway: session closed");
}

}  // namespace laneway::bridge
