// Issuing certificates into a CA directory: the one code path behind `device`, `service`,
// `server`, `claim`, `wt-cert` and `sign-csr`, and what the fleet provisioning service calls
// to answer a device's CSR. Each call: validates, builds and signs, stages the files, records
// the serial in index.tsv under the CA lock, then renames the files into place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/identity.h"
#include "laneway/certs/key.h"
#include "laneway/certs/ossl.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

// Validity defaults in days, each overridable with --days.
int default_days(Role role);

struct IssueRequest {
  Role role = Role::kDevice;
  std::string id;                      // CN; for servers the name
  std::vector<std::string> groups;     // recorded in index.tsv (devices)
  int days = 0;                        // 0 = default_days(role)
  std::vector<std::string> dns_names;  // SAN
  std::vector<std::string> ip_addresses;
  std::optional<std::filesystem::path> out_prefix;  // writes PREFIX.crt / PREFIX.key
  bool force = false;                               // overwrite existing files for this name
  KeyAlgorithm key_algorithm = KeyAlgorithm::kEcP256;
};

struct IssuedCertificate {
  X509Ptr cert;
  std::string cert_pem;
  std::string serial_hex;
  std::string sha256_hex;
  std::int64_t not_after = 0;
  std::filesystem::path cert_path;  // empty when nothing was written
  std::filesystem::path key_path;   // empty for CSR-signed certificates
};

// Generates the key locally and writes PREFIX.crt and PREFIX.key (0600).
Result<IssuedCertificate> issue_with_new_key(const CaStore& ca, const IssueRequest& request);

struct CsrSignRequest {
  std::string id;  // device id, becomes the CN; the CSR's own subject is ignored
  std::vector<std::string> groups;
  int days = 0;  // 0 = default_days(Role::kDevice)
  // Where to write the certificate; unset = devices/<id>.crt. write_file=false writes
  // nothing but still records the serial (the fleet service publishes the PEM itself).
  std::optional<std::filesystem::path> out_cert;
  bool write_file = true;
  bool force = false;
};

// Verifies the CSR (PEM or DER; signature, key strength) and issues a device certificate
// for its public key. Extensions the CSR asks for are ignored: the profile is ours.
Result<IssuedCertificate> sign_csr(const CaStore& ca, std::string_view csr,
                                   const CsrSignRequest& request);

}  // namespace laneway::certs
