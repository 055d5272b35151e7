// One real laneway broker for a test: a PKI made with the real `laneway-certs`, a registry,
// a mosquitto.conf written by the real `laneway-broker-config`, and `mosquitto -c` on a free
// loopback port, stopped by PID when the harness goes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "laneway/registry/registry.h"
#include "mqtt_test_client.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::test {

class BrokerHarness {
 public:
  struct Options {
    bool plugin = true;  // false: the identical listener without the plugin (bench baseline)
    std::string map = "devices/#,fleet/#,broadcast/#";
    // Adds `log_type debug`: the plugin's per-registry-change cost line is at debug.
    bool debug_log = false;
  };

  BrokerHarness();
  explicit BrokerHarness(Options options);
  ~BrokerHarness();

  // Set when construction (PKI, registry, config) failed; tests ASSERT on it.
  const std::string& setup_error() const { return setup_error_; }

  // Runs `laneway-certs <args...> --dir <pki>`; false with output in `error`.
  bool certs(const std::vector<std::string>& args, std::string* output = nullptr);
  // Issues a device certificate and (unless `register_device` is false) registers it active
  // with the certificate's serial.
  bool add_device(const std::string& id, const std::vector<std::string>& groups = {},
                  bool register_device = true);
  bool add_service(const std::string& role, const std::string& id);
  // A device certificate signed by the CA whose validity ended yesterday; registered.
  bool add_expired_device(const std::string& id);

  registry::Registry& registry() { return *registry_; }
  std::string pki() const { return dir_.file("pki"); }
  std::string dir() const { return dir_.path().string(); }
  std::string state_file() const { return dir_.file("data/laneway-plugin.state"); }
  int port() const { return port_; }

  // Starts mosquitto (writing the config first if needed); true once it logs "running".
  bool start();
  // SIGTERM (clean shutdown, plugin cleanup runs) and wait.
  void stop();
  // SIGKILL: a crash, no cleanup.
  void crash();
  bool running();
  // PID of the running broker, or -1.
  int pid() const { return broker_ ? broker_->pid() : -1; }
  std::string log();
  // Lines of the broker log containing `needle`.
  std::size_t count_log(const std::string& needle);

  // `laneway-fleet simulate` against this broker (its PKI, registry and port), then `more`.
  std::vector<std::string> simulate_argv(const std::string& fleet_bin,
                                         const std::vector<std::string>& more) const;

  ClientOptions device(const std::string& id, int protocol = 5,
                       const std::string& client_id = "") const;
  ClientOptions service(const std::string& role, const std::string& id, int protocol = 5) const;

 private:
  bool write_config();

  Options options_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<registry::Registry> registry_;
  std::optional<Process> broker_;
  std::string setup_error_;
};

// The user this test runs as, for laneway-broker-config --user (mosquitto would otherwise
// drop to `mosquitto`, which cannot read the test's files).
std::string current_user();

// Normalized serial of a PEM certificate, empty on failure.
std::string certificate_serial(const std::string& path);

// Runs `laneway-certs <args...> --dir <pki>`; false with output in `output`.
bool run_certs(const std::string& pki, const std::vector<std::string>& args,
               std::string* output = nullptr);
// Registers pki/devices/<id>.crt active in `registry` with the certificate's serial.
bool register_device(registry::Registry& registry, const std::string& pki, const std::string& id,
                     const std::vector<std::string>& groups);

}  // namespace laneway::test
