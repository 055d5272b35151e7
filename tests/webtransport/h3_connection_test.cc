// The HTTP/3 layer on scripted stream bytes: what Chromium needs to see (SETTINGS, 200
// without FIN) and how every kind of bad input is confined to a stream or a connection
// with the RFC 9114 error code.
#include "h3_connection.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "h3_constants.h"
#include "qpack.h"
#include "varint.h"

namespace wt = laneway::webtransport;
namespace h3 = laneway::webtransport::h3;

namespace {

class FakeIo : public wt::StreamIo {
 public:
  std::int64_t open_uni_stream() override { return next_uni_ += 4, next_uni_ - 4; }
  std::int64_t open_bidi_stream() override { return next_bidi_ += 4, next_bidi_ - 4; }
  bool write_stream(std::int64_t id, std::string_view data, bool fin, std::string*) override {
    written[id] += data;
    if (fin) finished[id] = true;
    return true;
  }
  void reset_stream(std::int64_t id, std::uint64_t code) override { resets[id] = code; }
  void stop_reading(std::int64_t id, std::uint64_t code) override { stopped[id] = code; }
  bool queue_datagram(std::string payload, std::string*) override {
    datagrams.push_back(std::move(payload));
    return true;
  }
  void close_connection(std::uint64_t code, std::string_view) override { closed = code; }
  std::string remote_address() const override { return "127.0.0.1:5555"; }

  std::map<std::int64_t, std::string> written;
  std::map<std::int64_t, bool> finished;
  std::map<std::int64_t, std::uint64_t> resets, stopped;
  std::vector<std::string> datagrams;
  std::uint64_t closed = 0;

 private:
  std::int64_t next_uni_ = 3;   // server-initiated uni: 3, 7, 11, ...
  std::int64_t next_bidi_ = 1;  // server-initiated bidi: 1, 5, 9, ...
};

class RecordingHandler : public wt::Handler {
 public:
  int on_session_request(const wt::SessionRequest& r) override {
    requests.push_back(r);
    return status;
  }
  void on_session_opened(wt::SessionRef s, const wt::SessionRequest&) override {
    opened.push_back(s.session_id);
  }
  void on_stream_data(wt::SessionRef s, std::int64_t id, std::string_view d, bool fin) override {
    data[id] += d;
    if (fin) fins[id] = true;
    sessions[id] = s.session_id;
  }
  void on_datagram(wt::SessionRef s, std::string_view p) override {
    datagrams.push_back({s.session_id, std::string(p)});
  }
  void on_session_closed(wt::SessionRef s, std::uint32_t code, std::string_view reason) override {
    closed.push_back({s.session_id, code, std::string(reason)});
  }
  struct Closed {
    std::int64_t session;
    std::uint32_t code;
    std::string reason;
  };
  int status = 200;
  std::vector<wt::SessionRequest> requests;
  std::vector<std::int64_t> opened;
  std::map<std::int64_t, std::string> data;
  std::map<std::int64_t, bool> fins;
  std::map<std::int64_t, std::int64_t> sessions;
  std::vector<std::pair<std::int64_t, std::string>> datagrams;
  std::vector<Closed> closed;
};

std::string varint(std::uint64_t v) {
  std::string s;
  wt::append_varint(v, s);
  return s;
}

std::string frame(std::uint64_t type, const std::string& payload) {
  return varint(type) + varint(payload.size()) + payload;
}

std::string headers_frame(const std::vector<wt::HeaderField>& fields, std::int64_t stream = 0) {
  wt::QpackEncoder encoder;
  std::string block;
  EXPECT_TRUE(encoder.encode(stream, fields, &block));
  return frame(h3::kFrameHeaders, block);
}

std::vector<wt::HeaderField> webtransport_connect(const std::string& path = "/v1/wt?token=abc") {
  return {{":method", "CONNECT"},
          {":protocol", "webtransport"},
          {":scheme", "https"},
          {":authority", "127.0.0.1:8443"},
          {":path", path},
          {"origin", "https://app.example"},
          {"sec-webtransport-http3-draft02", "1"}};
}

// Parses the HEADERS frame at the start of `bytes` and returns its :status ("" if none).
std::string response_status(const std::string& bytes) {
  std::uint64_t type = 0, len = 0;
  auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  std::size_t n = wt::decode_varint(p, bytes.size(), &type);
  if (n == 0 || type != h3::kFrameHeaders) return "";
  std::size_t m = wt::decode_varint(p + n, bytes.size() - n, &len);
  if (m == 0 || n + m + len > bytes.size()) return "";
  wt::QpackDecoder decoder(64, 4096);
  std::vector<wt::HeaderField> fields;
  if (decoder.decode(0, bytes.substr(n + m, len), &fields) != 0) return "";
  for (const auto& f : fields) {
    if (f.name == ":status") return f.value;
  }
  return "";
}

class H3Test : public ::testing::Test {
 protected:
  H3Test() : h3_(io_, handler_, stats_, 1, config_) {}
  void SetUp() override {
    ASSERT_TRUE(h3_.on_handshake_completed());
    // The client's control stream (2) with SETTINGS, and QPACK streams (6, 10).
    h3_.on_stream_data(2, varint(h3::kStreamControl) + frame(h3::kFrameSettings, ""), false);
    h3_.on_stream_data(6, varint(h3::kStreamQpackEncoder), false);
    h3_.on_stream_data(10, varint(h3::kStreamQpackDecoder), false);
  }
  void open_session(std::int64_t id = 0) {
    h3_.on_stream_data(id, headers_frame(webtransport_connect(), id), false);
    ASSERT_EQ(response_status(io_.written[id]), "200");
  }

