#!/usr/bin/env bash
# Build and run the libFuzzer targets (clang, ASan + UBSan, cJSON instrumented).
#
#   tests/fuzz/run.sh [SECONDS]          every target for SECONDS (default 600), JOBS at a time
#   tests/fuzz/run.sh TARGET SECONDS [libFuzzer flags...]    one target
#   tests/fuzz/run.sh --smoke            CI: replay every corpus once, then every target over its
#                                        seeds plus SMOKE_RUNS inputs (default 5000; at most
#                                        SMOKE_SECONDS, default 30), JOBS at a time
#   tests/fuzz/run.sh --replay           replay every corpus and reproducer once (meson suite 'fuzz')
#   tests/fuzz/run.sh --list             the target names
#
# BUILD (default build-fuzz) is configured when missing; JOBS defaults to 2. Seeds come from
# tests/fuzz/corpus/<target minus fuzz_>/ plus, when ../shared exists, seeds derived from it at run
# time into BUILD/seeds-extra/ (never copied into the project). What a run finds is kept in
# BUILD/corpus/<target>/, crash inputs in BUILD/artifacts/<target>/, logs in BUILD/logs/. The last
# lines are one summary line per target (executions, coverage, corpus, crashes); the exit status is
# non-zero when a target crashed, leaked or failed an oracle.
#
# cJSON source: LLMGW_CJSON_SRC (a directory with cJSON.c and cJSON.h), else a cache in
# ${XDG_CACHE_HOME:-~/.cache}/llmgw/, else `apt-get source cjson` (needs a deb-src line), else the
# pinned Debian source package from deb.debian.org (checksums below, verified by dpkg-source). If
# none works the build links the system libcjson (uninstrumented) and says so.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${BUILD:-build-fuzz}
JOBS=${JOBS:-2}
SHARED=${LLMGW_SHARED_DIR:-$ROOT/../shared}

CJSON_VERSION=1.7.15-1+deb12u4
CJSON_POOL=http://deb.debian.org/debian/pool/main/c/cjson
CJSON_DSC_SHA256=764c2de141d680f4fb4cada30c526dacaa30ead061b9b9c34f2b81e2df0f8439

log() { printf '==> %s\n' "$*" >&2; }

# The unpacked source of Debian's cJSON (patches applied) on stdout, or nothing.
find_cjson_source() {
  local cache=${XDG_CACHE_HOME:-$HOME/.cache}/llmgw version tmp dir
  if [ -n "${LLMGW_CJSON_SRC:-}" ] && [ -f "$LLMGW_CJSON_SRC/cJSON.c" ]; then
    echo "$LLMGW_CJSON_SRC"; return
  fi
  version=$(dpkg-query -W -f='${Version}' libcjson1 2>/dev/null || echo "$CJSON_VERSION")
  dir="$cache/cjson-$version"
  if [ -f "$dir/cJSON.c" ]; then echo "$dir"; return; fi
  mkdir -p "$cache" || return
  tmp=$(mktemp -d) || return
  if (cd "$tmp" && apt-get source -qq "cjson=$version") >/dev/null 2>&1 ||
     { [ "$version" = "$CJSON_VERSION" ] && fetch_pinned "$tmp"; }; then
    local src
    src=$(find "$tmp" -maxdepth 2 -name cJSON.c -printf '%h\n' | head -1)
    if [ -n "$src" ]; then
      rm -rf "$dir" && mv "$src" "$dir" && echo "$dir"
    fi
  fi
  rm -rf "$tmp"
}

fetch_pinned() {
  local tmp=$1 dsc="cjson_${CJSON_VERSION}.dsc"
  command -v curl >/dev/null && command -v dpkg-source >/dev/null || return 1
  (
    cd "$tmp" &&
    curl -fsSL -o "$dsc" "$CJSON_POOL/${dsc//+/%2b}" &&
    echo "$CJSON_DSC_SHA256  $dsc" | sha256sum -c --quiet &&
    curl -fsSL -o cjson_1.7.15.orig.tar.gz "$CJSON_POOL/cjson_1.7.15.orig.tar.gz" &&
    curl -fsSL -o "cjson_${CJSON_VERSION}.debian.tar.xz" "$CJSON_POOL/cjson_${CJSON_VERSION//+/%2b}.debian.tar.xz" &&
    dpkg-source --no-check -x "$dsc" cjson-src     # the .dsc's own checksums cover the tarballs
  ) >/dev/null 2>&1
}

stage_cjson() {
  local stage="$BUILD/fuzz-cjson" src
  [ -f "$stage/cJSON.c" ] && return 0
  src=$(find_cjson_source)
  if [ -z "$src" ]; then
    log "cJSON source not found: fuzzing with the system libcjson (uninstrumented)"
    return 0
  fi
  mkdir -p "$stage/include/cjson" && cp "$src/cJSON.c" "$src/cJSON.h" "$stage/" &&
    cp "$src/cJSON.h" "$stage/include/cjson/" && log "cJSON: instrumented build from $src"
}

