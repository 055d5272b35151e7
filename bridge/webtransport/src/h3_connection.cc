#include "h3_connection.h"

#include <cstdio>
#include <vector>

#include "h3_constants.h"

namespace laneway::webtransport {

namespace {

// The SETTINGS frame Chromium needs before it sends its CONNECT (webtransport.md §1).
std::string build_settings_frame(const ServerConfig& config) {
  std::string payload;
  const std::pair<std::uint64_t, std::uint64_t> settings[] = {
      {h3::kSettingQpackMaxTableCapacity, 0},
      {h3::kSettingQpackBlockedStreams, 0},
      {h3::kSettingMaxFieldSectionSize, config.max_header_section},
      {h3::kSettingEnableConnectProtocol, 1},
      {h3::kSettingH3Datagram, 1},
      {h3::kSettingEnableWebTransportDraft02, 1},
      {h3::kSettingWebTransportMaxSessionsDraft07, config.max_sessions_per_connection},
  };
  for (const auto& [id, value] : settings) {
    append_varint(id, payload);
    append_varint(value, payload);
  }
  std::string frame;
  append_varint(h3::kFrameSettings, frame);
  append_varint(payload.size(), frame);
  frame += payload;
  return frame;
}

}  // namespace

// Frames on the peer's control stream: SETTINGS first and once; request frames forbidden.
class Http3Connection::ControlFrames : public FrameSink {
 public:
  ControlFrames(Http3Connection& h3, StreamState& s) : h3_(h3), s_(s) {}
  std::uint64_t on_frame_header(std::uint64_t type, std::uint64_t length) override {
    if (!h3_.peer_settings_seen_ && type != h3::kFrameSettings) return h3::kMissingSettings;
    switch (type) {
      case h3::kFrameSettings:
        if (h3_.peer_settings_seen_) return h3::kFrameUnexpected;
        if (length > h3_.config_.max_header_section) return h3::kExcessiveLoad;
        s_.frame_payload.clear();
        return 0;
      case h3::kFrameData:
      case h3::kFrameHeaders:
      case h3::kFramePushPromise:
        return h3::kFrameUnexpected;
      default:
        return 0;  // GOAWAY, MAX_PUSH_ID, unknown and grease frames: skipped
    }
  }
  std::uint64_t on_frame_payload(std::uint64_t type, std::string_view piece) override {
    if (type == h3::kFrameSettings) s_.frame_payload.append(piece);
    return 0;
  }
  std::uint64_t on_frame_end(std::uint64_t type) override {
    if (type != h3::kFrameSettings) return 0;
    h3_.peer_settings_seen_ = true;
    return h3_.parse_settings(s_.frame_payload);
  }

 private:
  Http3Connection& h3_;
  StreamState& s_;
};

// Frames on a request stream: HEADERS first; then, on an accepted CONNECT, DATA frames
// carrying capsules.
class Http3Connection::RequestFrames : public FrameSink {
 public:
  RequestFrames(Http3Connection& h3, std::int64_t id, StreamState& s) : h3_(h3), id_(id), s_(s) {}
  std::uint64_t on_frame_header(std::uint64_t type, std::uint64_t length) override {
    switch (type) {
      case h3::kFrameHeaders:
        if (length > h3_.config_.max_header_section) return h3::kExcessiveLoad;
        s_.frame_payload.clear();
        return 0;
      case h3::kFrameData:
        if (!s_.headers_done) return h3::kFrameUnexpected;
        return 0;
      case h3::kFrameSettings:
      case h3::kFrameGoaway:
      case h3::kFrameMaxPushId:
      case h3::kFrameCancelPush:
      case h3::kFramePushPromise:
        return h3::kFrameUnexpected;
      default:
        return 0;
    }
  }
  std::uint64_t on_frame_payload(std::uint64_t type, std::string_view piece) override {
    if (type == h3::kFrameHeaders && !s_.headers_done) s_.frame_payload.append(piece);
    if (type == h3::kFrameData && s_.is_session) return s_.capsules.feed(piece);
    return 0;
  }
  std::uint64_t on_frame_end(std::uint64_t type) override {
    if (type == h3::kFrameHeaders && !s_.headers_done) {
      s_.headers_done = true;
      return h3_.on_request_headers(id_, s_);
    }
    return 0;  // trailers and unknown frames are ignored
  }

