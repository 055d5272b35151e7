// Building and signing X.509 certificates: subject, validity, serial and the extensions
// each role needs (basicConstraints, keyUsage, extendedKeyUsage, SAN, SKI/AKI).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "laneway/certs/identity.h"
#include "laneway/certs/ossl.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

// Certificates start this many seconds in the past so a peer whose clock is slightly behind
// accepts them; the total validity (notAfter - notBefore) is still exactly `days`.
inline constexpr std::int64_t kBackdateSeconds = 300;

// The CA that signs: borrowed handles, owned by a CaStore (or a test).
struct CaCredentials {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
};

struct CertificateSpec {
  Role role = Role::kDevice;  // OU; server => serverAuth, every other role => clientAuth
  std::string common_name;    // CN: the device id, service name, claim batch or server name
  int days = 0;               // total validity, clamped to end no later than the CA
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries (v4 or v6 text)
};

// Subject O=laneway, OU=<role>, CN=<common_name>, issued by `ca`, for `subject_key`.
Result<X509Ptr> build_certificate(const CaCredentials& ca, EVP_PKEY* subject_key,
                                  const CertificateSpec& spec);

// A self-signed CA: basicConstraints critical CA:TRUE pathlen:0, keyCertSign + cRLSign.
Result<X509Ptr> build_ca_certificate(EVP_PKEY* key, const std::string& common_name, int days);

// Syntax checks for SAN values, with messages that name the bad value.
Status validate_dns_name(const std::string& name);
Status validate_ip_address(const std::string& address);

}  // namespace laneway::certs
