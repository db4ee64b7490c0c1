"""llmgw.Client: an OpenAI-SDK-shaped client over the llmgw C library."""
from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Union

from . import _call, _config, _gateway, _lib, _routing
from ._stream import Stream
from .errors import make_error
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
        # on the main thread, a helper thread runs the C call so that Ctrl-C can cancel it
        data, record = _call.Call(self._gw, handle, request).complete()
        return completion_from_json(data, record)

    def _stream(self, handle: int, request: int, model: str) -> Stream:
        try:
            stream = Stream(self._gw, handle, request, model)
        except BaseException:
            _lib.lib().llmgw_request_free(request)
            self._gw.release()
            raise
        try:
            stream._prime()
        except BaseException:
            stream.close()      # e.g. KeyboardInterrupt while waiting: cancel, join, re-raise
            raise
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

        It runs on the thread running the C call (the caller's, or a helper thread for streams
        and for calls made on the main thread; see the README), must not block on this client,
        and must not raise: an exception is reported through sys.unraisablehook and the request
        goes on. Usable as a decorator.
        """
        if not callable(callback):
            raise TypeError("llmgw: on_usage needs a callable")
        self._gw.hooks.add_usage(callback)
        return callback

    def remove_usage_callback(self, callback: UsageCallback) -> None:
        self._gw.hooks.remove_usage(callback)

    def on_budget_alert(self, callback: Callable[[Dict[str, Any]], Any]) -> Callable[
            [Dict[str, Any]], Any]:
        """Call `callback(alert: dict)` when a budget's spend reaches one of its thresholds
        (by default 50%, 80% and 100% of the limit), once per budget, period and threshold.

        The dict: scope ("customer", "tag" or "global"), name, period ("total", "daily",
        "monthly"), period_start / period_end (Unix seconds, None when none), threshold (0.8),
        limit/spent/remaining as exact `*_nano_usd` ints and `*_usd` floats, now,
        projected_exhaustion (Unix seconds at the period's spend rate, None when nothing was
        spent) and shared (figures from Redis). It runs on the thread whose request settled the
        spend, before that request's usage hook; exceptions go to sys.unraisablehook. Usable as
        a decorator.
        """
        if not callable(callback):
            raise TypeError("llmgw: on_budget_alert needs a callable")
        self._gw.add_budget_alert(callback)
        return callback

    def remove_budget_alert_callback(self, callback: Callable[[Dict[str, Any]], Any]) -> None:
        self._gw.hooks.remove_alert(callback)

    # -- routing --

    def set_classifier(self, classifier: Optional[_routing.Classifier]) -> Optional[
            _routing.Classifier]:
        """Route by `classifier(request: llmgw.RequestView) -> group name or None`.

        It runs when no routing rule matched, on the thread running the C call (the caller's,
        or a helper thread for streams and calls made on the main thread), with no llmgw lock
        held. The view is read-only and valid during
        the call only. None leaves the request on the group it asked for; so does an exception,
        which goes to sys.unraisablehook. A name that is no known group fails the request with
        NotFoundError. set_classifier(None) removes it. Usable as a decorator.
        """
        if classifier is not None and not callable(classifier):
            raise TypeError("llmgw: set_classifier needs a callable or None")
        self._gw.set_classifier(classifier)
        return classifier

    def add_rule(self, condition: Union[None, str, Mapping[str, Any]], target: str, *,
                 name: Optional[str] = None) -> None:
        """Append a routing rule (evaluated in order, before the classifier): requests matching
        `condition` (a dict such as {"metadata.tier": {"eq": "free"}}, JSON text, or None for
        always; docs/routing.md) go to group `target`. A bad rule raises ConfigError."""
        if not isinstance(target, str) or not target:
            raise TypeError("llmgw: a rule target is a non-empty group name")
        if isinstance(condition, Mapping):
            condition = dict(condition)
        lib = _lib.lib()
        self._gw.call(lib.llmgw_gateway_add_rule, name.encode("utf-8") if name else None,
                      _routing.condition_json(condition), target.encode("utf-8"))

    def use_builtin_classifier(self, simple: Optional[str], complex: Optional[str]) -> None:
        """Turn on the built-in heuristic classifier: requests that look complex (long input,
        code blocks, tools, images, a deep conversation) go to group `complex`, the rest to
        `simple`. Both None turn it off. A Python classifier, when set, takes precedence."""
        if (simple is None) != (complex is None):
            raise ValueError("llmgw: give both groups, or neither")
        lib = _lib.lib()
        self._gw.call(lib.llmgw_gateway_use_builtin_classifier,
                      simple.encode("utf-8") if simple else None,
                      complex.encode("utf-8") if complex else None)

    @property
    def closed(self) -> bool:
        return self._gw.closed

    def close(self) -> None:
        """Cancel open streams, wait for the other requests in flight, free the gateway.
        Idempotent."""
        self._gw.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<llmgw.Client {'closed' if self.closed else 'open'}>"
