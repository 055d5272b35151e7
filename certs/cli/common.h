// What every laneway-certs command shares: --dir and --ca-pass-file, opening the CA, and
// the one-line error report.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/result.h"

namespace laneway::certs::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct CommonOptions {
  std::string dir = "./pki";
  std::string ca_pass_file;  // empty: ca.key is not encrypted
};

// Adds --dir and --ca-pass-file (env LANEWAY_CA_PASS_FILE) to a subcommand.
void add_common_options(CLI::App* command, CommonOptions& options);

// The passphrase from --ca-pass-file (first line, newline stripped), if one was given.
Result<std::optional<std::string>> read_passphrase(const CommonOptions& options);

Result<CaStore> open_ca(const CommonOptions& options);

// Prints "laneway-certs <command>: error: <message>" as one line on stderr.
int report_error(const std::string& command, const Error& error);

// The exit code the selected subcommand's callback sets; main returns it.
int& exit_code();

// One registration function per command file.
void register_init(CLI::App& app);
void register_crl(CLI::App& app);
void register_revoke(CLI::App& app);
void register_server(CLI::App& app);
void register_service(CLI::App& app);
void register_device(CLI::App& app);
void register_claim(CLI::App& app);
void register_batch(CLI::App& app);
void register_sign_csr(CLI::App& app);
void register_wt_cert(CLI::App& app);

}  // namespace laneway::certs::cli
