// laneway-fleet end to end against a real mosquitto with the laneway plugin, real TLS and
// certificates from laneway-certs: the simulator's telemetry as envelopes, RPC calls and
// their timeouts, group broadcasts, revocation kicks, and the registry commands.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_harness.h"
#include "laneway.pb.h"
#include "process.h"
#include "temp_dir.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;

class FleetCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(broker_.setup_error(), "");
    ASSERT_TRUE(broker_.add_service("operator", "admin"));
    ASSERT_TRUE(broker_.start()) << broker_.log();
  }

  std::string registry_path() const { return broker_.dir() + "/fleet.db"; }

  // Starts `laneway-fleet simulate` in the background.
  Process simulate(int devices, const std::string& prefix, const std::vector<std::string>& groups,
                   double rate = 2) {
    std::vector<std::string> argv = {LANEWAY_FLEET_BIN, "simulate",
                                     "--devices",       std::to_string(devices),
                                     "--prefix",        prefix,
                                     "--pki",           broker_.pki(),
                                     "--registry",      registry_path(),
                                     "--port",          std::to_string(broker_.port()),
                                     "--rate",          std::to_string(rate),
                                     "--duration",      "120"};
    for (const auto& group : groups) {
      argv.push_back("--group");
      argv.push_back(group);
    }
    std::string error;
    auto process = Process::start({argv, {}, "", ""}, &error);
    EXPECT_TRUE(process) << error;
    return std::move(*process);
  }

  // Runs a laneway-fleet command to completion; returns the exit code.
  int fleet(std::vector<std::string> args, std::string* output) {
    args.insert(args.begin(), LANEWAY_FLEET_BIN);
    return run_command(args, output, 30s);
  }

  std::vector<std::string> operator_args() const {
    return {"--pki", broker_.pki(), "--port", std::to_string(broker_.port())};
  }

  std::unique_ptr<MqttTestClient> operator_client(const std::vector<std::string>& filters) {
    auto client = std::make_unique<MqttTestClient>(broker_.service("operator", "admin"));
    EXPECT_EQ(client->connect(broker_.port()), 0);
    for (const auto& filter : filters) EXPECT_TRUE(accepted(client->subscribe(filter)));
    return client;
  }

  // Ids of devices whose telemetry envelopes arrived on $lw/env/devices/+/telemetry.
  static std::set<std::string> telemetry_origins(MqttTestClient& client, std::size_t want,
                                                 std::chrono::milliseconds timeout) {
    std::set<std::string> origins;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (origins.size() < want && std::chrono::steady_clock::now() < deadline) {
      auto message = client.wait_message(
          [](const ReceivedMessage& m) { return m.topic.rfind("$lw/env/devices/", 0) == 0; },
          500ms);
      if (!message) continue;
      laneway::v1::Frame frame;
      if (!frame.ParseFromString(message->payload) || !frame.has_envelope()) continue;
      const auto& envelope = frame.envelope();
      // The origin the plugin stamps is the certificate identity, so it must match the topic.
      if (envelope.topic() == "devices/" + envelope.origin() + "/telemetry")
        origins.insert(envelope.origin());
    }
    return origins;
  }

  BrokerHarness broker_;
};

TEST_F(FleetCliTest, FiftySimulatedDevicesPublishTelemetryEnvelopes) {
  auto watcher = operator_client({"$lw/env/devices/+/telemetry"});
  Process sim = simulate(50, "tel-", {"north"});
  const auto origins = telemetry_origins(*watcher, 50, 60s);
  EXPECT_EQ(origins.size(), 50u) << sim.output() << broker_.log();
  for (int i = 1; i <= 50; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "tel-%06d", i);
    EXPECT_TRUE(origins.count(id)) << id;
  }
  sim.signal(SIGTERM);
  ASSERT_TRUE(sim.wait_exit(10s));
  EXPECT_NE(sim.output().find("summary devices=50 connected=50"), std::string::npos)
      << sim.output();

  std::string output;
  ASSERT_EQ(fleet({"device", "list", "--registry", registry_path()}, &output), 0) << output;
  EXPECT_NE(output.find("tel-000050\tactive\tnorth\t"), std::string::npos) << output;
  ASSERT_EQ(fleet({"group", "list", "--registry", registry_path()}, &output), 0) << output;
  EXPECT_NE(output.find("north\t50"), std::string::npos) << output;
}

