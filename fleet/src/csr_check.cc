#include "csr_check.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "laneway/certs/csr.h"

namespace laneway::fleet {
namespace {

std::string hex(const unsigned char* data, unsigned int size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

// The subject's CN, or empty when it has none.
std::string subject_cn(X509_REQ* csr) {
  X509_NAME* name = X509_REQ_get_subject_name(csr);
  const int index = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

}  // namespace

bool check_csr(std::string_view csr_pem, std::string_view device_id, CheckedCsr* out,
               std::string* error) {
  auto csr = certs::parse_csr(csr_pem);
  if (!csr.ok()) {
    *error = csr.error().message;
    return false;
  }
  if (auto verified = certs::verify_csr(csr->get()); !verified.ok()) {
    *error = verified.error().message;
    return false;
  }
  const std::string cn = subject_cn(csr->get());
  if (!cn.empty() && cn != device_id) {
    *error = "CSR subject CN '" + cn + "' does not match the requested device id '" +
             std::string(device_id) + "'";
    return false;
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(csr->get());
  unsigned char* der = nullptr;
  const int der_len = key ? i2d_PUBKEY(key, &der) : -1;
  if (der_len <= 0) {
    *error = "cannot read the CSR's public key";
    return false;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const bool hashed = EVP_Digest(der, static_cast<std::size_t>(der_len), digest, &digest_len,
                                 EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  if (!hashed) {
    *error = "cannot hash the CSR's public key";
    return false;
  }
  out->key_sha256 = hex(digest, digest_len);
  return true;
}

}  // namespace laneway::fleet
