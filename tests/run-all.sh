#!/usr/bin/env bash
# Build and run every llmgw test suite; the last line is the summary
# "N passed, N failed[, N skipped]" and the exit status is non-zero on any
# failure. Called by ./dev.sh test (the README's test command) and .ci/run.
#
# Builds (each in build-ci/<name>, warnings as errors):
#   gcc      unit, integration and benchmark smoke tests; then valgrind on the integration suite
#   clang    unit and integration tests
#   asan     clang, ASan + UBSan: unit and integration tests
# plus: install + pkg-config build of the README example, and the Python,
# Ruby and CLI suites when present.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/build-ci"
mkdir -p "$OUT"
JOBS=${LLMGW_TEST_JOBS:-2}

PASS=0; FAIL=0; SKIP=0
FAILED=()

note() { printf '==> %s\n' "$*"; }

# record NAME STATUS(0 = pass, 77 = skip, else fail)
record() {
  case "$2" in
    0)  PASS=$((PASS + 1)) ;;
    77) SKIP=$((SKIP + 1)) ;;
    *)  FAIL=$((FAIL + 1)); FAILED+=("$1") ;;
  esac
}

# step NAME COMMAND...: one pass/fail check, output kept in build-ci/NAME.log
step() {
  local name=$1; shift
  local logf="$OUT/${name//[^A-Za-z0-9_.-]/_}.log"
  if "$@" >"$logf" 2>&1; then
    note "ok    $name"; record "$name" 0
  else
    local rc=$?
    if [ $rc -eq 77 ]; then note "skip  $name"; record "$name" 77; return 0; fi
    note "FAIL  $name (log: ${logf#$ROOT/})"; tail -n 30 "$logf" | sed 's/^/    /'
    record "$name" 1
    return 1
  fi
}

# count_meson LOGFILE LABEL: add the results of a `meson test` run
count_meson() {
  local logfile=$1 label=$2 line
  while IFS= read -r line; do
    case "$line" in
      P*) PASS=$((PASS + 1)) ;;
      S*) SKIP=$((SKIP + 1)) ;;
      F*) FAIL=$((FAIL + 1)); FAILED+=("$label:${line#F }") ;;
    esac
  done < <(python3 - "$logfile" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    print("F testlog.json missing"); sys.exit(0)
for l in lines:
    if not l.strip():
        continue
    t = json.loads(l)
    r = t.get("result", "")
    # cases a passing cmocka program skipped (a missing ../shared fixture, locale ...) are counted
    for out in (t.get("stdout") or "").splitlines():
        if out.startswith("[  SKIPPED ]"):
            print("S " + t["name"] + ":" + out[12:].strip())
    if r in ("OK", "EXPECTEDFAIL"):
        print("P " + t["name"])
    elif r == "SKIP":
        print("S " + t["name"])
    else:
        print("F " + t["name"] + " (" + r + ")")
PY
)
}

# run_meson BUILDDIR LABEL [SETUP] -- [meson test args...]
run_meson() {
  local dir=$1 label=$2 setup=$3 logfile; shift 4
  logfile="$dir/meson-logs/testlog${setup:+-$setup}.json"
  note "tests: $label"
  rm -f "$logfile"
  meson test -C "$dir" --num-processes "$JOBS" --print-errorlogs ${setup:+--setup=$setup} "$@" \
    > "$OUT/$label.log" 2>&1
  grep -E '^(Ok|Fail|Skipped|Timeout|Unexpected Pass|Expected Fail):' "$OUT/$label.log" | tr -s ' ' | paste -sd' ' - | sed 's/^/    /'
  grep -E ' (FAIL|TIMEOUT) ' "$OUT/$label.log" | sed 's/^/    /' || true
  count_meson "$logfile" "$label"
}

configure() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

build_gcc() {
  configure "$OUT/gcc" -Dwerror=true -Dbuildtype=debugoptimized && meson compile -C "$OUT/gcc"
}

build_clang() {
  CC=clang CXX=clang++ configure "$OUT/clang" -Dwerror=true && meson compile -C "$OUT/clang"
}

