"""Routing from Python: the classifier hook (llmgw_gateway_set_classifier) and its request view.

The C library calls the classifier on the thread running the C call, after the routing rules
matched nothing, with no llmgw lock held; ctypes takes the GIL back for it. The answer (a group
name, or None to leave the request alone) is copied into a buffer kept per thread, because the
C API wants the returned string valid until the next call on that thread. Exceptions never reach
C: they go to sys.unraisablehook and the request is left alone.

The view reads the request through the C API: its OpenAI body (llmgw_request_to_json), its model,
and the caller metadata (llmgw_request_customer, _trace_id, _tag_count/_tag, _metadata_json), so
it shows what the library parsed, however the request was built.
"""
from __future__ import annotations

import ctypes
import json
import threading
from typing import Any, Callable, Dict, List, Optional

from . import _lib

Classifier = Callable[["RequestView"], Optional[str]]

# ---- the view ---------------------------------------------------------------------------------

def _str(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8", errors="replace")


class RequestView:
    """A read-only look at a request, handed to the classifier.

    Valid only while the classifier runs: keep the values, not the view. Members:
    `model` (the group or provider/model asked for), `messages`, `text` (every text part of
    every message, joined by newlines), `message_count`, `has_tools`, `has_images`,
    `json_mode`, `max_tokens` (max_tokens or max_completion_tokens, else None), `body` (the
    whole OpenAI request as a dict), `get(name)` (one request member), and the caller metadata
    `customer`, `tags`, `metadata`, `trace_id`.
    """

    __slots__ = ("_req", "_body", "_metadata")

    def __init__(self, request: int) -> None:
        self._req: Optional[int] = request
        self._body: Optional[Dict[str, Any]] = None
        self._metadata: Optional[Dict[str, str]] = None

    def _close(self) -> None:
        self._req = None

    def _request(self) -> int:
        if self._req is None:
            raise RuntimeError("llmgw: a RequestView is only valid while the classifier runs")
        return self._req

    @property
    def model(self) -> str:
        raw = _lib.lib().llmgw_request_model(self._request())
        return raw.decode("utf-8", errors="replace") if raw else ""

    @property
    def body(self) -> Dict[str, Any]:
        if self._body is None:
            buf = _lib.Buf()
            rc = _lib.lib().llmgw_request_to_json(ctypes.byref(buf), self._request())
            text = _lib.take_buf(buf)
            if rc < 0:
                raise RuntimeError(f"llmgw: cannot render the request ({rc})")
            self._body = json.loads(text)
        return self._body

    def get(self, name: str, default: Any = None) -> Any:
        return self.body.get(name, default)

    @property
    def messages(self) -> List[Dict[str, Any]]:
        msgs = self.body.get("messages")
        return msgs if isinstance(msgs, list) else []

    @property
    def message_count(self) -> int:
        return len(self.messages)

    @property
    def text(self) -> str:
        out: List[str] = []
        for m in self.messages:
            content = m.get("content") if isinstance(m, dict) else None
            if isinstance(content, str):
                out.append(content)
            elif isinstance(content, list):
                out.extend(p["text"] for p in content
                           if isinstance(p, dict) and isinstance(p.get("text"), str))
        return "\n".join(out)

    @property
    def has_tools(self) -> bool:
        return bool(self.body.get("tools"))

    @property
    def has_images(self) -> bool:
        for m in self.messages:
            content = m.get("content") if isinstance(m, dict) else None
            if isinstance(content, list) and any(
                    isinstance(p, dict) and p.get("type") == "image_url" for p in content):
                return True
        return False

    @property
    def json_mode(self) -> bool:
        rf = self.body.get("response_format")
        return isinstance(rf, dict) and rf.get("type") in ("json_object", "json_schema")

    @property
    def max_tokens(self) -> Optional[int]:
        for key in ("max_tokens", "max_completion_tokens"):
            value = self.body.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None

    @property
    def customer(self) -> Optional[str]:
        return _str(_lib.lib().llmgw_request_customer(self._request()))

    @property
    def tags(self) -> List[str]:
        lib = _lib.lib()
        req = self._request()
        return [t for t in (_str(lib.llmgw_request_tag(req, i))
                            for i in range(lib.llmgw_request_tag_count(req))) if t is not None]

    @property
    def metadata(self) -> Dict[str, str]:
        """The caller metadata as a new dict of strings ({} when none)."""
        if self._metadata is None:
            buf = _lib.Buf()
            rc = _lib.lib().llmgw_request_metadata_json(ctypes.byref(buf), self._request())
            text = _lib.take_buf(buf)
            if rc < 0:
                raise RuntimeError(f"llmgw: cannot render the request metadata ({rc})")
            value = json.loads(text)
            self._metadata = value if isinstance(value, dict) else {}
        return dict(self._metadata)

    @property
    def trace_id(self) -> Optional[str]:
        return _str(_lib.lib().llmgw_request_trace_id(self._request()))

    def __repr__(self) -> str:
        if self._req is None:
            return "<llmgw.RequestView (closed)>"
        return f"<llmgw.RequestView model={self.model!r} customer={self.customer!r}>"


# ---- the C trampoline -------------------------------------------------------------------------

_answer = threading.local()   # .buf: this thread's last answer, valid until its next call


def make_classifier_cb(get_fn: Callable[[], Optional[Classifier]],
                       report: Callable[[BaseException, str], None]) -> Any:
    """One CFUNCTYPE per gateway, calling whatever get_fn() returns at call time."""

    def on_classify(request: int, userdata: int) -> Optional[int]:
        fn = get_fn()
        if fn is None or not request:
            return None
        view = RequestView(request)
        try:
            group = fn(view)
            if group is None:
                return None
            if not isinstance(group, str):
                raise TypeError(f"llmgw: the classifier must return a str or None, "
                                f"not {type(group).__name__}")
            if not group:
                return None
            buf = ctypes.create_string_buffer(group.encode("utf-8"))
            _answer.buf = buf
            return ctypes.addressof(buf)
        except BaseException as e:   # never into C
            report(e, f"llmgw classifier {fn!r}")
            return None
        finally:
            view._close()

    return _lib.CLASSIFIER_CB(on_classify)


def condition_json(condition: Any) -> Optional[bytes]:
    """A rule condition given as a dict (or JSON text, or None for "always") as C wants it."""
    if condition is None:
        return None
    if isinstance(condition, (bytes, str)):
        return condition.encode("utf-8") if isinstance(condition, str) else condition
    if isinstance(condition, dict):
        return json.dumps(condition, separators=(",", ":"), allow_nan=False).encode("utf-8")
    raise TypeError("llmgw: a rule condition is a dict, JSON text or None")


__all__ = ["RequestView", "Classifier", "make_classifier_cb",
           "condition_json"]
