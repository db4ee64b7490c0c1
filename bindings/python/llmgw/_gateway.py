"""The native gateway handle: open, hooks, in-flight accounting, close.

A gateway is thread-safe in C. This wrapper adds what Python needs around it:
- callbacks (CFUNCTYPE objects) stay referenced until llmgw_gateway_free() has returned;
- close() waits for calls in flight (after cancelling open streams), then frees once; a close
  from inside a callback, on the thread of a call in flight, is deferred to that call's end;
- no Python lock is held while C runs, so callbacks (which take the GIL back) cannot deadlock;
- exceptions raised by user callbacks never cross into C: they go to sys.unraisablehook.
"""
from __future__ import annotations

import atexit
import ctypes
import json
import logging
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional

from . import _lib, _routing
from .errors import ClientClosedError, make_error

logger = logging.getLogger("llmgw")

# errors.h, llmgw_error_class, in order
CLASS_NAMES = ("", "bad_request", "auth", "not_found", "rate_limit", "quota_exceeded",
               "context_length_exceeded", "content_policy", "timeout", "server_error", "network",
               "stream_cut", "budget_exceeded", "config", "unsupported", "cancelled")


def class_name(value: int) -> str:
    if 0 <= value < len(CLASS_NAMES):
        return CLASS_NAMES[value]
    name = _lib.lib().llmgw_error_class_str(value)
    return name.decode() if name else ""


def _text(value: Optional[bytes]) -> Optional[str]:
    return None if value is None else value.decode("utf-8", errors="replace")


def attempt_dict(a: _lib.Attempt) -> Dict[str, Any]:
    """An attempt as the usage record's trail renders it."""
    return {
        "deployment": _text(a.deployment), "provider": _text(a.provider), "model": _text(a.model),
        "status": "success" if a.status == 0 else "failure",
        "error_class": class_name(a.error_class) or None, "http_status": a.http_status,
        "usage_known": bool(a.usage_known), "billed": bool(a.billed),
        "input_tokens": a.input_tokens, "output_tokens": a.output_tokens,
        "cache_read_tokens": a.cache_read_tokens,
        "cache_creation_tokens": a.cache_creation_tokens, "reasoning_tokens": a.reasoning_tokens,
        "cost_nano_usd": a.cost_nusd if a.cost_source != 0 else None,
        "latency_ms": a.latency_us / 1000.0, "wait_ms": a.wait_us / 1000.0,
        "retry_after_ms": a.retry_after_ms if a.retry_after_ms >= 0 else None,
        "group": _text(a.group), "route_rule": _text(a.route_rule),
    }


def error_dict(e: _lib.Error) -> Dict[str, Any]:
    """Copy an llmgw_error (its strings and trail die with the next llmgw call)."""
    attempts = [attempt_dict(e.attempts[i]) for i in range(e.attempt_count)] if e.attempts else []
    return {"code": e.code, "error_class": class_name(e.error_class),
            "message": _text(e.message) or "", "provider": _text(e.provider),
            "http_status": e.http_status,
            "retry_after_ms": e.retry_after_ms if e.retry_after_ms >= 0 else None,
            "attempts": attempts}


def capture_error() -> Dict[str, Any]:
    """This thread's llmgw_error_last(); call it right after the failing call."""
    return error_dict(_lib.lib().llmgw_error_last().contents)


def check(rc: int) -> None:
    if rc < 0:
        raise make_error(capture_error())


def usage_record(usage_ptr: int) -> Dict[str, Any]:
    buf = _lib.Buf()
    rc = _lib.lib().llmgw_usage_to_json(ctypes.byref(buf), usage_ptr)
    if rc < 0:
        info = capture_error()
        _lib.take_buf(buf)
        raise make_error(info)
    return json.loads(_lib.take_buf(buf))


def response_dict(resp_ptr: int) -> Dict[str, Any]:
    buf = _lib.Buf()
    rc = _lib.lib().llmgw_response_to_json(ctypes.byref(buf), resp_ptr)
    if rc < 0:
        info = capture_error()
        _lib.take_buf(buf)
        raise make_error(info)
    return json.loads(_lib.take_buf(buf))


BUDGET_SCOPES = {0: "customer", 1: "tag", 2: "global"}
PERIODS = {0: "total", 1: "daily", 2: "monthly"}


def alert_dict(a: _lib.BudgetAlert) -> Dict[str, Any]:
    """A budget alert as a dict (docs/cost.md); money in exact nano-USD and in USD."""
    return {
        "scope": BUDGET_SCOPES.get(a.scope, str(a.scope)), "name": _text(a.name),
        "period": PERIODS.get(a.period, str(a.period)),
        "period_start": a.period_start or None, "period_end": a.period_end or None,
        "threshold": a.threshold,
        "limit_nano_usd": a.limit_nusd, "spent_nano_usd": a.spent_nusd,
        "remaining_nano_usd": a.remaining_nusd,
        "limit_usd": a.limit_nusd / 1e9, "spent_usd": a.spent_nusd / 1e9,
        "remaining_usd": a.remaining_nusd / 1e9,
        "now": a.now,
        "projected_exhaustion": a.projected_exhaustion if a.projected_exhaustion >= 0 else None,
        "shared": bool(a.shared),
    }


