#!/bin/sh
# Print every function declared LLMGW_API in the public headers, sorted.
# usage: api-symbols.sh INCLUDE_DIR
set -eu
find "$1" \( -name '*.h' -o -name '*.h.in' \) -exec cat {} + |
  tr '\n' ' ' |
  grep -oE 'LLMGW_API[^;(]*\(' |
  grep -oE 'llmgw_[a-z0-9_]+[[:space:]]*\($' | sed -E 's/[[:space:]]*\($//' |
  sort -u
