#!/usr/bin/env python3
"""tests/report/check_cost.py: `llmgw cost report` and `llmgw cost simulate`
(examples/cli/cmd_cost.c over lib/accounting/report.c, simulate.c) checked
against totals this script computes itself, with Python integers and
decimal.Decimal, from the records it writes.

usage: check_cost.py COST_CLI   (the tests/report/cost_cli driver)

The logs hold a few thousand random records in two files (customers with
commas, quotes, formula characters and non-ASCII, repeated tags, failures
with failed attempts in the trail, cache hits, unknown costs, long
requests) plus bad lines of every kind. Every --by grouping, time windows,
JSON, CSV and text output, the simulations (--as, --map, --cache-hit-rate)
and the command's usage errors are checked. Prices of the target models are
restated here from docs/prices.md §6 (USD per million tokens).
"""
import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal

CLI = sys.argv[1]
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


# ---- the records ----

rng = random.Random(20260301)
CUSTOMERS = [None, "acme", "beta corp", "café-ü", "a,b \"quoted\"", "=cmd|' /C calc'!A0", "zeta"]
TAGS = ["prod", "batch", "eval", "team-a", "team-b"]
GROUPS = [None, "smart", "cheap", "local"]
MODELS = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"),
          ("gemini", "gemini-2.5-flash"), (None, None)]
T0 = 1767225600  # 2026-01-01T00:00:00Z


