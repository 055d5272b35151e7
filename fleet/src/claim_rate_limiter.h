// Per-claim rate limit of the provisioning service: a token bucket per claim batch, so one
// leaked claim certificate cannot make the service sign at full speed. The table is bounded
// (batches are few; past the bound the fullest buckets are forgotten).
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

namespace laneway::fleet {

class ClaimRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `rate` requests per second sustained, `burst` at once.
  ClaimRateLimiter(double rate, double burst, std::size_t max_batches = 10000);

  // True (and one token spent) if `batch` may make a request now.
  bool allow(const std::string& batch, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  double rate_;
  double burst_;
  std::size_t max_batches_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace laneway::fleet
