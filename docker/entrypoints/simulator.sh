#!/usr/bin/env bash
# `simulator` service: a simulated fleet that provisions itself through the claim flow
# (only the CA certificate and the claim certificate are used from /pki), then publishes
# telemetry, answers RPCs and broadcasts. Identities persist in /data/claimed.
set -euo pipefail
exec laneway-fleet simulate --devices "${LANEWAY_DEVICES:-20}" --pki /pki \
  --claim "/pki/claims/${LANEWAY_CLAIM:-compose-claim}" --store /data/claimed \
  --host "${LANEWAY_BROKER_HOST:-broker}" --port 8883 ${LANEWAY_MORE_BROKERS:+--also $LANEWAY_MORE_BROKERS} \
  --prefix "${LANEWAY_DEVICE_PREFIX:-dev-}" --group demo \
  --rate "${LANEWAY_RATE:-0.5}" --stats-interval 30
