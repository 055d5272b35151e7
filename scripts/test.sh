#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
#  1. the unit suites under ASan+UBSan (build-asan/), so decoders meet garbage with
#     sanitizers watching;
#  2. everything, unit and integration, in the normal build (build/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

echo "== unit tests, ASan + UBSan build"
LANEWAY_BUILD_DIR=build-asan LANEWAY_BUILD_TARGET=unit_tests scripts/build.sh \
  -DLANEWAY_SANITIZE=ON -DLANEWAY_BUILD_BENCH=OFF
(cd build-asan && ctest --output-on-failure -L unit -j"$(nproc)")

echo "== all tests, release build"
scripts/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)")
