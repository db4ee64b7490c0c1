#!/bin/sh
# usage: check-abi.sh INCLUDE_DIR SYMFILE LIBRARY
set -eu
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$here/api-symbols.sh" "$1" > "$tmp/api"
grep -oE '^[[:space:]]+llmgw_[a-z0-9_]+;' "$2" | tr -d ' ;\t' | sort -u > "$tmp/sym"
nm -D --defined-only "$3" | awk '{print $3}' | sed 's/@.*//' | grep -v '^LLMGW_' | sort -u > "$tmp/lib"
rc=0
if ! diff -u "$tmp/api" "$tmp/sym"; then
  echo "abi: lib/llmgw.sym differs from the LLMGW_API declarations" >&2; rc=1
fi
if ! diff -u "$tmp/api" "$tmp/lib"; then
  echo "abi: the library exports differ from the LLMGW_API declarations" >&2; rc=1
fi
[ $rc -eq 0 ] && echo "abi: $(wc -l < "$tmp/api") symbols, all declared, all exported, nothing else"
exit $rc
