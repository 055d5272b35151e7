#include "laneway/certs/issuer.h"

#include "laneway/certs/certificate.h"
#include "laneway/certs/csr.h"
#include "laneway/certs/files.h"
#include "laneway/certs/index.h"
#include "laneway/certs/serial.h"
#include "laneway/certs/x509_io.h"

namespace laneway::certs {
namespace fs = std::filesystem;
namespace {

fs::path with_extension(const fs::path& prefix, const char* ext) {
  return fs::path(prefix.string() + ext);
}

struct KeyFile {
  fs::path path;
  std::string pem;
};

// The shared tail of every issuing command: files staged, serial recorded, files renamed in.
Result<IssuedCertificate> record_and_write(const CaStore& ca, X509Ptr cert, Role role,
                                           const std::string& id,
                                           const std::vector<std::string>& groups,
                                           const std::optional<fs::path>& cert_path,
                                           const std::optional<KeyFile>& key, bool force) {
  IssuedCertificate issued;
  LW_ASSIGN_OR_RETURN(issued.cert_pem, certificate_to_pem(cert.get()));
  issued.serial_hex = serial_to_hex(X509_get0_serialNumber(cert.get()));
  issued.sha256_hex = certificate_sha256_hex(cert.get());
  issued.not_after = asn1_time_to_unix(X509_get0_notAfter(cert.get()));

  LW_ASSIGN_OR_RETURN(CaLock lock, ca.lock());
  std::error_code ec;
  for (const fs::path* p : {cert_path ? &*cert_path : nullptr, key ? &key->path : nullptr}) {
    if (p != nullptr && !force && fs::exists(*p, ec)) {
      return make_error(p->string() +
                        " already exists: revoke the old certificate and pass --force to "
                        "reissue, or choose another name or --out");
    }
  }
  std::optional<StagedFile> key_file;
  std::optional<StagedFile> cert_file;
  if (key) {
    LW_RETURN_IF_ERROR(ensure_directory(key->path.parent_path(), 0755));
    LW_ASSIGN_OR_RETURN(key_file, StagedFile::stage(key->path, key->pem, kPrivateFileMode));
  }
  if (cert_path) {
    LW_RETURN_IF_ERROR(ensure_directory(cert_path->parent_path(), 0755));
    LW_ASSIGN_OR_RETURN(cert_file, StagedFile::stage(*cert_path, issued.cert_pem, kPublicFileMode));
  }
  IndexEntry entry;
  entry.serial_hex = issued.serial_hex;
  entry.role = std::string(role_name(role));
  entry.id = id;
  entry.not_after = issued.not_after;
  entry.groups = groups;
  LW_RETURN_IF_ERROR(append_index(ca.index_path(), {entry}));
  if (key_file) {
    LW_RETURN_IF_ERROR(key_file->commit());
    issued.key_path = key->path;
  }
  if (cert_file) {
    LW_RETURN_IF_ERROR(cert_file->commit());
    issued.cert_path = *cert_path;
  }
  issued.cert = std::move(cert);
  return issued;
}

Status validate_groups(const std::vector<std::string>& groups) {
  for (const auto& g : groups) LW_RETURN_IF_ERROR(validate_id(g, "group"));
  return ok_status();
}

}  // namespace

int default_days(Role role) {
  switch (role) {
    case Role::kDevice:
      return 1825;  // five years: devices in the field are rarely re-provisioned
    case Role::kClaim:
      return 365;  // shared by a whole production batch, so short-lived
    case Role::kBridge:
    case Role::kOperator:
    case Role::kEdge:
    case Role::kServer:
      return 397;  // the CA/Browser Forum ceiling for TLS server certificates
  }
  return 365;
}

Result<IssuedCertificate> issue_with_new_key(const CaStore& ca, const IssueRequest& request) {
  const char* what = request.role == Role::kDevice   ? "device id"
                     : request.role == Role::kServer ? "server name"
                     : request.role == Role::kClaim  ? "batch name"
                                                     : "service id";
  LW_RETURN_IF_ERROR(validate_id(request.id, what));
  LW_RETURN_IF_ERROR(validate_groups(request.groups));
  CertificateSpec spec;
  spec.role = request.role;
  spec.common_name = request.id;
  spec.days = request.days > 0 ? request.days : default_days(request.role);
  spec.dns_names = request.dns_names;
  spec.ip_addresses = request.ip_addresses;
  // Validate user input before the (slow, for RSA) key generation.
  for (const auto& dns : spec.dns_names) LW_RETURN_IF_ERROR(validate_dns_name(dns));
  for (const auto& ip : spec.ip_addresses) LW_RETURN_IF_ERROR(validate_ip_address(ip));

  LW_ASSIGN_OR_RETURN(PKeyPtr key, generate_key(request.key_algorithm));
  LW_ASSIGN_OR_RETURN(X509Ptr cert, build_certificate(ca.credentials(), key.get(), spec));
  LW_ASSIGN_OR_RETURN(std::string key_pem, private_key_to_pem(key.get()));
  const fs::path prefix =
      request.out_prefix ? *request.out_prefix : ca.default_prefix(request.role, request.id);
  return record_and_write(ca, std::move(cert), request.role, request.id, request.groups,
                          with_extension(prefix, ".crt"),
                          KeyFile{with_extension(prefix, ".key"), key_pem}, request.force);
}

Result<IssuedCertificate> sign_csr(const CaStore& ca, std::string_view csr_bytes,
                                   const CsrSignRequest& request) {
  LW_RETURN_IF_ERROR(validate_id(request.id, "device id"));
  LW_RETURN_IF_ERROR(validate_groups(request.groups));
  LW_ASSIGN_OR_RETURN(X509ReqPtr csr, parse_csr(csr_bytes));
  LW_RETURN_IF_ERROR(verify_csr(csr.get()));
  EVP_PKEY* public_key = X509_REQ_get0_pubkey(csr.get());

  CertificateSpec spec;
  spec.role = Role::kDevice;
  spec.common_name = request.id;
  spec.days = request.days > 0 ? request.days : default_days(Role::kDevice);
  LW_ASSIGN_OR_RETURN(X509Ptr cert, build_certificate(ca.credentials(), public_key, spec));
  std::optional<fs::path> cert_path;
  if (request.write_file) {
    cert_path = request.out_cert
                    ? *request.out_cert
                    : with_extension(ca.default_prefix(Role::kDevice, request.id), ".crt");
  }
  return record_and_write(ca, std::move(cert), Role::kDevice, request.id, request.groups, cert_path,
                          std::nullopt, request.force);
}

}  // namespace laneway::certs
