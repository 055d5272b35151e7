#include "crl_reader.h"

#include <openssl/pem.h>

#include <cstdio>
#include <memory>

#include "certificate_identity.h"

namespace laneway::plugin {
namespace {

using File = std::unique_ptr<FILE, int (*)(FILE*)>;

File open_file(const std::string& path) {
  return File(std::fopen(path.c_str(), "rb"), &std::fclose);
}

}  // namespace

X509* read_pem_certificate(const std::string& path, std::string* error) {
  File file = open_file(path);
  if (!file) {
    *error = "cannot open " + path;
    return nullptr;
  }
  X509* cert = PEM_read_X509(file.get(), nullptr, nullptr, nullptr);
  if (!cert) *error = path + " is not a PEM certificate";
  return cert;
}

std::optional<RevokedSerials> read_crl_serials(const std::string& path, X509* issuer,
                                               std::string* error) {
  File file = open_file(path);
  if (!file) {
    *error = "cannot open CRL " + path;
    return std::nullopt;
  }
  std::unique_ptr<X509_CRL, void (*)(X509_CRL*)> crl(
      PEM_read_X509_CRL(file.get(), nullptr, nullptr, nullptr), &X509_CRL_free);
  if (!crl) {
    *error = path + " is not a PEM CRL";
    return std::nullopt;
  }
  if (issuer) {
    EVP_PKEY* key = X509_get0_pubkey(issuer);
    if (!key || X509_CRL_verify(crl.get(), key) != 1) {
      *error = path + " is not signed by the configured CA";
      return std::nullopt;
    }
  }
  RevokedSerials serials;
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  const int count = revoked ? sk_X509_REVOKED_num(revoked) : 0;
  for (int i = 0; i < count; ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    std::string serial = serial_hex(X509_REVOKED_get0_serialNumber(entry));
    if (!serial.empty()) serials.insert(std::move(serial));
  }
  return serials;
}

}  // namespace laneway::plugin
