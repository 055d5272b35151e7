// The device side of claim provisioning, for many devices at once in one thread: each job
// connects with the shared claim certificate (client id = the device id), subscribes to its
// reply topic, publishes its CSR with an MQTT v5 response topic and correlation data, and
// waits for the service's reply. A bounded number of jobs are in flight; rate-limit
// refusals and transport failures are retried with backoff up to `max_attempts`.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "provisioning_protocol.h"

namespace laneway::fleet {

struct ClaimClientOptions {
  std::string host = "127.0.0.1";
  int port = 8883;
  std::string cafile;
  std::string claim_cert;
  std::string claim_key;
  std::string batch;  // the claim certificate's CN
  int max_in_flight = 16;
  int request_timeout_ms = 15000;  // connect + request + reply, per attempt
  int max_attempts = 5;
};

struct ClaimJob {
  std::string device_id;
  std::string csr_pem;
  // Outcome: done (with reply.ok, or a refusal in reply), or failed with `error`.
  bool done = false;
  ProvisionReply reply;
  std::string error;
  int attempts = 0;
};

// Runs every job to an outcome (or until `stop`). Jobs left unfinished get an error.
void run_claim_jobs(const ClaimClientOptions& options, std::vector<ClaimJob>& jobs,
                    const std::atomic<bool>& stop);

// The claim certificate's CN (its batch), empty with `error` on failure.
std::string claim_batch_of(const std::string& cert_path, std::string* error);

}  // namespace laneway::fleet
