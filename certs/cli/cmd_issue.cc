// `server`, `service`, `device`, `claim`: certificates whose key is generated here.
#include <iostream>

#include "common.h"
#include "laneway/certs/issuer.h"
#include "laneway/certs/x509_io.h"

namespace laneway::certs::cli {
namespace {

struct IssueOptions {
  CommonOptions common;
  std::string id;
  std::string role;
  std::vector<std::string> groups;
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  int days = 0;
  std::string out;
  bool force = false;
};

void add_issue_options(CLI::App* cmd, IssueOptions& opts, Role role) {
  add_common_options(cmd, opts.common);
  cmd->add_option("--days", opts.days,
                  "Validity in days (default " + std::to_string(default_days(role)) + ")")
      ->check(CLI::Range(1, 36500));
  cmd->add_option("--out", opts.out,
                  "Write PREFIX.crt and PREFIX.key instead of the CA directory's default place");
  cmd->add_flag("--force", opts.force,
                "Overwrite existing files of the same name (revoke the old certificate first)");
}

void run_issue(const std::string& command, const IssueOptions& opts, Role role) {
  auto ca = open_ca(opts.common);
  if (!ca.ok()) {
    exit_code() = report_error(command, ca.error());
    return;
  }
  IssueRequest request;
  request.role = role;
  request.id = opts.id;
  request.groups = opts.groups;
  request.days = opts.days;
  request.dns_names = opts.dns;
  request.ip_addresses = opts.ips;
  if (!opts.out.empty()) request.out_prefix = opts.out;
  request.force = opts.force;
  auto issued = issue_with_new_key(*ca, request);
  if (!issued.ok()) {
    exit_code() = report_error(command, issued.error());
    return;
  }
  std::cout << role_name(role) << " " << opts.id << ": serial " << issued->serial_hex
            << ", not after " << unix_to_iso8601(issued->not_after) << ", "
            << issued->cert_path.string() << std::endl;
}

}  // namespace

void register_server(CLI::App& app) {
  auto opts = std::make_shared<IssueOptions>();
  CLI::App* cmd = app.add_subcommand(
      "server", "TLS server certificate (serverAuth) for the broker or a bridge");
  cmd->add_option("--name", opts->id, "Server name: CN and file name servers/<name>")->required();
  cmd->add_option("--dns", opts->dns, "DNS name for subjectAltName (repeatable)");
  cmd->add_option("--ip", opts->ips, "IP address for subjectAltName (repeatable)");
  add_issue_options(cmd, *opts, Role::kServer);
  cmd->callback([opts] {
    if (opts->dns.empty() && opts->ips.empty()) {
      exit_code() = report_error(
          "server", make_error("give at least one --dns NAME or --ip ADDRESS clients connect to"));
      return;
    }
    run_issue("server", *opts, Role::kServer);
  });
}

void register_service(CLI::App& app) {
  auto opts = std::make_shared<IssueOptions>();
  CLI::App* cmd = app.add_subcommand(
      "service", "Client certificate (clientAuth) for a bridge, an operator or an edge broker");
  cmd->add_option("--role", opts->role, "bridge, operator or edge (goes into OU)")
      ->required()
      ->check(CLI::IsMember({"bridge", "operator", "edge"}));
  cmd->add_option("--id", opts->id, "Service name (CN); identity becomes <role>:<id>")->required();
  add_issue_options(cmd, *opts, Role::kBridge);
  cmd->callback([opts] { run_issue("service", *opts, *parse_role(opts->role)); });
}

void register_device(CLI::App& app) {
  auto opts = std::make_shared<IssueOptions>();
  CLI::App* cmd = app.add_subcommand(
      "device", "One device certificate (OU=device, clientAuth), key generated here");
  cmd->add_option("--id", opts->id, "Device id: 1..64 of A-Z a-z 0-9 . _ -")->required();
  cmd->add_option("--group", opts->groups, "Fleet group, recorded in index.tsv (repeatable)");
  add_issue_options(cmd, *opts, Role::kDevice);
  cmd->callback([opts] { run_issue("device", *opts, Role::kDevice); });
}

void register_claim(CLI::App& app) {
  auto opts = std::make_shared<IssueOptions>();
  CLI::App* cmd = app.add_subcommand(
      "claim", "Claim certificate (OU=claim) shared by a production batch, for provisioning only");
  cmd->add_option("--batch", opts->id, "Production batch name (CN)")->required();
  add_issue_options(cmd, *opts, Role::kClaim);
  cmd->callback([opts] { run_issue("claim", *opts, Role::kClaim); });
}

}  // namespace laneway::certs::cli
