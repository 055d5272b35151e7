// A real laneway system for the WebTransport lane's tests and benchmark: mosquitto + the
// laneway plugin (BrokerHarness, PKI from laneway-certs), and a laneway-bridge process
// with the WebTransport lane enabled on a free UDP port, its short-lived certificate from
// `laneway-certs wt-cert`. Everything on loopback; the bridge is stopped by PID.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "broker_harness.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::test {

class WtBridgeEnv {
 public:
  struct Options {
    bool plugin = true;
    std::size_t queue_max_bytes = 1 << 20;
    std::size_t max_sessions = 100000;
    std::string log_level = "info";
  };
  WtBridgeEnv() : WtBridgeEnv(Options{}) {}
  explicit WtBridgeEnv(Options options);
  ~WtBridgeEnv();

  // Empty when everything started; otherwise why not.
  const std::string& error() const { return error_; }

  BrokerHarness& broker() { return broker_; }
  Process& bridge() { return *bridge_; }
  int https_port() const { return https_port_; }
  int admin_port() const { return admin_port_; }
  int wt_port() const { return wt_port_; }
  int foreign_port() const { return foreign_port_; }
  std::string pki() const { return broker_.pki(); }
  std::string wt_cert() const { return pki() + "/wt/wt.crt"; }
  std::string wt_key() const { return pki() + "/wt/wt.key"; }
  std::string file(const std::string& name) const { return dir_.file(name); }
  // A JWT for app "demo" (subject alice), valid for an hour.
  std::string token() const;

  // GET https://127.0.0.1:<https_port><path> (curl, CA-verified); empty on failure.
  std::string get(const std::string& path) const;
  // The same on the admin listener (/healthz, /metrics: docs/bridge.md "The admin listener").
  std::string admin_get(const std::string& path) const;
  // One sample of the admin /metrics, e.g. metric("laneway_bridge_wt_sessions"); -1 if absent.
  double metric(const std::string& name_with_labels) const;

 private:
  void setup();
  void fail(const std::string& why) { error_ = why; }

  Options options_;
  BrokerHarness broker_;
  TempDir dir_{"laneway-wt-bridge"};
  std::optional<Process> bridge_;
  int https_port_ = 0;
  int admin_port_ = 0;
  int wt_port_ = 0;
  int foreign_port_ = 0;
  std::string error_;
};

}  // namespace laneway::test
