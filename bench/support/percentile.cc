#include "percentile.h"

#include <algorithm>
#include <cstddef>

namespace laneway::bench {

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return -1;
  const auto at = static_cast<std::size_t>(q * static_cast<double>(sorted.size()));
  return sorted[std::min(sorted.size() - 1, at)];
}

}  // namespace laneway::bench
