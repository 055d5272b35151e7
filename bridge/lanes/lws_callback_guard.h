// Every lws protocol handler of the bridge is registered as guarded_lws_callback<handler>,
// every lws timer as guarded_lws_timer<handler>:
// an exception from the handler closes that connection (lws closes a wsi whose callback
// returns -1), never the process (docs/architecture.md "C boundaries").
#pragma once

#include <libwebsockets.h>

#include <cstddef>

#include "c_callback.h"

namespace laneway::bridge {

template <lws_callback_function* Handler>
int guarded_lws_callback(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                         std::size_t len) noexcept {
  return run_c_callback("a libwebsockets callback", -1,
                        [&] { return Handler(wsi, reason, user, in, len); });
}

// lws timers (lws_sul) are process-wide ticks, not a connection: a throwing one is logged
// and the loop goes on. Each ticker re-arms itself before its work, so it keeps ticking.
template <void (*Handler)(lws_sorted_usec_list_t*)>
void guarded_lws_timer(lws_sorted_usec_list_t* sul) noexcept {
  run_c_callback("a libwebsockets timer", false, [&] {
    Handler(sul);
    return true;
  });
}

}  // namespace laneway::bridge
