// Certificates and registry entries for simulated devices: a device that has no certificate
// in the PKI gets one from the laneway_certs library (the same code as `laneway-certs
// device`), and every device is registered active with its certificate's serial, unless
// the registry already says it is revoked (a revoked device stays revoked).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace laneway::fleet {

struct DeviceFiles {
  std::string id;
  std::string certfile;
  std::string keyfile;
  bool revoked = false;  // the registry refuses it; the simulator still tries (and counts)
};

struct CredentialSummary {
  int issued = 0;      // new certificates
  int registered = 0;  // registry rows written
  int revoked = 0;     // left revoked
};

// Ensures certificates and registry rows for `ids`. With `cert_dir` set, certificates are
// taken from <cert_dir>/<id>.crt|.key (a `laneway-certs batch` directory) and a missing one
// is an error; otherwise they live in <pki_dir>/devices/ and missing ones are issued.
// False with a one-line `error`.
bool ensure_device_credentials(const std::string& pki_dir, const std::string& cert_dir,
                               const std::string& registry_path,
                               const std::vector<std::string>& ids,
                               const std::vector<std::string>& groups,
                               std::vector<DeviceFiles>* out, CredentialSummary* summary,
                               std::string* error);

// Normalized serial of the PEM certificate at `path`, empty on failure.
std::string certificate_file_serial(const std::string& path);
// notAfter (Unix seconds) of the PEM certificate at `path`, 0 on failure.
std::int64_t certificate_file_not_after(const std::string& path);

}  // namespace laneway::fleet
