"""llmgw.Client: an OpenAI-SDK-shaped client over the llmgw C library."""
from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Union

from . import _config, _gateway, _lib
from ._stream import Stream
from .errors import LLMGWError, make_error
from .types import ChatCompletion, completion_from_json

UsageCallback = Callable[[Dict[str, Any]], Any]


class Completions:
    """client.chat.completions"""

    def __init__(self, gw: _gateway.Gateway) -> None:
        self._gw = gw

    def create(self, *, model: str, messages: Iterable[Any], stream: bool = False,
               tools: Optional[Iterable[Any]] = None, timeout: Optional[float] = None,
               extra_body: Optional[Mapping[str, Any]] = None,
               **params: Any) -> Union[ChatCompletion, Stream]:
        """Complete an OpenAI Chat Completions request.

        `params` are request members (temperature, max_tokens, tool_choice, response_format,
        stop, seed, user, ...); None values are left out. `llmgw={"customer", "tags",
        "trace_id", "metadata"}` and `cache={...}` are llmgw's own and never sent upstream.
        `timeout` (seconds) is the deadline of this logical request, retries included.
        Returns a ChatCompletion, or with stream=True a Stream of ChatCompletionChunk.
        """
        if not isinstance(model, str) or not model:
            raise TypeError("llmgw: model must be a non-empty string")
        if isinstance(messages, (str, bytes)) or not isinstance(messages, Iterable):
            raise TypeError("llmgw: messages must be a list of messages")
        body: Dict[str, Any] = {"model": model, "messages": list(messages)}
        if tools is not None:
            body["tools"] = list(tools)
        for key, value in params.items():
            if value is not None:
                body[key] = value
        if extra_body:
            body.update(extra_body)
        body.pop("stream", None)
        request = self._request(body, timeout)
        try:
            handle = self._gw.acquire()
        except BaseException:
            _lib.lib().llmgw_request_free(request)
            raise
        if stream:
            return self._stream(handle, request, model)
        return self._complete(handle, request)

    @staticmethod
    def _request(body: Dict[str, Any], timeout: Optional[float]) -> int:
        lib = _lib.lib()
        text = _config.to_json(body).encode("utf-8")
        req = ctypes.c_void_p()
        rc = lib.llmgw_request_from_json(ctypes.byref(req), text, len(text))
        if rc < 0:
            raise make_error(_gateway.capture_error())
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or \
                    not timeout > 0:
                lib.llmgw_request_free(req)
                raise ValueError("llmgw: timeout must be a positive number of seconds")
            rc = lib.llmgw_request_set_deadline_ms(req, max(1, int(timeout * 1000)))
            if rc < 0:
                info = _gateway.capture_error()
                lib.llmgw_request_free(req)
                raise make_error(info)
        return req.value  # type: ignore[return-value]

    def _complete(self, handle: int, request: int) -> ChatCompletion:
        lib = _lib.lib()
        gw = self._gw
        resp = ctypes.c_void_p()
        info = None
        gw.enter_thread()
        try:
            rc = lib.llmgw_complete(ctypes.c_void_p(handle), ctypes.c_void_p(request),
                                    ctypes.byref(resp))
            if rc < 0:
                info = _gateway.capture_error()     # before any other llmgw call
        finally:
            lib.llmgw_request_free(request)
            gw.leave_thread()
        try:
            if info is not None:
                raise make_error(info)
            if not resp.value:
                raise LLMGWError("llmgw: llmgw_complete returned no response")
            data = _gateway.response_dict(resp.value)
            record = _gateway.usage_record(lib.llmgw_response_usage(resp))
        finally:
            if resp.value:
                lib.llmgw_response_free(resp)
            gw.release()
        return completion_from_json(data, record)

    def _stream(self, handle: int, request: int, model: str) -> Stream:
        try:
            stream = Stream(self._gw, handle, request, model)
        except BaseException:
            _lib.lib().llmgw_request_free(request)
            self._gw.release()
            raise
        stream._prime()
        return stream


class Chat:
    """client.chat"""

    def __init__(self, gw: _gateway.Gateway) -> None:
        self.completions = Completions(gw)


class Client:
    """A gateway: deployments, routing, retries, cache and cost accounting, in process.

        Client(config="llmgw.yaml")                 a LiteLLM-style config file
        Client(config={"model_list": [...]})        the same as a dict
        Client(model_list=[...], router_settings={...}, llmgw_settings={...})
        Client()                                    $LLMGW_CONFIG, ./llmgw.yaml ..., else env vars

    Thread-safe: share one client between threads. close() (or `with`) releases it.
    """

    def __init__(self, config: Union[None, str, "os.PathLike[str]", Mapping[str, Any]] = None,
                 *, on_usage: Optional[UsageCallback] = None, **options: Any) -> None:
        kind, value = _config.resolve(config, options)
        lib = _lib.lib()
        if kind == "path":
            path = os.fsencode(value)  # type: ignore[arg-type]

            def opener(out: Any, opts: Any) -> int:
                return lib.llmgw_gateway_open(out, path, opts)
        elif kind == "json":
            data = value.encode("utf-8")  # type: ignore[union-attr]

            def opener(out: Any, opts: Any) -> int:
                return lib.llmgw_gateway_open_buffer(out, data, len(data), b"json", opts)
        else:
            def opener(out: Any, opts: Any) -> int:
                return lib.llmgw_gateway_new(out, opts)
        self._gw = _gateway.Gateway(opener)
        self.chat = Chat(self._gw)
        if on_usage is not None:
            self.on_usage(on_usage)

    def on_usage(self, callback: UsageCallback) -> UsageCallback:
        """Call `callback(record: dict)` once per logical request (success or failure).

        It runs on the thread that made the request (a stream's worker thread for streams),
        must not block on this client, and must not raise: an exception is reported through
        sys.unraisablehook and the request goes on. Usable as a decorator.
        """
        if not callable(callback):
            raise TypeError("llmgw: on_usage needs a callable")
        self._gw.hooks.add_usage(callback)
        return callback

    def remove_usage_callback(self, callback: UsageCallback) -> None:
        self._gw.hooks.remove_usage(callback)

    @property
    def closed(self) -> bool:
        return self._gw.closed

    def close(self) -> None:
        """Cancel open streams, wait for requests in flight, free the gateway. Idempotent."""
        self._gw.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<llmgw.Client {'closed' if self.closed else 'open'}>"
