// The libwebsockets callback shared by routes that answer a request from its method, path
// and headers alone (no request body): /api/info, /healthz, /metrics and the static files.
// Each route supplies only its `answer`; this owns the per-request state and the write loop.
#pragma once

#include <libwebsockets.h>

#include <cstddef>

#include "http_util.h"

namespace laneway::bridge::http {

// Writes status and headers with respond() and leaves the body pending on `response`.
using Answer = int (*)(struct lws* wsi, PendingResponse& response);

// What lws allocates (zeroed, never constructed) per connection for such a route: the
// response lives on the heap so its std::string is properly constructed and destroyed.
struct HeaderOnlyRouteSession {
  PendingResponse* response;
};

template <Answer answer>
int header_only_route(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                      std::size_t len) {
  auto* pss = static_cast<HeaderOnlyRouteSession*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      delete pss->response;  // keep-alive: the previous request's response is finished
      pss->response = new PendingResponse();
      return answer(wsi, *pss->response);
    case LWS_CALLBACK_HTTP_WRITEABLE:
      if (!pss->response) return -1;
      return write_pending(wsi, *pss->response);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (pss) {
        delete pss->response;
        pss->response = nullptr;
      }
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

}  // namespace laneway::bridge::http
