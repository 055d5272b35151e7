// simulate --claim: devices get their identity the way real ones do. A device whose
// certificate is already in the store (an earlier run) uses it; every other device makes
// a key and CSR, provisions itself through the claim flow (`serve` signs and registers),
// and stores what it got. Nothing here touches the CA or the registry.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "claim_client.h"
#include "device_credentials.h"

namespace laneway::fleet {

struct ClaimSummary {
  int already_provisioned = 0;
  int provisioned = 0;
  int failed = 0;
  double seconds = 0;         // the claim phase, wall clock
  std::string first_failure;  // "id: reason" of the first failure, for the log
};

// Fills `out` with the devices that have an identity afterwards (failures are counted and
// left out). False with `error` only when nothing can work (store unusable).
bool claim_device_credentials(const ClaimClientOptions& options, const std::string& store_dir,
                              const std::vector<std::string>& ids, std::vector<DeviceFiles>* out,
                              ClaimSummary* summary, const std::atomic<bool>& stop,
                              std::string* error);

}  // namespace laneway::fleet
