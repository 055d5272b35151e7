// Identity from a verified client certificate (docs/contracts.md "Identity"): role = OU,
// name = CN, plus the serial the registry and the CRL are checked against.
#pragma once

#include <openssl/x509.h>

#include <optional>
#include <string>

#include "principal.h"

namespace laneway::plugin {

struct CertificateIdentity {
  Role role = Role::kDevice;
  std::string name;    // CN: 1..64 of [A-Za-z0-9._-]
  std::string serial;  // normalized hex (laneway/registry/serial.h)
};

// nullopt with a one-line `reason` when the subject lacks exactly one OU and one CN, the OU
// is not a client role, or the CN is not a valid id.
std::optional<CertificateIdentity> identity_from_certificate(X509* cert, std::string* reason);

// Normalized hex of an ASN.1 serial, empty on failure.
std::string serial_hex(const ASN1_INTEGER* serial);

}  // namespace laneway::plugin
