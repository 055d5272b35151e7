#include "common.h"

#include <iostream>

#include "laneway/certs/files.h"

namespace laneway::certs::cli {

void add_common_options(CLI::App* command, CommonOptions& options) {
  command->add_option("--dir", options.dir, "CA directory")->capture_default_str();
  command
      ->add_option("--ca-pass-file", options.ca_pass_file,
                   "File whose first line is the CA key passphrase (init: encrypt ca.key with it)")
      ->envname("LANEWAY_CA_PASS_FILE");
}

Result<std::optional<std::string>> read_passphrase(const CommonOptions& options) {
  if (options.ca_pass_file.empty()) return std::optional<std::string>{};
  LW_ASSIGN_OR_RETURN(std::string text, read_file(options.ca_pass_file, "passphrase file", 4096));
  const auto newline = text.find_first_of("\r\n");
  if (newline != std::string::npos) text.resize(newline);
  if (text.empty()) {
    return make_error("passphrase file " + options.ca_pass_file +
                      " has an empty first line: put the passphrase there");
  }
  return std::optional<std::string>(std::move(text));
}

Result<CaStore> open_ca(const CommonOptions& options) {
  LW_ASSIGN_OR_RETURN(std::optional<std::string> passphrase, read_passphrase(options));
  return CaStore::open(options.dir, passphrase);
}

int report_error(const std::string& command, const Error& error) {
  std::string message = error.message;
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "laneway-certs " << command << ": error: " << message << std::endl;
  return kExitFailed;
}

int& exit_code() {
  static int code = kExitOk;
  return code;
}

}  // namespace laneway::certs::cli