 private:
  Http3Connection& h3_;
  std::int64_t id_;
  StreamState& s_;
};

Http3Connection::Http3Connection(StreamIo& io, Handler& handler, Stats& stats,
                                 std::uint64_t connection_serial, const ServerConfig& config)
    : io_(io),
      handler_(handler),
      stats_(stats),
      serial_(connection_serial),
      config_(config),
      decoder_(/*max_fields=*/64, config.max_header_section) {}

bool Http3Connection::on_handshake_completed() {
  if (!decoder_.ok() || !encoder_.ok()) {
    fail_connection(h3::kInternalError, "qpack init failed");
    return false;
  }
  const std::int64_t control = io_.open_uni_stream();
  const std::int64_t qpack_encoder = io_.open_uni_stream();
  const std::int64_t qpack_decoder = io_.open_uni_stream();
  if (control < 0 || qpack_encoder < 0 || qpack_decoder < 0) {
    fail_connection(h3::kStreamCreationError, "peer allows too few uni streams");
    return false;
  }
  std::string control_bytes;
  append_varint(h3::kStreamControl, control_bytes);
  control_bytes += build_settings_frame(config_);
  std::string enc(1, static_cast<char>(h3::kStreamQpackEncoder));
  std::string dec(1, static_cast<char>(h3::kStreamQpackDecoder));
  std::string error;
  if (!io_.write_stream(control, control_bytes, false, &error) ||
      !io_.write_stream(qpack_encoder, enc, false, &error) ||
      !io_.write_stream(qpack_decoder, dec, false, &error)) {
    fail_connection(h3::kInternalError, "cannot write control streams");
    return false;
  }
  return true;
}

void Http3Connection::on_stream_data(std::int64_t stream_id, std::string_view data, bool fin) {
  if (failed_) return;
  StreamState& s = streams_[stream_id];
  std::size_t pos = 0;
  // Identify the stream from its first varint.
  while (s.kind == StreamKind::kUnknown && pos < data.size()) {
    const auto byte = static_cast<std::uint8_t>(data[pos++]);
    s.head_bytes.push_back(static_cast<char>(byte));
    if (!s.head.feed(byte)) continue;
    if (h3::is_bidi(stream_id)) {
      classify_bidi(stream_id, s, s.head.value());
    } else {
      classify_uni(stream_id, s, s.head.value());
    }
    if (failed_) return;
  }
  data.remove_prefix(pos);
  switch (s.kind) {
    case StreamKind::kUnknown:
      if (fin) {
        // A stream that ends before saying what it is.
        if (h3::is_bidi(stream_id)) fail_stream(stream_id, h3::kRequestIncomplete, "empty stream");
      }
      return;
    case StreamKind::kControl: {
      if (fin) {
        fail_connection(h3::kClosedCriticalStream, "peer closed its control stream");
        return;
      }
      ControlFrames sink(*this, s);
      if (auto err = s.frames.feed(data, sink); err != 0) fail_connection(err, "control stream");
      return;
    }
    case StreamKind::kQpack:
      if (fin) fail_connection(h3::kClosedCriticalStream, "peer closed a QPACK stream");
      return;
    case StreamKind::kIgnored:
      return;
    case StreamKind::kRequest: {
      // The first varint was a frame type: replay it into the frame reader.
      std::string replay;
      if (!s.head_bytes.empty()) {
        replay = std::move(s.head_bytes);
        s.head_bytes.clear();
        replay.append(data);
        data = replay;
      }
      on_request_bytes(stream_id, s, data, fin);
      return;
    }
    case StreamKind::kWebTransport:
      on_webtransport_bytes(stream_id, s, data, fin);
      return;
  }
}

void Http3Connection::classify_uni(std::int64_t stream_id, StreamState& s, std::uint64_t type) {
  s.head_bytes.clear();
  switch (type) {
    case h3::kStreamControl:
      if (peer_control_seen_) {
        fail_connection(h3::kStreamCreationError, "second control stream");
        return;
      }
      peer_control_seen_ = true;
      s.kind = StreamKind::kControl;
      return;
    case h3::kStreamQpackEncoder:
    case h3::kStreamQpackDecoder:
      s.kind = StreamKind::kQpack;
      return;
    case h3::kStreamPush:
      // Only servers push; a client push stream is a connection error (RFC 9114 §6.2.2).
      fail_connection(h3::kStreamCreationError, "push stream from a client");
      return;
    case h3::kStreamWebTransportUni:
      s.kind = StreamKind::kWebTransport;
      return;
    default:
      // Unknown and grease types: the recipient must not treat them as errors; ask the peer
      // to stop sending and discard.
      s.kind = StreamKind::kIgnored;
      io_.stop_reading(stream_id, h3::kStreamCreationError);
      return;
  }
}

void Http3Connection::classify_bidi(std::int64_t stream_id, StreamState& s, std::uint64_t first) {
  if (!h3::is_client_initiated(stream_id)) {
    s.kind = StreamKind::kWebTransport;  // our own stream: header already written by us
    s.head_bytes.clear();
    return;
  }
  if (first == h3::kFrameWebTransportBidi) {
    s.head_bytes.clear();
    s.kind = StreamKind::kWebTransport;
    return;
  }
  s.kind = StreamKind::kRequest;
}

void Http3Connection::on_webtransport_bytes(std::int64_t stream_id, StreamState& s,
                                            std::string_view data, bool fin) {
  std::size_t pos = 0;
  while (!s.session_id_known && pos < data.size()) {
    if (!s.session_varint.feed(static_cast<std::uint8_t>(data[pos++]))) continue;
    s.session_id_known = true;
    s.session_id = static_cast<std::int64_t>(s.session_varint.value());
    auto it = sessions_.find(s.session_id);
    if (it == sessions_.end()) {
      // We do not buffer streams for sessions that do not exist (yet); Chromium only opens
      // streams once the session is established, so this is a stale or bogus session id.
      s.kind = StreamKind::kIgnored;
      fail_stream(stream_id, h3::kWebTransportBufferedStreamRejected, "stream for no session");
      return;
    }
    it->second.streams.insert(stream_id);
    stream_session_[stream_id] = s.session_id;
    ++stats_.streams_total;
  }
  if (!s.session_id_known) return;
  data.remove_prefix(pos);
  if (data.empty() && !fin) return;
  handler_.on_stream_data(SessionRef{serial_, s.session_id}, stream_id, data, fin);
}

void Http3Connection::on_request_bytes(std::int64_t stream_id, StreamState& s,
                                       std::string_view data, bool fin) {
  RequestFrames sink(*this, stream_id, s);
  if (auto err = s.frames.feed(data, sink); err != 0) {
    if (is_connection_error(err)) {
      fail_connection(err, "request stream");
    } else {
      fail_stream(stream_id, err, "request stream");
    }
    return;
  }
  if (!fin) return;
  if (s.is_session) {
    // FIN on the CONNECT stream ends the session (clean unless a capsule said otherwise).
    const auto& close = s.capsules.close();
    end_session(stream_id, close ? close->error_code : 0, close ? close->reason : "", true);
    return;
  }
  if (!s.headers_done || !s.frames.at_frame_boundary()) {
    fail_stream(stream_id, h3::kRequestIncomplete, "request ended early");
  }
}

std::uint64_t Http3Connection::on_request_headers(std::int64_t stream_id, StreamState& s) {
  std::vector<HeaderField> fields;
  if (auto err = decoder_.decode(stream_id, s.frame_payload, &fields); err != 0) return err;
  s.frame_payload.clear();
  s.frame_payload.shrink_to_fit();

  // RFC 9114 §4.3: pseudo-headers once each, before regular fields, no unknown ones.
  std::string method, protocol, scheme, authority, path, origin;
  bool has_protocol = false, has_scheme = false, has_path = false, has_authority = false;
  bool regular_seen = false;
  for (const auto& f : fields) {
    if (f.name.empty()) return h3::kMessageError;
    for (char c : f.name) {
      if (c >= 'A' && c <= 'Z') return h3::kMessageError;
    }
    if (f.name[0] == ':') {
      if (regular_seen) return h3::kMessageError;
      auto take = [&](std::string& dst, bool* seen = nullptr) {
        if (!dst.empty() || (seen && *seen)) return false;
        dst = f.value;
        if (seen) *seen = true;
        return true;
      };
      bool ok;
      if (f.name == ":method")
        ok = take(method);
      else if (f.name == ":protocol")
        ok = take(protocol, &has_protocol);
      else if (f.name == ":scheme")
        ok = take(scheme, &has_scheme);
      else if (f.name == ":authority")
        ok = take(authority, &has_authority);
      else if (f.name == ":path")
        ok = take(path, &has_path);
      else
        ok = false;
      if (!ok) return h3::kMessageError;
    } else {
      regular_seen = true;
      if (f.name == "origin") origin = f.value;
    }
  }
  if (method.empty()) return h3::kMessageError;
  if (method != "CONNECT") {
    if (has_protocol || !has_scheme || !has_path) return h3::kMessageError;
    respond_and_finish(stream_id, 405);  // this server only serves WebTransport
    return 0;
  }
  if (!has_protocol) {
    // Plain CONNECT (RFC 9114 §4.4) must carry only :method and :authority; with :path or
    // :scheme (a WebTransport CONNECT that lost its :protocol) it is malformed.
    if (has_scheme || has_path || !has_authority) return h3::kMessageError;
    respond_and_finish(stream_id, 501);
    return 0;
  }
  if (!has_scheme || !has_path || !has_authority || path.empty() || scheme != "https") {
    return h3::kMessageError;
  }
  if (protocol != "webtransport") {
    respond_and_finish(stream_id, 501);
    return 0;
  }
  SessionRequest request;
  request.authority = authority;
  const auto q = path.find('?');
  request.path = path.substr(0, q);
  if (q != std::string::npos) request.query = path.substr(q + 1);
  request.origin = origin;
  request.remote = io_.remote_address();
  if (request.path != config_.path) {
    ++stats_.sessions_rejected;
    respond_and_finish(stream_id, 404);
    return 0;
  }
  if (sessions_.size() >= config_.max_sessions_per_connection) {
    ++stats_.sessions_rejected;
    respond_and_finish(stream_id, 429);
    return 0;
  }
  const int status = handler_.on_session_request(request);
  if (status < 200 || status > 299) {
    ++stats_.sessions_rejected;
    respond_and_finish(stream_id, status >= 100 && status <= 599 ? status : 500);
    return 0;
  }
  std::string headers;
  if (!encoder_.encode(stream_id, {{":status", "200"}, {"sec-webtransport-http3-draft", "draft02"}},
                       &headers)) {
    return h3::kInternalError;
  }
  std::string frame;
  append_varint(h3::kFrameHeaders, frame);
  append_varint(headers.size(), frame);
  frame += headers;
  std::string error;
  // No FIN: the CONNECT stream lives as long as the session.
  if (!io_.write_stream(stream_id, frame, false, &error)) return h3::kInternalError;
  s.is_session = true;
  sessions_[stream_id].request = request;
  ++stats_.sessions;
  ++stats_.sessions_total;
  handler_.on_session_opened(SessionRef{serial_, stream_id}, request);
  return 0;
}

std::uint64_t Http3Connection::parse_settings(std::string_view payload) {
  auto* p = reinterpret_cast<const std::uint8_t*>(payload.data());
  std::size_t left = payload.size();
  std::set<std::uint64_t> seen;
  while (left > 0) {
    std::uint64_t id = 0, value = 0;
    std::size_t n = decode_varint(p, left, &id);
    if (n == 0) return h3::kFrameError;
    p += n, left -= n;
    n = decode_varint(p, left, &value);
    if (n == 0) return h3::kFrameError;
    p += n, left -= n;
    if (!seen.insert(id).second) return h3::kSettingsError;
    // HTTP/2 setting ids reserved in HTTP/3 (RFC 9114 §7.2.4.1).
    if (id == 0x02 || id == 0x03 || id == 0x04 || id == 0x05) return h3::kSettingsError;
  }
  return 0;
}

void Http3Connection::on_stream_reset(std::int64_t stream_id, std::uint64_t error_code) {
  auto wt = stream_session_.find(stream_id);
  if (wt != stream_session_.end()) {
    handler_.on_stream_reset(SessionRef{serial_, wt->second}, stream_id, error_code);
    return;
  }
  if (sessions_.count(stream_id)) {
    end_session(stream_id, 0, "CONNECT stream reset", false);
    io_.reset_stream(stream_id, h3::kNoError);
    return;
  }
  auto it = streams_.find(stream_id);
  if (it != streams_.end() &&
      (it->second.kind == StreamKind::kControl || it->second.kind == StreamKind::kQpack)) {
    fail_connection(h3::kClosedCriticalStream, "critical stream reset");
  }
}

void Http3Connection::on_stream_closed(std::int64_t stream_id) {
  auto wt = stream_session_.find(stream_id);
  if (wt != stream_session_.end()) {
    auto session = sessions_.find(wt->second);
    if (session != sessions_.end()) session->second.streams.erase(stream_id);
    stream_session_.erase(wt);
  }
  if (sessions_.count(stream_id)) end_session(stream_id, 0, "CONNECT stream closed", false);
  streams_.erase(stream_id);
}

void Http3Connection::on_datagram(std::string_view payload) {
  std::uint64_t quarter = 0;
  const std::size_t n = decode_varint(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                      payload.size(), &quarter);
  if (n == 0 || quarter > (kMaxVarint >> 2)) {
    ++stats_.datagrams_dropped;
    return;
  }
  const auto session_id = static_cast<std::int64_t>(quarter * 4);
  if (!sessions_.count(session_id)) {
    ++stats_.datagrams_dropped;  // RFC 9297 §2.1: unknown stream: drop (or buffer briefly)
    return;
  }
  ++stats_.datagrams_in;
  payload.remove_prefix(n);
  handler_.on_datagram(SessionRef{serial_, session_id}, payload);
}

void Http3Connection::on_connection_closed() {
  while (!sessions_.empty()) {
    end_session(sessions_.begin()->first, 0, "connection closed", false);
  }
}

void Http3Connection::on_stream_acked(std::int64_t stream_id) {
  auto wt = stream_session_.find(stream_id);
  if (wt == stream_session_.end()) return;
  handler_.on_stream_acked(SessionRef{serial_, wt->second}, stream_id);
}

bool Http3Connection::owns_stream(std::int64_t session_id, std::int64_t stream_id) const {
  auto wt = stream_session_.find(stream_id);
  return wt != stream_session_.end() && wt->second == session_id;
}

std::size_t Http3Connection::datagram_prefix_size(std::int64_t session_id) {
  std::string prefix;
  append_varint(static_cast<std::uint64_t>(session_id) / 4, prefix);
  return prefix.size();
}

bool Http3Connection::send_stream(std::int64_t session_id, std::int64_t stream_id,
                                  std::string_view data, bool fin, std::string* error) {
  auto wt = stream_session_.find(stream_id);
  if (wt == stream_session_.end() || wt->second != session_id) {
    if (error) *error = "no such WebTransport stream in this session";
    return false;
  }
  return io_.write_stream(stream_id, data, fin, error);
}

std::int64_t Http3Connection::open_stream(std::int64_t session_id, bool bidi, std::string* error) {
  auto session = sessions_.find(session_id);
  if (session == sessions_.end()) {
    if (error) *error = "no such session";
    return -1;
  }
  const std::int64_t id = bidi ? io_.open_bidi_stream() : io_.open_uni_stream();
  if (id < 0) {
    if (error) *error = "peer stream limit reached";
    return -1;
  }
  std::string header;
  append_varint(bidi ? h3::kFrameWebTransportBidi : h3::kStreamWebTransportUni, header);
  append_varint(static_cast<std::uint64_t>(session_id), header);
  if (!io_.write_stream(id, header, false, error)) return -1;
  StreamState& s = streams_[id];
  s.kind = StreamKind::kWebTransport;
  s.session_id_known = true;
  s.session_id = session_id;
  session->second.streams.insert(id);
  stream_session_[id] = session_id;
  ++stats_.streams_total;
  return id;
}

bool Http3Connection::send_datagram(std::int64_t session_id, std::string_view payload,
                                    std::string* error) {
  if (!sessions_.count(session_id)) {
    if (error) *error = "no such session";
    return false;
  }
  std::string datagram;
  append_varint(static_cast<std::uint64_t>(session_id) / 4, datagram);
  datagram += payload;
  if (!io_.queue_datagram(std::move(datagram), error)) {
    ++stats_.datagrams_dropped;
    return false;
  }
  ++stats_.datagrams_out;
  return true;
}

void Http3Connection::close_session(std::int64_t session_id, std::uint32_t error_code,
                                    std::string_view reason) {
  if (!sessions_.count(session_id)) return;
  if (reason.size() > 1024) reason = reason.substr(0, 1024);
  std::string capsule;
  append_varint(h3::kCapsuleCloseWebTransportSession, capsule);
  append_varint(4 + reason.size(), capsule);
  for (int shift = 24; shift >= 0; shift -= 8) {
    capsule.push_back(static_cast<char>((error_code >> shift) & 0xff));
  }
  capsule += reason;
  std::string frame;
  append_varint(h3::kFrameData, frame);
  append_varint(capsule.size(), frame);
  frame += capsule;
  std::string error;
  io_.write_stream(session_id, frame, false, &error);
  end_session(session_id, error_code, reason, true);
}

void Http3Connection::end_session(std::int64_t session_id, std::uint32_t error_code,
                                  std::string_view reason, bool send_fin) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  const std::set<std::int64_t> streams = std::move(it->second.streams);
  sessions_.erase(it);
  --stats_.sessions;
  for (std::int64_t id : streams) {
    stream_session_.erase(id);
    io_.reset_stream(id, h3::kWebTransportSessionGone);
  }
  if (send_fin) {
    std::string error;
    io_.write_stream(session_id, {}, true, &error);
  }
  auto s = streams_.find(session_id);
  if (s != streams_.end()) s->second.is_session = false;
  const std::string reason_copy(reason);  // `reason` may point into stream state
  handler_.on_session_closed(SessionRef{serial_, session_id}, error_code, reason_copy);
}