  wt::ServerConfig config_;
  FakeIo io_;
  RecordingHandler handler_;
  wt::Stats stats_;
  wt::Http3Connection h3_;
};

TEST_F(H3Test, ControlStreamAnnouncesWhatChromiumRequires) {
  // Server uni streams 3 (control), 7, 11 (QPACK); control starts with type 0 + SETTINGS.
  const std::string& control = io_.written[3];
  ASSERT_FALSE(control.empty());
  EXPECT_EQ(control[0], 0x00);
  std::uint64_t type = 0, len = 0;
  auto* p = reinterpret_cast<const std::uint8_t*>(control.data()) + 1;
  std::size_t n = wt::decode_varint(p, control.size() - 1, &type);
  ASSERT_EQ(type, h3::kFrameSettings);
  std::size_t m = wt::decode_varint(p + n, control.size() - 1 - n, &len);
  ASSERT_EQ(1 + n + m + len, control.size());
  std::map<std::uint64_t, std::uint64_t> settings;
  const std::uint8_t* q = p + n + m;
  std::size_t left = len;
  while (left > 0) {
    std::uint64_t id = 0, value = 0;
    std::size_t a = wt::decode_varint(q, left, &id);
    ASSERT_GT(a, 0u);
    std::size_t b = wt::decode_varint(q + a, left - a, &value);
    ASSERT_GT(b, 0u);
    settings[id] = value;
    q += a + b;
    left -= a + b;
  }
  EXPECT_EQ(settings[h3::kSettingEnableWebTransportDraft02], 1u);
  EXPECT_EQ(settings[h3::kSettingH3Datagram], 1u);
  EXPECT_EQ(settings[h3::kSettingEnableConnectProtocol], 1u);
  EXPECT_EQ(settings[h3::kSettingQpackMaxTableCapacity], 0u);
  EXPECT_GT(settings[h3::kSettingWebTransportMaxSessionsDraft07], 0u);
  EXPECT_EQ(io_.written[7], std::string(1, '\x02'));
  EXPECT_EQ(io_.written[11], std::string(1, '\x03'));
}

TEST_F(H3Test, ConnectOpensSessionWith200AndNoFin) {
  open_session(0);
  EXPECT_FALSE(io_.finished[0]);
  ASSERT_EQ(handler_.requests.size(), 1u);
  EXPECT_EQ(handler_.requests[0].path, "/v1/wt");
  EXPECT_EQ(handler_.requests[0].query, "token=abc");
  EXPECT_EQ(handler_.requests[0].origin, "https://app.example");
  EXPECT_EQ(handler_.requests[0].authority, "127.0.0.1:8443");
  EXPECT_EQ(handler_.opened, std::vector<std::int64_t>{0});
  EXPECT_EQ(io_.closed, 0u);
}

TEST_F(H3Test, WebTransportStreamsAndDatagramsReachTheSession) {
  open_session(0);
  // Bidi stream 4: 0x41, session 0, payload split across chunks.
  const std::string head = varint(h3::kFrameWebTransportBidi) + varint(0);
  h3_.on_stream_data(4, head.substr(0, 1), false);
  h3_.on_stream_data(4, head.substr(1) + "hel", false);
  h3_.on_stream_data(4, "lo", true);
  EXPECT_EQ(handler_.data[4], "hello");
  EXPECT_TRUE(handler_.fins[4]);
  EXPECT_EQ(handler_.sessions[4], 0);
  // Uni stream 14: 0x54, session 0.
  h3_.on_stream_data(14, varint(h3::kStreamWebTransportUni) + varint(0) + "uni", false);
  EXPECT_EQ(handler_.data[14], "uni");
  // Datagram: quarter stream id 0.
  h3_.on_datagram(varint(0) + "dg");
  ASSERT_EQ(handler_.datagrams.size(), 1u);
  EXPECT_EQ(handler_.datagrams[0].second, "dg");
  // Outgoing datagram carries the quarter stream id.
  std::string error;
  ASSERT_TRUE(h3_.send_datagram(0, "out", &error)) << error;
  EXPECT_EQ(io_.datagrams.back(), varint(0) + "out");
  // Server-opened bidi stream starts with 0x41 + session id.
  const std::int64_t id = h3_.open_stream(0, true, &error);
  ASSERT_GE(id, 0) << error;
  EXPECT_EQ(io_.written[id], head);
  EXPECT_EQ(stats_.streams_total, 3u);
}

TEST_F(H3Test, ConnectWithoutProtocolIsAStreamErrorOnly) {
  h3_.on_stream_data(
      0,
      headers_frame(
          {{":method", "CONNECT"}, {":scheme", "https"}, {":authority", "h"}, {":path", "/v1/wt"}}),
      false);
  EXPECT_EQ(io_.resets[0], h3::kMessageError);
  EXPECT_EQ(io_.closed, 0u);
  EXPECT_TRUE(handler_.opened.empty());
  open_session(4);  // the connection still serves
}

TEST_F(H3Test, UnknownPathGets404AndFin) {
  h3_.on_stream_data(0, headers_frame(webtransport_connect("/elsewhere")), false);
  EXPECT_EQ(response_status(io_.written[0]), "404");
  EXPECT_TRUE(io_.finished[0]);
  EXPECT_TRUE(handler_.requests.empty());
  EXPECT_EQ(io_.closed, 0u);
}

TEST_F(H3Test, HandlerRefusalIsSentAsStatus) {
  handler_.status = 403;
  h3_.on_stream_data(0, headers_frame(webtransport_connect()), false);
  EXPECT_EQ(response_status(io_.written[0]), "403");
  EXPECT_TRUE(io_.finished[0]);
  EXPECT_TRUE(handler_.opened.empty());
  EXPECT_EQ(stats_.sessions_rejected, 1u);
}

TEST_F(H3Test, BadQpackClosesTheConnection) {
  h3_.on_stream_data(0, frame(h3::kFrameHeaders, std::string("\x00\x00\xff\xff\xff\xff", 6)),
                     false);
  EXPECT_EQ(io_.closed, h3::kQpackDecompressionFailed);
  EXPECT_TRUE(handler_.opened.empty());
}

TEST_F(H3Test, OversizedHeadersFrameResetsTheStream) {
  // Only the frame header is needed: the length alone is over the limit.
  h3_.on_stream_data(0, varint(h3::kFrameHeaders) + varint(config_.max_header_section + 1), false);
  EXPECT_EQ(io_.resets[0], h3::kExcessiveLoad);
  EXPECT_EQ(io_.closed, 0u);
}

TEST_F(H3Test, UnknownUniStreamTypeIsStoppedNotFatal) {
  h3_.on_stream_data(14, varint(0x21) + "whatever", false);  // a grease type
  EXPECT_EQ(io_.stopped[14], h3::kStreamCreationError);
  EXPECT_EQ(io_.closed, 0u);
  open_session(0);
}

TEST_F(H3Test, DataBeforeHeadersIsFrameUnexpected) {
  h3_.on_stream_data(0, frame(h3::kFrameData, "x"), false);
  EXPECT_EQ(io_.closed, h3::kFrameUnexpected);
}

TEST_F(H3Test, SecondControlStreamIsAConnectionError) {
  h3_.on_stream_data(14, varint(h3::kStreamControl) + frame(h3::kFrameSettings, ""), false);
  EXPECT_EQ(io_.closed, h3::kStreamCreationError);
}

TEST(H3ControlTest, ControlStreamMustStartWithSettings) {
  wt::ServerConfig config;
  FakeIo io;
  RecordingHandler handler;
  wt::Stats stats;
  wt::Http3Connection conn(io, handler, stats, 1, config);
  ASSERT_TRUE(conn.on_handshake_completed());
  conn.on_stream_data(2, varint(h3::kStreamControl) + frame(h3::kFrameGoaway, varint(0)), false);
  EXPECT_EQ(io.closed, h3::kMissingSettings);
}

TEST(H3ControlTest, MalformedSettingsIsFrameError) {
  wt::ServerConfig config;
  FakeIo io;
  RecordingHandler handler;
  wt::Stats stats;
  wt::Http3Connection conn(io, handler, stats, 1, config);
  ASSERT_TRUE(conn.on_handshake_completed());
  // One id with its value missing.
  conn.on_stream_data(2, varint(h3::kStreamControl) + frame(h3::kFrameSettings, varint(0x33)),
                      false);
  EXPECT_EQ(io.closed, h3::kFrameError);
}

TEST_F(H3Test, CloseCapsuleEndsTheSessionWithItsCodeAndReason) {
  open_session(0);
  std::string capsule = varint(h3::kCapsuleCloseWebTransportSession) + varint(4 + 3);
  capsule += std::string("\x00\x00\x01\x02", 4) + "bye";
  h3_.on_stream_data(0, frame(h3::kFrameData, capsule), false);
  h3_.on_stream_data(0, "", true);
  ASSERT_EQ(handler_.closed.size(), 1u);
  EXPECT_EQ(handler_.closed[0].code, 0x0102u);
  EXPECT_EQ(handler_.closed[0].reason, "bye");
  EXPECT_TRUE(io_.finished[0]);
  EXPECT_EQ(h3_.open_sessions(), 0u);
}

TEST_F(H3Test, ServerCloseSendsCapsuleThenFin) {
  open_session(0);
  const std::size_t before = io_.written[0].size();
  h3_.close_session(0, 9, "done");
  const std::string tail = io_.written[0].substr(before);
  std::string capsule = varint(h3::kCapsuleCloseWebTransportSession) + varint(4 + 4);
  capsule += std::string("\x00\x00\x00\x09", 4) + "done";
  EXPECT_EQ(tail, frame(h3::kFrameData, capsule));
  EXPECT_TRUE(io_.finished[0]);
  ASSERT_EQ(handler_.closed.size(), 1u);
  EXPECT_EQ(handler_.closed[0].code, 9u);
}

TEST_F(H3Test, StreamForUnknownSessionIsRejected) {
  h3_.on_stream_data(4, varint(h3::kFrameWebTransportBidi) + varint(8) + "x", false);
  EXPECT_EQ(io_.resets[4], h3::kWebTransportBufferedStreamRejected);
  EXPECT_TRUE(handler_.data.empty());
  EXPECT_EQ(io_.closed, 0u);
}

// Random bytes on random streams: the layer must never crash or hang; errors are fine.
TEST(H3FuzzTest, RandomInputNeverCrashes) {
  std::mt19937 rng(20240607);
  for (int round = 0; round < 300; ++round) {
    wt::ServerConfig config;
    FakeIo io;
    RecordingHandler handler;
    wt::Stats stats;
    wt::Http3Connection conn(io, handler, stats, 1, config);
    ASSERT_TRUE(conn.on_handshake_completed());
    for (int i = 0; i < 20; ++i) {
      const std::int64_t id = static_cast<std::int64_t>(rng() % 8) * 2;  // client streams
      std::string bytes(rng() % 64, '\0');
      for (auto& b : bytes) b = static_cast<char>(rng());
      if (i == 0 && round % 2 == 0) bytes = headers_frame(webtransport_connect()) + bytes;
      conn.on_stream_data(id, bytes, rng() % 5 == 0);
      if (rng() % 7 == 0) conn.on_datagram(bytes);
    }
    conn.on_connection_closed();
    EXPECT_EQ(conn.open_sessions(), 0u);
  }
}

}  // namespace
