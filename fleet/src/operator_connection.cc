#include "operator_connection.h"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "commands.h"

namespace laneway::fleet {

void add_connection_flags(CLI::App* cmd, ConnectionFlags& flags) {
  cmd->add_option("--pki", flags.pki, "CA directory (ca.crt, services/operator-<name>.*)")
      ->capture_default_str();
  cmd->add_option("--host", flags.host, "Broker host")->capture_default_str();
  cmd->add_option("--port", flags.port, "Broker TLS port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--operator", flags.operator_name, "Operator certificate name")
      ->capture_default_str();
}

std::unique_ptr<OperatorClient> connect(const std::string& command, const ConnectionFlags& f,
                                        bool report, std::string* error_out) {
  namespace fs = std::filesystem;
  OperatorOptions options;
  options.host = f.host;
  options.port = f.port;
  options.cafile = (fs::path(f.pki) / "ca.crt").string();
  const auto prefix = fs::path(f.pki) / "services" / ("operator-" + f.operator_name);
  options.certfile = prefix.string() + ".crt";
  options.keyfile = prefix.string() + ".key";
  std::string error;
  for (const auto& file : {options.cafile, options.certfile, options.keyfile}) {
    if (!fs::exists(file)) {
      error =
          file + " is missing (laneway-certs service --role operator --id " + f.operator_name + ")";
      break;
    }
  }
  std::unique_ptr<OperatorClient> client;
  if (error.empty()) {
    client = std::make_unique<OperatorClient>(options);
    if (!client->connect(std::chrono::milliseconds(f.connect_timeout_ms), &error)) client.reset();
  }
  if (!client) {
    if (report) fail(command, error);
    if (error_out) *error_out = error;
  }
  return client;
}

}  // namespace laneway::fleet
