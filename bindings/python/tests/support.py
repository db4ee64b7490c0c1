"""Test support: the llmgw-mock program as a subprocess, and configs pointing at it.

The mock binary comes from $LLMGW_MOCK, else <$LLMGW_BUILD_DIR>/examples/mock/llmgw-mock, else
next to $LLMGW_LIBRARY's build tree (<build>/lib/libllmgw.so.0 -> <build>/examples/mock/).
run-tests.sh sets all three.
"""
from __future__ import annotations

import json
import os
import selectors
import subprocess
import threading
import unittest
import urllib.request
from typing import Any, Dict, List, Optional

import llmgw

TEST_KEY = "sk-test-python-0123456789abcdef"   # not a real key
START_TIMEOUT_S = 20

# urllib must not send loopback control requests through a proxy from the environment
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def mock_path() -> Optional[str]:
    cands = []
    if os.environ.get("LLMGW_MOCK"):
        cands.append(os.environ["LLMGW_MOCK"])
    if os.environ.get("LLMGW_BUILD_DIR"):
        cands.append(os.path.join(os.environ["LLMGW_BUILD_DIR"], "examples", "mock", "llmgw-mock"))
    if os.environ.get("LLMGW_LIBRARY"):
        build = os.path.dirname(os.path.dirname(os.path.abspath(os.environ["LLMGW_LIBRARY"])))
        cands.append(os.path.join(build, "examples", "mock", "llmgw-mock"))
    for c in cands:
        if os.access(c, os.X_OK):
            return c
    return None


class MockUpstream:
    """A running llmgw-mock: base URL, scripts per lane, recorded requests."""

    def __init__(self, path: str) -> None:
        self.proc = subprocess.Popen([path], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)   # type: ignore[arg-type]
        ready = sel.select(timeout=START_TIMEOUT_S)
        sel.close()
        line = self.proc.stdout.readline().decode().strip() if ready else ""  # type: ignore
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"llmgw-mock did not print its base URL (got {line!r})")
        self.base = line

    def api_base(self, lane: str) -> str:
        return f"{self.base}/lane/{lane}/v1"

    def _call(self, method: str, path: str, body: Optional[bytes] = None) -> Any:
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers={"content-type": "application/json"})
        with _opener.open(req, timeout=30) as r:
            return json.loads(r.read().decode())

    def script(self, lane: str, steps: Any) -> None:
        out = self._call("POST", f"/__mock/script/{lane}", json.dumps(steps).encode())
        if not out.get("ok"):
            raise RuntimeError(f"mock script refused: {out}")

    def requests(self, lane: str) -> List[Dict[str, Any]]:
        recs = self._call("GET", f"/__mock/requests/{lane}")
        for r in recs:
            if isinstance(r.get("body"), str) and r["body"]:
                r["body"] = json.loads(r["body"])
        return recs

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def deployment(mock: MockUpstream, lane: str, group: str = "g", model: str = "gpt-test",
               **params: Any) -> Dict[str, Any]:
    lp = {"model": f"openai/{model}", "api_base": mock.api_base(lane), "api_key": TEST_KEY}
    model_info = params.pop("model_info", None)
    lp.update(params)
    entry: Dict[str, Any] = {"model_name": group, "litellm_params": lp}
    if model_info:
        entry["model_info"] = model_info
    return entry


def config(mock: MockUpstream, lane: str = "a", group: str = "g", model: str = "gpt-test",
           retries: int = 0, **extra: Any) -> Dict[str, Any]:
    """One openai deployment on a mock lane, no retries unless asked."""
    cfg: Dict[str, Any] = {
        "model_list": [deployment(mock, lane, group, model)],
        "router_settings": {"num_retries": retries},
    }
    cfg.update(extra)
    return cfg


USER_HI = [{"role": "user", "content": "hi"}]


class MockTestCase(unittest.TestCase):
    """Starts llmgw-mock in setUp, stops it (and every client made with self.client()) in
    tearDown."""

    mock: MockUpstream

    def setUp(self) -> None:
        path = mock_path()
        if path is None:
            self.skipTest("llmgw-mock not found: set LLMGW_MOCK or LLMGW_BUILD_DIR "
                          "(run-tests.sh does)")
        self.mock = MockUpstream(path)
        self._clients: List[llmgw.Client] = []

    def tearDown(self) -> None:
        for c in self._clients:
            c.close()
        self.mock.stop()

    def client(self, cfg: Optional[Dict[str, Any]] = None, **kw: Any) -> llmgw.Client:
        c = llmgw.Client(cfg if cfg is not None else config(self.mock), **kw)
        self._clients.append(c)
        return c

    def stream_threads(self) -> List[threading.Thread]:
        """Stream worker threads still alive."""
        return [t for t in threading.enumerate()
                if t.name.startswith("llmgw-stream-") and t.is_alive()]
