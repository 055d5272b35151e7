// What the bridge's integration tests share: one real broker (mosquitto + laneway plugin,
// PKI from laneway-certs) with device d-1, the bridge's service and HTTPS certificates, the
// config sections that point a laneway-bridge at them, and starting a bridge process that
// has reached the broker. Each test adds its own apps, limits and lanes to the config.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker_harness.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::bridge {

class BridgeSystem {
 public:
  explicit BridgeSystem(const std::string& dir_prefix) : dir(dir_prefix) {}

  // Issues the certificates (device d-1, bridge service bridge-1, `extra_services` of role
  // bridge, the HTTPS server certificate) and starts mosquitto. False with `error` set.
  bool prepare(const std::vector<std::string>& extra_services = {});

  // listen (one address), admin (127.0.0.1, a free port the bridge announces), tls and
  // broker sections for a bridge with `client_id` that uses the bridge-1 service
  // certificate.
  nlohmann::json base_config(const std::string& host, int port,
                             const std::string& client_id = "bridge-1") const;

  // The keys every Node scenario config needs to reach this system: protoPath, brokerPort,
  // caFile, serverCert (the bridge's HTTPS certificate), device (d-1's id and credentials)
  // and, when prepare() issued it, observer (the `observer` bridge service's credentials).
  // Each suite adds its own keys.
  nlohmann::json scenario_base() const;

  // Writes `config` to <name>.json, starts laneway-bridge on it and waits until it reached
  // the broker and announced its admin port; nullopt with `*why` set otherwise.
  std::optional<test::Process> start_bridge(const std::string& name, const nlohmann::json& config,
                                            std::string* why);

  // The admin listener's port of a bridge start_bridge() returned (/healthz, /metrics).
  static int admin_port(const test::Process& bridge);

  // Records why the system is not usable; false, for `return fail(...)`.
  bool fail(const std::string& why) {
    error = why;
    return false;
  }

  test::BrokerHarness broker;
  test::TempDir dir;
  std::string error;  // empty while everything is up
};

// Why the headless-chromium suites cannot run here (the npm packages of tests/bridge/browser
// or /usr/bin/chromium missing; scripts/deps.sh installs both), or empty when they can.
std::string browser_suite_missing();

}  // namespace laneway::bridge
