// GET / and every path no other route claims: the dashboard and the SDK bundle from the
// configured `web_root` (docs/bridge.md, "Static files"). Without a web_root it answers 404
// with a line saying so. Files are revalidated on every load (`no-cache` + ETag → 304), so a
// rebuilt dashboard shows up at once without stale caches.
#include <string>

#include "header_only_route.h"
#include "http_util.h"
#include "lws_callback_guard.h"
#include "server.h"
#include "static_files.h"

namespace laneway::bridge {
namespace {

// The dashboard talks only to its own origin (HTTPS, WSS, WebTransport); nothing inline.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; connect-src 'self' https: wss:; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

int serve(struct lws* wsi, http::PendingResponse& response) {
  const BridgeConfig& config = Server::from(wsi).config();
  if (http::request_method(wsi) != http::Method::kGet) {
    return http::respond(wsi, response, 405, "text/plain", "GET only\n");
  }
  if (config.web_root.empty()) {
    return http::respond(wsi, response, 404, "text/plain",
                         "not found (this bridge has no web_root configured)\n");
  }
  const std::string if_none_match = http::header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, 128);
  StaticFile file = load_static_file(config.web_root, http::request_path(wsi), if_none_match);
  if (file.status == 404) return http::respond(wsi, response, 404, "text/plain", "not found\n");
  http::Headers headers{{"cache-control", "no-cache"},
                        {"etag", file.etag},
                        {"x-content-type-options", "nosniff"},
                        {"referrer-policy", "no-referrer"}};
  if (file.content_type.rfind("text/html", 0) == 0) {
    headers.emplace_back("content-security-policy", kContentSecurityPolicy);
  }
  return http::respond(wsi, response, file.status, file.content_type.c_str(), std::move(file.body),
                       headers);
}

}  // namespace

const struct lws_protocols kStaticRoutesProtocol = {
    "laneway-static",
    guarded_lws_callback<http::header_only_route<serve>>,
    sizeof(http::HeaderOnlyRouteSession),
    0,
    0,
    nullptr,
    0};

}  // namespace laneway::bridge
