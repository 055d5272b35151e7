// Per-app JWT verification (HS256, RS256, ES256 through libjwt) and the claims laneway
// reads from a token.
//
// Claims: `sub` (string, required), `exp` (seconds, required), `app` (string, required,
// must equal the app id), optional `nbf`; optional `subscribe`, `publish` and `rpc`: arrays
// of MQTT filters that narrow what the app allows (absent = the app's filters; empty array =
// nothing). `rpc` filters match RPC request topics `devices/<id>/rpc/<method>`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"

namespace laneway::bridge {

struct TokenClaims {
  std::string subject;
  std::int64_t expires_at_s = 0;
  bool subscribe_claimed = false;  // token has a `subscribe` claim
  std::vector<std::string> subscribe;
  bool publish_claimed = false;
  std::vector<std::string> publish;
  bool rpc_claimed = false;
  std::vector<std::string> rpc;
};

enum class TokenError {
  kOk = 0,
  kMalformed,     // not a compact JWS, bad base64/JSON, or too long
  kAlgorithm,     // alg not configured for this app (incl. "none" and alg confusion)
  kBadSignature,  // no configured key verifies it
  kExpired,       // exp in the past
  kNotYetValid,   // nbf in the future
  kWrongApp,      // app claim missing or another app
  kBadClaims,     // sub/exp missing, or subscribe/publish/rpc not arrays of valid filters
};

const char* describe(TokenError error);

inline constexpr std::size_t kMaxTokenBytes = 8192;

TokenError verify_token(const AppConfig& app, std::string_view token, std::int64_t now_s,
                        TokenClaims& claims);

}  // namespace laneway::bridge
