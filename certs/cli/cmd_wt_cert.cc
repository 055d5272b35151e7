// `wt-cert`: the short-lived WebTransport certificate; prints its serverCertificateHashes value.
#include <iostream>

#include "common.h"
#include "laneway/certs/wt_cert.h"

namespace laneway::certs::cli {

void register_wt_cert(CLI::App& app) {
  struct Options {
    CommonOptions common;
    int days = kDefaultWtDays;
    std::vector<std::string> dns;
    std::vector<std::string> ips;
    std::string out;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "wt-cert",
      "Short-lived ECDSA P-256 WebTransport certificate; prints the base64 SHA-256 of its DER");
  add_common_options(cmd, opts->common);
  cmd->add_option("--days", opts->days, "Validity in days, at most 14")->capture_default_str();
  cmd->add_option("--dns", opts->dns,
                  "DNS name for subjectAltName (repeatable; default localhost)");
  cmd->add_option("--ip", opts->ips,
                  "IP address for subjectAltName (repeatable; default 127.0.0.1, ::1)");
  cmd->add_option("--out", opts->out, "Write PREFIX.crt and PREFIX.key (default <dir>/wt/wt)");
  cmd->callback([opts] {
    auto ca = open_ca(opts->common);
    if (!ca.ok()) {
      exit_code() = report_error("wt-cert", ca.error());
      return;
    }
    WtCertRequest request;
    request.days = opts->days;
    request.dns_names = opts->dns;
    request.ip_addresses = opts->ips;
    if (!opts->out.empty()) request.out_prefix = opts->out;
    auto wt = issue_wt_cert(*ca, request);
    if (!wt.ok()) {
      exit_code() = report_error("wt-cert", wt.error());
      return;
    }
    // stdout is only the hash, so `hash=$(laneway-certs wt-cert)` works in scripts.
    std::cout << wt->sha256_base64 << std::endl;
  });
}

}  // namespace laneway::certs::cli
