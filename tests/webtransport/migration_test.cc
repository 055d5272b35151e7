// Connection migration and malformed HTTP/3 over a real QUIC connection, with the ngtcp2
// test client against laneway-wt-echo: a session survives a NAT rebinding (new port, same
// connection ID) and an active migration to a new loopback address (new connection ID)
// with every echoed message received in order; bad HTTP/3 closes only what it must.
// Order matters on ngtcp2 0.12: an active migration *after* a NAT rebinding makes the
// server's ngtcp2 fail with NGTCP2_ERR_CONNECTION_ID_LIMIT (see docs/webtransport.md).
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "h3_constants.h"
#include "net.h"
#include "process.h"
#include "qpack.h"
#include "quic_test_client.h"
#include "temp_dir.h"
#include "varint.h"
#include "wait.h"

using namespace std::chrono_literals;
using laneway::test::Process;
using laneway::test::QuicTestClient;
using laneway::test::TempDir;
namespace h3 = laneway::webtransport::h3;

namespace {

class EchoFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string log;
    ASSERT_EQ(laneway::test::run_command(
                  {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-nodes", "-days", "10", "-subj", "/CN=127.0.0.1",
                   "-keyout", dir_.file("wt.key"), "-out", dir_.file("wt.crt")},
                  &log),
              0)
        << log;
    port_ = laneway::test::free_udp_port();
    std::string error;
    auto p = Process::start(
        {{LANEWAY_WT_ECHO, "--cert", dir_.file("wt.crt"), "--key", dir_.file("wt.key"), "--port",
          std::to_string(port_), "--address", "127.0.0.1"},
         {},
         dir_.file("echo.log"),
         {}},
        &error);
    ASSERT_TRUE(p) << error;
    server_.emplace(std::move(*p));
    ASSERT_TRUE(laneway::test::wait_until(
        [&] { return server_->output().find("listening") != std::string::npos; }, 10s));
  }

  std::size_t count(const std::string& needle) {
    const std::string out = server_->output();
    std::size_t n = 0;
    for (auto pos = out.find(needle); pos != std::string::npos; pos = out.find(needle, pos + 1)) {
      ++n;
    }
    return n;
  }

  TempDir dir_{"laneway-wt-migration"};
  std::uint16_t port_ = 0;
  std::optional<Process> server_;
};

// Sends message i on `stream` and waits for its echo; the echo must be exactly the
// concatenation of everything sent so far (nothing lost, nothing reordered).
bool echo_round(QuicTestClient& client, std::int64_t stream, int i, std::string* expected) {
  const std::string msg = "msg-" + std::to_string(i) + ";";
  *expected += msg;
  client.send(stream, msg);
  return client.run_until([&] { return client.received[stream] == *expected; }, 5s);
}

}  // namespace

TEST_F(EchoFixture, SessionSurvivesRebindingAndMigrationWithNothingLost) {
  QuicTestClient client;
  std::string error;
  ASSERT_TRUE(client.connect("127.0.0.1", port_, &error)) << error;
  ASSERT_EQ(client.open_session("/v1/wt", 5s), 200);
  const std::int64_t stream = client.open_bidi(true);
  std::string expected;
  int i = 0;
  for (; i < 20; ++i) ASSERT_TRUE(echo_round(client, stream, i, &expected)) << i;

  // Active migration to another loopback address with a fresh connection ID.
  ASSERT_TRUE(client.migrate("127.0.0.2", true, &error)) << error;
  for (; i < 40; ++i) ASSERT_TRUE(echo_round(client, stream, i, &expected)) << i;
  ASSERT_TRUE(laneway::test::wait_until(
      [&] {
        return server_->output().find("migrated to 127.0.0.2:" +
                                      std::to_string(client.local_port())) != std::string::npos;
      },
      5s))
      << server_->output();

  // NAT rebinding: new source port, same connection ID.
  const std::uint16_t port_before_rebinding = client.local_port();
  ASSERT_TRUE(client.migrate("127.0.0.2", false, &error)) << error;
  ASSERT_NE(client.local_port(), port_before_rebinding);
  for (; i < 60; ++i) ASSERT_TRUE(echo_round(client, stream, i, &expected)) << i;
  ASSERT_TRUE(laneway::test::wait_until(
      [&] {
        return server_->output().find("migrated to 127.0.0.2:" +
                                      std::to_string(client.local_port())) != std::string::npos;
      },
      5s))
      << server_->output();

  // One session the whole time: never closed, never reopened.
  EXPECT_EQ(count(" opened "), 1u);
  EXPECT_EQ(count(" closed "), 0u);
  EXPECT_FALSE(client.closed_by_peer());
}

TEST_F(EchoFixture, MalformedRequestsCloseOnlyTheirStream) {
  QuicTestClient client;
  std::string error;
  ASSERT_TRUE(client.connect("127.0.0.1", port_, &error)) << error;
  ASSERT_EQ(client.open_session("/v1/wt", 5s), 200);

  // A CONNECT that lost its :protocol: H3_MESSAGE_ERROR on that stream only.
  laneway::webtransport::QpackEncoder encoder;
  std::string block;
  const std::int64_t bad = client.open_bidi(false);
  ASSERT_TRUE(encoder.encode(bad,
                             {{":method", "CONNECT"},
                              {":scheme", "https"},
                              {":authority", "127.0.0.1"},
                              {":path", "/v1/wt"}},
                             &block));
  std::string frame;
  laneway::webtransport::append_varint(h3::kFrameHeaders, frame);
  laneway::webtransport::append_varint(block.size(), frame);
  client.send(bad, frame + block);
  ASSERT_TRUE(client.run_until([&] { return client.resets.count(bad) > 0; }, 5s));
  EXPECT_EQ(client.resets[bad], h3::kMessageError);

  // An unknown unidirectional stream type is discarded (the server sends STOP_SENDING,
  // which ngtcp2 0.12 does not surface to a client callback; the code is checked in the
  // unit tests): the connection carries on.
  const std::int64_t odd = client.open_uni();
  client.send(odd, std::string("\x21garbage", 8));

  // A second session on the same connection still opens, on an unknown path 404s.
  EXPECT_EQ(client.open_session("/nope", 5s), 404);
  const std::int64_t stream = client.open_bidi(true);
  std::string expected;
  EXPECT_TRUE(echo_round(client, stream, 1, &expected));
  EXPECT_FALSE(client.closed_by_peer());
}

TEST_F(EchoFixture, MalformedControlStreamClosesOnlyThatConnection) {
  QuicTestClient bad;
  std::string error;
  ASSERT_TRUE(bad.connect("127.0.0.1", port_, &error)) << error;
  // A control stream whose first frame is DATA: H3_MISSING_SETTINGS, connection closed.
  const std::int64_t control = bad.open_uni();
  bad.send(control, std::string("\x00\x00\x01x", 4));
  EXPECT_FALSE(bad.run_until([] { return false; }, 3s));
  EXPECT_TRUE(bad.closed_by_peer());
  EXPECT_EQ(bad.close_code(), h3::kMissingSettings);

  // The server is still up and serves the next connection.
  EXPECT_TRUE(server_->running());
  QuicTestClient good;
  ASSERT_TRUE(good.connect("127.0.0.1", port_, &error)) << error;
  ASSERT_EQ(good.open_session("/v1/wt", 5s), 200);
  const std::int64_t stream = good.open_bidi(true);
  std::string expected;
  EXPECT_TRUE(echo_round(good, stream, 1, &expected));
}
