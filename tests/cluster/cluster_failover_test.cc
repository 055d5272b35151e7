// The core dies (kill -9) with a standby beside it (docs/scale.md "Standby core"): the
// edges and laneway-bridge's broker link (BrokerLink, as the bridge runs it) move to the
// standby, devices stay connected to their edges, and what the bridge receives next comes
// in a new epoch, which its clients see as recovered=false, never as a silent gap. When the
// core is back, edges and bridge return to it.
#include <gtest/gtest.h>

#include <chrono>

#include "broker_link.h"
#include "cluster_harness.h"
#include "laneway.pb.h"
#include "laneway/wire/frame_codec.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;
constexpr const char* kSynced = "registry copy complete";

// Publishes `payload` (QoS 1) until the link has handed its envelope over, and returns it.
std::optional<v1::Envelope> envelope_through(MqttTestClient& device, bridge::BrokerLink& link,
                                             const std::string& payload) {
  std::optional<v1::Envelope> found;
  wait_until(
      [&] {
        if (!accepted(device.publish("devices/d-1/telemetry", payload))) return false;
        std::vector<bridge::UpstreamMessage> got;
        wait_until(
            [&] {
              bridge::BrokerBatch batch;
              link.take_batch(batch);
              for (auto& m : batch.messages) got.push_back(std::move(m));
              return !got.empty();
            },
            1s, 20ms);
        for (const auto& message : got) {
          v1::Frame frame;
          if (message.topic == "$lw/env/devices/d-1/telemetry" &&
              wire::decode_frame(message.payload, frame) == wire::WireError::kOk &&
              frame.envelope().payload() == payload)
            found = frame.envelope();
        }
        return found.has_value();
      },
      20s, 100ms);
  return found;
}

TEST(ClusterFailover, EdgesAndTheBridgeMoveToTheStandbyCoreAndBackWithANewEpoch) {
  ClusterHarness::Options options;
  options.standby_core = true;
  ClusterHarness cluster(options);
  if (cluster.namespaces_unavailable() && !running_in_ci()) GTEST_SKIP() << cluster.setup_error();
  ASSERT_EQ(cluster.setup_error(), "");
  ASSERT_TRUE(cluster.add_device("d-1"));
  ASSERT_TRUE(cluster.add_service("bridge", "bridge-1"));
  ASSERT_TRUE(cluster.start()) << cluster.setup_error();

  const ClientOptions service = cluster.service_at_core("bridge", "bridge-1");
  bridge::BrokerConfig config;
  config.host = service.host;
  config.port = cluster.core_port();
  config.standby = {{cluster.standby_host(), cluster.standby_port()}};
  config.ca_file = service.cafile;
  config.cert_file = service.certfile;
  config.key_file = service.keyfile;
  config.client_id = "bridge-1";
  config.reconnect_min_s = 1;
  config.reconnect_max_s = 2;
  config.session_expiry_s = 0;
  bridge::BrokerLink link(config, bridge::LinkBudget{10000}, [] {});
  std::string error;
  ASSERT_TRUE(link.start(error)) << error;
  ASSERT_TRUE(wait_until([&] { return link.connected(); }, 10s));
  link.subscribe("$lw/env/devices/d-1/#");

  MqttTestClient device(cluster.device_at("edge-a", "d-1"));
  ASSERT_EQ(device.connect(cluster.edge_port("edge-a")), 0);
  const auto before = envelope_through(device, link, "before");
  ASSERT_TRUE(before) << cluster.core_log();

  cluster.kill_core();
  ASSERT_TRUE(wait_until([&] { return cluster.edge_log_count("edge-a", kSynced) >= 2; }, 20s))
      << "edge-a did not take the standby's registry\n"
      << cluster.edge_log("edge-a");
  ASSERT_TRUE(wait_until([&] { return link.connections() >= 2 && link.connected(); }, 20s));
  EXPECT_TRUE(device.connected()) << "the edge keeps its devices through a core failover";
  const auto after = envelope_through(device, link, "after");
  ASSERT_TRUE(after) << cluster.standby_log();
  EXPECT_NE(after->epoch(), before->epoch()) << "the standby's positions are another epoch";
  EXPECT_EQ(after->seq(), 1u);
  EXPECT_EQ(after->origin(), "d-1");

  // The core comes back (after a crash: a new epoch of its own); both tiers return to it.
  ASSERT_TRUE(cluster.start_core());
  ASSERT_TRUE(wait_until([&] { return cluster.edge_log_count("edge-a", kSynced) >= 3; }, 30s))
      << cluster.edge_log("edge-a");
  ASSERT_TRUE(wait_until([&] { return link.connections() >= 3 && link.connected(); }, 30s));
  const auto back = envelope_through(device, link, "back");
  ASSERT_TRUE(back) << cluster.core_log();
  EXPECT_NE(back->epoch(), after->epoch());
  EXPECT_NE(back->epoch(), before->epoch());
  link.stop();
}

}  // namespace
}  // namespace laneway::test
