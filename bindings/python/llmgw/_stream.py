"""Streams: llmgw_complete_stream's callbacks bridged to a Python iterator.

A worker thread runs the blocking C call; its sink callbacks push events into a bounded channel
that the iterator drains (so a slow reader slows the upstream read, not memory). Closing the
iterator, leaving its `with` block, dropping it, or an exception (KeyboardInterrupt) raised while
the iterator waits for an event cancels: llmgw_request_cancel() stops the C call even while it
waits on a silent upstream (class "cancelled", one usage record), the next callback returns
non-zero as well, and close() joins the worker.

The worker holds the stream's state, never the Stream object the caller holds, so dropping the
last reference to a Stream reaches __del__ and cancels.
"""
from __future__ import annotations

import collections
import ctypes
import itertools
import threading
import time
from typing import Any, Dict, Iterator, Optional

from . import _call, _gateway, _lib
from .errors import LLMGWError, make_error
from .types import (ChatCompletion, ChatCompletionChunk, CompletionUsage, LLMGWInfo,
                    completion_from_json)

QUEUE_EVENTS = 64
_ids = itertools.count(1)


class _Channel:
    """A bounded FIFO with cancellation; put() never blocks once cancelled."""

    def __init__(self, maxsize: int) -> None:
        self._items: "collections.deque[tuple]" = collections.deque()
        self._max = maxsize
        self._cv = threading.Condition()
        self.cancelled = False

    def put(self, item: tuple, force: bool = False) -> bool:
        with self._cv:
            while not force and len(self._items) >= self._max and not self.cancelled:
                self._cv.wait()
            if self.cancelled:
                return False
            self._items.append(item)
            self._cv.notify_all()
            return True

    def get(self) -> tuple:
        with self._cv:
            while not self._items:
                if self.cancelled:
                    return ("end",)
                self._cv.wait()
            item = self._items.popleft()
            self._cv.notify_all()
            return item

    def cancel(self) -> None:
        with self._cv:
            self.cancelled = True
            self._items.clear()
            self._cv.notify_all()


class _StreamState:
    """What the worker thread owns: the request, the sink callbacks and the outcome."""

    def __init__(self, gw: "_gateway.Gateway", handle: int, request: int) -> None:
        self.gw: Optional[_gateway.Gateway] = gw
        self.handle = handle
        self.request = _call.OwnedRequest(request)   # freed by the worker, cancelled by others
        self.chan = _Channel(QUEUE_EVENTS)
        self.rc = 0
        self.error: Optional[Dict[str, Any]] = None
        self.internal: Optional[BaseException] = None
        self.response: Optional[Dict[str, Any]] = None
        self.record: Optional[Dict[str, Any]] = None
        self.cancel_reason: Optional[str] = None
        self.thread = threading.Thread(target=self._run, name=f"llmgw-stream-{next(_ids)}",
                                       daemon=True)

    def cancel(self, reason: str = "llmgw: the client was closed") -> None:
        if self.cancel_reason is None:
            self.cancel_reason = reason
        self.chan.cancel()
        self.request.cancel()

    def join(self) -> None:
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join()

    # -- sink callbacks (worker thread, GIL taken back by ctypes) --

    def _push(self, item: tuple) -> int:
        return 0 if self.chan.put(item) else 1

    def _on_text(self, kind: str) -> Any:
        def cb(text: int, size: int, userdata: int) -> int:
            try:
                if self.chan.cancelled:
                    return 1
                data = ctypes.string_at(text, size) if size else b""
                return self._push((kind, data.decode("utf-8", errors="replace")))
            except BaseException as e:
                self.internal = e
                return 1
        return _lib.TEXT_CB(cb)

    def _on_tool(self, delta: Any, userdata: int) -> int:
        try:
            if self.chan.cancelled:
                return 1
            d = delta.contents
            args = ctypes.string_at(d.arguments, d.arguments_len) if d.arguments_len else b""
            return self._push(("tool", d.index, _gateway._text(d.id), _gateway._text(d.name),
                               args.decode("utf-8", errors="replace")))
        except BaseException as e:
            self.internal = e
            return 1

    def _on_usage(self, usage: int, userdata: int) -> int:
        try:
            self.record = _gateway.usage_record(usage)
        except BaseException as e:
            self.internal = e
        return 0

    def _on_done(self, resp: int, userdata: int) -> None:
        try:
            self.response = _gateway.response_dict(resp)
        except BaseException as e:
            self.internal = e

    def _on_error(self, err: Any, userdata: int) -> None:
        try:
            self.error = _gateway.error_dict(err.contents)
        except BaseException as e:
            self.internal = e

    # -- the worker --

    def _run(self) -> None:
        lib = _lib.lib()
        gw = self.gw
        if gw is None:          # never: set in __init__, cleared only here
            return
        sink = _lib.StreamSink()
        callbacks = (self._on_text("text"), self._on_text("reasoning"),
                     _lib.TOOL_CB(self._on_tool), _lib.SINK_USAGE_CB(self._on_usage),
                     _lib.DONE_CB(self._on_done), _lib.ERROR_CB(self._on_error))
        gw.enter_thread()
        try:
            if lib.llmgw_stream_sink_init(ctypes.byref(sink), _lib.STREAM_SINK_VERSION) < 0:
                self.rc = -1
                self.error = _gateway.capture_error()
                return
            (sink.on_text, sink.on_reasoning, sink.on_tool_call, sink.on_usage, sink.on_done,
             sink.on_error) = callbacks
            self.rc = lib.llmgw_complete_stream(ctypes.c_void_p(self.handle),
                                                ctypes.c_void_p(self.request.ptr),
                                                ctypes.byref(sink), None)
            if self.rc < 0 and self.error is None:
                self.error = _gateway.capture_error()
        except BaseException as e:
            self.internal = e
        finally:
            self.request.free()
            gw.leave_thread()
            gw.discard_stream(self)
            self.gw = None
            gw.release()
            self.chan.put(("end",), force=True)
            del callbacks    # alive until the C call has returned


