#!/usr/bin/env bash
# Bundles the web files the bridge serves from its web_root (docs/dashboard.md) into OUTDIR:
# the SDK as one ES module (OUTDIR/sdk/laneway.js) and the dashboard (OUTDIR/index.html,
# assets/), with esbuild from the npm projects' node_modules (scripts/deps.sh installs them;
# the container image's web stage runs `npm ci` itself). Built, never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/build_web.sh OUTDIR" >&2; exit 2; }
for project in bridge/web/sdk bridge/web/dashboard; do
  [ -d "$project/node_modules" ] || { echo "build: $project/node_modules missing; run scripts/deps.sh" >&2; exit 1; }
done
mkdir -p "$1"
out="$(cd "$1" && pwd)"  # absolute: npm runs scripts in the package folder
find "$out" -mindepth 1 -delete
npm --prefix bridge/web/sdk run --silent bundle -- --outdir "$out"
npm --prefix bridge/web/dashboard run --silent build -- --outdir "$out"
