// The bridge config the replica benchmarks run: one replica of a tier on the harness's
// broker, an app "bench" that may subscribe to `devices/#`, optionally mirroring it
// (docs/scale.md "Bridge replicas"). The broker certificate of `id` must exist
// (BrokerHarness::add_service("bridge", id)), and the server certificate "bench-https".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "broker_harness.h"

namespace laneway::bench {

inline constexpr const char* kReplicaAppSecret = "replica-bench-secret-replica-bench-0123456";

nlohmann::json replica_bridge_config(const test::BrokerHarness& broker, const std::string& id,
                                     int port, bool mirror);

}  // namespace laneway::bench
