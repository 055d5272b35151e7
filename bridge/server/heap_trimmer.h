// Hands freed heap memory back to the kernel after bursts. Every TLS handshake allocates
// tens of KB of short-lived buffers between the small allocations that stay with each
// connection; once a burst of connections (a reconnect storm) is over, those freed
// buffers sit as holes in glibc's heap that still count as resident memory. glibc only
// returns the heap's top, so the bridge asks it (malloc_trim) to release the whole free
// pages inside the heap as well, when enough is free to be worth it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace laneway::bridge {

class HeapTrimmer {
 public:
  // Checks the allocator's free bytes (cheap) and trims when they exceed both
  // `min_free_bytes` and a quarter of what is in use, at most once per `min_interval_us`.
  // Returns true when it trimmed.
  bool maybe_trim(std::int64_t now_us);

  static constexpr std::size_t kMinFreeBytes = 4u << 20;
  static constexpr std::int64_t kMinIntervalUs = 2'000'000;

 private:
  std::int64_t last_trim_us_ = 0;
};

}  // namespace laneway::bridge