build_asan() {
  CC=clang CXX=clang++ configure "$OUT/asan" -Dwerror=true -Dbuildtype=debug \
    -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined &&
    meson compile -C "$OUT/asan"
}

option_value() {
  meson introspect "$OUT/gcc" --buildoptions |
    python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]==sys.argv[1]][0])' "$1"
}

# Install, then build the README's example against the installed library with pkg-config.
install_and_pkg_config() {
  local dest="$OUT/destdir" prefix libdir pcdir
  rm -rf "$dest"
  DESTDIR="$dest" meson install -C "$OUT/gcc" --quiet || return 1
  prefix=$(option_value prefix) && libdir=$(option_value libdir) || return 1
  pcdir=$(dirname "$(find "$dest" -name llmgw.pc | head -1)")
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror -o "$OUT/hello" examples/c/hello.c \
    $(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags --libs llmgw) || return 1
  LD_LIBRARY_PATH="$dest$prefix/$libdir" "$OUT/hello" mock/demo "Say hello." | grep -q "mock response" || return 1
  for h in llmgw.h version.h sys/provider.h; do
    test -f "$dest$prefix/include/llmgw/$h" || { echo "missing include/llmgw/$h"; return 1; }
  done
  readelf -d "$dest$prefix/$libdir/libllmgw.so.0" | grep -q 'SONAME.*libllmgw.so.0'
}

start=$(date +%s)

# 1. gcc, warnings as errors: unit, integration, benchmark smoke; valgrind; install
if step build:gcc build_gcc; then
  run_meson "$OUT/gcc" gcc "" -- --suite unit --suite integration --suite bench
  if command -v valgrind >/dev/null; then
    run_meson "$OUT/gcc" valgrind valgrind -- --suite integration --no-rebuild
  fi
  step install+pkg-config install_and_pkg_config
fi

# 2. clang, warnings as errors
if step build:clang build_clang; then
  run_meson "$OUT/clang" clang "" -- --suite unit --suite integration
fi

# 3. ASan + UBSan (clang)
if step build:asan build_asan; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_meson "$OUT/asan" asan "" -- --suite unit --suite integration
fi

# suite NAME COMMAND...: a suite that ends with its own "N passed, N failed[, N skipped]" line;
# its counts are added to ours (a suite that dies without that line is one failure)
suite() {
  local name=$1; shift
  local logf="$OUT/${name//[^A-Za-z0-9_.-]/_}.log" rc line p f s
  "$@" >"$logf" 2>&1; rc=$?
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$logf" | tail -1)
  if [ -z "$line" ]; then
    [ $rc -eq 77 ] && { note "skip  $name"; record "$name" 77; return 0; }
    note "FAIL  $name: no summary line (log: ${logf#$ROOT/})"; tail -n 30 "$logf" | sed 's/^/    /'
    record "$name" 1; return 1
  fi
  p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
  s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped$/\1/p'); s=${s:-0}
  PASS=$((PASS + p)); SKIP=$((SKIP + s)); FAIL=$((FAIL + f))
  if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
    [ "$f" -eq 0 ] && { FAIL=$((FAIL + 1)); }
    FAILED+=("$name: $line (exit $rc)")
    note "FAIL  $name: $line (log: ${logf#$ROOT/})"; grep -E '^(FAIL|ERROR)' "$logf" | sed 's/^/    /'
    return 1
  fi
  note "ok    $name: $line"
}

# 4. bindings and CLI suites, when present
for s in bindings/python/run-tests.sh bindings/ruby/run-tests.sh examples/cli/run-tests.sh; do
  [ -x "$s" ] || continue
  suite "$(dirname "$s")" "$s" "$OUT/gcc"
done

elapsed=$(( $(date +%s) - start ))
note "done in ${elapsed}s"
if [ ${#FAILED[@]} -gt 0 ]; then
  note "failed:"
  printf '    %s\n' "${FAILED[@]}"
fi
if [ "$SKIP" -gt 0 ]; then
  echo "$PASS passed, $FAIL failed, $SKIP skipped"
else
  echo "$PASS passed, $FAIL failed"
fi
[ "$FAIL" -eq 0 ]
