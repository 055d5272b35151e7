#!/usr/bin/env bash
# Configures and builds laneway into build/ (or $LANEWAY_BUILD_DIR). Extra arguments go to
# the configure step, e.g. -DLANEWAY_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${LANEWAY_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" ${LANEWAY_BUILD_TARGET:+--target $LANEWAY_BUILD_TARGET}

# The web files the bridge serves from its web_root (docs/dashboard.md).
if [ -z "${LANEWAY_BUILD_TARGET:-}" ]; then
  scripts/build_web.sh "$build_dir/web"
fi
