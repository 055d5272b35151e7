#include "bearer_token.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>

namespace laneway::bridge {
namespace {

using Digest = unsigned char[SHA256_DIGEST_LENGTH];

void digest(std::string_view s, Digest out) {
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out);
}

}  // namespace

std::optional<std::string_view> bearer_credentials(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i])
      return std::nullopt;
  }
  std::string_view presented = authorization.substr(kScheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  return presented;
}

bool bearer_token_matches(std::string_view authorization, std::string_view expected) {
  if (expected.empty()) return false;
  const auto credentials = bearer_credentials(authorization);
  if (!credentials) return false;
  const std::string_view presented = *credentials;
  // Comparing digests, not the strings, keeps the token's length out of the timing as well:
  // both sides are always 32 bytes, compared without an early exit.
  Digest a;
  Digest b;
  digest(presented, a);
  digest(expected, b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

bool is_bearer_token_syntax(std::string_view token) {
  std::size_t i = 0;
  for (; i < token.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'))
      break;
  }
  if (i == 0) return false;
  for (; i < token.size(); ++i) {
    if (token[i] != '=') return false;
  }
  return true;
}

}  // namespace laneway::bridge
