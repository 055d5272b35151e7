// What the long-running broker clients (`serve`, `simulate`) share on the command line:
// where the broker is (--host, --port), the CA under --pki that verifies it, and a stop flag
// that SIGINT/SIGTERM set so a run ends cleanly (final summary, registry flushed).
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <string>

#include "commands.h"

namespace laneway::fleet {

// Adds --host and --port, bound to `host` and `port`, their defaults shown in --help.
inline void add_broker_flags(CLI::App* cmd, std::string& host, int& port) {
  cmd->add_option("--host", host, "Broker host")->capture_default_str();
  cmd->add_option("--port", port, "Broker TLS port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
}

// <pki>/ca.crt, or empty after printing `command`'s one-line error (which names the command
// that creates it) when the file is missing.
inline std::string broker_ca_file(const std::string& command, const std::string& pki) {
  std::string cafile = (std::filesystem::path(pki) / "ca.crt").string();
  if (std::filesystem::exists(cafile)) return cafile;
  fail(command, cafile + " is missing (laneway-certs init --dir " + pki + ")");
  return {};
}

// Set once SIGINT or SIGTERM arrived after stop_on_signals(). A lock-free atomic is all a
// signal handler may touch.
inline std::atomic<bool> stop_requested{false};

inline void stop_on_signals() {
  struct Handler {
    static void on_signal(int) { stop_requested.store(true); }
  };
  std::signal(SIGINT, &Handler::on_signal);
  std::signal(SIGTERM, &Handler::on_signal);
}

}  // namespace laneway::fleet
