#!/usr/bin/env bash
# Configures and builds laneway into build/ (or $LANEWAY_BUILD_DIR). Extra arguments go to
# the configure step, e.g. -DLANEWAY_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${LANEWAY_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" ${LANEWAY_BUILD_TARGET:+--target $LANEWAY_BUILD_TARGET}

# The web files the bridge serves from its web_root (docs/dashboard.md): the SDK as one ES
# module (build/web/sdk/laneway.js) and the dashboard (build/web/index.html, assets/), bundled
# with esbuild from the npm projects scripts/deps.sh installed. Built, never committed.
if [ -z "${LANEWAY_BUILD_TARGET:-}" ]; then
  web_out="$(cd "$build_dir" && pwd)/web"  # absolute: npm runs scripts in the package folder
  for project in bridge/web/sdk bridge/web/dashboard; do
    [ -d "$project/node_modules" ] || { echo "build: $project/node_modules missing; run scripts/deps.sh" >&2; exit 1; }
  done
  rm -rf "$web_out"
  npm --prefix bridge/web/sdk run --silent bundle -- --outdir "$web_out"
  npm --prefix bridge/web/dashboard run --silent build -- --outdir "$web_out"
fi
