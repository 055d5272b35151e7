// The WebTransport lane as a running service: the QUIC server bound to its UDP sockets, run
// inside the bridge's libwebsockets loop (WtEventLoop), its certificate watched for
// rotation (CertificateRotation), and the WtLane that connects its sessions to the hub.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "hub.h"
#include "laneway/webtransport/server.h"
#include "metrics.h"
#include "wt_certificate.h"
#include "wt_event_loop.h"
#include "wt_lane.h"

namespace laneway::bridge {

class WtService {
 public:
  WtService(const BridgeConfig& config, Hub& hub);
  ~WtService();
  WtService(const WtService&) = delete;
  WtService& operator=(const WtService&) = delete;

  // Binds the UDP sockets, loads the certificate and joins the lws loop through `vhost`.
  bool start(struct lws_context* context, struct lws_vhost* vhost, std::string& error);
  // Leaves the lws loop (before the context is destroyed) and ends every session.
  void stop();

  // For /api/info: the UDP port and the certificate hashes (current first).
  std::uint16_t port() const;
  std::vector<std::string> certificate_hashes() const;
  // For /metrics.
  WebTransportSample sample() const;

 private:
  void every_second();

  const BridgeConfig& config_;
  const WebTransportConfig& wt_config_;
  WtLane lane_;
  std::unique_ptr<webtransport::Server> server_;
  std::unique_ptr<WtEventLoop> loop_;
  std::unique_ptr<CertificateRotation> certificate_;
};

}  // namespace laneway::bridge
