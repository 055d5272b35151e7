// A WebTransport handler that throws, inside ngtcp2's callbacks and outside them, closes the
// connection it was handling and nothing else (docs/webtransport.md "Failures inside
// callbacks"): an in-process Server whose handler throws on "boom" and again while that
// session closes, driven by the ngtcp2 test client over real QUIC on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "laneway/webtransport/server.h"
#include "net.h"
#include "process.h"
#include "quic_test_client.h"
#include "temp_dir.h"

using namespace std::chrono_literals;
namespace wt = laneway::webtransport;
using laneway::test::QuicTestClient;

namespace {

// Echoes stream data, but throws on "boom", and throws again when that session closes.
class ThrowingEchoHandler : public wt::Handler {
 public:
  wt::Server* server = nullptr;
  std::atomic<int> throws{0};
  std::atomic<int> sessions_closed{0};

  int on_session_request(const wt::SessionRequest&) override { return 200; }
  void on_session_opened(wt::SessionRef, const wt::SessionRequest&) override {}
  void on_stream_data(wt::SessionRef s, std::int64_t stream_id, std::string_view data,
                      bool) override {
    if (data.find("boom") != std::string_view::npos) {
      doomed_ = s;
      ++throws;
      throw std::runtime_error("handler failure on purpose");
    }
    std::string error;
    server->send_stream(s, stream_id, data, false, &error);
  }
  void on_datagram(wt::SessionRef, std::string_view) override {}
  void on_session_closed(wt::SessionRef s, std::uint32_t, std::string_view) override {
    ++sessions_closed;
    if (s == doomed_) {
      ++throws;
      throw std::bad_alloc();
    }
  }

 private:
  wt::SessionRef doomed_;
};

class CallbackFailureTest : public ::testing::Test {
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
    wt::ServerConfig config;
    config.addresses = {"127.0.0.1"};
    config.port = 0;
    config.cert_file = dir_.file("wt.crt");
    config.key_file = dir_.file("wt.key");
    std::string error;
    server_ = wt::Server::create(config, handler_, &error);
    ASSERT_TRUE(server_) << error;
    handler_.server = server_.get();
    loop_ = std::thread([this] { server_->run(stop_); });
  }
  void TearDown() override {
    stop_ = true;
    if (loop_.joinable()) loop_.join();
  }

  // A session with one bidi stream that has echoed `hello` once.
  void open_echoing(QuicTestClient& client, std::int64_t* stream) {
    std::string error;
    ASSERT_TRUE(client.connect("127.0.0.1", server_->port(), &error)) << error;
    ASSERT_EQ(client.open_session("/v1/wt", 5s), 200);
    *stream = client.open_bidi(true);
    client.send(*stream, "hello");
    ASSERT_TRUE(client.run_until([&] { return client.received[*stream] == "hello"; }, 5s));
  }

  laneway::test::TempDir dir_{"laneway-wt-callback-failure"};
  ThrowingEchoHandler handler_;
  std::unique_ptr<wt::Server> server_;
  std::atomic<bool> stop_{false};
  std::thread loop_;
};

TEST_F(CallbackFailureTest, ThrowingHandlerClosesOnlyItsConnection) {
  QuicTestClient victim, bystander;
  std::int64_t victim_stream = -1, bystander_stream = -1;
  open_echoing(victim, &victim_stream);
  if (HasFatalFailure()) return;
  open_echoing(bystander, &bystander_stream);
  if (HasFatalFailure()) return;

  victim.send(victim_stream, "boom");
  // run_until stops at the peer's CONNECTION_CLOSE.
  victim.run_until([&] { return victim.closed_by_peer(); }, 10s);
  EXPECT_TRUE(victim.closed_by_peer()) << "the connection whose handler threw was not closed";
  EXPECT_TRUE(bystander.run_until([&] { return handler_.throws.load() >= 2; }, 10s))
      << "the handler did not throw twice (stream data, then session close)";

  // The other connection never noticed.
  bystander.send(bystander_stream, " again");
  EXPECT_TRUE(bystander.run_until(
      [&] { return bystander.received[bystander_stream] == "hello again"; }, 5s));
  EXPECT_FALSE(bystander.closed_by_peer());
}

}  // namespace
