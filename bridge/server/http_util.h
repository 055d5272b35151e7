// Small helpers over libwebsockets' HTTP API shared by the HTTP lanes and routes: reading
// request headers and arguments, and sending a complete response with a body.
#pragma once

#include <libwebsockets.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace laneway::bridge::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

enum class Method { kGet, kPost, kOptions, kOther };

Method request_method(struct lws* wsi);
// The request path without the query string (h1 and h2).
std::string request_path(struct lws* wsi);
// A known header (e.g. WSI_TOKEN_ORIGIN), empty when absent or longer than `max`.
std::string header(struct lws* wsi, enum lws_token_indexes token, std::size_t max = 1024);
// A header lws does not know (name in lower case, without the colon). Always empty on an
// HTTP/2 stream with libwebsockets 4.1.6: it keeps no unknown header there (docs/bridge.md
// "HTTP/2"), so every such header needs a query-string twin.
std::string custom_header(struct lws* wsi, const char* name, std::size_t max = 1024);
// Every value of query argument `name` (URL-decoded by lws), in order; values longer than
// `max_each` are left out.
std::vector<std::string> query_args(struct lws* wsi, std::string_view name,
                                    std::size_t max_each = 8192);
std::optional<std::string> query_arg(struct lws* wsi, std::string_view name,
                                     std::size_t max = 8192);

// A response waiting for its body to be written from LWS_CALLBACK_HTTP_WRITEABLE.
struct PendingResponse {
  std::string body;
  std::size_t sent = 0;
  bool active = false;
};

// Writes status and headers now and queues `body` on `pending`; the lane's
// HTTP_WRITEABLE handler then calls write_pending. Returns -1 when the connection must close.
int respond(struct lws* wsi, PendingResponse& pending, unsigned status, const char* content_type,
            std::string body, const Headers& extra = {});
// Writes (part of) the pending body; returns -1 to close, 0 otherwise (and finishes the
// transaction once the body is out).
int write_pending(struct lws* wsi, PendingResponse& pending);

}  // namespace laneway::bridge::http