# ---- user-callback errors -> sys.unraisablehook ---------------------------------------------

_pending = threading.local()


def llmgw_callback_error() -> None:
    """Re-raised inside a ctypes callback so that ctypes hands it to sys.unraisablehook."""
    exc = _pending.exc
    _pending.exc = None
    raise exc


_RAISER = ctypes.CFUNCTYPE(None)(llmgw_callback_error)


def report_unraisable(exc: BaseException, where: str) -> None:
    """Report an exception a callback raised without letting it reach C."""
    if hasattr(exc, "add_note"):
        try:
            exc.add_note(f"raised in {where}")
        except Exception:   # pragma: no cover - notes are best effort
            pass
    _pending.exc = exc
    try:
        _RAISER()
    finally:
        _pending.exc = None


# ---- hooks ----------------------------------------------------------------------------------

_PY_LEVEL = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}


def _c_log_level() -> int:
    level = logger.getEffectiveLevel()
    if level <= logging.DEBUG:
        return 4
    if level <= logging.INFO:
        return 3
    if level <= logging.WARNING:
        return 2
    return 1


class Hooks:
    """The Python side of the gateway's hooks. Holds no reference to the gateway."""

    def __init__(self) -> None:
        self.usage: tuple = ()       # replaced, never mutated: readers need no lock
        self.classifier: Optional[_routing.Classifier] = None
        self.alerts: tuple = ()      # budget alert callbacks, replaced like usage
        self._lock = threading.Lock()

    def add_usage(self, fn: Callable[[Dict[str, Any]], Any]) -> None:
        with self._lock:
            self.usage = self.usage + (fn,)

    def remove_usage(self, fn: Callable[[Dict[str, Any]], Any]) -> None:
        with self._lock:
            items = list(self.usage)
            if fn in items:
                items.remove(fn)
            self.usage = tuple(items)

    def add_alert(self, fn: Callable[[Dict[str, Any]], Any]) -> None:
        with self._lock:
            self.alerts = self.alerts + (fn,)

    def remove_alert(self, fn: Callable[[Dict[str, Any]], Any]) -> None:
        with self._lock:
            items = list(self.alerts)
            if fn in items:
                items.remove(fn)
            self.alerts = tuple(items)

    def make_alert_cb(self) -> Any:
        hooks = self

        def on_alert(alert: Any, userdata: int) -> None:
            callbacks = hooks.alerts
            if not callbacks or not alert:
                return
            try:
                record = alert_dict(alert.contents)
            except BaseException as e:   # never into C
                report_unraisable(e, "llmgw budget alert hook")
                return
            for fn in callbacks:
                try:
                    fn(dict(record))
                except BaseException as e:
                    report_unraisable(e, f"llmgw on_budget_alert callback {fn!r}")

        return _lib.BUDGET_ALERT_CB(on_alert)

    def make_usage_cb(self) -> Any:
        hooks = self

        def on_usage(usage_ptr: int, userdata: int) -> None:
            callbacks = hooks.usage
            if not callbacks:
                return
            try:
                text = json.dumps(usage_record(usage_ptr))
            except BaseException as e:   # never into C
                report_unraisable(e, "llmgw usage hook")
                return
            for fn in callbacks:
                try:
                    fn(json.loads(text))
                except BaseException as e:
                    report_unraisable(e, f"llmgw on_usage callback {fn!r}")

        return _lib.USAGE_CB(on_usage)

    @staticmethod
    def make_log_cb() -> Any:
        def on_log(level: int, msg: Optional[bytes], userdata: int) -> None:
            try:
                logger.log(_PY_LEVEL.get(level, logging.WARNING), "%s", _text(msg) or "")
            except BaseException as e:
                report_unraisable(e, "llmgw log hook")

        return _lib.LOG_CB(on_log)


# ---- the handle -----------------------------------------------------------------------------

def _free_handle(box: List[Optional[int]], keep: tuple) -> None:
    """Free the gateway once; `keep` holds the callbacks alive until free has returned."""
    handle, box[0] = box[0], None
    if handle:
        _lib.lib().llmgw_gateway_free(handle)
    del keep


_live: "weakref.WeakSet[Gateway]" = weakref.WeakSet()


