// simulate: a fleet of devices in one process and one thread (see simulator.h).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "broker_flags.h"
#include "claimed_credentials.h"
#include "commands.h"
#include "device_credentials.h"
#include "laneway/registry/registry.h"
#include "simulator.h"

namespace laneway::fleet {

void add_simulate_command(CLI::App& app) {
  static int count = 10;
  static std::string pki = "pki";
  static std::string db = "fleet.db";
  static std::string prefix = "sim-";
  static int first = 1;
  static std::string cert_dir;
  static std::string claim;
  static std::string store = "claimed";
  static int claim_in_flight = 16;
  static SimulatorOptions options;
  static std::vector<std::string> more_brokers;
  auto* cmd = app.add_subcommand(
      "simulate", "Run N simulated devices over mTLS (telemetry, RPC, broadcasts, reconnects)");
  cmd->add_option("--devices", count, "Number of devices")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--pki", pki, "CA directory; missing device certificates are issued")
      ->capture_default_str();
  cmd->add_option("--cert-dir", cert_dir,
                  "Take <id>.crt|.key from this laneway-certs batch directory instead")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--registry", db, "Registry file; devices are registered active")
      ->capture_default_str();
  auto* claim_opt =
      cmd->add_option("--claim", claim,
                      "Provision through the claim flow with this claim certificate prefix "
                      "(PREFIX.crt|.key): needs `serve`; no CA key or registry access here");
  claim_opt->excludes("--cert-dir");
  cmd->add_option("--store", store,
                  "With --claim: where devices keep the identity they were issued "
                  "(<id>.crt|.key); devices already there skip provisioning")
      ->capture_default_str();
  cmd->add_option("--claim-in-flight", claim_in_flight,
                  "With --claim: provisioning requests in flight at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  add_broker_flags(cmd, options.host, options.port);
  cmd->add_option("--also", more_brokers,
                  "Another broker HOST:PORT (repeatable; a cluster's other edges): devices are "
                  "spread over all and move to the next one when a connection fails")
      ->check([](const std::string& value) -> std::string {
        const auto colon = value.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == value.size())
          return "expected HOST:PORT";
        return {};
      });
  cmd->add_option("--rate", options.rate_hz, "Telemetry messages per device per second")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--qos", options.telemetry_qos, "MQTT QoS of the telemetry (0 or 1)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1));
  cmd->add_option("--group", options.groups, "Group of every device (repeatable)");
  cmd->add_option("--duration", options.duration_s, "Seconds to run (0 = until SIGINT/SIGTERM)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--prefix", prefix, "Device id prefix (ids are <prefix><6 digits>)")
      ->capture_default_str();
  cmd->add_option("--first", first, "Number of the first device")
      ->capture_default_str()
      ->check(CLI::Range(0, 99999999));
  cmd->add_option("--connect-rate", options.connect_rate, "New connections per second")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-connecting", options.max_connecting, "TLS handshakes in flight")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--connect-timeout", options.connect_timeout_ms,
                  "Milliseconds for TCP + TLS + CONNACK before an attempt is abandoned")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  cmd->add_option("--stats-interval", options.stats_interval_s,
                  "Seconds between progress lines on stderr (0 = none)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  cmd->callback([] {
    options.more_brokers.clear();
    for (const auto& broker : more_brokers) {
      const auto colon = broker.rfind(':');
      int port = 0;
      try {
        port = std::stoi(broker.substr(colon + 1));
      } catch (...) {
      }
      if (port < 1 || port > 65535) return fail("simulate", "--also " + broker + ": bad port");
      options.more_brokers.emplace_back(broker.substr(0, colon), port);
    }
    for (const auto& group : options.groups)
      if (!registry::is_valid_group_name(group))
        return fail("simulate", "invalid group name '" + group + "'");
    std::vector<std::string> ids;
    ids.reserve(count);
    for (int i = 0; i < count; ++i) {
      char number[16];
      std::snprintf(number, sizeof number, "%06d", first + i);
      ids.push_back(prefix + number);
      if (!registry::is_valid_device_id(ids.back()))
        return fail("simulate", "invalid device id '" + ids.back() + "' (check --prefix)");
    }
    options.cafile = broker_ca_file("simulate", pki);
    if (options.cafile.empty()) return;

    stop_on_signals();
    std::vector<DeviceFiles> devices;
    std::string error;
    if (!claim.empty()) {
      ClaimClientOptions claim_options;
      claim_options.host = options.host;
      claim_options.port = options.port;
      claim_options.cafile = options.cafile;
      claim_options.claim_cert = claim + ".crt";
      claim_options.claim_key = claim + ".key";
      claim_options.max_in_flight = claim_in_flight;
      claim_options.batch = claim_batch_of(claim_options.claim_cert, &error);
      if (claim_options.batch.empty()) return fail("simulate", error);
      ClaimSummary summary;
      if (!claim_device_credentials(claim_options, store, ids, &devices, &summary, stop_requested,
                                    &error))
        return fail("simulate", error);
      std::fprintf(stderr,
                   "laneway-fleet simulate: claim %s: %d provisioned in %.2f s, %d already had "
                   "an identity, %d failed%s%s\n",
                   claim_options.batch.c_str(), summary.provisioned, summary.seconds,
                   summary.already_provisioned, summary.failed, summary.failed ? " (first: " : "",
                   summary.failed ? (summary.first_failure + ")").c_str() : "");
      std::printf("claim provisioned=%d already=%d failed=%d seconds=%.3f\n", summary.provisioned,
                  summary.already_provisioned, summary.failed, summary.seconds);
      std::fflush(stdout);
      if (devices.empty()) return fail("simulate", "no device could be provisioned");
    } else {
      CredentialSummary creds;
      if (!ensure_device_credentials(pki, cert_dir, db, ids, options.groups, &devices, &creds,
                                     &error))
        return fail("simulate", error);
      std::fprintf(stderr,
                   "laneway-fleet simulate: %d devices (%d certificates issued, %d registered, "
                   "%d revoked)\n",
                   count, creds.issued, creds.registered, creds.revoked);
    }

    const SimulatorStats s = run_simulator(options, devices, stop_requested);
    std::printf(
        "summary devices=%d connected=%llu ever_connected=%llu connects=%llu refused=%llu "
        "disconnects=%llu connect_timeouts=%llu published=%llu rpc_answered=%llu broadcasts=%llu "
        "all_connected_after_s=%.2f rss_kb=%ld cpu_s=%.2f\n",
        static_cast<int>(devices.size()), static_cast<unsigned long long>(s.connected_now),
        static_cast<unsigned long long>(s.ever_connected),
        static_cast<unsigned long long>(s.connects), static_cast<unsigned long long>(s.refused),
        static_cast<unsigned long long>(s.disconnects),
        static_cast<unsigned long long>(s.connect_timeouts),
        static_cast<unsigned long long>(s.published),
        static_cast<unsigned long long>(s.rpc_answered),
        static_cast<unsigned long long>(s.broadcasts), s.first_all_connected_s, s.rss_kb, s.cpu_s);
    std::fflush(stdout);
  });
}

}  // namespace laneway::fleet
