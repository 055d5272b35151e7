// The latency summary every benchmark prints: the value at quantile `q` of a sample.
#pragma once

#include <vector>

namespace laneway::bench {

// `sorted` ascending; q in [0, 1]. -1 for an empty sample.
double percentile(const std::vector<double>& sorted, double q);

}  // namespace laneway::bench
