#!/usr/bin/env bash
# Run the llmgw CLI's tests: the built `llmgw` driven as a subprocess against the llmgw-mock
# program (loopback only, no real keys).
#
#   examples/cli/run-tests.sh [BUILDDIR] [run.py args: -k PATTERN, test modules]
#
# BUILDDIR: the first argument (tests/run-all.sh passes build-ci/gcc), else $LLMGW_BUILD_DIR,
# else build-ci/gcc, configured and compiled the way tests/run-all.sh does. Prints one line per
# test and ends with "N passed, N failed[, N skipped]"; exits non-zero on any failure. Needs
# python3 (stdlib only); the Redis-backed cache and budget tests also use redis-server when it
# is installed (skipped otherwise).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-python3}

BUILD=""
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ] && [ -d "$1" ]; then
  BUILD=$1; shift
fi
BUILD=${BUILD:-${LLMGW_BUILD_DIR:-}}

if ! command -v "$PYTHON" >/dev/null; then
  echo "run-tests.sh: $PYTHON not found"
  echo "0 passed, 1 failed"
  exit 1
fi

if [ -z "$BUILD" ]; then
  BUILD="$ROOT/build-ci/gcc"
  echo "==> building $BUILD (gcc, -Dwerror=true, debugoptimized)"
  if [ -f "$BUILD/build.ninja" ]; then
    meson setup --reconfigure "$BUILD" -Dwerror=true -Dbuildtype=debugoptimized >/dev/null
  else
    meson setup "$BUILD" -Dwerror=true -Dbuildtype=debugoptimized >/dev/null
  fi || { echo "run-tests.sh: meson setup failed"; echo "0 passed, 1 failed"; exit 1; }
  meson compile -C "$BUILD" >/dev/null ||
    { echo "run-tests.sh: build failed"; echo "0 passed, 1 failed"; exit 1; }
fi
BUILD=$(cd "$BUILD" && pwd)

CLI="$BUILD/examples/cli/llmgw"
MOCK="$BUILD/examples/mock/llmgw-mock"
for f in "$CLI" "$MOCK"; do
  if [ ! -x "$f" ]; then
    echo "run-tests.sh: $f not found (is $BUILD a built llmgw tree with examples and tests enabled?)"
    echo "0 passed, 1 failed"
    exit 1
  fi
done

echo "==> cli: $CLI ($("$CLI" --version 2>&1)), python: $("$PYTHON" --version 2>&1)"
cd "$HERE" || exit 1
# Keep proxies from the environment off the loopback traffic (the tests' own urllib calls too).
exec env LLMGW_BUILD_DIR="$BUILD" LLMGW_CLI="$CLI" LLMGW_MOCK="$MOCK" \
  PYTHONDONTWRITEBYTECODE=1 \
  NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}" \
  no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}" \
  "$PYTHON" -X faulthandler tests/run.py "$@"
