// The simulator at the size the issue asks for: 2,000 devices over mTLS against a real
// mosquitto with the plugin, one simulator process. Bounded: waits (at most 240 s) until
// its progress line says all are connected, then stops it and checks the summary — every
// device connected, none refused, telemetry published. No assertion on speed (that is
// bench/fleet's job).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <thread>

#include "broker_harness.h"
#include "process.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;

constexpr int kDevices = 2000;

// The broker inherits this process's open-file limit: one socket per device plus slack.
bool raise_open_files(rlim_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= wanted) return true;
  limit.rlim_cur = std::min(limit.rlim_max, wanted);
  return setrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= wanted;
}

TEST(FleetScale, TwoThousandSimulatedDevicesConnectAndPublish) {
  ASSERT_TRUE(raise_open_files(kDevices + 512)) << "open-file hard limit too low";
  BrokerHarness broker;
  ASSERT_EQ(broker.setup_error(), "");
  ASSERT_TRUE(broker.start()) << broker.log();
  std::string error;
  auto sim = Process::start(
      {broker.simulate_argv(LANEWAY_FLEET_BIN, {"--devices", std::to_string(kDevices), "--prefix",
                                                "scale-", "--rate", "1", "--connect-rate", "1000",
                                                "--stats-interval", "1", "--duration", "600"}),
       {},
       "",
       ""},
      &error);
  ASSERT_TRUE(sim) << error;
  const std::string all = "connected " + std::to_string(kDevices) + "/" + std::to_string(kDevices);
  ASSERT_TRUE(wait_until([&] { return sim->output().find(all) != std::string::npos; }, 240s, 200ms))
      << sim->output().substr(sim->output().size() > 4000 ? sim->output().size() - 4000 : 0);
  // One more progress interval so every device has published at least once.
  std::this_thread::sleep_for(1500ms);
  sim->signal(SIGTERM);
  ASSERT_TRUE(sim->wait_exit(30s));
  const std::string out = sim->output();
  EXPECT_NE(out.find("summary devices=2000 connected=2000 ever_connected=2000"), std::string::npos)
      << out.substr(out.size() > 2000 ? out.size() - 2000 : 0);
  EXPECT_NE(out.find("refused=0"), std::string::npos);
  const auto at = out.find(" published=");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stoll(out.substr(at + 11)), kDevices);
  EXPECT_TRUE(broker.running());
}

}  // namespace
}  // namespace laneway::test
