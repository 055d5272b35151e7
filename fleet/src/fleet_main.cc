// laneway-fleet: the operator's tool. Registry commands (group, device), revocation,
// broadcasts and RPC calls as an operator, and the device simulator.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "laneway-fleet: registry, provisioning service, operator commands and device simulator"};
  app.require_subcommand(1);
  laneway::fleet::add_registry_commands(app);
  laneway::fleet::add_revoke_command(app);
  laneway::fleet::add_operator_commands(app);
  laneway::fleet::add_simulate_command(app);
  laneway::fleet::add_provision_command(app);
  laneway::fleet::add_claim_commands(app);
  laneway::fleet::add_serve_command(app);
  laneway::fleet::add_enroll_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return laneway::fleet::exit_code();
}
