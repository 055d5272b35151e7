#!/usr/bin/env bash
# `broker` service (and the cluster profile's cores and edges): mosquitto with the laneway
# plugin, config written by the pki job.
set -euo pipefail
exec mosquitto -c "${LANEWAY_BROKER_CONF:-/data/mosquitto.conf}"
