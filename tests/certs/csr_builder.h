// Device-side CSRs for tests, made with the OpenSSL API: what a device would send.
#pragma once

#include <string>

#include "laneway/certs/ossl.h"

namespace laneway::certs::testing {

// A PEM CSR for `key`, subject CN=`cn`; with `request_ca` it also asks for CA:TRUE (which
// the signer must ignore).
std::string make_csr_pem(EVP_PKEY* key, const std::string& cn, bool request_ca = false);
std::string make_csr_der(EVP_PKEY* key, const std::string& cn);

}  // namespace laneway::certs::testing
