// Reads a few counters from laneway-bridge's /metrics (Prometheus text over HTTPS), so the
// benchmark can set what the bridge says it sent and dropped beside what the client counted.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace laneway::bench {

// GET https://127.0.0.1:<port>/metrics, <port> being the bridge's admin listener
// (certificate checked against `ca_file` for `server_name`), at most `timeout_ms`. Returns every
// sample line as name{labels} → value, or nullopt when the request failed.
std::optional<std::map<std::string, double>> fetch_metrics(int port, const std::string& server_name,
                                                           const std::string& ca_file,
                                                           int timeout_ms = 5000);

}  // namespace laneway::bench
