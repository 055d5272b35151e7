#include "jwt_verifier.h"

#include <jwt.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "laneway/wire/base64.h"
#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {
namespace {

using nlohmann::json;

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct FreeDeleter {
  void operator()(char* p) const { free(p); }
};

// base64url without padding (RFC 7515 §2) → bytes.
bool base64url_decode(std::string_view in, std::string& out) {
  std::string standard(in);
  for (char& c : standard) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return false;
  }
  while (standard.size() % 4 != 0) standard.push_back('=');
  return wire::base64_decode(standard, out, kMaxTokenBytes) == wire::WireError::kOk;
}

jwt_alg_t to_libjwt(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::kHS256:
      return JWT_ALG_HS256;
    case JwtAlg::kRS256:
      return JWT_ALG_RS256;
    case JwtAlg::kES256:
      return JWT_ALG_ES256;
  }
  return JWT_ALG_INVAL;
}

bool read_filters(jwt_t* jwt, const char* name, bool& claimed, std::vector<std::string>& out) {
  std::unique_ptr<char, FreeDeleter> text(jwt_get_grants_json(jwt, name));
  claimed = text != nullptr;
  if (!claimed) return true;
  const json j = json::parse(text.get(), nullptr, false);
  if (!j.is_array()) return false;
  for (const auto& v : j) {
    if (!v.is_string()) return false;
    std::string f = v.get<std::string>();
    if (!wire::is_valid_filter(f) || f.front() == '$') return false;
    out.push_back(std::move(f));
  }
  return true;
}

// Time claims (seconds since the epoch) are clamped to year 0..9999: a JSON number outside
// int64 (1e300, 2^64-1) would otherwise convert with undefined behaviour, and the session
// core multiplies these by 10^6 (microseconds), which must not overflow either.
constexpr std::int64_t kMaxTimeClaimS = 253'402'300'799;  // 9999-12-31T23:59:59Z

bool read_time(jwt_t* jwt, const char* name, std::int64_t& out) {
  std::unique_ptr<char, FreeDeleter> text(jwt_get_grants_json(jwt, name));
  if (!text) return false;
  const json j = json::parse(text.get(), nullptr, false);
  if (!j.is_number()) return false;
  if (j.is_number_unsigned()) {
    out = j.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxTimeClaimS)
              ? kMaxTimeClaimS
              : static_cast<std::int64_t>(j.get<std::uint64_t>());
  } else if (j.is_number_integer()) {
    out = std::clamp<std::int64_t>(j.get<std::int64_t>(), -kMaxTimeClaimS, kMaxTimeClaimS);
  } else {
    const double d = j.get<double>();
    if (d != d) return false;  // NaN cannot come from JSON text, but refuse it anyway
    out = static_cast<std::int64_t>(std::clamp<double>(d, -kMaxTimeClaimS, kMaxTimeClaimS));
  }
  return true;
}

}  // namespace

const char* describe(TokenError error) {
  switch (error) {
    case TokenError::kOk:
      return "ok";
    case TokenError::kMalformed:
      return "malformed token";
    case TokenError::kAlgorithm:
      return "token algorithm not accepted for this app";
    case TokenError::kBadSignature:
      return "token signature does not verify";
    case TokenError::kExpired:
      return "token expired";
    case TokenError::kNotYetValid:
      return "token not yet valid";
    case TokenError::kWrongApp:
      return "token is for another app";
    case TokenError::kBadClaims:
      return "token claims missing or invalid";
  }
  return "token error";
}

TokenError verify_token(const AppConfig& app, std::string_view token, std::int64_t now_s,
                        TokenClaims& claims) {
  claims = TokenClaims{};
  if (token.empty() || token.size() > kMaxTokenBytes) return TokenError::kMalformed;
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) return TokenError::kMalformed;
  std::string header_bytes;
  if (!base64url_decode(token.substr(0, dot), header_bytes)) return TokenError::kMalformed;
  const json header = json::parse(header_bytes, nullptr, false);
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string()) {
    return TokenError::kMalformed;
  }
  const std::string alg = header["alg"].get<std::string>();
  const std::string kid =
      header.contains("kid") && header["kid"].is_string() ? header["kid"].get<std::string>() : "";

  // Only keys configured for exactly the algorithm the header names are tried, and the
  // decoded token must report that algorithm: this closes `alg: none` and the
  // RS256-public-key-as-HMAC-secret confusion.
  const std::string token_str(token);
  bool any_alg_match = false;
  JwtPtr verified;
  for (const JwtKey& key : app.keys) {
    if (alg != jwt_alg_name(key.alg)) continue;
    if (!kid.empty() && !key.kid.empty() && kid != key.kid) continue;
    any_alg_match = true;
    jwt_t* raw = nullptr;
    const int rc = jwt_decode(&raw, token_str.c_str(),
                              reinterpret_cast<const unsigned char*>(key.material.data()),
                              static_cast<int>(key.material.size()));
    JwtPtr candidate(raw);
    if (rc == 0 && candidate && jwt_get_alg(candidate.get()) == to_libjwt(key.alg)) {
      verified = std::move(candidate);
      break;
    }
  }
  if (!any_alg_match) return TokenError::kAlgorithm;
  if (!verified) return TokenError::kBadSignature;
  jwt_t* jwt = verified.get();

  const char* app_claim = jwt_get_grant(jwt, "app");
  if (!app_claim || app.id != app_claim) return TokenError::kWrongApp;
  const char* sub = jwt_get_grant(jwt, "sub");
  if (!sub || !*sub) return TokenError::kBadClaims;
  claims.subject = sub;
  if (!read_time(jwt, "exp", claims.expires_at_s)) return TokenError::kBadClaims;
  if (claims.expires_at_s <= now_s) return TokenError::kExpired;
  std::int64_t nbf = 0;
  if (read_time(jwt, "nbf", nbf) && nbf > now_s) return TokenError::kNotYetValid;
  if (!read_filters(jwt, "subscribe", claims.subscribe_claimed, claims.subscribe) ||
      !read_filters(jwt, "publish", claims.publish_claimed, claims.publish) ||
      !read_filters(jwt, "rpc", claims.rpc_claimed, claims.rpc)) {
    return TokenError::kBadClaims;
  }
  return TokenError::kOk;
}

}  // namespace laneway::bridge
