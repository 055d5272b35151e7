// Certificate signing requests from devices: parsing (PEM or DER) and the checks a CSR must
// pass before anything is signed.
#pragma once

#include <string_view>

#include "laneway/certs/ossl.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

inline constexpr std::size_t kMaxCsrBytes = 64 * 1024;

Result<X509ReqPtr> parse_csr(std::string_view bytes);

// The CSR's self-signature verifies with its own public key (proof of possession), and the
// key is strong enough (check_key_strength).
Status verify_csr(X509_REQ* csr);

}  // namespace laneway::certs
