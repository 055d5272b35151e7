// GET /api/info (lanes in preference order with their URLs). /healthz and /metrics are on
// the admin listener (admin_routes.cc).
#include <nlohmann/json.hpp>
#include <string>

#include "header_only_route.h"
#include "http_util.h"
#include "lws_callback_guard.h"
#include "server.h"
#include "wt_service.h"

namespace laneway::bridge {
namespace {

// `wt` entry: the UDP port may differ from the HTTPS one, so the URL is the advertised host
// with the WebTransport port (or webtransport.public_url); the hashes are what
// `new WebTransport(url, {serverCertificateHashes})` takes, current certificate first.
nlohmann::json wt_transport(Server& server, const WtService& wt, const std::string& https_base) {
  std::string base = server.config().webtransport.public_url;
  if (base.empty()) {
    // https://host[:port] → https://host:<udp port>
    std::string host = https_base.substr(8);
    const std::size_t bracket = host.rfind(']');
    const std::size_t colon = host.rfind(':');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
      host.resize(colon);
    }
    base = "https://" + host + ":" + std::to_string(wt.port());
  }
  nlohmann::json hashes = nlohmann::json::array();
  for (const std::string& h : wt.certificate_hashes()) {
    hashes.push_back({{"algorithm", "sha-256"}, {"value", h}});
  }
  return {{"name", "wt"}, {"url", base + "/v1/wt"}, {"serverCertificateHashes", hashes}};
}

std::string api_info(Server& server, struct lws* wsi) {
  const std::string base = server.base_url(wsi);
  std::string ws_base = base;
  ws_base.replace(0, 5, "wss");  // https → wss
  nlohmann::json info;
  info["version"] = kBridgeVersion;
  // Preference order (docs/sdk.md "Lane selection"): wt, ws, sse. `wt` joins when that lane is
  // enabled; lanes switched off in the config are left out.
  const LaneSwitches& lanes = server.config().lanes;
  auto transports = nlohmann::json::array();
  if (const WtService* wt = server.webtransport())
    transports.push_back(wt_transport(server, *wt, base));
  if (lanes.ws) transports.push_back({{"name", "ws"}, {"url", ws_base + "/v1/ws"}});
  if (lanes.sse) {
    transports.push_back(
        {{"name", "sse"}, {"url", base + "/v1/sse"}, {"callUrl", base + "/v1/call"}});
  }
  info["transports"] = std::move(transports);
  info["maxFrameBytes"] = server.config().limits.max_frame_bytes;
  if (!server.config().replicas.empty()) info["replicas"] = server.config().replicas;
  return info.dump();
}

int serve(struct lws* wsi, http::PendingResponse& response) {
  Server& server = Server::from(wsi);
  const std::string path = http::request_path(wsi);
  if (http::request_method(wsi) != http::Method::kGet) {
    return http::respond(wsi, response, 405, "text/plain", "GET only\n");
  }
  if (path == "/api/info") {
    return http::respond(wsi, response, 200, "application/json", api_info(server, wsi),
                         {{"access-control-allow-origin", "*"}, {"cache-control", "no-store"}});
  }
  return http::respond(wsi, response, 404, "text/plain", "not found\n");
}

}  // namespace

const struct lws_protocols kInfoRoutesProtocol = {
    "laneway-info",
    guarded_lws_callback<http::header_only_route<serve>>,
    sizeof(http::HeaderOnlyRouteSession),
    0,
    0,
    nullptr,
    0};

}  // namespace laneway::bridge
