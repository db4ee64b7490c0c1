#!/usr/bin/env bash
# Run the Python binding's tests against a built llmgw and the llmgw-mock program.
#
#   bindings/python/run-tests.sh [BUILDDIR] [run.py args: -k PATTERN, test modules]
#
# BUILDDIR: the first argument (tests/run-all.sh passes build-ci/gcc), else $LLMGW_BUILD_DIR,
# else build-ci/gcc, configured and compiled the way tests/run-all.sh does. The package runs
# from the source tree (PYTHONPATH), so neither pip nor setuptools is needed. Prints one line per
# test and ends with "N passed, N failed[, N skipped]"; exits non-zero on any failure.
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

LIB="$BUILD/lib/libllmgw.so.0"
MOCK="$BUILD/examples/mock/llmgw-mock"
for f in "$LIB" "$MOCK"; do
  if [ ! -e "$f" ]; then
    echo "run-tests.sh: $f not found (is $BUILD a built llmgw tree with tests enabled?)"
    echo "0 passed, 1 failed"
    exit 1
  fi
done

echo "==> python: $("$PYTHON" --version 2>&1), library: $LIB"
cd "$HERE" || exit 1
# The build's libllmgw is loaded by path; LD_LIBRARY_PATH only helps the system-loader
# fallback. Keep proxies from the environment off the loopback traffic.
exec env LLMGW_LIBRARY="$LIB" LLMGW_BUILD_DIR="$BUILD" LLMGW_MOCK="$MOCK" \
  PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
  NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}" \
  no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}" \
  "$PYTHON" -X faulthandler tests/run.py "$@"
