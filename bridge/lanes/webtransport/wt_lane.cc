#include "wt_lane.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "authorization.h"

namespace laneway::bridge {
namespace {

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

// Only live QoS 0 envelopes may go as datagrams: replays, replies and QoS 1 stay on the
// stream, where they are ordered and reliable.
bool datagram_candidate(const QueuedFrame& item) {
  return item.frame->is_envelope() && item.frame->label().qos == 0;
}

}  // namespace

WtLane::WtLane(const BridgeConfig& config, Hub& hub, std::function<void()> defer_writes)
    : config_(config),
      wt_config_(config.webtransport),
      hub_(hub),
      defer_writes_(std::move(defer_writes)) {}

WtLane::~WtLane() {
  close_all();
}

void WtLane::close_all() {
  for (auto& [ref, c] : channels_) hub_.close(c->session);
  channels_.clear();
  pending_.clear();
}

WtLane::WtChannel* WtLane::find(webtransport::SessionRef ref) {
  auto it = channels_.find(ref);
  return it == channels_.end() ? nullptr : it->second.get();
}

// --- sessions opening and closing --------------------------------------------------------

int WtLane::on_session_request(const webtransport::SessionRequest& request) {
  if (channels_.size() >= wt_config_.max_sessions ||
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
  auto c = std::make_unique<WtChannel>(*this, ref, config_.limits.max_frame_bytes);
  c->session = hub_.open(Lane::kWebTransport, c.get(), request.origin, now_us());
  if (!c->session) {
    ++refused_;
    server_->close_session(ref, 503, "bridge at max_sessions");
    return;
  }
  channels_.emplace(ref, std::move(c));
}

void WtLane::on_session_closed(webtransport::SessionRef ref, std::uint32_t, std::string_view) {
  auto it = channels_.find(ref);
  if (it == channels_.end()) return;
  hub_.close(it->second->session);
  channels_.erase(it);
}

void WtLane::finish(WtChannel& c, std::uint32_t code, const char* reason) {
  if (c.frame_stream < 0) {
    server_->close_session(c.ref, code, reason);  // nothing to flush first
    return;
  }
  if (c.fin_sent) return;
  std::string error;
  server_->send_stream(c.ref, c.frame_stream, {}, true, &error);
  c.fin_sent = true;
  c.close_at_us = now_us() + kWtCloseGraceUs;
}

void WtLane::every_second(std::int64_t now) {
  std::vector<webtransport::SessionRef> due;
  for (const auto& [ref, c] : channels_) {
    if (c->fin_sent && c->close_at_us <= now) due.push_back(ref);
  }
  // close_session reports the close (on_session_closed) before it returns.
  for (const auto& ref : due) server_->close_session(ref, 0, "laneway: session closed");
}

void WtLane::on_connection_migrated(std::uint64_t, std::string_view) {
  // Nothing to do: sessions are keyed by connection, never by address. Counted in stats.
}

// --- client to bridge --------------------------------------------------------------------

void WtLane::on_stream_data(webtransport::SessionRef ref, std::int64_t stream_id,
                            std::string_view data, bool fin) {
  WtChannel* c = find(ref);
  if (!c || !c->session) return;
  if (c->frame_stream < 0 && client_bidi(stream_id)) c->frame_stream = stream_id;
  // Other streams have no meaning in laneway's protocol: their bytes are read and dropped.
  if (stream_id != c->frame_stream || c->decoder.failed()) return;
  Session& s = *c->session;
  const wire::WireError err = c->decoder.feed(
      data, [&](std::string_view record) { hub_.on_client_frame(s, record, now_us()); });
  if (err == wire::WireError::kTooLarge) {
    hub_.fail_and_close(s, v1::ERROR_CODE_TOO_LARGE,
                        "record over max_frame_bytes; the stream cannot continue");
  } else if (err != wire::WireError::kOk) {
    hub_.fail_and_close(s, v1::ERROR_CODE_BAD_REQUEST,
                        "malformed record length; the stream cannot continue");
  } else if (fin) {
    // The client finished its side of the frame stream: it wants nothing more.
    server_->close_session(ref, 0, "client finished its frame stream");  // erases *c
  }
}

void WtLane::on_datagram(webtransport::SessionRef ref, std::string_view payload) {
  // A client datagram is one Frame too (replies still come on the stream).
  WtChannel* c = find(ref);
  if (!c || !c->session) return;
  if (payload.size() > config_.limits.max_frame_bytes) {
    hub_.refuse_oversized(*c->session);
    return;
  }
  hub_.on_client_frame(*c->session, payload, now_us());
}

void WtLane::on_stream_reset(webtransport::SessionRef ref, std::int64_t stream_id,
                             std::uint64_t error_code) {
  WtChannel* c = find(ref);
  if (!c || stream_id != c->frame_stream) return;
  // The frame stream is gone: the session cannot carry on.
  std::fprintf(stderr, "laneway-bridge: wt: frame stream reset by the client (code %llu)\n",
               static_cast<unsigned long long>(error_code));
  server_->close_session(ref, 0, "frame stream reset");
}

// --- bridge to client --------------------------------------------------------------------

void WtLane::on_stream_acked(webtransport::SessionRef ref, std::int64_t stream_id) {
  WtChannel* c = find(ref);
  if (!c || !c->session || stream_id != c->frame_stream) return;
  if (!c->session->queue.empty()) want_write(*c);
}

void WtLane::want_write(WtChannel& c) {
  if (c.write_pending) return;
  c.write_pending = true;
  pending_.push_back(c.ref);
  defer_writes_();
}

void WtLane::write_pending() {
  std::vector<webtransport::SessionRef> work;
  work.swap(pending_);
  for (const auto& ref : work) {
    WtChannel* c = find(ref);
    if (!c) continue;
    c->write_pending = false;
    write_channel(*c);
  }
  if (batch_.capacity() > kBatchKeepBytes) {
    batch_.clear();
    batch_.shrink_to_fit();
  }
}

void WtLane::write_channel(WtChannel& c) {
  if (!c.session || c.fin_sent) return;
  Session& s = *c.session;
  if (c.frame_stream < 0) {
    // Nothing can be written before the client opened its stream.
    if (s.closing) finish(c, 0, "laneway: session closed");
    return;
  }
  LaneCounters& counters = hub_.metrics().lane(Lane::kWebTransport);
  const bool may_datagram = wt_config_.datagrams && !s.datagram_filters.empty();
  const std::size_t datagram_max = may_datagram ? server_->max_datagram_payload(c.ref) : 0;
  const std::size_t room = server_->send_capacity(c.ref, c.frame_stream);
  batch_.clear();
  while (!s.queue.empty()) {
    const QueuedFrame& item = s.queue.front();
    const std::string_view bytes = item.frame->bytes();
    if (may_datagram && datagram_candidate(item) && s.wants_datagram(item.frame->label().topic)) {
      if (bytes.size() <= datagram_max && server_->send_datagram(c.ref, bytes)) {
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
    if (!server_->send_stream(c.ref, c.frame_stream, batch_, false, &error)) {
      std::fprintf(stderr, "laneway-bridge: wt: stream write failed: %s\n", error.c_str());
      server_->close_session(c.ref, 0, "stream write failed");  // erases c
      return;
    }
  }
  if (!s.queue.empty()) return;  // the send buffer is full: on_stream_acked resumes
  if (s.closing) finish(c, 0, "laneway: session closed");
}

}  // namespace laneway::bridge