TEST_F(FleetCliTest, CallGetsReplyFromSimulatedDeviceAndTimesOutForOfflineOne) {
  auto watcher = operator_client({"$lw/env/devices/+/telemetry"});
  Process sim = simulate(3, "rpc-", {});
  ASSERT_EQ(telemetry_origins(*watcher, 3, 30s).size(), 3u) << sim.output();

  std::string output;
  auto args = operator_args();
  args.insert(args.begin(), {"call", "--device", "rpc-000002", "ping", "--timeout", "5000"});
  ASSERT_EQ(fleet(args, &output), 0) << output;
  EXPECT_NE(output.find("\"pong\":true"), std::string::npos) << output;
  EXPECT_NE(output.find("\"id\":\"rpc-000002\""), std::string::npos) << output;

  args = operator_args();
  args.insert(args.begin(), {"call", "--device", "rpc-000001", "get_state", "--timeout", "5000"});
  ASSERT_EQ(fleet(args, &output), 0) << output;
  EXPECT_NE(output.find("\"telemetry_seq\""), std::string::npos) << output;

  // reboot: the device answers, drops its connection and is back about a second later.
  args = operator_args();
  args.insert(args.begin(), {"call", "--device", "rpc-000003", "reboot", "--timeout", "5000"});
  ASSERT_EQ(fleet(args, &output), 0) << output;
  EXPECT_NE(output.find("\"rebooting\":true"), std::string::npos) << output;
  EXPECT_TRUE(wait_until(
      [&] {
        auto state_args = operator_args();
        state_args.insert(state_args.begin(),
                          {"call", "--device", "rpc-000003", "get_state", "--timeout", "1000"});
        return fleet(state_args, &output) == 0 &&
               output.find("\"connects\":2") != std::string::npos;
      },
      20s, 200ms))
      << output << sim.output();

  ASSERT_TRUE(broker_.add_device("offline-1"));
  args = operator_args();
  args.insert(args.begin(), {"call", "--device", "offline-1", "ping", "--timeout", "700"});
  EXPECT_EQ(fleet(args, &output), 1) << output;
  EXPECT_NE(output.find("laneway-fleet call: error: offline-1 ping: no reply within 700 ms"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("offline"), std::string::npos) << output;
}

TEST_F(FleetCliTest, BroadcastReachesOnlyTheGroupsDevices) {
  auto watcher = operator_client({"$lw/env/devices/+/telemetry", "devices/+/events"});
  Process north = simulate(3, "north-", {"north"});
  Process south = simulate(3, "south-", {"south"});
  ASSERT_EQ(telemetry_origins(*watcher, 6, 30s).size(), 6u) << north.output() << south.output();

  std::string output;
  auto args = operator_args();
  args.insert(args.begin(),
              {"broadcast", "--group", "north", "--topic-suffix", "config/led", "blink"});
  ASSERT_EQ(fleet(args, &output), 0) << output;

  std::set<std::string> acked;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto ack = watcher->wait_message(
        [](const ReceivedMessage& m) {
          return m.topic.rfind("devices/", 0) == 0 && m.topic.size() > 7 &&
                 m.topic.compare(m.topic.size() - 7, 7, "/events") == 0;
        },
        200ms);
    if (!ack) {
      if (acked.size() >= 3) break;  // all of north answered and the line went quiet
      continue;
    }
    EXPECT_NE(ack->payload.find("fleet/north/config/led"), std::string::npos) << ack->payload;
    acked.insert(ack->topic.substr(8, ack->topic.size() - 8 - 7));
  }
  EXPECT_EQ(acked, (std::set<std::string>{"north-000001", "north-000002", "north-000003"}));

  args = operator_args();
  args.insert(args.begin(), {"broadcast", "--group", "no/such", "x"});
  EXPECT_EQ(fleet(args, &output), 1) << output;
  EXPECT_NE(output.find("invalid group name"), std::string::npos) << output;
}