void Http3Connection::respond_and_finish(std::int64_t stream_id, int status) {
  std::string headers;
  if (!encoder_.encode(stream_id, {{":status", std::to_string(status)}}, &headers)) {
    fail_stream(stream_id, h3::kInternalError, "qpack encode failed");
    return;
  }
  std::string frame;
  append_varint(h3::kFrameHeaders, frame);
  append_varint(headers.size(), frame);
  frame += headers;
  std::string error;
  io_.write_stream(stream_id, frame, true, &error);
  // We will not read the rest of this request.
  io_.stop_reading(stream_id, h3::kNoError);
  auto it = streams_.find(stream_id);
  if (it != streams_.end()) it->second.kind = StreamKind::kIgnored;
}

void Http3Connection::fail_stream(std::int64_t stream_id, std::uint64_t error_code,
                                  const char* why) {
  ++stats_.protocol_errors;
  std::fprintf(stderr, "wt: connection %llu stream %lld: %s (H3 error 0x%llx)\n",
               static_cast<unsigned long long>(serial_), static_cast<long long>(stream_id), why,
               static_cast<unsigned long long>(error_code));
  auto it = streams_.find(stream_id);
  if (it != streams_.end()) it->second.kind = StreamKind::kIgnored;
  io_.reset_stream(stream_id, error_code);
}

void Http3Connection::fail_connection(std::uint64_t error_code, const char* why) {
  if (failed_) return;
  failed_ = true;
  ++stats_.protocol_errors;
  std::fprintf(stderr, "wt: connection %llu: %s (H3 error 0x%llx)\n",
               static_cast<unsigned long long>(serial_), why,
               static_cast<unsigned long long>(error_code));
  io_.close_connection(error_code, why);
}

bool Http3Connection::is_connection_error(std::uint64_t error_code) {
  switch (error_code) {
    case h3::kMessageError:
    case h3::kExcessiveLoad:
    case h3::kRequestRejected:
    case h3::kRequestIncomplete:
    case h3::kInternalError:
      return false;
    default:
      return true;  // frame errors, unexpected frames, QPACK failures (RFC 9114 §8)
  }
}

}  // namespace laneway::webtransport
