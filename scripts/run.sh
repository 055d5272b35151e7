#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and runs the system.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
echo "laneway: built. The wire codec is ready (build/tests/wire_tests);"
echo "broker, bridge and fleet start here as their parts land."