TEST_F(FleetCliTest, RevokeViaCliKicksSimulatedDevice) {
  auto watcher = operator_client({"$lw/env/devices/+/telemetry", "$lw/presence/#"});
  Process sim = simulate(2, "rev-", {});
  ASSERT_EQ(telemetry_origins(*watcher, 2, 30s).size(), 2u) << sim.output();

  std::string output;
  ASSERT_EQ(
      fleet({"revoke", "--id", "rev-000001", "--pki", broker_.pki(), "--registry", registry_path()},
            &output),
      0)
      << output;
  EXPECT_TRUE(wait_until([&] { return broker_.count_log("kicking 'rev-000001'") > 0; }, 5s))
      << broker_.log();
  // Presence says it went offline; afterwards its reconnects are refused, so it stays out.
  auto offline = watcher->wait_message(
      [](const ReceivedMessage& m) {
        if (m.topic != "$lw/presence/rev-000001") return false;
        laneway::v1::Frame frame;
        laneway::v1::Presence presence;
        return frame.ParseFromString(m.payload) && frame.has_envelope() &&
               presence.ParseFromString(frame.envelope().payload()) && !presence.online();
      },
      5s);
  EXPECT_TRUE(offline) << broker_.log();
  ASSERT_EQ(fleet({"device", "show", "--id", "rev-000001", "--registry", registry_path()}, &output),
            0);
  EXPECT_NE(output.find("status: revoked"), std::string::npos) << output;
  // The other device keeps working.
  auto args = operator_args();
  args.insert(args.begin(), {"call", "--device", "rev-000002", "ping", "--timeout", "5000"});
  EXPECT_EQ(fleet(args, &output), 0) << output;
  EXPECT_EQ(
      fleet({"revoke", "--id", "nobody", "--pki", broker_.pki(), "--registry", registry_path()},
            &output),
      1);
  EXPECT_NE(output.find("laneway-fleet revoke: error: no device nobody"), std::string::npos)
      << output;
}

TEST_F(FleetCliTest, ProvisionedBatchConnectsWithItsOwnCertificates) {
  const std::string batch = broker_.dir() + "/batch-east";
  std::string output;
  ASSERT_TRUE(broker_.certs({"batch", "--count", "3", "--group", "east", "--out", batch}, &output))
      << output;
  // Before provisioning the registry does not know them.
  ASSERT_EQ(
      fleet({"device", "show", "--id", "east-000001", "--registry", registry_path()}, &output), 1);
  ASSERT_EQ(fleet({"provision", "--manifest", batch + "/manifest.json", "--registry",
                   registry_path(), "--pki", broker_.pki()},
                  &output),
            0)
      << output;
  EXPECT_NE(output.find("provisioned 3 devices in group east"), std::string::npos) << output;
  ASSERT_EQ(
      fleet({"device", "show", "--id", "east-000002", "--registry", registry_path()}, &output), 0);
  EXPECT_NE(output.find("cert_serial: " + certificate_serial(batch + "/east-000002.crt")),
            std::string::npos)
      << output;

  auto watcher = operator_client({"$lw/env/devices/+/telemetry"});
  std::string error;
  auto sim = Process::start({{LANEWAY_FLEET_BIN, "simulate",
                              "--devices",       "3",
                              "--prefix",        "east-",
                              "--cert-dir",      batch,
                              "--group",         "east",
                              "--pki",           broker_.pki(),
                              "--registry",      registry_path(),
                              "--port",          std::to_string(broker_.port()),
                              "--rate",          "2",
                              "--duration",      "60"},
                             {},
                             "",
                             ""},
                            &error);
  ASSERT_TRUE(sim) << error;
  EXPECT_EQ(telemetry_origins(*watcher, 3, 30s).size(), 3u) << sim->output();
  EXPECT_NE(sim->output().find("0 certificates issued"), std::string::npos) << sim->output();

  // A manifest from another CA, or not JSON, registers nothing.
  TempDir other("laneway-fleet-other-ca");
  ASSERT_EQ(run_command({LANEWAY_CERTS_BIN, "init", "--dir", other.file("pki")}, &output), 0);
  ASSERT_EQ(run_command({LANEWAY_CERTS_BIN, "batch", "--count", "2", "--group", "west", "--out",
                         other.file("b"), "--dir", other.file("pki")},
                        &output),
            0)
      << output;
  EXPECT_EQ(fleet({"provision", "--manifest", other.file("b/manifest.json"), "--registry",
                   registry_path(), "--pki", broker_.pki()},
                  &output),
            1);
  EXPECT_NE(output.find("not issued by the CA"), std::string::npos) << output;
  EXPECT_EQ(
      fleet({"device", "show", "--id", "west-000001", "--registry", registry_path()}, &output), 1);
  EXPECT_EQ(
      fleet({"provision", "--manifest", other.file("pki/ca.crt"), "--registry", registry_path()},
            &output),
      1);
  EXPECT_NE(output.find("is not JSON"), std::string::npos) << output;
}

