// PEM encoding and decoding of certificates, fingerprints and dates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "laneway/certs/ossl.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

Result<std::string> certificate_to_pem(X509* cert);
Result<X509Ptr> certificate_from_pem(std::string_view pem, std::string_view what);

// SHA-256 of the DER encoding: lower-case hex (manifests) and standard base64 (the
// WebTransport serverCertificateHashes value).
std::string certificate_sha256_hex(X509* cert);
std::string certificate_sha256_base64(X509* cert);

// Seconds since the epoch; 0 if the time cannot be read.
std::int64_t asn1_time_to_unix(const ASN1_TIME* time);
std::string unix_to_iso8601(std::int64_t seconds);

}  // namespace laneway::certs
