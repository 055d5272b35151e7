#!/usr/bin/env bash
# Installs every Debian package laneway needs to build, run and test. Idempotent: when all
# packages are present it asks apt nothing and prints one line. Later parts add to PACKAGES.
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
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian enables and starts the packaged broker on install; laneway runs its own brokers
# on its own ports, so the system one is stopped to keep 1883 free and quiet.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  $SUDO systemctl stop mosquitto || true
fi
