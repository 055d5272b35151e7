#!/usr/bin/env bash
# `fleet` service: the claim provisioning service (laneway-fleet serve) as operator:admin.
set -euo pipefail
exec laneway-fleet serve --pki /pki --registry /data/fleet.db --host "${LANEWAY_BROKER_HOST:-broker}" --port 8883 \
  --claim-rate "${LANEWAY_CLAIM_RATE:-50}" --claim-burst "${LANEWAY_CLAIM_BURST:-100}"
