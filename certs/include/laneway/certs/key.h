// Private key generation, PEM (de)serialisation and the key-strength policy that every
// certificate laneway-certs signs must meet.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "laneway/certs/ossl.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

enum class KeyAlgorithm { kEcP256, kRsa3072 };

Result<PKeyPtr> generate_key(KeyAlgorithm algorithm);

// PKCS#8 PEM; encrypted with AES-256-CBC when a passphrase is given.
Result<std::string> private_key_to_pem(EVP_PKEY* key,
                                       const std::optional<std::string>& passphrase = {});

// Never prompts on a terminal: an encrypted key without a passphrase, or with the wrong
// one, is an error naming `what` (e.g. the file) and the option that supplies it.
Result<PKeyPtr> private_key_from_pem(std::string_view pem,
                                     const std::optional<std::string>& passphrase,
                                     std::string_view what);

// Accepts RSA >= 2048 bits, EC on P-256/P-384/P-521, and Ed25519; anything else is "weak"
// or unknown and refused with a message naming what was found.
Status check_key_strength(EVP_PKEY* key);

// "EC P-256", "RSA 3072", ... for messages and docs.
std::string describe_key(EVP_PKEY* key);

}  // namespace laneway::certs
