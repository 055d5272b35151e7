#include "device_credentials.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/issuer.h"
#include "laneway/registry/registry.h"
#include "laneway/registry/serial.h"

namespace laneway::fleet {

std::string certificate_file_serial(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return {};
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr),
                                              &X509_free);
  if (!cert) return {};
  std::unique_ptr<BIGNUM, void (*)(BIGNUM*)> bn(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr), &BN_free);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out = registry::normalize_serial(hex ? hex : "").value_or("");
  OPENSSL_free(hex);
  return out;
}

std::int64_t certificate_file_not_after(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return 0;
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr),
                                              &X509_free);
  if (!cert) return 0;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

bool ensure_device_credentials(const std::string& pki_dir, const std::string& cert_dir,
                               const std::string& registry_path,
                               const std::vector<std::string>& ids,
                               const std::vector<std::string>& groups,
                               std::vector<DeviceFiles>* out, CredentialSummary* summary,
                               std::string* error) {
  namespace fs = std::filesystem;
  auto registry = registry::Registry::open_read_write(registry_path, error);
  if (!registry) return false;
  std::optional<certs::Result<certs::CaStore>> ca;  // opened only if a certificate is missing
  std::vector<std::string> sorted_groups = groups;
  std::sort(sorted_groups.begin(), sorted_groups.end());

  for (const auto& id : ids) {
    DeviceFiles files;
    files.id = id;
    const fs::path prefix =
        cert_dir.empty() ? fs::path(pki_dir) / "devices" / id : fs::path(cert_dir) / id;
    files.certfile = prefix.string() + ".crt";
    files.keyfile = prefix.string() + ".key";
    const bool present = fs::exists(files.certfile) && fs::exists(files.keyfile);
    if (!present && !cert_dir.empty()) {
      *error = "no certificate and key for " + id + " in " + cert_dir;
      return false;
    }
    if (!present) {
      if (!ca) ca.emplace(certs::CaStore::open(pki_dir));
      if (!ca->ok()) {
        *error = "cannot open the CA in " + pki_dir + ": " + ca->error().message;
        return false;
      }
      certs::IssueRequest request;
      request.role = certs::Role::kDevice;
      request.id = id;
      request.groups = groups;
      request.force = true;  // a lone .crt or .key without its partner is replaced
      auto issued = certs::issue_with_new_key(ca->value(), request);
      if (!issued.ok()) {
        *error = "cannot issue a certificate for " + id + ": " + issued.error().message;
        return false;
      }
      ++summary->issued;
    }
    const std::string serial = certificate_file_serial(files.certfile);
    if (serial.empty()) {
      *error = "cannot read the serial of " + files.certfile;
      return false;
    }
    const auto lookup = registry->find_device(id);
    if (lookup.status == registry::LookupStatus::kError) {
      *error = lookup.error;
      return false;
    }
    const bool found = lookup.status == registry::LookupStatus::kFound;
    if (found && lookup.device.status == registry::DeviceStatus::kRevoked) {
      files.revoked = true;
      ++summary->revoked;
    } else if (!found || lookup.device.cert_serial != serial ||
               lookup.device.groups != sorted_groups) {
      registry::Device device;
      device.id = id;
      device.groups = sorted_groups;
      device.cert_serial = serial;
      device.cert_not_after_s = certificate_file_not_after(files.certfile);
      if (!registry->upsert_device(device, error)) return false;
      ++summary->registered;
    }
    out->push_back(std::move(files));
  }
  return true;
}

}  // namespace laneway::fleet
