#!/usr/bin/env bash
# `broker` service: mosquitto with the laneway plugin, config written by the pki job.
set -euo pipefail
exec mosquitto -c /data/mosquitto.conf