class Stream:
    """An iterator of ChatCompletionChunk objects, like the OpenAI SDK's Stream.

    After the last chunk, `response` holds the assembled ChatCompletion, and `usage` and
    `llmgw` its usage and llmgw info; `usage_record` is the usage record dict (also set when the
    stream failed or was cancelled). close() cancels a stream still running and joins its
    worker; `with` and dropping the object do the same.
    """

    def __init__(self, gw: "_gateway.Gateway", handle: int, request: int, model: str) -> None:
        self._state = _StreamState(gw, handle, request)
        self._model = model
        self._created = int(time.time())
        self._first = True
        self._done = False
        self._peeked: Optional[tuple] = None
        self.response: Optional[ChatCompletion] = None
        self.usage: Optional[CompletionUsage] = None
        self.llmgw: Optional[LLMGWInfo] = None
        gw.add_stream(self._state)
        self._state.thread.start()

    def _prime(self) -> None:
        """Wait for the first event so that errors before the commit point raise at create()."""
        self._peeked = self._state.chan.get()
        if self._peeked[0] == "end":
            self._state.thread.join()
            self._raise_if_failed()

    @property
    def usage_record(self) -> Optional[Dict[str, Any]]:
        return self._state.record

    def _raise_if_failed(self) -> None:
        st = self._state
        if st.internal is not None:
            self._done = True
            raise st.internal
        if st.rc < 0:          # our own close() never gets here: it sets _done first
            self._done = True
            info = dict(st.error or {"code": st.rc, "message": "llmgw stream failed"})
            if st.cancel_reason and info.get("error_class") == "cancelled":
                info["message"] = st.cancel_reason
            raise make_error(info)

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        return self

    def __next__(self) -> ChatCompletionChunk:
        if self._done:
            raise StopIteration
        if self._peeked is not None:
            item, self._peeked = self._peeked, None
        else:
            try:
                item = self._state.chan.get()
            except BaseException:
                self.close()       # KeyboardInterrupt (or any exception) while waiting
                raise
        if item[0] == "end":
            return self._finish()
        delta: Dict[str, Any] = {}
        if self._first:
            delta["role"] = "assistant"
            self._first = False
        if item[0] == "text":
            delta["content"] = item[1]
        elif item[0] == "reasoning":
            delta["reasoning_content"] = item[1]
        else:
            _, index, call_id, name, args = item
            call: Dict[str, Any] = {"index": index, "function": {"arguments": args}}
            if call_id is not None:
                call["id"] = call_id
                call["type"] = "function"
            if name is not None:
                call["function"]["name"] = name
            delta["tool_calls"] = [call]
        return self._chunk(None, delta, None)

    def _chunk(self, chunk_id: Optional[str], delta: Dict[str, Any],
               finish_reason: Optional[str], **extra: Any) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=chunk_id, object="chat.completion.chunk", created=self._created,
            model=extra.pop("model", self._model),
            choices=[{"index": 0, "delta": delta, "finish_reason": finish_reason,
                      "logprobs": None}], **extra)

    def _finish(self) -> ChatCompletionChunk:
        self._state.thread.join()
        self._done = True
        self._raise_if_failed()
        st = self._state
        if st.response is None:
            raise StopIteration
        self.response = completion_from_json(st.response, st.record or {})
        self.usage = self.response.usage
        self.llmgw = self.response.llmgw
        choice = self.response.choices[0] if self.response.choices else None
        delta: Dict[str, Any] = {"role": "assistant"} if self._first else {}
        return self._chunk(self.response.id, delta, choice.finish_reason if choice else None,
                           model=self.response.model, usage=self.usage, llmgw=self.llmgw)

    def get_final_completion(self) -> ChatCompletion:
        """Drain the stream and return the assembled ChatCompletion."""
        for _ in self:
            pass
        if self.response is None:
            raise LLMGWError("llmgw: the stream was closed before it finished")
        return self.response

    def until_done(self) -> "Stream":
        self.get_final_completion()
        return self

    def close(self) -> None:
        """Cancel the stream if it is still running and join its worker. Idempotent."""
        st = self._state
        self._done = True
        if st.thread.is_alive():
            st.cancel("llmgw: the stream was closed")
            if st.thread is not threading.current_thread():
                st.thread.join()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:   # pragma: no cover - interpreter teardown
            pass


__all__ = ["Stream", "QUEUE_EVENTS"]
