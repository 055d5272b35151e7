#include "laneway/certs/batch.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "laneway/certs/certificate.h"
#include "laneway/certs/files.h"
#include "laneway/certs/identity.h"
#include "laneway/certs/index.h"
#include "laneway/certs/issuer.h"
#include "laneway/certs/serial.h"
#include "laneway/certs/x509_io.h"

namespace laneway::certs {
namespace fs = std::filesystem;
namespace {

constexpr int kNumberWidth = 6;

std::string make_id(const std::string& prefix, long number) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%0*ld", kNumberWidth, number);
  return prefix + digits;
}

// One past the highest <prefix><digits> device id in the index, so consecutive batches of
// a group continue the numbering instead of colliding.
long next_free_number(const std::vector<IndexEntry>& index, const std::string& prefix) {
  long highest = 0;
  for (const auto& e : index) {
    if (e.role != "device" || e.id.size() <= prefix.size() ||
        e.id.compare(0, prefix.size(), prefix) != 0)
      continue;
    const std::string digits = e.id.substr(prefix.size());
    if (digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    highest = std::max(highest, std::stol(digits));
  }
  return highest + 1;
}

Status sync_tree(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open " + dir.string());
  // One syncfs instead of an fsync per file: the batch is published by a single rename.
  const int rc = ::syncfs(fd);
  ::close(fd);
  if (rc != 0) return make_error("cannot sync " + dir.string() + " to disk");
  return ok_status();
}

}  // namespace

Result<BatchResult> write_batch(const CaStore& ca, const BatchRequest& request,
                                const BatchProgress& progress) {
  if (request.count < 1 || request.count > kMaxBatchCount) {
    return make_error("--count must be 1.." + std::to_string(kMaxBatchCount));
  }
  LW_RETURN_IF_ERROR(validate_id(request.group, "group"));
  const std::string prefix = request.prefix.empty() ? request.group + "-" : request.prefix;
  LW_RETURN_IF_ERROR(validate_id(make_id(prefix, 0), "--prefix plus number"));
  if (request.out_dir.empty())
    return make_error("--out is required: the directory the batch goes to");
  fs::path out = request.out_dir;
  if (!out.has_filename()) out = out.parent_path();  // "dir/" -> "dir"
  std::error_code ec;
  if (fs::exists(out, ec)) {
    return make_error(
        out.string() +
        " already exists: a finished batch is never overwritten; choose another --out");
  }
  const fs::path partial = out.string() + ".partial";
  const int days = request.days > 0 ? request.days : default_days(Role::kDevice);

  LW_ASSIGN_OR_RETURN(CaLock lock, ca.lock());
  LW_ASSIGN_OR_RETURN(std::vector<IndexEntry> index, read_index(ca.index_path()));
  const long start = request.start ? *request.start : next_free_number(index, prefix);
  if (start < 0) return make_error("--start must not be negative");
  const long last = start + request.count - 1;
  LW_RETURN_IF_ERROR(validate_id(make_id(prefix, last), "last device id"));
  std::set<std::string> taken;
  for (const auto& e : index) {
    if (e.role == "device") taken.insert(e.id);
  }
  for (long n = start; n <= last; ++n) {
    if (taken.count(make_id(prefix, n)) != 0) {
      return make_error(
          "device id " + make_id(prefix, n) +
          " was already issued: leave out --start to continue after the last number, or "
          "change --prefix");
    }
  }

  // A leftover .partial is an interrupted earlier run that never reached the index: redo it.
  fs::remove_all(partial, ec);
  if (ec) return make_error("cannot remove the leftover " + partial.string() + ": " + ec.message());
  if (out.has_parent_path()) LW_RETURN_IF_ERROR(ensure_directory(out.parent_path(), 0755));
  LW_RETURN_IF_ERROR(ensure_directory(partial, 0700));
  // On any failure below, take the half-written directory away again.
  struct PartialCleanup {
    fs::path path;
    bool armed = true;
    ~PartialCleanup() {
      std::error_code ignored;
      if (armed) fs::remove_all(path, ignored);
    }
  } cleanup{partial};

  const auto started = std::chrono::steady_clock::now();
  nlohmann::json devices = nlohmann::json::array();
  std::vector<IndexEntry> new_entries;
  new_entries.reserve(static_cast<std::size_t>(request.count));
  for (long n = start; n <= last; ++n) {
    const std::string id = make_id(prefix, n);
    LW_ASSIGN_OR_RETURN(PKeyPtr key, generate_key(request.key_algorithm));
    CertificateSpec spec;
    spec.role = Role::kDevice;
    spec.common_name = id;
    spec.days = days;
    LW_ASSIGN_OR_RETURN(X509Ptr cert, build_certificate(ca.credentials(), key.get(), spec));
    LW_ASSIGN_OR_RETURN(std::string key_pem, private_key_to_pem(key.get()));
    LW_ASSIGN_OR_RETURN(std::string cert_pem, certificate_to_pem(cert.get()));
    LW_RETURN_IF_ERROR(write_new_file(partial / (id + ".key"), key_pem, kPrivateFileMode));
    LW_RETURN_IF_ERROR(write_new_file(partial / (id + ".crt"), cert_pem, kPublicFileMode));

    IndexEntry entry;
    entry.serial_hex = serial_to_hex(X509_get0_serialNumber(cert.get()));
    entry.role = "device";
    entry.id = id;
    entry.not_after = asn1_time_to_unix(X509_get0_notAfter(cert.get()));
    entry.groups = {request.group};
    devices.push_back({{"id", id},
                       {"serial", entry.serial_hex},
                       {"sha256", certificate_sha256_hex(cert.get())},
                       {"not_after", unix_to_iso8601(entry.not_after)},
                       {"not_after_unix", entry.not_after}});
    new_entries.push_back(std::move(entry));
    if (progress) progress(static_cast<int>(n - start + 1), request.count);
  }

  nlohmann::json manifest = {
      {"group", request.group},
      {"count", request.count},
      {"ca_sha256", certificate_sha256_hex(ca.cert())},
      {"created", unix_to_iso8601(static_cast<std::int64_t>(std::time(nullptr)))},
      {"devices", std::move(devices)}};
  LW_RETURN_IF_ERROR(
      write_new_file(partial / "manifest.json", manifest.dump(2) + "\n", kPublicFileMode));
  LW_RETURN_IF_ERROR(sync_tree(partial));

  // Record first, publish second: a crash in between leaves serials in the index for a
  // batch nobody received (harmless, revocable), never a delivered batch the CA forgot.
  LW_RETURN_IF_ERROR(append_index(ca.index_path(), new_entries));
  if (::rename(partial.c_str(), out.c_str()) != 0) {
    return make_error("cannot rename " + partial.string() + " to " + out.string());
  }
  cleanup.armed = false;
  if (out.has_parent_path()) LW_RETURN_IF_ERROR(sync_directory(out.parent_path()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  BatchResult result;
  result.out_dir = out;
  result.manifest_path = out / "manifest.json";
  result.count = request.count;
  result.first_id = make_id(prefix, start);
  result.last_id = make_id(prefix, last);
  result.seconds = seconds;
  return result;
}

}  // namespace laneway::certs
