#!/usr/bin/env bash
# Static analysis of lib/: gcc's -fanalyzer (gcc 12) and cppcheck (2.10, warning and portability
# checks) over every library file, with the build's own flags from a compile database.
#
#   tests/analyze.sh                 exit 0 when every finding is suppressed, 1 otherwise
#   BUILD=dir JOBS=n tests/analyze.sh
#
# Findings print as "tool path:line: check: message". A finding is suppressed only by a line of
# tests/analyze.supp naming its tool, file, check and a piece of its message, with a written reason
# (the line number is not part of the match, so edits elsewhere in a file do not break it). Lines of
# the suppression file that match nothing are listed at the end as stale (not an error).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build-analyze}
JOBS=${JOBS:-2}
SUPP=tests/analyze.supp
OUT="$BUILD/analyze"

for tool in gcc cppcheck python3 meson; do
  command -v "$tool" >/dev/null || { echo "analyze: $tool is not installed" >&2; exit 2; }
done
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=gcc meson setup "$BUILD" -Dbench=false -Dexamples=false >"$BUILD.setup.log" 2>&1 ||
    { cat "$BUILD.setup.log" >&2; exit 2; }
fi
meson compile -C "$BUILD" lib/libllmgw_internal.a >/dev/null 2>&1 || true   # generated headers, if any
rm -rf "$OUT" && mkdir -p "$OUT/gcc"

# The library's own compile commands, rewritten to analyze only (no object, no dependency file).
python3 - "$BUILD" "$OUT" <<'PY'
import json, os, shlex, sys
build, out = sys.argv[1], sys.argv[2]
cc = json.load(open(os.path.join(build, 'compile_commands.json')))
lib = [e for e in cc if 'llmgw_internal' in e['output'] and '/lib/' in os.path.realpath(e['file'])]
json.dump(lib, open(os.path.join(out, 'compile_commands.json'), 'w'))
with open(os.path.join(out, 'gcc.cmds'), 'w') as f:
    for i, e in enumerate(lib):
        args = shlex.split(e['command'])
        keep, skip = [], 0
        for a in args:
            if skip:
                skip -= 1
                continue
            if a in ('-o', '-MF', '-MQ'):
                skip = 1
                continue
            if a in ('-MD', '-Werror') or a.startswith('-fdiagnostics-color'):
                continue
            keep.append(a)
        keep += ['-o', '/dev/null', '-fanalyzer', '-fdiagnostics-color=never', '-fno-diagnostics-show-caret',
                 '-fdiagnostics-path-format=none']
        f.write('cd %s && %s > %s/gcc/%d.log 2>&1\n' % (shlex.quote(e['directory']), ' '.join(map(shlex.quote, keep)), out, i))
print('analyze: %d library files' % len(lib), file=sys.stderr)
PY

start=$(date +%s)
tr '\n' '\0' <"$OUT/gcc.cmds" | xargs -0 -P "$JOBS" -I{} bash -c '{}' || true
# only the analyzer's warnings count here (the builds check the ordinary ones with -Werror)
cat "$OUT"/gcc/*.log 2>/dev/null | grep -E ': warning: .*\[-Wanalyzer-' |
  sed -E 's/^(.*):([0-9]+):[0-9]+: warning: (.*) \[(-Wanalyzer-[a-z-]+)\]$/gcc-analyzer \1:\2: \4: \3/' >"$OUT/findings.raw"
cppcheck --project="$OUT/compile_commands.json" --enable=warning,portability --std=c11 -j "$JOBS" --quiet \
  --include=/usr/include/cjson/cJSON.h --suppress=missingIncludeSystem \
  --template='cppcheck {file}:{line}: {id}: {message}' 2>>"$OUT/findings.raw" >/dev/null
echo "analyze: gcc -fanalyzer and cppcheck took $(( $(date +%s) - start ))s" >&2

python3 - "$ROOT" "$OUT/findings.raw" "$SUPP" <<'PY'
import os, re, sys
root, raw, supp = sys.argv[1], sys.argv[2], sys.argv[3]
findings = set()
for line in open(raw, errors='replace'):
    m = re.match(r'^(\S+) (.+?):(\d+): (\S+): (.*)$', line.strip())
    if not m:
        continue
    tool, path, num, check, msg = m.groups()
    path = os.path.relpath(os.path.realpath(os.path.join(root, path)) if not os.path.isabs(path)
                           else os.path.realpath(path), root)
    if not path.startswith('lib/'):
        continue
    findings.add((tool, path, int(num), check, msg))
rules, bad = [], False
for n, line in enumerate(open(supp), 1):
    if not line.strip() or line.startswith('#'):
        continue
    parts = [p.strip() for p in line.rstrip('\n').split('|')]
    if len(parts) != 5 or not parts[4]:
        print('%s:%d: a suppression needs: tool | file | check | message piece | reason' % (supp, n))
        bad = True
        continue
    rules.append(parts + [n, 0])
left = []
for f in sorted(findings, key=lambda f: (f[1], f[2], f[0])):
    hit = [r for r in rules if r[0] == f[0] and r[1] == f[1] and r[2] == f[3] and r[3] in f[4]]
    for r in hit:
        r[6] += 1
    if not hit:
        left.append(f)
for f in left:
    print('%s %s:%d: %s: %s' % (f[0], f[1], f[2], f[3], f[4]))
for r in rules:
    if r[6] == 0:
        print('analyze: stale suppression %s:%d (%s %s %s)' % (supp, r[5], r[0], r[1], r[2]), file=sys.stderr)
print('analyze: %d findings, %d suppressed, %d left' % (len(findings), len(findings) - len(left), len(left)),
      file=sys.stderr)
sys.exit(1 if left or bad else 0)
PY
