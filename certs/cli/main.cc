// laneway-certs: the device PKI tool. Each command lives in its own cmd_*.cc file; this file
// only wires them into CLI11 and turns parse errors into one-line messages.
#include <iostream>

#include "common.h"

int main(int argc, char** argv) {
  using namespace laneway::certs::cli;
  CLI::App app{"laneway-certs: CA, server, service and device certificates, CSR signing, CRL"};
  app.name("laneway-certs");
  app.require_subcommand(1);
  register_init(app);
  register_server(app);
  register_service(app);
  register_device(app);
  register_claim(app);
  register_batch(app);
  register_sign_csr(app);
  register_revoke(app);
  register_crl(app);
  register_wt_cert(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::string command;
    std::string where = "laneway-certs";
    for (const CLI::App* sub : app.get_subcommands()) {
      command = sub->get_name();
      where += " " + command;
    }
    std::string message = e.what();
    for (char& c : message) {
      if (c == '\n') c = ' ';
    }
    std::cerr << where << ": error: " << message << "; see '" << where << " --help'" << std::endl;
    return kExitUsage;
  }
  return exit_code();
}
