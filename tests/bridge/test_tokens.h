// Test-only JWT minting with OpenSSL directly (not libjwt), so the bridge's verifier is
// checked against independently produced RFC 7515 tokens.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace laneway::bridge::testing {

struct KeyPairPem {
  std::string private_pem;
  std::string public_pem;
};

KeyPairPem make_rsa_key();
KeyPairPem make_ec_p256_key();

std::string base64url(const std::string& bytes);

// alg: HS256 (key = secret), RS256 / ES256 (key = private PEM), or "none".
std::string mint_token(const std::string& alg, const std::string& key, const nlohmann::json& claims,
                       nlohmann::json header = nlohmann::json::object());

inline constexpr const char* kTestSecret = "0123456789abcdef0123456789abcdef-test-secret";

}  // namespace laneway::bridge::testing
