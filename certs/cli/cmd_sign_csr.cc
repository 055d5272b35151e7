// `sign-csr`: a device keeps its private key and sends only a CSR.
#include <iostream>

#include "common.h"
#include "laneway/certs/csr.h"
#include "laneway/certs/files.h"
#include "laneway/certs/issuer.h"
#include "laneway/certs/x509_io.h"

namespace laneway::certs::cli {

void register_sign_csr(CLI::App& app) {
  struct Options {
    CommonOptions common;
    std::string csr;
    std::string id;
    std::vector<std::string> groups;
    int days = 0;
    std::string out;
    bool force = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "sign-csr", "Sign a device CSR (PEM or DER) as device ID; the key never leaves the device");
  add_common_options(cmd, opts->common);
  cmd->add_option("--csr", opts->csr, "CSR file")->required();
  cmd->add_option("--id", opts->id, "Device id (CN); the CSR's subject is ignored")->required();
  cmd->add_option("--group", opts->groups, "Fleet group, recorded in index.tsv (repeatable)");
  cmd->add_option("--days", opts->days,
                  "Validity in days (default " + std::to_string(default_days(Role::kDevice)) + ")")
      ->check(CLI::Range(1, 36500));
  cmd->add_option("--out", opts->out, "Certificate file to write (default <dir>/devices/<id>.crt)");
  cmd->add_flag("--force", opts->force, "Overwrite an existing certificate file");
  cmd->callback([opts] {
    // Check the cheap things (id, CSR) before touching the CA, so the error names the real problem.
    auto id_ok = validate_id(opts->id, "device id");
    if (!id_ok.ok()) {
      exit_code() = report_error("sign-csr", id_ok.error());
      return;
    }
    auto csr = read_file(opts->csr, "CSR file", kMaxCsrBytes);
    if (!csr.ok()) {
      exit_code() = report_error("sign-csr", csr.error());
      return;
    }
    auto ca = open_ca(opts->common);
    if (!ca.ok()) {
      exit_code() = report_error("sign-csr", ca.error());
      return;
    }
    CsrSignRequest request;
    request.id = opts->id;
    request.groups = opts->groups;
    request.days = opts->days;
    if (!opts->out.empty()) request.out_cert = opts->out;
    request.force = opts->force;
    auto issued = sign_csr(*ca, *csr, request);
    if (!issued.ok()) {
      exit_code() = report_error("sign-csr", issued.error());
      return;
    }
    std::cout << "device " << opts->id << ": serial " << issued->serial_hex << ", not after "
              << unix_to_iso8601(issued->not_after) << ", " << issued->cert_path.string()
              << std::endl;
  });
}

}  // namespace laneway::certs::cli
