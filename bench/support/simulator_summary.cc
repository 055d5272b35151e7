#include "simulator_summary.h"

#include <cstdlib>
#include <sstream>

namespace laneway::bench {

std::map<std::string, double> parse_simulator_summary(const std::string& output) {
  std::map<std::string, double> values;
  const auto start = output.rfind("summary ");
  if (start == std::string::npos) return values;
  std::istringstream line(output.substr(start + 8, output.find('\n', start) - start - 8));
  for (std::string field; line >> field;) {
    const auto eq = field.find('=');
    if (eq != std::string::npos) values[field.substr(0, eq)] = std::atof(field.c_str() + eq + 1);
  }
  return values;
}

}  // namespace laneway::bench
