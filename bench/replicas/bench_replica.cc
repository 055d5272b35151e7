#include "bench_replica.h"

#include <chrono>
#include <fstream>

#include "wait.h"

namespace laneway::bench {

nlohmann::json replica_bridge_config(const test::BrokerHarness& broker, const std::string& id,
                                     int port, bool mirror) {
  const std::string pki = broker.pki();
  nlohmann::json history{{"max_topics", 100000}};
  if (mirror) history["mirror"] = {"devices/#"};
  return {{"listen", {{{"host", "127.0.0.1"}, {"port", port}}}},
          {"admin", {{"listen", "127.0.0.1:0"}}},  // replicas side by side: a free port each
          {"tls",
           {{"cert", pki + "/servers/bench-https.crt"}, {"key", pki + "/servers/bench-https.key"}}},
          {"broker",
           {{"host", "127.0.0.1"},
            {"port", broker.port()},
            {"ca", pki + "/ca.crt"},
            {"cert", pki + "/services/bridge-" + id + ".crt"},
            {"key", pki + "/services/bridge-" + id + ".key"},
            {"client_id", id},
            {"session_expiry_s", 0}}},
          {"history", history},
          {"apps",
           {{{"id", "bench"},
             {"keys", {{{"alg", "HS256"}, {"secret", kReplicaAppSecret}}}},
             {"origins", {"*"}},
             {"subscribe", {"devices/#"}}}}},
          {"limits", {{"max_sessions", 200000}}},
          {"log_level", "warn"}};
}

std::optional<test::Process> start_replica(const test::BrokerHarness& broker,
                                           const test::TempDir& dir, const std::string& id,
                                           int port, bool mirror, std::string& why) {
  using namespace std::chrono_literals;
  const std::string path = dir.file(id + ".json");
  std::ofstream(path) << replica_bridge_config(broker, id, port, mirror).dump(2);
  test::Process::Options options;
  options.argv = {LANEWAY_BRIDGE_BIN, "--config", path};
  auto replica = test::Process::start(options, &why);
  if (!replica) return std::nullopt;
  if (!test::wait_until(
          [&] { return replica->output().find("connected to the broker") != std::string::npos; },
          20s, 50ms)) {
    why = id + " never reached the broker:\n" + replica->output();
    return std::nullopt;
  }
  return replica;
}

}  // namespace laneway::bench
