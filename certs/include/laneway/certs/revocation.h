// Revoking certificates: marks index lines R and publishes a new CRL in one locked step.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

struct RevokeTarget {
  // An identity as the plugin spells it: "<device id>" or "<role>:<id>" (bridge:b1,
  // operator:alice, claim:batch-7, server:broker). Every valid certificate of it is revoked.
  std::optional<std::string> identity;
  std::optional<std::string> serial_hex;  // exactly one certificate
};

struct RevokeOutcome {
  std::vector<std::string> revoked;          // serials newly revoked
  std::vector<std::string> already_revoked;  // serials that were revoked before
};

// Fails (and changes nothing) when the target matches no issued certificate.
Result<RevokeOutcome> revoke(const CaStore& ca, const RevokeTarget& target,
                             int crl_days = kDefaultCrlDays);

}  // namespace laneway::certs
