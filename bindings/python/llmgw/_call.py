"""A non-streamed call (llmgw_complete) that Ctrl-C can interrupt.

Python runs signal handlers on the main thread only, between bytecodes, so a main thread blocked
inside llmgw_complete would see Ctrl-C only once the call returned (at its deadline). A call made
on the main thread therefore runs on a helper thread, in a copy of the caller's contextvars, while
the main thread waits on an Event, which a signal interrupts. On KeyboardInterrupt (or any
exception raised while it waits) the waiter cancels the request with llmgw_request_cancel() (the C
call stops within about 100 ms, class "cancelled", one usage record), waits for the helper, and
re-raises. Calls from other threads, which no signal reaches, run on the calling thread.

The helper owns every C resource of the call (the request, the response, its count in flight),
as a stream's worker does, so nothing is freed under it even if its waiter leaves early.
"""
from __future__ import annotations

import contextvars
import ctypes
import itertools
import threading
from typing import Any, Dict, Optional, Tuple

from . import _gateway, _lib
from .errors import LLMGWError, make_error

_ids = itertools.count(1)


class OwnedRequest:
    """An llmgw_request owned by the thread running its call (a stream's worker, a call's helper),
    which frees it once; any thread may cancel it until then."""

    def __init__(self, request: int) -> None:
        self.ptr = request
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            if self.ptr:
                _lib.lib().llmgw_request_cancel(self.ptr)

    def free(self) -> None:
        with self._lock:
            if self.ptr:
                _lib.lib().llmgw_request_free(self.ptr)
                self.ptr = 0


class Call:
    """One llmgw_complete: run() does the work; complete() picks the thread and waits."""

    def __init__(self, gw: "_gateway.Gateway", handle: int, request: int) -> None:
        self.gw: Optional[_gateway.Gateway] = gw
        self.handle = handle
        self.request = OwnedRequest(request)
        self._claim = threading.Lock()          # run() does its work once, on whichever thread
        self.done = threading.Event()
        self.error: Optional[Dict[str, Any]] = None
        self.internal: Optional[BaseException] = None
        self.data: Optional[Dict[str, Any]] = None
        self.record: Dict[str, Any] = {}

    def run(self) -> None:
        """The C call and everything that needs its pointers, once; never raises."""
        if self._claim.acquire(blocking=False):
            self._run()

    def _run(self) -> None:
        lib = _lib.lib()
        gw = self.gw
        if gw is None:          # never: set in __init__, cleared only here
            return
        resp = ctypes.c_void_p()
        gw.enter_thread()
        try:
            rc = lib.llmgw_complete(ctypes.c_void_p(self.handle),
                                    ctypes.c_void_p(self.request.ptr), ctypes.byref(resp))
            if rc < 0:
                self.error = _gateway.capture_error()     # before any other llmgw call
            elif not resp.value:
                self.internal = LLMGWError("llmgw: llmgw_complete returned no response")
            else:
                self.data = _gateway.response_dict(resp.value)
                self.record = _gateway.usage_record(lib.llmgw_response_usage(resp))
        except BaseException as e:      # reported to the caller
            self.internal = e
        finally:
            if resp.value:
                lib.llmgw_response_free(resp)
            self.request.free()
            gw.leave_thread()
            self.gw = None
            gw.release()
            self.done.set()

    def _wait(self) -> None:
        self.done.wait()

    def complete(self) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """Run the call (see the module docstring); returns (response dict, usage record)."""
        if threading.current_thread() is not threading.main_thread():
            self.run()
        else:
            ctx = contextvars.copy_context()
            helper = threading.Thread(target=ctx.run, args=(self.run,), daemon=True,
                                      name=f"llmgw-call-{next(_ids)}")
            try:
                try:
                    helper.start()
                except RuntimeError:    # no thread to be had: run it here, uninterruptibly
                    self.run()
                self._wait()
                if helper.ident is not None:
                    helper.join()
            except BaseException:       # KeyboardInterrupt (or any exception) while waiting
                self.request.cancel()
                self.run()              # a no-op unless the helper never got to start it
                self.done.wait()
                raise
        if self.internal is not None:
            raise self.internal
        if self.error is not None:
            raise make_error(self.error)
        if self.data is None:       # never: run() sets one of error, internal, data
            raise LLMGWError("llmgw: the call ended without an outcome")
        return self.data, self.record


__all__ = ["Call", "OwnedRequest"]
