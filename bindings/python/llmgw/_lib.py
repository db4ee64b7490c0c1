"""ctypes mirror of the llmgw C API: loading, structs, callback types and prototypes.

Only what the binding calls is declared. Structs mirror include/llmgw/*.h field for field;
tests/test_layout.py compiles a C helper and fails if an offset or a size drifts.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_int, c_int64,
                    c_size_t, c_uint, c_uint64, c_void_p)
from typing import List, Optional

# ---- structs -------------------------------------------------------------------------------

GATEWAY_OPTIONS_VERSION = 1   # LLMGW_GATEWAY_OPTIONS_VERSION
STREAM_SINK_VERSION = 1       # LLMGW_STREAM_SINK_VERSION
REPORT_OPTIONS_VERSION = 1    # LLMGW_REPORT_OPTIONS_VERSION
BUDGET_ALERT_VERSION = 1      # LLMGW_BUDGET_ALERT_VERSION

LOG_LEVELS = {1: "error", 2: "warn", 3: "info", 4: "debug"}   # LLMGW_LOG_*


class Buf(Structure):
    """llmgw_buf (buf.h): release with llmgw_buf_dispose()."""
    _fields_ = [("ptr", c_void_p), ("size", c_size_t), ("asize", c_size_t)]


class Attempt(Structure):
    """struct llmgw_attempt (hooks.h)."""
    _fields_ = [
        ("deployment", c_char_p), ("provider", c_char_p), ("model", c_char_p),
        ("status", c_int), ("error_class", c_int), ("http_status", c_int),
        ("usage_known", c_int), ("billed", c_int),
        ("input_tokens", c_uint64), ("output_tokens", c_uint64),
        ("cache_read_tokens", c_uint64), ("cache_creation_tokens", c_uint64),
        ("reasoning_tokens", c_uint64),
        ("cost_nusd", c_int64), ("cost_source", c_int),
        ("latency_us", c_int64), ("wait_us", c_int64), ("retry_after_ms", c_int64),
        ("usage_estimated", c_int), ("input_cost_nusd", c_int64), ("output_cost_nusd", c_int64),
        ("group", c_char_p), ("route_rule", c_char_p),
    ]


class Error(Structure):
    """llmgw_error (errors.h); library-owned, per thread."""
    _fields_ = [
        ("code", c_int), ("error_class", c_int), ("message", c_char_p), ("provider", c_char_p),
        ("http_status", c_int), ("retry_after_ms", c_int64),
        ("attempts", POINTER(Attempt)), ("attempt_count", c_size_t),
    ]


class ToolCallDelta(Structure):
    """llmgw_tool_call_delta (stream.h)."""
    _fields_ = [("index", c_size_t), ("id", c_char_p), ("name", c_char_p),
                ("arguments", c_void_p), ("arguments_len", c_size_t)]


LOG_CB = CFUNCTYPE(None, c_int, c_char_p, c_void_p)          # llmgw_log_cb
USAGE_CB = CFUNCTYPE(None, c_void_p, c_void_p)               # llmgw_usage_cb(const llmgw_usage *, ud)
TEXT_CB = CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)     # on_text, on_reasoning
TOOL_CB = CFUNCTYPE(c_int, POINTER(ToolCallDelta), c_void_p)
SINK_USAGE_CB = CFUNCTYPE(c_int, c_void_p, c_void_p)
DONE_CB = CFUNCTYPE(None, c_void_p, c_void_p)                # on_done(const llmgw_response *, ud)
ERROR_CB = CFUNCTYPE(None, POINTER(Error), c_void_p)
# llmgw_classifier_cb: returns a char * that must outlive the call (kept per thread by the
# binding), so the result is declared as a plain address.
CLASSIFIER_CB = CFUNCTYPE(c_void_p, c_void_p, c_void_p)


class BudgetAlert(Structure):
    """llmgw_budget_alert (gateway.h), version 1; read-only, valid during the callback."""
    _fields_ = [
        ("version", c_uint), ("scope", c_int), ("name", c_char_p), ("period", c_int),
        ("period_start", c_int64), ("period_end", c_int64), ("threshold", c_double),
        ("limit_nusd", c_int64), ("spent_nusd", c_int64), ("remaining_nusd", c_int64),
        ("now", c_int64), ("projected_exhaustion", c_int64), ("shared", c_int),
    ]


BUDGET_ALERT_CB = CFUNCTYPE(None, POINTER(BudgetAlert), c_void_p)   # llmgw_budget_alert_cb


class StreamSink(Structure):
    """llmgw_stream_sink (stream.h)."""
    _fields_ = [("version", c_uint), ("on_text", TEXT_CB), ("on_reasoning", TEXT_CB),
                ("on_tool_call", TOOL_CB), ("on_usage", SINK_USAGE_CB), ("on_done", DONE_CB),
                ("on_error", ERROR_CB), ("userdata", c_void_p)]


class GatewayOptions(Structure):
    """llmgw_gateway_options (gateway.h), version 1. Append only, like the C struct."""
    _fields_ = [
        ("version", c_uint),
        ("deadline_ms", c_int64),
        ("connect_timeout_ms", c_int64),
        ("first_byte_timeout_ms", c_int64),
        ("idle_timeout_ms", c_int64),
        ("attempt_timeout_ms", c_int64),
        ("max_response_bytes", c_size_t),
        ("max_stream_bytes", c_size_t),
        ("max_sse_line_bytes", c_size_t),
        ("max_headers", c_uint),
        ("max_header_bytes", c_size_t),
        ("max_attempts", c_uint),
        ("pool_size", c_uint),
        ("log_cb", LOG_CB),
        ("log_userdata", c_void_p),
        ("log_level", c_int),
        ("usage_cb", USAGE_CB),
        ("usage_userdata", c_void_p),
        ("proxy", c_char_p),
        ("ca_path", c_char_p),
        ("seed", c_uint64),
        ("routing_strategy", c_int),
        ("max_fallbacks", c_uint),
        ("allowed_fails", c_uint),
        ("cooldown_ms", c_int64),
        ("breaker_disabled", c_int),
        ("retry_budget_percent", c_int),
        ("hedge_after_ms", c_int64),
        ("drop_params", c_int),
        ("cache_enabled", c_int),
        ("cache_ttl_ms", c_int64),
        ("cache_max_bytes", c_size_t),
        ("cache_max_entry_bytes", c_size_t),
        ("cache_namespace", c_char_p),
        ("cache_require_namespace", c_int),
        ("prices_path", c_char_p),
        ("tag_filtering", c_int),
    ]


class ReportOptions(Structure):
    """llmgw_report_options (report.h), version 1."""
    _fields_ = [
        ("version", c_uint),
        ("by", c_char_p),
        ("since", c_char_p),
        ("until", c_char_p),
        ("format", c_char_p),
        ("now_us", c_int64),
        ("max_groups", c_size_t),
        ("max_line_bytes", c_size_t),
        ("prices_path", c_char_p),
        ("as", c_char_p),
        ("map", POINTER(c_char_p)),
        ("map_count", c_size_t),
        ("project_cache", c_int),
        ("cache_hit_rate", c_double),
    ]


# (C struct name, ctypes mirror): what tests/test_layout.py checks against the headers.
MIRRORED_STRUCTS = [
    ("llmgw_buf", Buf),
    ("llmgw_attempt", Attempt),
    ("llmgw_error", Error),
    ("llmgw_tool_call_delta", ToolCallDelta),
    ("llmgw_stream_sink", StreamSink),
    ("llmgw_gateway_options", GatewayOptions),
    ("llmgw_report_options", ReportOptions),
    ("llmgw_budget_alert", BudgetAlert),
]

# ---- prototypes ----------------------------------------------------------------------------

_vp = c_void_p
_PROTOTYPES = {
    # name: (restype, argtypes)
    "llmgw_version": (c_char_p, []),
    "llmgw_error_last": (POINTER(Error), []),
    "llmgw_error_clear": (None, []),
    "llmgw_status_str": (c_char_p, [c_int]),
    "llmgw_error_class_str": (c_char_p, [c_int]),
    "llmgw_error_class_from_str": (c_int, [c_char_p]),
    "llmgw_buf_dispose": (None, [POINTER(Buf)]),
    "llmgw_gateway_options_init": (c_int, [POINTER(GatewayOptions), c_uint]),
    "llmgw_gateway_new": (c_int, [POINTER(_vp), POINTER(GatewayOptions)]),
    "llmgw_gateway_open": (c_int, [POINTER(_vp), c_char_p, POINTER(GatewayOptions)]),
    "llmgw_gateway_open_buffer": (c_int, [POINTER(_vp), c_char_p, c_size_t, c_char_p,
                                          POINTER(GatewayOptions)]),
    "llmgw_gateway_free": (None, [_vp]),
    "llmgw_gateway_group_size": (c_size_t, [_vp, c_char_p]),
    "llmgw_gateway_add_rule": (c_int, [_vp, c_char_p, c_char_p, c_char_p]),
    "llmgw_gateway_set_classifier": (c_int, [_vp, CLASSIFIER_CB, _vp]),
    "llmgw_gateway_use_builtin_classifier": (c_int, [_vp, c_char_p, c_char_p]),
    "llmgw_gateway_on_budget_alert": (c_int, [_vp, BUDGET_ALERT_CB, _vp]),
    "llmgw_request_from_json": (c_int, [POINTER(_vp), c_char_p, c_size_t]),
    "llmgw_request_set_deadline_ms": (c_int, [_vp, c_int64]),
    "llmgw_request_free": (None, [_vp]),
    "llmgw_request_cancel": (c_int, [_vp]),
    "llmgw_request_model": (c_char_p, [_vp]),
    "llmgw_request_to_json": (c_int, [POINTER(Buf), _vp]),
    "llmgw_request_customer": (c_char_p, [_vp]),
    "llmgw_request_trace_id": (c_char_p, [_vp]),
    "llmgw_request_tag_count": (c_size_t, [_vp]),
    "llmgw_request_tag": (c_char_p, [_vp, c_size_t]),
    "llmgw_request_metadata_json": (c_int, [POINTER(Buf), _vp]),
    "llmgw_complete": (c_int, [_vp, _vp, POINTER(_vp)]),
    "llmgw_stream_sink_init": (c_int, [POINTER(StreamSink), c_uint]),
    "llmgw_complete_stream": (c_int, [_vp, _vp, POINTER(StreamSink), POINTER(_vp)]),
    "llmgw_response_free": (None, [_vp]),
    "llmgw_response_usage": (_vp, [_vp]),
    "llmgw_response_to_json": (c_int, [POINTER(Buf), _vp]),
    "llmgw_usage_to_json": (c_int, [POINTER(Buf), _vp]),
    "llmgw_report_options_init": (c_int, [POINTER(ReportOptions), c_uint]),
    "llmgw_cost_report": (c_int, [POINTER(Buf), POINTER(c_char_p), c_size_t,
                                  POINTER(ReportOptions)]),
    "llmgw_cost_simulate": (c_int, [POINTER(Buf), POINTER(c_char_p), c_size_t,
                                    POINTER(ReportOptions)]),
}
del _vp

# ---- loading -------------------------------------------------------------------------------

SONAME = "libllmgw.so.0"
_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


class LibraryNotFoundError(OSError):
    """libllmgw could not be loaded; the message lists every place tried."""


def _repo_root() -> Optional[str]:
    """The llmgw checkout holding this package (bindings/python/llmgw), or None."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    if os.path.isfile(os.path.join(root, "meson.build")) and \
            os.path.isfile(os.path.join(root, "include", "llmgw", "llmgw.h")):
        return root
    return None


