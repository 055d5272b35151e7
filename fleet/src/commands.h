// The laneway-fleet subcommands. Each add_* registers its subcommands on the app with a
// callback; the callback runs the command and records the exit code (0 ok, 1 failure;
// CLI11 uses 2-ish codes for usage errors). Failures print one line:
// `laneway-fleet <command>: error: <what>`.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace laneway::fleet {

void add_registry_commands(CLI::App& app);  // group add|list, device list|show
void add_revoke_command(CLI::App& app);     // revoke
void add_operator_commands(CLI::App& app);  // broadcast, call
void add_simulate_command(CLI::App& app);   // simulate
void add_provision_command(CLI::App& app);  // provision
void add_claim_commands(CLI::App& app);     // claim add|list|disable
void add_serve_command(CLI::App& app);      // serve
void add_enroll_command(CLI::App& app);     // enroll

int exit_code();
void set_exit_code(int code);
// Prints the one-line error and sets exit code 1.
void fail(const std::string& command, const std::string& message);

}  // namespace laneway::fleet
