// `revoke` and `crl`: revocation and CRL publication.
#include <iostream>

#include "common.h"
#include "laneway/certs/crl.h"
#include "laneway/certs/revocation.h"

namespace laneway::certs::cli {

void register_revoke(CLI::App& app) {
  struct Options {
    CommonOptions common;
    std::string id;
    std::string serial;
    int crl_days = kDefaultCrlDays;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd =
      app.add_subcommand("revoke", "Revoke certificates by identity or serial and rewrite crl.pem");
  add_common_options(cmd, opts->common);
  auto* id =
      cmd->add_option("--id", opts->id,
                      "Identity: a device id, or role:id for others (bridge:b1, operator:alice, "
                      "claim:batch-7, server:broker); revokes all its valid certificates");
  auto* serial = cmd->add_option("--serial", opts->serial, "Serial number in hex, as in index.tsv");
  id->excludes(serial);
  cmd->add_option("--crl-days", opts->crl_days, "Days until the new CRL's nextUpdate")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  cmd->callback([opts, id, serial] {
    if (id->count() + serial->count() != 1) {
      exit_code() = report_error("revoke", make_error("give --id ID or --serial HEX"));
      return;
    }
    auto ca = open_ca(opts->common);
    if (!ca.ok()) {
      exit_code() = report_error("revoke", ca.error());
      return;
    }
    RevokeTarget target;
    if (id->count() != 0) target.identity = opts->id;
    if (serial->count() != 0) target.serial_hex = opts->serial;
    auto outcome = revoke(*ca, target, opts->crl_days);
    if (!outcome.ok()) {
      exit_code() = report_error("revoke", outcome.error());
      return;
    }
    for (const auto& s : outcome->revoked) std::cout << "revoked " << s << std::endl;
    for (const auto& s : outcome->already_revoked)
      std::cout << "already revoked " << s << std::endl;
    std::cout << "CRL written to " << ca->crl_path().string() << std::endl;
  });
}

void register_crl(CLI::App& app) {
  struct Options {
    CommonOptions common;
    int crl_days = kDefaultCrlDays;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd =
      app.add_subcommand("crl", "Rewrite crl.pem from index.tsv (run it before nextUpdate passes)");
  add_common_options(cmd, opts->common);
  cmd->add_option("--crl-days", opts->crl_days, "Days until the CRL's nextUpdate")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  cmd->callback([opts] {
    auto ca = open_ca(opts->common);
    if (!ca.ok()) {
      exit_code() = report_error("crl", ca.error());
      return;
    }
    auto lock = ca->lock();
    if (!lock.ok()) {
      exit_code() = report_error("crl", lock.error());
      return;
    }
    auto status = publish_crl(*ca, opts->crl_days);
    if (!status.ok()) {
      exit_code() = report_error("crl", status.error());
      return;
    }
    std::cout << "CRL written to " << ca->crl_path().string() << std::endl;
  });
}

}  // namespace laneway::certs::cli
