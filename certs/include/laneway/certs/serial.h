// Certificate serial numbers: 128 random bits from the OpenSSL CSPRNG, top bit cleared so
// the DER INTEGER is positive and at most 16 bytes (RFC 5280 allows 20).
#pragma once

#include <string>
#include <string_view>

#include "laneway/certs/ossl.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

Result<Asn1IntegerPtr> random_serial();

// Upper-case hex in whole bytes (so "042F..." keeps its leading 0), exactly what BN_bn2hex
// prints: the form used in index.tsv, the registry and manifests, so any OpenSSL consumer
// can compare it verbatim.
std::string serial_to_hex(const ASN1_INTEGER* serial);

// Parses hex (either case, optional "0x", leading zeros allowed) into canonical form.
Result<std::string> canonical_serial_hex(std::string_view hex);

}  // namespace laneway::certs
