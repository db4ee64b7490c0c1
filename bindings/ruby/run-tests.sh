#!/usr/bin/env bash
# Ruby binding tests (minitest) against the llmgw-mock upstream.
#
#   bindings/ruby/run-tests.sh [BUILD_DIR] [minitest options, e.g. -n /stream/]
#
# BUILD_DIR: the first argument (tests/run-all.sh passes build-ci/gcc), else
# $LLMGW_BUILD_DIR, else build-ci/gcc, the tree tests/run-all.sh builds. It must hold
# lib/libllmgw.so and examples/mock/llmgw-mock. Prints one line per test and ends with
# "N passed, N failed[, N skipped]"; exits 0 when nothing failed, 77 when Ruby, ruby-ffi
# or minitest is missing (Debian: ruby ruby-ffi ruby-minitest), 1 otherwise.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

build=${LLMGW_BUILD_DIR:-$root/build-ci/gcc}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  build=$1
  shift
fi

fail() { echo "bindings/ruby: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
skip() { echo "bindings/ruby: skipped: $*" >&2; echo "0 passed, 0 failed, 1 skipped"; exit 77; }

command -v ruby >/dev/null || skip "ruby is not installed"
ruby -e 'require "ffi"; require "minitest"' 2>/dev/null || skip "ruby-ffi or ruby-minitest is not installed"

abs=$(cd "$build" 2>/dev/null && pwd) || fail "build directory ${build} not found (run meson setup and ninja first)"
build=$abs
lib=$build/lib/libllmgw.so
mock=$build/examples/mock/llmgw-mock
[ -e "$lib" ] || fail "$lib not found"
[ -x "$mock" ] || fail "$mock not found (configure with -Dtests=true)"

export LLMGW_LIBRARY="$lib" LLMGW_BUILD_DIR="$build" LLMGW_MOCK="$mock"
unset LLMGW_LIB LLMGW_CONFIG
cd "$here" || fail "cannot enter $here"

# Bounded: the whole suite normally takes a few seconds.
timeout --kill-after=10 600 ruby -Ilib -Itest test/run.rb "$@"
rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
  echo "bindings/ruby: the suite did not finish within 600 s" >&2
  echo "0 passed, 1 failed"
fi
exit $rc
