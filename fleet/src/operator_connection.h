// The connection flags every operator command shares (--pki, --host, --port, --operator)
// and the one way they turn into a connected OperatorClient.
#pragma once

#include <memory>
#include <string>

#include "operator_client.h"

namespace CLI {
class App;
}

namespace laneway::fleet {

struct ConnectionFlags {
  std::string pki = "pki";
  std::string host = "127.0.0.1";
  int port = 8883;
  std::string operator_name = "admin";
  int connect_timeout_ms = 5000;
};

void add_connection_flags(CLI::App* cmd, ConnectionFlags& flags);

// Connected client, or nullptr after printing the command's one-line error (with
// `report` false the error is only returned in `error`, for optional lookups).
std::unique_ptr<OperatorClient> connect(const std::string& command, const ConnectionFlags& flags,
                                        bool report = true, std::string* error = nullptr);

}  // namespace laneway::fleet
