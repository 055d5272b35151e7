// The provisioning service's decision for one request: rate limit, request shape, CSR
// checks, then the registry's all-or-nothing registration around the CA's signature. No
// MQTT here (serve_client does the transport), so the order of checks is all in one place.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "claim_rate_limiter.h"
#include "laneway/certs/ca_store.h"
#include "laneway/registry/registry.h"
#include "provisioning_protocol.h"

namespace laneway::fleet {

struct HandlerOptions {
  double claim_rate = 5;    // requests per second per claim, sustained
  double claim_burst = 20;  // at once
  int days = 0;             // device certificate validity; 0 = laneway_certs default
};

class ProvisioningHandler {
 public:
  ProvisioningHandler(certs::CaStore ca, std::unique_ptr<registry::Registry> registry,
                      HandlerOptions options);

  // `batch` and `client_id` come from the request topic (the plugin only lets claim
  // `<batch>` publish under its own `provision/<batch>/<client id>/`).
  ProvisionReply handle(const std::string& batch, const std::string& client_id,
                        std::string_view payload);

  registry::Registry& registry() { return *registry_; }
  std::uint64_t provisioned() const { return provisioned_; }
  const std::map<std::string, std::uint64_t>& refusals() const { return refusals_; }

 private:
  ProvisionReply refuse(std::string code, std::string message);

  certs::CaStore ca_;
  std::string ca_pem_;
  std::unique_ptr<registry::Registry> registry_;
  HandlerOptions options_;
  ClaimRateLimiter limiter_;
  std::uint64_t provisioned_ = 0;
  std::map<std::string, std::uint64_t> refusals_;  // by code
};

}  // namespace laneway::fleet
