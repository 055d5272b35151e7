#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and runs the whole system
# (scripts/start.sh: PKI on the first run, broker with plugin, bridge, demo devices).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec scripts/start.sh build run
