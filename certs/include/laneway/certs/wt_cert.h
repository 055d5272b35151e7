// The short-lived certificate for WebTransport: browsers accept a self-hosted server through
// `serverCertificateHashes` only for an ECDSA P-256 certificate valid at most 14 days, and
// match it by the SHA-256 of its DER, which the bridge serves in /api/info.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/issuer.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

inline constexpr int kMaxWtDays = 14;
inline constexpr int kDefaultWtDays = 13;

struct WtCertRequest {
  int days = kDefaultWtDays;
  std::vector<std::string> dns_names;               // empty (with no IPs) = localhost
  std::vector<std::string> ip_addresses;            // empty (with no DNS) = 127.0.0.1 and ::1
  std::optional<std::filesystem::path> out_prefix;  // unset = <dir>/wt/wt
};

struct WtCertificate {
  IssuedCertificate issued;
  std::string sha256_base64;  // the serverCertificateHashes value
};

// Always replaces the previous wt certificate (rotation is the point).
Result<WtCertificate> issue_wt_cert(const CaStore& ca, const WtCertRequest& request);

}  // namespace laneway::certs