TEST_F(FleetCliTest, SimulatedDevicesReconnectAfterBrokerRestart) {
  Process sim = simulate(5, "rc-", {});
  {
    auto watcher = operator_client({"$lw/env/devices/+/telemetry"});
    ASSERT_EQ(telemetry_origins(*watcher, 5, 30s).size(), 5u) << sim.output();
  }
  broker_.crash();
  ASSERT_TRUE(broker_.start()) << broker_.log();
  auto watcher = operator_client({"$lw/env/devices/+/telemetry"});
  // Backoff starts at 0.5 s (±50 %) and doubles; all five are back well within 30 s.
  EXPECT_EQ(telemetry_origins(*watcher, 5, 30s).size(), 5u) << sim.output();
  sim.signal(SIGTERM);
  ASSERT_TRUE(sim.wait_exit(10s));
  EXPECT_NE(sim.output().find("connects=10"), std::string::npos) << sim.output();
}

TEST_F(FleetCliTest, HandshakeThatNeverFinishesIsAbandonedAndRetried) {
  // A listener that completes TCP connects (backlog) but never speaks TLS.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 64), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);

  std::string output;
  const int rc =
      fleet({"simulate", "--devices", "2", "--prefix", "mute-", "--pki", broker_.pki(),
             "--registry", registry_path(), "--port", std::to_string(ntohs(address.sin_port)),
             "--connect-timeout", "300", "--duration", "3", "--stats-interval", "0"},
            &output);
  ::close(listener);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("summary devices=2 connected=0 ever_connected=0"), std::string::npos)
      << output;
  const auto at = output.find("connect_timeouts=");
  ASSERT_NE(at, std::string::npos) << output;
  EXPECT_GE(std::atoi(output.c_str() + at + 17), 2) << output;
}

TEST_F(FleetCliTest, GroupAddAndListAndBadInput) {
  std::string output;
  ASSERT_EQ(fleet({"group", "add", "west", "--registry", registry_path()}, &output), 0) << output;
  ASSERT_EQ(fleet({"group", "list", "--registry", registry_path()}, &output), 0) << output;
  EXPECT_NE(output.find("west\t0"), std::string::npos) << output;
  EXPECT_EQ(fleet({"group", "add", "bad/name", "--registry", registry_path()}, &output), 1);
  EXPECT_NE(output.find("invalid group name"), std::string::npos) << output;
  EXPECT_EQ(fleet({"device", "show", "--id", "ghost", "--registry", registry_path()}, &output), 1);
  EXPECT_NE(fleet({"call", "--device", "x"}, &output), 0);  // method missing: usage error
}

}  // namespace
}  // namespace laneway::test
