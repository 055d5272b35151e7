// One bridge replica as the replica benchmarks run it: on the harness's broker, an app
// "bench" that may subscribe to `devices/#`, optionally mirroring it (docs/scale.md "Bridge
// replicas"). The broker certificate of `id` must exist (BrokerHarness::add_service("bridge",
// id)), and the server certificate "bench-https".
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "broker_harness.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::bench {

inline constexpr const char* kReplicaAppSecret = "replica-bench-secret-replica-bench-0123456";

nlohmann::json replica_bridge_config(const test::BrokerHarness& broker, const std::string& id,
                                     int port, bool mirror);

// Writes the config of replica `id` into `dir`, starts laneway-bridge on it and waits until
// it reached the broker; empty with `why` otherwise.
std::optional<test::Process> start_replica(const test::BrokerHarness& broker,
                                           const test::TempDir& dir, const std::string& id,
                                           int port, bool mirror, std::string& why);

}  // namespace laneway::bench
