// GET /healthz and GET /metrics, served only on the admin listener and, when admin.token is
// set, only to requests bearing it (docs/bridge.md "The admin listener"): how loaded the
// bridge is, with what, and whether it is draining is for operators and their load
// balancers and Prometheus, not for anyone who can reach the public port.
#include <nlohmann/json.hpp>
#include <string>

#include "bearer_token.h"
#include "header_only_route.h"
#include "http_util.h"
#include "lws_callback_guard.h"
#include "server.h"
#include "wt_service.h"

namespace laneway::bridge {
namespace {

// "Bearer " and the longest token config accepts, with room for spaces: a longer header
// cannot match and is not copied.
constexpr std::size_t kMaxAuthorization = kMaxAdminTokenBytes + 64;

int serve(struct lws* wsi, http::PendingResponse& response) {
  Server& server = Server::from(wsi);
  const std::string& token = server.config().admin.token;
  // The token is checked before method and path, so without it nothing is learnt, not even
  // which paths exist.
  if (!token.empty()) {
    const std::string presented =
        http::header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, kMaxAuthorization);
    if (!bearer_token_matches(presented, token)) {
      // RFC 6750 section 3: a request that sent a token learns that it was the wrong one.
      const char* challenge = presented.empty()
                                  ? "Bearer realm=\"laneway-admin\""
                                  : "Bearer realm=\"laneway-admin\", error=\"invalid_token\"";
      return http::respond(wsi, response, 401, "text/plain", "bearer token required\n",
                           {{"www-authenticate", challenge}, {"cache-control", "no-store"}});
    }
  }
  if (http::request_method(wsi) != http::Method::kGet) {
    return http::respond(wsi, response, 405, "text/plain", "GET only\n");
  }
  const std::string path = http::request_path(wsi);
  if (path == "/healthz") {
    // 503 while draining, so a load balancer sends no new clients to a replica going down.
    const bool draining = server.draining();
    const nlohmann::json health{{"status", draining ? "draining" : "ok"},
                                {"broker_connected", server.broker_connected()},
                                {"sessions", server.hub().session_count()}};
    return http::respond(wsi, response, draining ? 503 : 200, "application/json", health.dump(),
                         {{"cache-control", "no-store"}});
  }
  if (path == "/metrics") {
    std::string text = server.hub().render_metrics();
    if (const WtService* wt = server.webtransport())
      render_webtransport_metrics(text, wt->sample());
    return http::respond(wsi, response, 200, "text/plain; version=0.0.4", text,
                         {{"cache-control", "no-store"}});
  }
  return http::respond(wsi, response, 404, "text/plain", "not found\n");
}

int admin_callback(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                   std::size_t len) {
  // Plain HTTP only: a WebSocket upgrade on this port is refused instead of becoming an
  // idle connection nobody reads.
  if (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION) return 1;
  return http::header_only_route<serve>(wsi, reason, user, in, len);
}

}  // namespace

const struct lws_protocols kAdminRoutesProtocol = {"laneway-admin",
                                                   guarded_lws_callback<admin_callback>,
                                                   sizeof(http::HeaderOnlyRouteSession),
                                                   0,
                                                   0,
                                                   nullptr,
                                                   0};

}  // namespace laneway::bridge
