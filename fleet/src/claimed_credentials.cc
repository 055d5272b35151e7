#include "claimed_credentials.h"

#include <chrono>
#include <filesystem>
#include <map>

#include "device_csr.h"
#include "private_file.h"

namespace laneway::fleet {

bool claim_device_credentials(const ClaimClientOptions& options, const std::string& store_dir,
                              const std::vector<std::string>& ids, std::vector<DeviceFiles>* out,
                              ClaimSummary* summary, const std::atomic<bool>& stop,
                              std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(store_dir, ec);
  if (ec) {
    *error = "cannot create " + store_dir + ": " + ec.message();
    return false;
  }
  fs::permissions(store_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  const auto started = std::chrono::steady_clock::now();
  auto files_of = [&](const std::string& id) {
    const auto prefix = (fs::path(store_dir) / id).string();
    return DeviceFiles{id, prefix + ".crt", prefix + ".key", false};
  };

  std::vector<ClaimJob> jobs;
  std::map<std::string, std::string> keys;  // id -> key PEM, written once the cert arrives
  for (const auto& id : ids) {
    DeviceFiles files = files_of(id);
    if (fs::exists(files.certfile) && fs::exists(files.keyfile)) {
      ++summary->already_provisioned;
      out->push_back(std::move(files));
      continue;
    }
    DeviceKeyAndCsr made;
    if (!make_device_csr(id, &made, error)) return false;
    keys[id] = std::move(made.key_pem);
    ClaimJob job;
    job.device_id = id;
    job.csr_pem = std::move(made.csr_pem);
    jobs.push_back(std::move(job));
  }
  run_claim_jobs(options, jobs, stop);

  for (const auto& job : jobs) {
    std::string failure;
    if (!job.done)
      failure = job.error;
    else if (!job.reply.ok)
      failure = job.reply.error + ": " + job.reply.message;
    DeviceFiles files = files_of(job.device_id);
    // Key first, then certificate: a store entry counts only with both.
    if (failure.empty()) {
      std::string write_error;
      if (!write_file_atomically(files.keyfile, keys[job.device_id], 0600, &write_error) ||
          !write_file_atomically(files.certfile, job.reply.certificate_pem, 0644, &write_error))
        failure = write_error;
    }
    if (!failure.empty()) {
      ++summary->failed;
      if (summary->first_failure.empty()) summary->first_failure = job.device_id + ": " + failure;
      continue;
    }
    ++summary->provisioned;
    out->push_back(std::move(files));
  }
  summary->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return true;
}

}  // namespace laneway::fleet