def iso(us):
    import datetime
    dt = datetime.datetime.fromtimestamp(us // 1000000, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % ((us // 1000) % 1000)


def make_record(i):
    provider, model = rng.choice(MODELS)
    big = rng.random() < 0.03
    inp = rng.randint(130000, 400000) if big else rng.randint(0, 20000)
    cr = rng.randint(0, inp // 2)
    cw = rng.randint(0, (inp - cr) // 3)
    out = rng.randint(20000, 40000) if big and rng.random() < 0.5 else rng.randint(0, 3000)
    rs = rng.randint(0, out // 2)
    success = rng.random() < 0.85
    hit = success and rng.random() < 0.1
    known = rng.random() < 0.93
    cost = rng.randint(0, 50_000_000) if known else None
    if hit:
        cost = 0
    saved = rng.randint(1, 9_000_000) if hit else 0
    trail = []
    for _ in range(rng.randint(0, 3)):
        trail.append({"deployment": "d", "provider": provider, "model": model, "status": "failure",
                      "cost_nano_usd": rng.choice([None, rng.randint(0, 2_000_000)])})
    if success:
        trail.append({"deployment": "d", "provider": provider, "model": model, "status": "success",
                      "cost_nano_usd": cost})
    tags = [rng.choice(TAGS) for _ in range(rng.randint(0, 3))]     # repeats on purpose
    start = (T0 + rng.randint(0, 90 * 86400)) * 1000000 + rng.randint(0, 999) * 1000
    return {
        "request_id": "r%d" % i, "trace_id": None, "operation": "chat", "model_requested": "x",
        "group": rng.choice(GROUPS), "provider": provider, "model": model, "response_id": None,
        "deployment_id": "d", "api_base": None, "status": "success" if success else "failure",
        "error_class": None if success else "server_error", "http_status": 200 if success else 503,
        "finish_reason": "stop", "stream": False, "usage_known": True,
        "input_tokens": inp, "output_tokens": out, "cache_read_tokens": cr, "cache_creation_tokens": cw,
        "reasoning_tokens": rs, "total_tokens": inp + out, "cost_nano_usd": cost,
        "input_cost_nano_usd": cost, "output_cost_nano_usd": 0 if cost is not None else None,
        "cost_usd": None if cost is None else cost / 1e9, "cost_source": "computed" if known else "unknown",
        "start_time": iso(start), "latency_ms": 12.5, "ttft_ms": None, "cache_hit": hit,
        "saved_cost_nano_usd": saved, "attempts": len(trail), "fallbacks": 0,
        "customer": rng.choice(CUSTOMERS), "route_rule": None, "trail": trail, "tags": tags,
        "_start_us": start,
    }


RECORDS = [make_record(i) for i in range(2500)]

BAD_LINES = [
    "this is not json",
    "{}",                                                       # no status
    '{"status":"success","input_tokens":-1}',
    '{"status":"success","input_tokens":1.5}',
    '{"status":"success","cost_nano_usd":"12"}',
    '{"status":"maybe"}',
    '{"status":"success","tags":"prod"}',
    '{"status":"success","tags":[1]}',
    '{"status":"success","customer":7}',
    '{"status":"success","start_time":"yesterday"}',
    '{"status":"success","trail":{}}',
    '{"status":"success","customer":"a\\u0000b"}',
    "[1,2,3]",
    '{"status":"success"} trailing',
    "[" * 100 + "]" * 100,
    '{"status":"success","cost_nano_usd":1e300}',
    '{"status":"success","input_tokens":1099511627776}',        # 2^40
]
BLANK = ["", "   ", "\t"]


def write_logs(d):
    a, b = os.path.join(d, "usage.jsonl.1"), os.path.join(d, "usage.jsonl")
    half = len(RECORDS) // 2
    with open(a, "w", encoding="utf-8", newline="\n") as f:
        for i, r in enumerate(RECORDS[:half]):
            f.write(json.dumps({k: v for k, v in r.items() if k[0] != "_"}, ensure_ascii=False) + "\n")
            if i % 97 == 0:
                f.write(BAD_LINES[(i // 97) % len(BAD_LINES)] + "\n")
            if i % 131 == 0:
                f.write(BLANK[(i // 131) % len(BLANK)] + "\n")
        f.write("x" * (2 * 1024 * 1024) + "\n")                 # longer than the 1 MiB line limit
    with open(b, "w", encoding="utf-8", newline="\n") as f:
        for i, r in enumerate(RECORDS[half:]):
            f.write(json.dumps({k: v for k, v in r.items() if k[0] != "_"}, ensure_ascii=True) + "\n")
            if i % 89 == 0:
                f.write(BAD_LINES[(i // 89) % len(BAD_LINES)] + "\r\n")
        f.write('{"status":"success","input_tokens":5')            # torn last line, no newline
    bad = sum(1 for i in range(half) if i % 97 == 0) + sum(1 for i in range(len(RECORDS) - half) if i % 89 == 0)
    blank = sum(1 for i in range(half) if i % 131 == 0)
    return [a, b], bad + 2, blank


# ---- the independent arithmetic ----

def usd(nano, places=9):
    q = Decimal(nano) / Decimal(10 ** 9)
    return q.quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")


def keys_of(r, by):
    if by == "customer":
        return [r["customer"]]
    if by == "group":
        return [r["group"]]
    if by == "provider":
        return [r["provider"]]
    if by == "model":
        if r["model"] is None:
            return [None]
        return [r["provider"] + "/" + r["model"] if r["provider"] else r["model"]]
    if by == "day":
        return [r["start_time"][:10]]
    if by == "tag":
        return sorted(set(r["tags"])) or [None]
    raise ValueError(by)


def report_row(rs):
    row = dict(requests=0, successes=0, failures=0, cache_hits=0, input_tokens=0, output_tokens=0,
               cache_read_tokens=0, cache_creation_tokens=0, reasoning_tokens=0, spend_nano_usd=0,
               unknown_cost_requests=0, cache_savings_nano_usd=0, error_spend_nano_usd=0)
    for r in rs:
        row["requests"] += 1
        ok = r["status"] == "success"
        row["successes"] += ok
        row["failures"] += not ok
        row["cache_hits"] += r["cache_hit"]
        for k in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens",
                  "reasoning_tokens"):
            row[k] += r[k]
        if r["cost_nano_usd"] is None:
            row["unknown_cost_requests"] += 1
        else:
            row["spend_nano_usd"] += r["cost_nano_usd"]
        if r["cache_hit"]:
            row["cache_savings_nano_usd"] += r["saved_cost_nano_usd"]
        if ok:
            row["error_spend_nano_usd"] += sum(a["cost_nano_usd"] or 0 for a in r["trail"]
                                               if a["status"] == "failure")
        else:
            row["error_spend_nano_usd"] += r["cost_nano_usd"] or 0
    row["total_tokens"] = row["input_tokens"] + row["output_tokens"]
    return row


def in_window(r, since, until):
    return (since is None or r["_start_us"] >= since) and (until is None or r["_start_us"] < until)


def run(*args, expect=0):
    p = subprocess.run([CLI] + list(args), capture_output=True)
    if p.returncode != expect:
        check(False, "%s: exit %d, expected %d; stderr %r" % (" ".join(args[:4]), p.returncode, expect,
                                                            p.stderr[-300:]))
    return p


def compare_rows(label, got, want, fields):
    for k in fields:
        if got.get(k) != want[k]:
            check(False, "%s: %s = %r, expected %r" % (label, k, got.get(k), want[k]))
            return


REPORT_FIELDS = ["requests", "successes", "failures", "cache_hits", "input_tokens", "output_tokens",
                 "cache_read_tokens", "cache_creation_tokens", "reasoning_tokens", "total_tokens",
                 "spend_nano_usd", "unknown_cost_requests", "cache_savings_nano_usd", "error_spend_nano_usd"]


def check_report(logs, by, since=None, until=None, args=()):
    p = run("report", "--json", "--by", by, *args, *logs)
    doc = json.loads(p.stdout, parse_float=Decimal)
    rs = [r for r in RECORDS if in_window(r, since, until)]
    label = "report --by %s %s" % (by, " ".join(args))
    compare_rows(label + " totals", doc["totals"], report_row(rs), REPORT_FIELDS)
    check(doc["totals"]["spend_usd"] == usd(doc["totals"]["spend_nano_usd"]), label + ": spend_usd")
    groups = {}
    for r in rs:
        for k in keys_of(r, by):
            groups.setdefault(k, []).append(r)
    check(len(doc["groups"]) == len(groups), "%s: %d groups, expected %d" % (label, len(doc["groups"]), len(groups)))
    for g in doc["groups"]:
        want = groups.get(g["key"])
        if want is None:
            check(False, "%s: unexpected group %r" % (label, g["key"]))
            continue
        compare_rows("%s group %r" % (label, g["key"]), g, report_row(want), REPORT_FIELDS)
        for k in ("spend", "cache_savings", "error_spend"):
            check(g[k + "_usd"] == usd(g[k + "_nano_usd"]), "%s: %s_usd of %r" % (label, k, g["key"]))
    if by != "day":
        spends = [g["spend_nano_usd"] for g in doc["groups"]]
        check(spends == sorted(spends, reverse=True), label + ": groups by spend, biggest first")
    else:
        days = [g["key"] for g in doc["groups"] if g["key"] is not None]
        check(days == sorted(days), label + ": days in order")
    return doc


# ---- prices restated (USD per million: input, output, cache read, cache write) ----

PRICES = {
    "openai/gpt-4o-mini": ("0.15", "0.60", "0.075", None, 128000, 16384),
    "anthropic/claude-haiku-4-5": ("1.00", "5.00", "0.10", "1.25", 200000, 64000),
    "gemini/gemini-2.5-flash": ("0.30", "2.50", "0.03", None, 1048576, 65536),
}


def rate(s):
    return int(Decimal(s) * 10 ** 9)        # nano-USD per million tokens


def cost_at(target, r):
    i, o, c_r, c_w, _, _ = PRICES[target]
    i, o = rate(i), rate(o)
    c_r = rate(c_r) if c_r else i
    c_w = rate(c_w) if c_w else i
    inp, out = r["input_tokens"], r["output_tokens"]
    cr, cw, rs = r["cache_read_tokens"], r["cache_creation_tokens"], r["reasoning_tokens"]
    total = (inp - cr - cw) * i + cr * c_r + cw * c_w + (out - rs) * o + rs * o
    return (total + 500000) // 1000000       # one division, half up


def target_for(r, as_, mapping):
    if as_:
        return as_
    if r["model"] is None:
        return None
    for frm, to in mapping:
        if frm == r["model"] or (r["provider"] and frm == r["provider"] + "/" + r["model"]):
            return to
    return None


def sim_row(rs, as_, mapping, keep_ppm):
    row = dict(requests=0, compared=0, repriced=0, unknown_current_cost=0, unpriced=0,
               current_nano_usd=0, simulated_nano_usd=0)
    for r in rs:
        t = target_for(r, as_, mapping)
        row["requests"] += 1
        row["repriced"] += t is not None
        if r["cost_nano_usd"] is None:
            row["unknown_current_cost"] += 1
            continue
        if t is None:
            miss = r["saved_cost_nano_usd"] if r["cache_hit"] else r["cost_nano_usd"]
        else:
            miss = cost_at(t, r)
        if keep_ppm is None:
            sim = 0 if r["cache_hit"] else (r["cost_nano_usd"] if t is None else miss)
        else:
            sim = (miss * keep_ppm + 500000) // 1000000
        row["compared"] += 1
        row["current_nano_usd"] += r["cost_nano_usd"]
        row["simulated_nano_usd"] += sim
    row["difference_nano_usd"] = row["simulated_nano_usd"] - row["current_nano_usd"]
    return row


SIM_FIELDS = ["requests", "compared", "repriced", "unknown_current_cost", "unpriced", "current_nano_usd",
              "simulated_nano_usd", "difference_nano_usd"]


def check_sim(logs, by, as_=None, mapping=(), rate_arg=None, keep_ppm=None):
    args = ["simulate", "--json", "--by", by]
    if as_:
        args += ["--as", as_]
    for frm, to in mapping:
        args += ["--map", frm + "=" + to]
    if rate_arg:
        args += ["--cache-hit-rate", rate_arg]
    p = run(*args, *logs)
    doc = json.loads(p.stdout, parse_float=Decimal)
    label = " ".join(args[1:])
    compare_rows(label + " totals", doc["totals"], sim_row(RECORDS, as_, mapping, keep_ppm), SIM_FIELDS)
    groups = {}
    for r in RECORDS:
        for k in keys_of(r, by):
            groups.setdefault(k, []).append(r)
    check(len(doc["groups"]) == len(groups), label + ": group count")
    for g in doc["groups"]:
        compare_rows("%s group %r" % (label, g["key"]), g, sim_row(groups.get(g["key"], []), as_, mapping, keep_ppm),
                     SIM_FIELDS)
        check(g["difference_usd"] == usd(g["difference_nano_usd"]), label + ": difference_usd")
    diffs = [g["difference_nano_usd"] for g in doc["groups"]]
    if by != "day":
        check(diffs == sorted(diffs), label + ": biggest saving first")
    # context-window warnings per target
    targets = {as_} if as_ else {to for _, to in mapping}
    warned = {w["target"]: w for w in doc["warnings"]}
    for t in targets:
        rs = [r for r in RECORDS if target_for(r, as_, mapping) == t]
        ctx, max_out = PRICES[t][4], PRICES[t][5]
        too_large = sum(1 for r in rs if r["input_tokens"] + r["output_tokens"] > ctx)
        out_large = sum(1 for r in rs if r["output_tokens"] > max_out)
        if too_large or out_large:
            w = warned.get(t)
            check(w is not None, label + ": a warning for " + t)
            if w:
                check(w["requests_too_large"] == too_large, "%s: %s too large %r != %r" % (label, t, w["requests_too_large"], too_large))
                check(w["output_too_large"] == out_large, label + ": output too large for " + t)
                check(w["context_window"] == ctx, label + ": context window of " + t)
                check(w["largest_request_tokens"] == max(r["input_tokens"] + r["output_tokens"] for r in rs),
                      label + ": largest request")
        else:
            check(t not in warned, label + ": no warning for " + t)
    return doc


def main():
    d = tempfile.mkdtemp(prefix="llmgw-report-")
    try:
        logs, bad, blank = write_logs(d)
        doc = None
        for by in ("customer", "tag", "group", "provider", "model", "day"):
            doc = check_report(logs, by)
        inp = doc["input"]
        check(inp["files"] == 2, "files")
        check(inp["records"] == len(RECORDS), "records %r" % inp["records"])
        check(inp["bad_lines"] == bad, "bad lines %r, expected %r" % (inp["bad_lines"], bad))
        check(inp["bad_too_long"] == 1, "one line too long")
        check(inp["blank_lines"] == blank, "blank lines")
        check(inp["bad_json"] + inp["bad_record"] + inp["bad_too_long"] + inp["bad_overflow"] == bad, "bad kinds add up")
        check(inp["first_bad_line"].startswith(logs[0] + ":2: "), "first bad line: %r" % inp["first_bad_line"])

        # windows: [since, until), with offsets
        feb, mar = (T0 + 31 * 86400) * 1000000, (T0 + 59 * 86400) * 1000000
        w = check_report(logs, "day", feb, mar, ("--since", "2026-02-01", "--until", "2026-03-01T00:00:00Z"))
        check(w["input"]["outside_window"] == len(RECORDS) - sum(1 for r in RECORDS if in_window(r, feb, mar)),
              "outside_window")
        check(w["since"] == "2026-02-01T00:00:00Z" and w["until"] == "2026-03-01T00:00:00Z", "window echoed")
        check_report(logs, "customer", feb, None, ("--since", "2026-02-01T01:00:00+01:00"))
        mid = RECORDS[7]["_start_us"]
        check_report(logs, "model", None, mid, ("--until", RECORDS[7]["start_time"]))

        # CSV: the JSON's groups, quoted, formulas defused
        p = run("report", "--csv", "--by", "customer", *logs)
        rows = list(csv.DictReader(io.StringIO(p.stdout.decode("utf-8"), newline="")))
        j = json.loads(run("report", "--json", "--by", "customer", *logs).stdout, parse_float=Decimal)
        check(len(rows) == len(j["groups"]), "csv rows")
        for row, g in zip(rows, j["groups"]):
            label = {None: "(none)"}.get(g["key"], g["key"])
            if label.startswith("="):
                label = "'" + label
            check(row["key"] == label, "csv key %r vs %r" % (row["key"], label))
            check(int(row["spend_nano_usd"]) == g["spend_nano_usd"], "csv spend")
            check(Decimal(row["spend_usd"]) == g["spend_usd"], "csv spend_usd")
            check(int(row["input_tokens"]) == g["input_tokens"], "csv tokens")
        check(p.stdout.count(b"\r\n") == len(rows) + 1, "csv lines end with CRLF")

        # text: a TOTAL row with the spend to 6 places
        p = run("report", "--by", "provider", *logs)
        text = p.stdout.decode("utf-8")
        total = [l for l in text.splitlines() if l.startswith("TOTAL")]
        check(len(total) == 1 and str(usd(report_row(RECORDS)["spend_nano_usd"], 6)) in total[0], "text TOTAL")
        check("bad lines skipped" in text.splitlines()[0], "text input note")
        check("\x1b" not in text, "no escapes in text")

        # simulations
        check_sim(logs, "group", as_="openai/gpt-4o-mini")
        check_sim(logs, "customer", mapping=[("gpt-4o", "anthropic/claude-haiku-4-5"),
                                             ("openai/gpt-4o-mini", "gemini/gemini-2.5-flash")])
        check_sim(logs, "model", as_="anthropic/claude-haiku-4-5", rate_arg="30%", keep_ppm=700000)
        check_sim(logs, "tag", mapping=[("claude-sonnet-4-5", "openai/gpt-4o-mini")], rate_arg="0.125",
                  keep_ppm=875000)
        check_sim(logs, "day", as_="openai/gpt-4o-mini", rate_arg="0", keep_ppm=1000000)
        p = run("simulate", "--as", "openai/gpt-4o-mini", *logs)
        check(b"warning: openai/gpt-4o-mini: context window 128,000 tokens" in p.stdout, "text warning")

        # usage errors: exit 2, one line on stderr
        for args in (["report", "--by", "week", logs[0]], ["report", "--bogus", logs[0]], ["report", "--since"],
                     ["report", "--json", "--csv", logs[0]], ["simulate", logs[0]],
                     ["simulate", "--as", "openai/gpt-4o", "--map", "a=b", logs[0]],
                     ["simulate", "--cache-hit-rate", "1.5", logs[0]], ["simulate", "--map", "nope", logs[0]],
                     ["frobnicate"], []):
            env = dict(os.environ)
            env.pop("LLMGW_USAGE_LOG", None)
            env.pop("LLMGW_LOG", None)
            p = subprocess.run([CLI] + args, capture_output=True, env=env)
            check(p.returncode == 2, "usage error %r: exit %d" % (args, p.returncode))
            lines = p.stderr.decode().splitlines()
            check(args == [] or (len(lines) == 1 and lines[0].startswith("llmgw: error: usage: ")),
                  "usage error %r: stderr %r" % (args, p.stderr))
        # failures: exit 1
        p = run("report", os.path.join(d, "missing.jsonl"), expect=1)
        check(p.stderr.decode().startswith("llmgw: error: config: cannot open usage log"), "missing log message")
        p = run("report", "--json", os.path.join(d, "missing.jsonl"), expect=1)
        e = json.loads(p.stdout)["error"]
        check(e["class"] == "config" and "missing.jsonl" in e["message"], "--json error object")
        p = run("simulate", "--as", "openai/no-such-model", logs[0], expect=1)
        check(b"no price for 'openai/no-such-model'" in p.stderr, "unknown target")
        p = run("report", "--since", "2026-13-01", logs[0], expect=1)
        check(b"since" in p.stderr, "bad --since")
        # no LOG: $LLMGW_USAGE_LOG
        env = dict(os.environ, LLMGW_USAGE_LOG=logs[1])
        p = subprocess.run([CLI, "report", "--json"], capture_output=True, env=env)
        check(p.returncode == 0 and json.loads(p.stdout)["input"]["files"] == 1, "LLMGW_USAGE_LOG default")
        p = run("--help")
        check(p.stdout.startswith(b"usage: llmgw cost report"), "--help")
    finally:
        shutil.rmtree(d)
    if FAILS:
        print("%d checks failed" % len(FAILS))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
