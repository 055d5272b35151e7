// The closing line of `laneway-fleet simulate` ("summary key=value ..."), as the benchmarks
// that drive the simulator read it.
#pragma once

#include <map>
#include <string>

namespace laneway::bench {

// Every key=value of the last summary line in `output`; empty when there is none.
std::map<std::string, double> parse_simulator_summary(const std::string& output);

}  // namespace laneway::bench
