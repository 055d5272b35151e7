// `init`: create the CA.
#include <iostream>

#include "common.h"
#include "laneway/certs/x509_io.h"

namespace laneway::certs::cli {

void register_init(CLI::App& app) {
  struct Options {
    CommonOptions common;
    bool rsa = false;
    bool force = false;
    int days = kDefaultCaDays;
    int crl_days = kDefaultCrlDays;
    std::string common_name = "laneway CA";
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "init", "Create a CA (ECDSA P-256, or RSA 3072 with --rsa) with an empty CRL");
  add_common_options(cmd, opts->common);
  cmd->add_flag("--rsa", opts->rsa, "RSA 3072 CA key instead of ECDSA P-256");
  cmd->add_flag("--force", opts->force, "Replace an existing CA (resets index.tsv and crl.pem)");
  cmd->add_option("--days", opts->days, "CA certificate validity in days")
      ->capture_default_str()
      ->check(CLI::Range(1, 36500));
  cmd->add_option("--crl-days", opts->crl_days, "Days until the first CRL's nextUpdate")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  cmd->add_option("--cn", opts->common_name, "CA common name")->capture_default_str();
  cmd->callback([opts] {
    InitOptions init;
    init.algorithm = opts->rsa ? KeyAlgorithm::kRsa3072 : KeyAlgorithm::kEcP256;
    init.days = opts->days;
    init.crl_days = opts->crl_days;
    init.common_name = opts->common_name;
    init.force = opts->force;
    auto passphrase = read_passphrase(opts->common);
    if (!passphrase.ok()) {
      exit_code() = report_error("init", passphrase.error());
      return;
    }
    init.passphrase = *passphrase;
    auto ca = CaStore::create(opts->common.dir, init);
    if (!ca.ok()) {
      exit_code() = report_error("init", ca.error());
      return;
    }
    std::cout << "CA created in " << ca->dir().string() << " (" << describe_key(ca->key())
              << ", sha256 " << certificate_sha256_hex(ca->cert()) << ")" << std::endl;
  });
}

}  // namespace laneway::certs::cli
