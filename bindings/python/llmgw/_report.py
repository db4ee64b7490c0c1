"""Cost reports and simulations over usage logs (report.h): llmgw_cost_report, llmgw_cost_simulate.

Both read the JSON-lines usage logs a gateway writes (llmgw_settings.log.path or
$LLMGW_USAGE_LOG; docs/cost.md) and return the C functions' JSON as dicts. No gateway needed.
"""
from __future__ import annotations

import ctypes
import datetime
import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from . import _gateway, _lib
from .errors import make_error

PathLike = Union[str, bytes, "os.PathLike[str]"]
Paths = Union[PathLike, Iterable[PathLike]]
Time = Union[None, str, datetime.datetime, datetime.date]
FORMATS = ("json", "csv", "text")


def _paths(paths: Paths) -> List[bytes]:
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    out = [os.fsencode(p) for p in paths]
    if not out:
        raise ValueError("llmgw: give at least one usage log")
    return out


def _time(value: Time, what: str) -> Optional[bytes]:
    """RFC 3339 / date / span text as report.h takes it; datetimes are converted (naive = UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.isoformat().encode()
    if isinstance(value, datetime.date):
        return value.isoformat().encode()
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"llmgw: {what} is a str (RFC 3339, a date or a span like '7d'), "
                    f"a datetime or a date")


def _now_us(now: Union[None, float, datetime.datetime]) -> int:
    if now is None:
        return 0
    if isinstance(now, datetime.datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=datetime.timezone.utc)
        now = now.timestamp()
    if isinstance(now, bool) or not isinstance(now, (int, float)) or now <= 0:
        raise ValueError("llmgw: now is a datetime or seconds since the epoch")
    return int(round(now * 1_000_000))


def _run(fn_name: str, paths: Paths, fmt: str, fill: Any) -> Union[Dict[str, Any], str]:
    if fmt not in FORMATS:
        raise ValueError(f"llmgw: format is one of {', '.join(FORMATS)}")
    lib = _lib.lib()
    files = _paths(paths)
    arr = (ctypes.c_char_p * len(files))(*files)
    opts = _lib.ReportOptions()
    _gateway.check(lib.llmgw_report_options_init(ctypes.byref(opts), _lib.REPORT_OPTIONS_VERSION))
    keep = fill(opts)       # byte strings and arrays the struct points into
    opts.format = fmt.encode()
    buf = _lib.Buf()
    rc = getattr(lib, fn_name)(ctypes.byref(buf), arr, len(files), ctypes.byref(opts))
    info = _gateway.capture_error() if rc < 0 else None
    text = _lib.take_buf(buf)
    del keep
    if info is not None:
        raise make_error(info)
    return json.loads(text) if fmt == "json" else text


def _common(opts: Any, by: Optional[str], since: Time, until: Time,
            now: Union[None, float, datetime.datetime], max_groups: Optional[int]) -> None:
    if by is not None:
        opts.by = by.encode("utf-8")
    opts.since = _time(since, "since")
    opts.until = _time(until, "until")
    opts.now_us = _now_us(now)
    if max_groups is not None:
        if isinstance(max_groups, bool) or not isinstance(max_groups, int) or max_groups < 1:
            raise ValueError("llmgw: max_groups is a positive int")
        opts.max_groups = max_groups


def cost_report(paths: Paths, *, by: Optional[str] = None, since: Time = None,
                until: Time = None, format: str = "json",
                now: Union[None, float, datetime.datetime] = None,
                max_groups: Optional[int] = None) -> Union[Dict[str, Any], str]:
    """Spend, requests, tokens by kind, cache savings and error spend over usage logs.

    `paths`: one log or a list (rotated files are just more logs). `by`: "model" (default),
    "customer", "tag", "group", "provider" or "day". `since` (inclusive) / `until`
    (exclusive): RFC 3339 text, a date, a span back from now ("36h", "7d"), or a
    datetime/date. Returns the report as a dict ({"report", "by", "input", "totals",
    "groups": [...]}; docs/cost.md §3), or text with format="csv" / "text".
    Money is in the `*_nano_usd` integers (exact); `*_usd` are the same as floats.
    A missing or unreadable log, or a bad option, raises ConfigError (the message names the
    file or the option; `code` is -5, LLMGW_ENOTFOUND, for a missing file).
    """
    def fill(opts: Any) -> None:
        _common(opts, by, since, until, now, max_groups)

    return _run("llmgw_cost_report", paths, format, fill)


def cost_simulate(paths: Paths, *, as_: Optional[str] = None,
                  map: Union[None, Mapping[str, str], Iterable[str]] = None,
                  cache_hit_rate: Optional[float] = None, prices: Optional[PathLike] = None,
                  by: Optional[str] = None, since: Time = None, until: Time = None,
                  format: str = "json", now: Union[None, float, datetime.datetime] = None,
                  max_groups: Optional[int] = None) -> Union[Dict[str, Any], str]:
    """Replay the token counts of usage logs against other prices ("what if we swapped models").

    `as_`: "provider/model" every request is repriced at; or `map`: {"from": "provider/to"} (or
    ["from=to", ...]) for some models; `cache_hit_rate`: project a response-cache hit rate in
    [0, 1]; `prices`: a LiteLLM-format price file over the built-in table. `by` defaults to
    "group". Returns {"scenario", "totals", "groups", "warnings", ...} (docs/cost.md §4) with
    current, simulated and difference (negative: a saving) per row. A target model without a
    price raises NotFoundError.
    """
    pairs: List[bytes] = []
    if map is not None:
        items = map.items() if isinstance(map, Mapping) else None
        if items is not None:
            pairs = [f"{k}={v}".encode("utf-8") for k, v in items]
        elif isinstance(map, (str, bytes)):
            raise TypeError("llmgw: map is a dict or a list of 'from=to' strings")
        else:
            pairs = [p.encode("utf-8") for p in map]
    if cache_hit_rate is not None and (isinstance(cache_hit_rate, bool) or
                                       not isinstance(cache_hit_rate, (int, float))):
        raise TypeError("llmgw: cache_hit_rate is a number in [0, 1]")

    def fill(opts: Any) -> Any:
        _common(opts, by, since, until, now, max_groups)
        setattr(opts, "as", as_.encode("utf-8") if as_ else None)
        arr = None
        if pairs:
            arr = (ctypes.c_char_p * len(pairs))(*pairs)
            opts.map = ctypes.cast(arr, ctypes.POINTER(ctypes.c_char_p))
            opts.map_count = len(pairs)
        if cache_hit_rate is not None:
            opts.project_cache = 1
            opts.cache_hit_rate = float(cache_hit_rate)
        if prices is not None:
            opts.prices_path = os.fsencode(prices)
        return arr

    return _run("llmgw_cost_simulate", paths, format, fill)


__all__ = ["cost_report", "cost_simulate"]
