#!/usr/bin/env bash
# Run one libFuzzer target: tests/fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
#   e.g. tests/fuzz/run.sh fuzz_aws_eventstream 600
# Builds build-fuzz/ (clang, -Dfuzzing=true, ASan + UBSan) when missing (BUILD= overrides the
# directory), seeds from tests/fuzz/corpus/<target minus "fuzz_">/ and keeps what the run finds
# in BUILD/corpus/<target>/ (crashes go to BUILD/artifacts/). Exit status: libFuzzer's.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: tests/fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: tests/fuzz/run.sh TARGET SECONDS}
shift 2
build=${BUILD:-build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbench=false -Dexamples=false >/dev/null
fi
meson compile -C "$build" "$target" >/dev/null
seeds="tests/fuzz/corpus/${target#fuzz_}"
work="$build/corpus/$target"
mkdir -p "$work" "$build/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$build/tests/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=512 -malloc_limit_mb=128 \
  -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$@" "$work" "$seeds"
