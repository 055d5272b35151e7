#!/usr/bin/env bash
# `bridge` service: laneway-bridge (WebSocket, SSE + POST, WebTransport) on 8443.
set -euo pipefail
exec laneway-bridge --config "${LANEWAY_BRIDGE_CONF:-/data/bridge.json}"
