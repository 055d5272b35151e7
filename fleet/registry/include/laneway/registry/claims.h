// Provisioning claims: a claim certificate (OU=claim, CN=<batch>) that a production batch
// shares may provision up to `allowed` devices until `expires_at`, while `active`. The
// registry counts the uses and remembers every provisioned public key so a CSR cannot be
// replayed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace laneway::registry {

enum class ClaimStatus { kActive, kDisabled };

const char* to_string(ClaimStatus status);

struct Claim {
  std::string batch;  // the claim certificate's CN; 1..64 of [A-Za-z0-9._-]
  std::int64_t allowed = 0;
  std::int64_t used = 0;
  std::int64_t expires_at_s = 0;    // Unix seconds; the claim refuses from then on
  std::vector<std::string> groups;  // given to every device provisioned through it
  ClaimStatus status = ClaimStatus::kActive;
  std::int64_t created_at_s = 0;
  std::int64_t updated_at_s = 0;
};

enum class ClaimLookupStatus { kFound, kNotFound, kError };

struct ClaimLookup {
  ClaimLookupStatus status = ClaimLookupStatus::kError;
  Claim claim;
  std::string error;
};

// A device asking to be provisioned through a claim.
struct ClaimRequest {
  std::string batch;
  std::string device_id;
  std::string key_sha256;  // SHA-256 (hex) of the CSR's SubjectPublicKeyInfo DER
  std::int64_t now_s = 0;
};

// What `sign` issued; the registry stores it with the device.
struct ClaimIssued {
  std::string cert_serial;
  std::int64_t not_after_s = 0;
};

// Called inside the registration transaction with the groups the device gets. False
// (with `error`) aborts the registration.
using ClaimSigner = std::function<bool(const std::vector<std::string>& groups, ClaimIssued* out,
                                       std::string* error)>;
// Called when the registration fails after `sign` succeeded.
using ClaimUndo = std::function<void(const ClaimIssued& issued)>;

// Why a registration was refused. Each has a stable text (claim_refusal_code) that the
// provisioning service puts in its reply.
enum class ClaimRefusal {
  kNone,
  kUnknownClaim,
  kClaimDisabled,
  kClaimExpired,
  kClaimExhausted,
  kIdTaken,
  kReplay,
  kSignFailed,  // `sign` said no (its error is the message)
  kError,       // the database failed
};

const char* claim_refusal_code(ClaimRefusal refusal);

struct ClaimOutcome {
  ClaimRefusal refusal = ClaimRefusal::kError;
  std::string message;  // one line, set when refused
  ClaimIssued issued;   // set when accepted
  std::vector<std::string> groups;
};

}  // namespace laneway::registry