def _build_tree_candidates() -> List[str]:
    """libllmgw.so.0 in <repo>/build*/lib and <repo>/build*/*/lib, newest first.

    Sanitizer and fuzzer builds are left out: they cannot be loaded into a plain python3.
    """
    root = _repo_root()
    if root is None:
        return []
    found = glob.glob(os.path.join(root, "build*", "lib", SONAME)) + \
        glob.glob(os.path.join(root, "build*", "*", "lib", SONAME))
    found = [p for p in found if os.path.exists(p)    # a dangling symlink (a static-only build)
             and not any(s in p for s in ("asan", "tsan", "ubsan", "msan", "fuzz"))]
    return sorted(found, key=lambda p: os.path.getmtime(p), reverse=True)


def candidates() -> List[str]:
    """Where the library is looked for, in order."""
    out = []
    for var in ("LLMGW_LIBRARY", "LLMGW_LIB"):
        value = os.environ.get(var)
        if value:
            out.append(value)
    here = os.path.dirname(os.path.abspath(__file__))
    out.append(os.path.join(here, SONAME))
    out.extend(_build_tree_candidates())
    found = ctypes.util.find_library("llmgw")
    if found:
        out.append(found)
    out.append(SONAME)
    return out


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def load(path: Optional[str] = None) -> ctypes.CDLL:
    """Load libllmgw once (path, or the search of candidates()) and declare its prototypes."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for cand in ([path] if path else candidates()):
            explicit = os.sep in cand
            if explicit and not os.path.exists(cand):
                tried.append(f"{cand} (no such file)")
                continue
            try:
                lib = ctypes.CDLL(cand)
            except OSError as e:
                tried.append(f"{cand} ({e})")
                continue
            try:
                _declare(lib)
            except AttributeError as e:
                tried.append(f"{cand} (not a usable libllmgw: {e})")
                continue
            _lib = lib
            return lib
        raise LibraryNotFoundError(
            "llmgw: cannot load libllmgw. Set LLMGW_LIBRARY to its path, build it "
            "(meson setup build && meson compile -C build), or install it. Tried:\n  " +
            "\n  ".join(tried))


def lib() -> ctypes.CDLL:
    return _lib if _lib is not None else load()


def take_buf(buf: Buf) -> str:
    """The contents of an llmgw_buf as text; disposes of the buffer."""
    try:
        if not buf.ptr:
            return ""
        return ctypes.string_at(buf.ptr, buf.size).decode("utf-8", errors="replace")
    finally:
        lib().llmgw_buf_dispose(ctypes.byref(buf))


__all__ = ["Buf", "Attempt", "Error", "ToolCallDelta", "StreamSink", "GatewayOptions",
           "ReportOptions", "BudgetAlert", "BUDGET_ALERT_CB", "CLASSIFIER_CB", "LOG_CB",
           "USAGE_CB", "TEXT_CB", "TOOL_CB",
           "SINK_USAGE_CB", "DONE_CB", "ERROR_CB",
           "MIRRORED_STRUCTS", "LibraryNotFoundError", "load", "lib", "candidates", "take_buf"]
