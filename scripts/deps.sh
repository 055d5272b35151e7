#!/usr/bin/env bash
# Installs every Debian package laneway needs to build, run and test. Idempotent: when all
# packages are present it asks apt nothing. Later parts add to PACKAGES and NPM_PROJECTS.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config clang-format
  # wire
  libprotobuf-dev protobuf-compiler
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # PKI, registry, CLI, config
  libssl-dev libsqlite3-dev libcli11-dev nlohmann-json3-dev openssl
  # broker and plugin
  mosquitto mosquitto-dev libmosquitto-dev mosquitto-clients
  # bridge lanes
  libwebsockets-dev libngtcp2-dev libngtcp2-crypto-gnutls-dev libnghttp3-dev libgnutls28-dev
  libjwt-dev chromium chromium-driver
  libev-dev libwebsockets-evlib-ev
  # docker-compose.yml is checked with `docker-compose config` (no container engine needed)
  docker-compose
)

root="$(cd "$(dirname "$0")/.." && pwd)"

install_debian_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#PACKAGES[@]} Debian packages present"
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian enables and starts the packaged broker on install; laneway runs its own brokers
  # on its own ports, so the system one is stopped to keep 1883 free and quiet.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
    $sudo systemctl stop mosquitto || true
  fi
}

# npm projects (Node 20 and npm come with the machine image). `npm ci` runs only when the
# lock file is newer than the last install, so a second run costs nothing.
install_npm_project() {
  local dir="$root/$1"
  if [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    echo "deps: npm packages of $1 present"
    return 0
  fi
  echo "deps: npm ci in $1"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
}

install_debian_packages
NPM_PROJECTS=(bridge/web/sdk bridge/web/dashboard tests/bridge/browser tests/web/browser tests/webtransport bench/bridge)
for project in "${NPM_PROJECTS[@]}"; do
  [ -f "$root/$project/package-lock.json" ] && install_npm_project "$project"
done
exit 0