build() {
  if [ ! -f "$BUILD/build.ninja" ]; then
    mkdir -p "$BUILD" && stage_cjson
    CC=clang CXX=clang++ meson setup "$BUILD" -Dfuzzing=true -Db_lundef=false -Dbench=false \
      -Dexamples=false -Dbuildtype=debugoptimized >"$BUILD.setup.log" 2>&1 ||
      { cat "$BUILD.setup.log" >&2; return 1; }
    grep -q 'cJSON compiled from' "$BUILD.setup.log" || log "note: cJSON is not instrumented in $BUILD"
  fi
  # regenerate first when a meson.build changed (meson compile looks targets up in the old introspection)
  { ninja -C "$BUILD" build.ninja && meson compile -C "$BUILD" "${TARGETS[@]}"; } >"$BUILD/compile-fuzz.log" 2>&1 ||
    { tail -40 "$BUILD/compile-fuzz.log" >&2; return 1; }
}

targets() {
  local t
  for t in aws_eventstream framing json request prices cache_entry retry_after config_json config_yaml openai azure compat \
           anthropic gemini bedrock cohere ollama; do
    if [ "$t" = config_yaml ] && ! pkg-config --exists yaml-0.1 2>/dev/null; then continue; fi
    echo "fuzz_$t"
  done
}

extra_seeds() {
  [ -d "$SHARED" ] || return 0
  [ -d "$BUILD/seeds-extra" ] && return 0
  python3 tests/fuzz/make_seeds.py --extra "$SHARED" "$BUILD/seeds-extra" >/dev/null
}

# fuzz_one TARGET SECONDS [flags]: one libFuzzer run; output in BUILD/logs/TARGET.log
fuzz_one() {
  local target=$1 seconds=$2 short=${1#fuzz_}; shift 2
  local work="$BUILD/corpus/$target" art="$BUILD/artifacts/$target/" dict=()
  mkdir -p "$work" "$art" "$BUILD/logs"
  [ "$short" != aws_eventstream ] && dict=(-dict=tests/fuzz/llmgw.dict)
  local seeds=("tests/fuzz/corpus/$short")
  [ -d "$BUILD/seeds-extra/$short" ] && seeds+=("$BUILD/seeds-extra/$short")
  [ -d "tests/fuzz/regressions/$short" ] && seeds+=("tests/fuzz/regressions/$short")
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$BUILD/tests/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=256 \
      -timeout=10 -max_len=16384 -print_final_stats=1 -artifact_prefix="$art" "${dict[@]}" "$@" \
      "$work" "${seeds[@]}" >"$BUILD/logs/$target.log" 2>&1
}

summary() {
  local target=$1 rc=$2 logf="$BUILD/logs/$1.log" execs cov ft corp crashes
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -1)
  read -r cov ft corp < <(grep -E '^#[0-9]+' "$logf" | tail -1 |
    sed -E 's/.*cov: ([0-9]+).*ft: ([0-9]+).*corp: ([0-9]+).*/\1 \2 \3/')
  crashes=$(find "$BUILD/artifacts/$target" -type f 2>/dev/null | wc -l)
  printf '%-22s %-4s execs %-10s cov %-6s ft %-7s corpus %-6s crash files %s\n' "$target" \
    "$([ "$rc" -eq 0 ] && echo ok || echo FAIL)" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
}

# fuzz_all SECONDS [libFuzzer flags...]: every target, JOBS at a time
fuzz_all() {
  local seconds=$1 t running=0 failed=0 rc
  shift
  extra_seeds
  mkdir -p "$BUILD/logs"
  for t in "${TARGETS[@]}"; do
    while [ "$running" -ge "$JOBS" ]; do
      wait -n; running=$((running - 1))
    done
    rm -f "$BUILD/logs/$t.rc"
    ( fuzz_one "$t" "$seconds" "$@"; echo $? >"$BUILD/logs/$t.rc" ) &
    running=$((running + 1))
  done
  wait
  for t in "${TARGETS[@]}"; do
    rc=$(cat "$BUILD/logs/$t.rc" 2>/dev/null || echo 1)
    [ "$rc" -ne 0 ] && failed=$((failed + 1))
    summary "$t" "$rc"
    [ $rc -ne 0 ] && grep -m5 -E 'ERROR|oracle failed|Test unit written' "$BUILD/logs/$t.log" | sed 's/^/    /'
  done
  return $((failed > 0))
}

mapfile -t TARGETS < <(targets)
case "${1:-}" in
  --list)
    printf '%s\n' "${TARGETS[@]}"
    ;;
  --replay)
    build && meson test -C "$BUILD" --suite fuzz --num-processes "$JOBS" --print-errorlogs
    ;;
  --smoke)
    build || exit 1
    meson test -C "$BUILD" --suite fuzz --num-processes "$JOBS" --print-errorlogs >"$BUILD/replay.log" 2>&1
    replay=$?
    grep -E '^(Ok|Fail|Timeout):' "$BUILD/replay.log" | tr -s ' ' | paste -sd' ' - | sed 's/^/replay: /'
    [ $replay -ne 0 ] && grep -E ' (FAIL|TIMEOUT) ' "$BUILD/replay.log"
    fuzz_all "${SMOKE_SECONDS:-30}" -runs="${SMOKE_RUNS:-5000}"; smoke=$?
    exit $((replay != 0 || smoke != 0))
    ;;
  fuzz_*)
    target=$1 seconds=${2:?usage: tests/fuzz/run.sh TARGET SECONDS [libFuzzer flags]}
    shift 2
    TARGETS=("$target")
    build || exit 1
    extra_seeds
    fuzz_one "$target" "$seconds" "$@"; rc=$?
    summary "$target" "$rc"
    exit $rc
    ;;
  ''|[0-9]*)
    build || exit 1
    fuzz_all "${1:-600}"
    ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
