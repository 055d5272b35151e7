#include "claim_rate_limiter.h"

#include <algorithm>

namespace laneway::fleet {

ClaimRateLimiter::ClaimRateLimiter(double rate, double burst, std::size_t max_batches)
    : rate_(rate), burst_(std::max(1.0, burst)), max_batches_(max_batches) {}

bool ClaimRateLimiter::allow(const std::string& batch, Clock::time_point now) {
  auto it = buckets_.find(batch);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_batches_) {
      // Forget buckets that have refilled completely: they carry no state.
      std::erase_if(buckets_, [&](const auto& entry) {
        const double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
        return entry.second.tokens + elapsed * rate_ >= burst_;
      });
      if (buckets_.size() >= max_batches_) return false;
    }
    it = buckets_.emplace(batch, Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(burst_, bucket.tokens + std::max(0.0, elapsed) * rate_);
  bucket.updated = now;
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace laneway::fleet
