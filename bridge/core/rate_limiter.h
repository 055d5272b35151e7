// Token bucket: `rate_per_s` sustained, `burst` at once. Time is passed in so tests and
// the event loop share one clock.
#pragma once

#include <algorithm>
#include <cstdint>

namespace laneway::bridge {

class RateLimiter {
 public:
  RateLimiter(double rate_per_s, double burst)
      : rate_per_s_(rate_per_s), burst_(burst), tokens_(burst) {}

  // Takes one token at `now_us`. Returns 0 when allowed, else how many milliseconds until
  // a token is available (at least 1).
  std::uint32_t take(std::int64_t now_us) {
    refill(now_us);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return 0;
    }
    if (rate_per_s_ <= 0) return 1000;
    const double wait_ms = (1.0 - tokens_) * 1000.0 / rate_per_s_;
    return static_cast<std::uint32_t>(std::max(1.0, wait_ms + 0.999));
  }

 private:
  void refill(std::int64_t now_us) {
    if (last_us_ == 0) last_us_ = now_us;
    if (now_us > last_us_) {
      tokens_ = std::min(burst_, tokens_ + (now_us - last_us_) * rate_per_s_ / 1e6);
      last_us_ = now_us;
    }
  }

  double rate_per_s_;
  double burst_;
  double tokens_;
  std::int64_t last_us_ = 0;
};

}  // namespace laneway::bridge
