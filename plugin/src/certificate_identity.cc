#include "certificate_identity.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include <memory>

#include "laneway/registry/registry.h"
#include "laneway/registry/serial.h"

namespace laneway::plugin {
namespace {

// The single entry of `nid` in `name` as text; nullopt if absent, repeated, or holding an
// embedded NUL.
std::optional<std::string> single_entry(X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(name, nid, index) >= 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  if (!data) return std::nullopt;
  std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                   static_cast<std::size_t>(ASN1_STRING_length(data)));
  if (text.find('\0') != std::string::npos) return std::nullopt;
  return text;
}

}  // namespace

std::string serial_hex(const ASN1_INTEGER* serial) {
  if (!serial) return {};
  std::unique_ptr<BIGNUM, void (*)(BIGNUM*)> bn(ASN1_INTEGER_to_BN(serial, nullptr), &BN_free);
  if (!bn) return {};
  std::unique_ptr<char, void (*)(char*)> hex(BN_bn2hex(bn.get()), [](char* p) { OPENSSL_free(p); });
  if (!hex) return {};
  return registry::normalize_serial(hex.get()).value_or("");
}

std::optional<CertificateIdentity> identity_from_certificate(X509* cert, std::string* reason) {
  X509_NAME* subject = cert ? X509_get_subject_name(cert) : nullptr;
  if (!subject) {
    *reason = "no certificate subject";
    return std::nullopt;
  }
  const auto ou = single_entry(subject, NID_organizationalUnitName);
  const auto cn = single_entry(subject, NID_commonName);
  if (!ou || !cn) {
    *reason = "certificate subject needs exactly one OU and one CN";
    return std::nullopt;
  }
  const auto role = parse_role(*ou);
  if (!role) {
    *reason = "OU '" + *ou + "' is not a client role";
    return std::nullopt;
  }
  if (!registry::is_valid_device_id(*cn)) {
    *reason = "CN is not a valid id";
    return std::nullopt;
  }
  CertificateIdentity identity;
  identity.role = *role;
  identity.name = *cn;
  identity.serial = serial_hex(X509_get0_serialNumber(cert));
  if (identity.serial.empty()) {
    *reason = "unreadable certificate serial";
    return std::nullopt;
  }
  return identity;
}

}  // namespace laneway::plugin
