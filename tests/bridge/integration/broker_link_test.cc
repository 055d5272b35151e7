// The bridge's broker link (BrokerLink + MqttNetworkLoop) against a real mosquitto with the
// laneway plugin: it connects, receives and reconnects when its socket is numbered above
// FD_SETSIZE, as it is once a thousand browser sessions hold the low descriptors, and it
// stops promptly while the broker is away.
#include "broker_link.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "broker_harness.h"
#include "process.h"
#include "wait.h"

namespace laneway::bridge {
namespace {

using namespace std::chrono_literals;

// Descriptors held open so that every socket opened after them is numbered >= FD_SETSIZE.
class LowDescriptorsHeld {
 public:
  LowDescriptorsHeld() {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    const rlim_t want = FD_SETSIZE + 512;
    if (lim.rlim_cur < want && lim.rlim_max >= want) {
      lim.rlim_cur = want;
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    for (int i = 0; i < FD_SETSIZE + 16; ++i) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      fds_.push_back(fd);
      if (fd >= FD_SETSIZE) break;
    }
  }
  ~LowDescriptorsHeld() {
    for (int fd : fds_) ::close(fd);
  }
  // The descriptor the next open() or socket() gets.
  static int next_free() {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
    return fd;
  }

 private:
  std::vector<int> fds_;
};

class BrokerLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.setup_error().empty()) << broker_.setup_error();
    ASSERT_TRUE(broker_.add_device("d-1"));
    ASSERT_TRUE(broker_.add_service("bridge", "bridge-1"));
    ASSERT_TRUE(broker_.start()) << broker_.log();
    const test::ClientOptions service = broker_.service("bridge", "bridge-1");
    config_.port = broker_.port();
    config_.ca_file = service.cafile;
    config_.cert_file = service.certfile;
    config_.key_file = service.keyfile;
    config_.client_id = "bridge-1";
    config_.reconnect_min_s = 1;
    config_.reconnect_max_s = 1;
    config_.session_expiry_s = 0;  // a clean session: nothing here is about restarts
  }

  // Publishes device telemetry until the link hands an envelope of it over (the link has no
  // SUBACK signal of its own here, so the first publishes may precede the subscription).
  // The device is a mosquitto_pub process: an in-process libmosquitto client would get a
  // socket above FD_SETSIZE too, and its select() loop refuses that.
  bool envelope_arrives(BrokerLink& link) {
    const test::ClientOptions d = broker_.device("d-1");
    BrokerBatch got;
    return test::wait_until(
        [&] {
          std::string output;
          test::run_command({"mosquitto_pub",
                             "-h",
                             "127.0.0.1",
                             "-p",
                             std::to_string(broker_.port()),
                             "-V",
                             "mqttv5",
                             "-i",
                             d.client_id,
                             "--cafile",
                             d.cafile,
                             "--cert",
                             d.certfile,
                             "--key",
                             d.keyfile,
                             "-q",
                             "1",
                             "-t",
                             "devices/d-1/telemetry/temp",
                             "-m",
                             "21.5"},
                            &output, 5s);
          link.take_batch(got);
          for (const UpstreamMessage& m : got.messages) {
            if (m.topic == "$lw/env/devices/d-1/telemetry/temp") return true;
          }
          return false;
        },
        15s, 200ms);
  }

  test::BrokerHarness broker_;
  BrokerConfig config_;
};

TEST_F(BrokerLinkTest, ConnectsReceivesAndReconnectsWithSocketsAboveFdSetsize) {
  LowDescriptorsHeld held;
  ASSERT_GE(LowDescriptorsHeld::next_free(), FD_SETSIZE)
      << "could not hold the low descriptors (RLIMIT_NOFILE too low?)";

  BrokerLink link(config_, LinkBudget{1000}, [] {});
  std::string error;
  ASSERT_TRUE(link.start(error)) << error;
  ASSERT_TRUE(test::wait_until([&] { return link.connected(); }, 10s))
      << "no connection with a socket numbered >= FD_SETSIZE\n"
      << broker_.log();
  link.subscribe("$lw/env/devices/d-1/#");

  EXPECT_TRUE(envelope_arrives(link));

  // The broker goes away and comes back on the same port: the link reconnects (a new socket,
  // again above FD_SETSIZE), re-subscribes and receives again.
  broker_.stop();
  ASSERT_TRUE(test::wait_until([&] { return !link.connected(); }, 10s));
  ASSERT_TRUE(broker_.start()) << broker_.log();
  ASSERT_TRUE(test::wait_until([&] { return link.connections() >= 2 && link.connected(); }, 15s))
      << "the link did not reconnect";
  EXPECT_TRUE(envelope_arrives(link));

  const auto before = std::chrono::steady_clock::now();
  link.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3s) << "stop waited out its grace";
}

TEST_F(BrokerLinkTest, StopsPromptlyWhileTheBrokerIsAway) {
  BrokerLink link(config_, LinkBudget{1000}, [] {});
  std::string error;
  ASSERT_TRUE(link.start(error)) << error;
  ASSERT_TRUE(test::wait_until([&] { return link.connected(); }, 10s));
  broker_.stop();
  ASSERT_TRUE(test::wait_until([&] { return !link.connected(); }, 10s));
  // Retrying every second now; stop must not wait for an attempt or a grace period.
  const auto before = std::chrono::steady_clock::now();
  link.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
}

TEST_F(BrokerLinkTest, ConnectsOnceTheBrokerComesUp) {
  broker_.stop();
  // Both first connects: the persistent session's (blocking, with CONNECT properties) and
  // the clean session's (asynchronous).
  for (const bool persistent : {false, true}) {
    SCOPED_TRACE(persistent ? "persistent session" : "clean session");
    BrokerConfig config = config_;
    if (persistent) {
      config.session_expiry_s = 60;
      config.state_file = broker_.dir() + "/bridge.state";
      config.backlog_wait_ms = 0;
    }
    BrokerLink link(config, LinkBudget{1000}, [] {});
    std::string error;
    ASSERT_TRUE(link.start(error)) << error;
    EXPECT_FALSE(link.connected());
    ASSERT_TRUE(broker_.start()) << broker_.log();
    EXPECT_TRUE(test::wait_until([&] { return link.connected(); }, 10s));
    link.subscribe("$lw/env/devices/d-1/#");
    EXPECT_TRUE(envelope_arrives(link));
    link.stop();
    broker_.stop();
  }
}

}  // namespace
}  // namespace laneway::bridge