class Gateway:
    """An open llmgw_gateway with in-flight accounting; see the module docstring."""

    def __init__(self, opener: Callable[[Any, Any], int]) -> None:
        lib = _lib.lib()
        self.hooks = Hooks()
        usage_cb = self.hooks.make_usage_cb()
        log_cb = Hooks.make_log_cb()
        hooks = self.hooks
        # one trampoline for the gateway's life: C may still be calling an old classifier
        # while a new one is set, so the C function pointer never changes once registered
        self._classifier_cb = _routing.make_classifier_cb(lambda: hooks.classifier,
                                                          report_unraisable)
        self._alert_cb = self.hooks.make_alert_cb()
        self._alert_set = False
        opts = _lib.GatewayOptions()
        check(lib.llmgw_gateway_options_init(ctypes.byref(opts), _lib.GATEWAY_OPTIONS_VERSION))
        opts.usage_cb = usage_cb
        opts.log_cb = log_cb
        opts.log_level = _c_log_level()
        handle = ctypes.c_void_p()
        rc = opener(ctypes.byref(handle), ctypes.byref(opts))
        if rc < 0 or not handle.value:
            raise make_error(capture_error())
        self._box: List[Optional[int]] = [handle.value]
        self._cv = threading.Condition()
        self._inflight = 0
        self._closed = False
        self._state = "open"              # open -> freeing -> freed
        self._active: Dict[int, int] = {}  # thread ident -> C calls running on it
        self._streams: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._finalizer = weakref.finalize(self, _free_handle, self._box,
                                           (usage_cb, log_cb, opts, self._classifier_cb,
                                            self._alert_cb))
        self._finalizer.atexit = False      # _shutdown_all() handles exit
        _live.add(self)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- in-flight accounting --

    def acquire(self) -> int:
        """Count a call in flight and return the handle; raises once closed."""
        with self._cv:
            if self._closed or self._box[0] is None:
                raise ClientClosedError("llmgw: the client is closed")
            self._inflight += 1
            return self._box[0]  # type: ignore[return-value]

    def release(self) -> None:
        free_now = False
        with self._cv:
            self._inflight -= 1
            if self._inflight == 0:
                if self._closed and self._state == "open":
                    self._state = "freeing"
                    free_now = True
                self._cv.notify_all()
        if free_now:
            self._free()

    def enter_thread(self) -> None:
        """Mark the current thread as running a C call (for re-entrant close())."""
        ident = threading.get_ident()
        with self._cv:
            self._active[ident] = self._active.get(ident, 0) + 1

    def leave_thread(self) -> None:
        ident = threading.get_ident()
        with self._cv:
            n = self._active.get(ident, 1) - 1
            if n:
                self._active[ident] = n
            else:
                self._active.pop(ident, None)

    def add_stream(self, stream: Any) -> None:
        with self._cv:
            self._streams.add(stream)

    def discard_stream(self, stream: Any) -> None:
        with self._cv:
            self._streams.discard(stream)

    # -- routing --

    def call(self, fn: Callable[..., int], *args: Any) -> None:
        """Run a short C call on the open gateway (counted in flight); raise on failure."""
        handle = self.acquire()
        try:
            rc = fn(ctypes.c_void_p(handle), *args)
            info = capture_error() if rc < 0 else None
        finally:
            self.release()
        if info is not None:
            raise make_error(info)

    def set_classifier(self, fn: Optional[_routing.Classifier]) -> None:
        lib = _lib.lib()
        self.hooks.classifier = fn
        cb = self._classifier_cb if fn is not None else _lib.CLASSIFIER_CB()
        self.call(lib.llmgw_gateway_set_classifier, cb, None)

    def add_budget_alert(self, fn: Callable[[Dict[str, Any]], Any]) -> None:
        self.hooks.add_alert(fn)
        if not self._alert_set:       # registered once; it reads hooks.alerts at call time
            self.call(_lib.lib().llmgw_gateway_on_budget_alert, self._alert_cb, None)
            self._alert_set = True

    # -- closing --

    def _free(self) -> None:
        try:
            self._finalizer()
        finally:
            with self._cv:
                self._state = "freed"
                self._cv.notify_all()

    def _begin_close(self) -> List[Any]:
        with self._cv:
            self._closed = True
            streams = list(self._streams)
        for s in streams:
            s.cancel()
        return streams

    def close(self) -> None:
        """Cancel open streams, wait for calls in flight, free, join stream workers.
        Idempotent."""
        streams = self._begin_close()
        with self._cv:
            if threading.get_ident() in self._active:
                return                     # inside a callback: the last call out frees
            while self._inflight > 0:
                self._cv.wait()
            free_now = self._state == "open"
            if free_now:
                self._state = "freeing"
            else:
                while self._state != "freed":
                    self._cv.wait()
        if free_now:
            self._free()
        for s in streams:
            s.join()

    def close_at_exit(self, wait_s: float) -> None:
        """Interpreter exit: close, but never hang on a call stuck upstream (then leak)."""
        self._begin_close()
        with self._cv:
            if not self._cv.wait_for(lambda: self._inflight == 0, timeout=wait_s):
                return
            if self._state != "open":
                return
            self._state = "freeing"
        self._free()


@atexit.register
def _shutdown_all() -> None:
    for gw in list(_live):
        try:
            gw.close_at_exit(2.0)
        except Exception:   # pragma: no cover - exit must go on
            pass
