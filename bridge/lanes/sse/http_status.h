// The HTTP status a refused request is answered with on the SSE + POST lane, from the typed
// error the hub refused it with (docs/bridge.md "Lanes").
#pragma once

#include "laneway.pb.h"

namespace laneway::bridge {

// A refused opening of a standalone event stream: 401, 403, 413, 429, 503, else 400.
unsigned http_status_for(v1::ErrorCode code);
// A refused connect over POST /v1/call: 503 when retrying later may work, else 403 (the
// protobuf body says exactly why).
unsigned connect_refusal_status(v1::ErrorCode code);

}  // namespace laneway::bridge
