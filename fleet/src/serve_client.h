// `laneway-fleet serve`'s MQTT side: one MQTT v5 client with an operator certificate, one
// thread. Subscribes to provisioning requests and presence, hands each request to the
// ProvisioningHandler and publishes its reply on the request's response topic with the
// request's correlation data; flushes presence to the registry periodically; reconnects
// with backoff.
#pragma once

#include <atomic>
#include <string>

#include "presence_recorder.h"
#include "provisioning_handler.h"

namespace laneway::fleet {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8883;
  std::string cafile;
  std::string certfile;
  std::string keyfile;
  std::string client_id = "laneway-provisioning";
  bool presence = true;         // record first/last seen from $lw/presence/+
  double presence_flush_s = 5;  // how often presence goes to the registry
};

// Runs until `stop`; returns 0, or 1 after a fatal setup error (printed once).
int run_serve(const ServeOptions& options, ProvisioningHandler& handler,
              const std::atomic<bool>& stop);

}  // namespace laneway::fleet
