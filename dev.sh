#!/usr/bin/env bash
# llmgw developer entry point.
#
#   ./dev.sh demo    install what is missing, build, run the demo (no keys, loopback only)
#   ./dev.sh test    install what is missing, then build and run every test suite:
#                    gcc and clang with -Werror, ASan+UBSan, TSan, valgrind, allocation
#                    failures (oom), a fuzz smoke, a short soak, Python, Ruby, CLI.
#                    The last line is the summary: "N passed, N failed[, N skipped]".
#   ./dev.sh build   install what is missing and build ./build
#   ./dev.sh bench   build and run the benchmarks
#
# On a fresh Debian 12 it installs packages with apt-get (as root, or via sudo).
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

PACKAGES=(meson ninja-build pkgconf gcc g++ clang libclang-rt-14-dev valgrind
          libcurl4-openssl-dev libcjson-dev libcmocka-dev libyaml-dev libhiredis-dev
          redis-server python3 ruby ruby-ffi ruby-minitest locales)

log() { printf '==> %s\n' "$*" >&2; }

install_deps() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2 || return 1
  fi
  # a comma-decimal locale, so the locale-independence tests run instead of skipping
  if ! locale -a 2>/dev/null | grep -qix 'de_DE.utf8'; then
    log "generating the de_DE.UTF-8 locale"
    "${sudo[@]}" localedef -i de_DE -f UTF-8 de_DE.UTF-8 >&2 || log "could not generate de_DE.UTF-8 (locale tests will skip)"
  fi
  return 0
}

# setup DIR [meson options...]: configure DIR once (reconfigure when it exists)
setup() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

build_default() {
  setup build -Dwerror=true && meson compile -C build >&2
}

case "${1:-}" in
  demo)
    install_deps || exit 1
    build_default || exit 1
    exec ./build/examples/cli/llmgw demo
    ;;
  build)
    install_deps || exit 1
    build_default
    ;;
  bench)
    install_deps || exit 1
    build_default || exit 1
    exec bash bench/run
    ;;
  test)
    install_deps || exit 1
    exec bash "$ROOT/tests/run-all.sh"
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
