// Reads the revoked serials out of a PEM CRL (the file laneway-certs rewrites on
// `revoke`), optionally checking it is signed by the CA.
#pragma once

#include <openssl/x509.h>

#include <optional>
#include <string>
#include <unordered_set>

namespace laneway::plugin {

using RevokedSerials = std::unordered_set<std::string>;  // normalized hex

// nullopt with a one-line `error` when the file is unreadable, not a PEM CRL, or (with
// `issuer` set) not signed by `issuer`.
std::optional<RevokedSerials> read_crl_serials(const std::string& path, X509* issuer,
                                               std::string* error);

// The CA certificate from a PEM file, or nullptr with `error`.
X509* read_pem_certificate(const std::string& path, std::string* error);

}  // namespace laneway::plugin
