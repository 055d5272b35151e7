#include "replica_config.h"

namespace laneway::bench {

nlohmann::json replica_bridge_config(const test::BrokerHarness& broker, const std::string& id,
                                     int port, bool mirror) {
  const std::string pki = broker.pki();
  nlohmann::json history{{"max_topics", 100000}};
  if (mirror) history["mirror"] = {"devices/#"};
  return {{"listen", {{{"host", "127.0.0.1"}, {"port", port}}}},
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

}  // namespace laneway::bench
