// enroll: one device's side of claim provisioning from the command line — what a device's
// firmware does, and how an operator (or a test) talks to `serve` directly. Generates a key
// and CSR (or sends a given CSR), publishes it with the claim certificate, and writes the
// issued certificate, or prints the service's refusal.
#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "claim_client.h"
#include "commands.h"
#include "device_csr.h"
#include "private_file.h"

namespace laneway::fleet {

void add_enroll_command(CLI::App& app) {
  static std::string pki = "pki";
  static std::string claim;
  static std::string id;
  static std::string csr_file;
  static std::string out;
  static ClaimClientOptions options;
  auto* cmd = app.add_subcommand(
      "enroll", "Provision one device through the claim flow (device side of `serve`)");
  cmd->add_option("--claim", claim, "Claim certificate prefix (PREFIX.crt, PREFIX.key)")
      ->required();
  cmd->add_option("--id", id, "Requested device id")->required();
  cmd->add_option("--csr", csr_file, "Send this CSR (PEM) instead of generating a key and CSR")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", out, "Write OUT.crt (and OUT.key when generated); default ./<id>");
  cmd->add_option("--pki", pki, "Directory with ca.crt (to verify the broker)")
      ->capture_default_str();
  cmd->add_option("--host", options.host, "Broker host")->capture_default_str();
  cmd->add_option("--port", options.port, "Broker TLS port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--timeout", options.request_timeout_ms, "Milliseconds to wait for the reply")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  cmd->callback([] {
    namespace fs = std::filesystem;
    options.cafile = (fs::path(pki) / "ca.crt").string();
    options.claim_cert = claim + ".crt";
    options.claim_key = claim + ".key";
    options.max_attempts = 1;  // one request; the refusal (e.g. rate_limited) is the answer
    for (const auto& file : {options.cafile, options.claim_cert, options.claim_key})
      if (!fs::exists(file)) return fail("enroll", file + " is missing");
    std::string error;
    options.batch = claim_batch_of(options.claim_cert, &error);
    if (options.batch.empty()) return fail("enroll", error);

    ClaimJob job;
    job.device_id = id;
    DeviceKeyAndCsr generated;
    if (!csr_file.empty()) {
      std::ifstream in(csr_file, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      job.csr_pem = text.str();
    } else {
      if (!make_device_csr(id, &generated, &error)) return fail("enroll", error);
      job.csr_pem = generated.csr_pem;
    }
    std::vector<ClaimJob> jobs{job};
    std::atomic<bool> never{false};
    run_claim_jobs(options, jobs, never);
    const ClaimJob& result = jobs.front();
    if (!result.done) return fail("enroll", id + ": " + result.error);
    if (!result.reply.ok)
      return fail("enroll", id + " refused: " + result.reply.error + ": " + result.reply.message);
    const std::string prefix = out.empty() ? id : out;
    if (!write_file_atomically(prefix + ".crt", result.reply.certificate_pem, 0644, &error))
      return fail("enroll", error);
    if (csr_file.empty() &&
        !write_file_atomically(prefix + ".key", generated.key_pem, 0600, &error))
      return fail("enroll", error);
    std::printf("enrolled %s serial %s not_after %lld groups %zu -> %s.crt\n", id.c_str(),
                result.reply.serial.c_str(), static_cast<long long>(result.reply.not_after),
                result.reply.groups.size(), prefix.c_str());
  });
}

}  // namespace laneway::fleet
