// A bridge tier for the replica tests: mosquitto + laneway plugin (BrokerHarness), one
// simulated device publishing QoS 1 telemetry, and N laneway-bridge replicas on the same
// broker, each with its own client id, certificate, ports and state files, all mirroring
// `devices/#` and listing each other (docs/scale.md "Bridge replicas"). Loopback only; every
// process is stopped by its PID.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "broker_harness.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::test {

class ReplicaTier {
 public:
  static constexpr const char* kAppId = "dashboard";
  static constexpr const char* kSecret = "replica-secret-replica-secret-replica-0123";
  static constexpr const char* kDevice = "d-000001";

  struct Options {
    int replicas = 2;
    double telemetry_hz = 50;
  };
  explicit ReplicaTier(Options options);
  ~ReplicaTier();

  // Empty when the broker and the device came up; otherwise what failed.
  const std::string& error() const { return error_; }

  // Starts replica `i` (0-based), waiting until it reached the broker; false with `why`.
  bool start(int i, std::string& why);
  // Signals replica `i` (SIGTERM: drain, SIGKILL: a crash) and waits for it to be gone.
  void stop(int i, int signal);
  bool running(int i);
  // Sessions replica `i` holds, from its admin listener's /healthz; -1 when it does not
  // answer.
  int sessions(int i) const;
  // The replica holding a session, or -1 (none, or more than one does).
  int replica_with_sessions() const;
  // Waits up to `bound` until exactly one replica other than `except` (-1: any) holds the
  // sessions; that replica, or -1.
  int wait_for_holder(int except, std::chrono::milliseconds bound) const;

  int replicas() const { return static_cast<int>(ports_.size()); }
  std::string base_url(int i) const { return "https://127.0.0.1:" + std::to_string(ports_[i]); }
  std::vector<std::string> base_urls() const;
  std::string server_cert() const { return broker_.pki() + "/servers/bridge-https.crt"; }
  std::string dir() const { return dir_.path().string(); }
  std::string logs();  // every replica's output, for failure messages

 private:
  void setup();
  std::string write_config(int i);
  void fail(const std::string& why) { error_ = why; }

  Options options_;
  BrokerHarness broker_;
  TempDir dir_{"laneway-replicas"};
  std::optional<Process> device_;
  std::vector<int> ports_;
  std::vector<int> admin_ports_;  // /healthz (docs/bridge.md "The admin listener")
  std::vector<int> wt_ports_;
  std::vector<std::optional<Process>> bridges_;
  std::vector<int> starts_;
  std::string error_;
};

}  // namespace laneway::test
