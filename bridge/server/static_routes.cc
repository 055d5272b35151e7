// GET / and every path no other route claims: the dashboard and the SDK bundle from the
// configured `web_root` (docs/bridge.md, "Static files"). Without a web_root it answers 404
// with a line saying so. Files are revalidated on every load (`no-cache` + ETag → 304), so a
// rebuilt dashboard shows up at once without stale caches.
#include <string>

#include "http_util.h"
#include "server.h"
#include "static_files.h"

namespace laneway::bridge {
namespace {

struct PerRequest {
  http::PendingResponse response;
};
struct PerSession {
  PerRequest* req;
};

// The dashboard talks only to its own origin (HTTPS, WSS, WebTransport); nothing inline.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; connect-src 'self' https: wss:; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

int serve(struct lws* wsi, PerRequest& req) {
  const BridgeConfig& config = Server::from(wsi).config();
  if (http::request_method(wsi) != http::Method::kGet) {
    return http::respond(wsi, req.response, 405, "text/plain", "GET only\n");
  }
  if (config.web_root.empty()) {
    return http::respond(wsi, req.response, 404, "text/plain",
                         "not found (this bridge has no web_root configured)\n");
  }
  const std::string if_none_match = http::header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, 128);
  StaticFile file = load_static_file(config.web_root, http::request_path(wsi), if_none_match);
  if (file.status == 404) return http::respond(wsi, req.response, 404, "text/plain", "not found\n");
  http::Headers headers{{"cache-control", "no-cache"},
                        {"etag", file.etag},
                        {"x-content-type-options", "nosniff"},
                        {"referrer-policy", "no-referrer"}};
  if (file.content_type.rfind("text/html", 0) == 0) {
    headers.emplace_back("content-security-policy", kContentSecurityPolicy);
  }
  return http::respond(wsi, req.response, file.status, file.content_type.c_str(),
                       std::move(file.body), headers);
}

int callback_static(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                    std::size_t len) {
  auto* pss = static_cast<PerSession*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      delete pss->req;
      pss->req = new PerRequest();
      return serve(wsi, *pss->req);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      if (!pss->req) return -1;
      return http::write_pending(wsi, pss->req->response);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (pss) {
        delete pss->req;
        pss->req = nullptr;
      }
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace

const struct lws_protocols kStaticRoutesProtocol = {
    "laneway-static", callback_static, sizeof(PerSession), 0, 0, nullptr, 0};

}  // namespace laneway::bridge
