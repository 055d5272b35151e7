#include "heap_trimmer.h"

#include <malloc.h>

namespace laneway::bridge {

bool HeapTrimmer::maybe_trim(std::int64_t now_us) {
  if (now_us - last_trim_us_ < kMinIntervalUs) return false;
  const struct mallinfo2 info = mallinfo2();
  // fordblks: free bytes inside the arenas; uordblks: bytes in use.
  if (info.fordblks < kMinFreeBytes || info.fordblks < info.uordblks / 4) return false;
  last_trim_us_ = now_us;
  malloc_trim(0);
  return true;
}

}  // namespace laneway::bridge
