"""Test support: the built `llmgw` CLI run as a subprocess against the `llmgw-mock` program.

Paths come from $LLMGW_CLI and $LLMGW_MOCK, else from $LLMGW_BUILD_DIR
(<build>/examples/cli/llmgw, <build>/examples/mock/llmgw-mock); run-tests.sh sets all three.

Every CLI run gets a clean environment (PATH, a temporary HOME and XDG_CONFIG_HOME, the
working directory a fresh temporary directory, no proxy for loopback, sanitizer options passed
through) plus what the test adds, and a timeout. After every run the output is checked for the
sentinel keys the tests hand out (no key may ever be printed) and for sanitizer reports.
"""
from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Sequence

# Not real keys; each appears only where a test puts it, and never in any output.
KEY_FLAG = "sk-cli-flag-SENTINEL-7f3a91c2"
KEY_ENV = "sk-cli-env-SENTINEL-51d0be77"
KEY_CONFIG = "sk-cli-config-SENTINEL-c4e2a810"
SENTINELS = (KEY_FLAG, KEY_ENV, KEY_CONFIG, "SENTINEL-7f3a91c2", "SENTINEL-51d0be77",
             "SENTINEL-c4e2a810")

RUN_TIMEOUT_S = 30          # one CLI run (hang guard, not a speed check)
START_TIMEOUT_S = 20        # the mock printing its base URL

EXIT = {                    # examples/cli/cli.h
    "ok": 0, "error": 1, "usage": 2, "config": 3, "auth": 4, "rate_limit": 5, "quota_exceeded": 6,
    "context_length_exceeded": 7, "content_policy": 8, "timeout": 9, "server_error": 10,
    "network": 11, "budget_exceeded": 12, "stream_cut": 13, "bad_request": 14, "not_found": 15,
    "unsupported": 16, "cancelled": 130,
}

_SANITIZER = re.compile(r"ERROR: (Address|Leak|Undefined)Sanitizer|runtime error: |"
                        r"SUMMARY: (Address|Leak|Undefined)Sanitizer")

# urllib must not send loopback control requests through a proxy from the environment
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _build_dir() -> Optional[str]:
    return os.environ.get("LLMGW_BUILD_DIR") or None


def cli_path() -> Optional[str]:
    c = os.environ.get("LLMGW_CLI")
    if not c and _build_dir():
        c = os.path.join(_build_dir(), "examples", "cli", "llmgw")  # type: ignore[arg-type]
    return c if c and os.access(c, os.X_OK) else None


def mock_path() -> Optional[str]:
    c = os.environ.get("LLMGW_MOCK")
    if not c and _build_dir():
        c = os.path.join(_build_dir(), "examples", "mock", "llmgw-mock")  # type: ignore[arg-type]
    return c if c and os.access(c, os.X_OK) else None


def build_feature(name: str) -> Optional[bool]:
    """LLMGW_HAVE_<name> from <build>/llmgw_build_config.h; None when unknown."""
    if not _build_dir():
        return None
    try:
        with open(os.path.join(_build_dir(), "llmgw_build_config.h")) as f:  # type: ignore[arg-type]
            text = f.read()
    except OSError:
        return None
    m = re.search(r"#define LLMGW_HAVE_%s (\d)" % name, text)
    return None if m is None else m.group(1) == "1"


def closed_port() -> int:
    """A loopback TCP port nobody listens on (bound, then released)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class MockUpstream:
    """A running llmgw-mock: base URL, scripts per lane, recorded requests."""

    def __init__(self, path: str) -> None:
        self.proc = subprocess.Popen([path], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     env=_sanitizer_env({"PATH": os.environ.get("PATH", "")}))
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
        ready = sel.select(timeout=START_TIMEOUT_S)
        sel.close()
        line = self.proc.stdout.readline().decode().strip() if ready else ""  # type: ignore
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"llmgw-mock did not print its base URL (got {line!r})")
        self.base = line

    def api_base(self, lane: str) -> str:
        """The OpenAI-convention base URL of a lane (the provider adds /chat/completions)."""
        return f"{self.base}/lane/{lane}/v1"

    def lane_base(self, lane: str) -> str:
        """The lane root (Anthropic's convention: the provider adds /v1/messages)."""
        return f"{self.base}/lane/{lane}"

    def _call(self, method: str, path: str, body: Optional[bytes] = None) -> Any:
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers={"content-type": "application/json"})
        try:
            with _opener.open(req, timeout=30) as r:
                return json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"mock {method} {path}: {e.code} {e.read().decode()}") from None

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

    def ledger(self, lane: str) -> Dict[str, Any]:
        return self._call("GET", f"/__mock/ledger/{lane}")

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


def redact(text: str) -> str:
    """Test output never shows a key, not even a sentinel (in a failure message)."""
    for s in SENTINELS[:3]:
        text = text.replace(s, "sk-***")
    return text


def _sanitizer_env(env: Dict[str, str]) -> Dict[str, str]:
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LD_LIBRARY_PATH"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


class Result:
    def __init__(self, args: Sequence[str], rc: int, out: bytes, err: bytes, elapsed: float):
        self.args = list(args)
        self.rc = rc
        self.out_bytes = out
        self.out = out.decode("utf-8", "replace")
        self.err = err.decode("utf-8", "replace")
        self.elapsed = elapsed

    def json(self) -> Any:
        """stdout as exactly one JSON value (one line, nothing else)."""
        text = self.out
        if not text.endswith("\n") or text.count("\n") != 1:
            raise AssertionError(f"stdout is not exactly one line of JSON: {text!r}")
        return json.loads(text)

    def __repr__(self) -> str:
        def cut(text: str) -> str:
            return text if len(text) <= 4000 else f"{text[:4000]}\n... ({len(text) - 4000} more characters)\n"
        return redact(f"llmgw {' '.join(self.args)!r}: exit {self.rc}\n--- stdout\n{cut(self.out)}"
                      f"--- stderr\n{cut(self.err)}")


def yaml_dump(obj: Any, indent: int = 0) -> str:
    """Block-style YAML for the dicts, lists, strings and numbers the tests use."""
    pad = "  " * indent

    def scalar(v: Any) -> str:
        if v is True:
            return "true"
        if v is False:
            return "false"
        if v is None:
            return "null"
        if isinstance(v, (int, float)):
            return repr(v)
        return json.dumps(str(v))           # a double-quoted YAML scalar

    lines = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.append(yaml_dump(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {scalar(v) if not isinstance(v, (dict, list)) else json.dumps(v)}")
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, list)) and v:
                inner = yaml_dump(v, indent + 1).split("\n")
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {scalar(v)}")
    return "\n".join(lines)


class CliTestCase(unittest.TestCase):
    """One llmgw-mock per test class; a fresh lane name and temp directory per test."""

    mock: MockUpstream
    _lane_counter = 0

    @classmethod
    def setUpClass(cls) -> None:
        cls.cli = cli_path()
        mp = mock_path()
        if cls.cli is None or mp is None:
            raise unittest.SkipTest("llmgw or llmgw-mock not found: set LLMGW_BUILD_DIR "
                                    "(run-tests.sh does)")
        cls.mock = MockUpstream(mp)

    @classmethod
    def tearDownClass(cls) -> None:
        mock = getattr(cls, "mock", None)
        if mock is not None:
            mock.stop()

    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="llmgw-cli-test-")
        self.home = os.path.join(self.tmp, "home")
        self.cwd = os.path.join(self.tmp, "cwd")
        os.makedirs(self.home)
        os.makedirs(self.cwd)
        CliTestCase._lane_counter += 1
        self.lane = f"t{CliTestCase._lane_counter}"

    def tearDown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- environment and runs ------------------------------------------------------------

    def env(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "LANG": "C",
            "NO_PROXY": "127.0.0.1,localhost,::1",
            "no_proxy": "127.0.0.1,localhost,::1",
        }
        _sanitizer_env(env)
        env.update(extra or {})
        return {k: v for k, v in env.items() if v is not None}

    def check_output(self, r: Result) -> None:
        """No key in any output; no sanitizer report."""
        for s in SENTINELS:
            self.assertFalse(s in r.out, f"a key leaked to stdout\n{r!r}")
            self.assertFalse(s in r.err, f"a key leaked to stderr\n{r!r}")
        self.assertIsNone(_SANITIZER.search(r.err), f"sanitizer report\n{r!r}")

    def run_cli(self, *args: str, stdin: Optional[str] = None, env: Optional[Dict[str, str]] = None,
                cwd: Optional[str] = None, timeout: float = RUN_TIMEOUT_S,
                replace_env: Optional[Dict[str, str]] = None,
                wrapper: Sequence[str] = ()) -> Result:
        """Run llmgw ARGS (under WRAPPER, e.g. valgrind); stdin is /dev/null unless given (a pipe
        then)."""
        full_env = replace_env if replace_env is not None else self.env(env)
        t0 = time.monotonic()
        p = subprocess.run([*wrapper, self.cli, *args], input=None if stdin is None else stdin.encode(),
                           stdin=subprocess.DEVNULL if stdin is None else None,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
                           cwd=cwd or self.cwd, timeout=timeout)
        r = Result(args, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
        self.check_output(r)
        return r

    def popen_cli(self, *args: str, env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
        return subprocess.Popen([self.cli, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=self.env(env), cwd=self.cwd)

    # --- assertions ------------------------------------------------------------------------

    def assertExit(self, r: Result, code: int) -> None:
        self.assertEqual(r.rc, code, repr(r))

    def assertOk(self, r: Result) -> None:
        self.assertExit(r, 0)

    def assertErrorLine(self, r: Result, code: int, cls: Optional[str] = None) -> None:
        """Exit CODE, nothing on stdout, one line on stderr: 'llmgw: error: <class>: ...'."""
        self.assertExit(r, code)
        self.assertEqual(r.out, "", repr(r))
        self.assertEqual(r.err.count("\n"), 1, f"stderr is not one line\n{r!r}")
        self.assertTrue(r.err.startswith("llmgw: error: "), repr(r))
        if cls is not None:
            self.assertTrue(r.err.startswith(f"llmgw: error: {cls}: "), repr(r))

    def assertErrorJson(self, r: Result, code: int, cls: str) -> Dict[str, Any]:
        """Exit CODE, stdout exactly {"error": {...}} with every documented member."""
        self.assertExit(r, code)
        doc = r.json()
        self.assertEqual(list(doc), ["error"], repr(r))
        e = doc["error"]
        for k in ("class", "message", "status", "provider", "retry_after_ms", "attempts"):
            self.assertIn(k, e, repr(r))
        self.assertEqual(e["class"], cls, repr(r))
        self.assertIsInstance(e["message"], str)
        self.assertTrue(e["message"])
        self.assertIsInstance(e["attempts"], list)
        return e

    # --- configs ---------------------------------------------------------------------------

    def deployment(self, lane: Optional[str] = None, group: str = "g", model: str = "openai/gpt-test",
                   prices: Optional[Sequence[float]] = None, base: Optional[str] = None,
                   **params: Any) -> Dict[str, Any]:
        lane = lane or self.lane
        if base is None:
            base = self.mock.lane_base(lane) if model.startswith("anthropic/") else self.mock.api_base(lane)
        lp: Dict[str, Any] = {"model": model, "api_base": base, "api_key": KEY_CONFIG}
        lp.update(params)
        entry: Dict[str, Any] = {"model_name": group, "litellm_params": lp}
        if prices is not None:
            entry["model_info"] = {"input_cost_per_token": prices[0], "output_cost_per_token": prices[1]}
        return entry

    def config(self, lane: Optional[str] = None, group: str = "g", retries: int = 0,
               deployments: Optional[List[Dict[str, Any]]] = None, **extra: Any) -> Dict[str, Any]:
        cfg: Dict[str, Any] = {
            "model_list": deployments if deployments is not None else [self.deployment(lane, group)],
            "router_settings": {"num_retries": retries},
        }
        cfg.update(extra)
        return cfg

    def write(self, name: str, text: str, where: Optional[str] = None) -> str:
        path = os.path.join(where or self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def write_config(self, cfg: Dict[str, Any], name: str = "llmgw.json",
                     where: Optional[str] = None) -> str:
        text = yaml_dump(cfg) + "\n" if name.endswith((".yaml", ".yml")) else json.dumps(cfg, indent=1)
        return self.write(name, text, where)

    def bodies(self, lane: Optional[str] = None) -> List[Dict[str, Any]]:
        return [r["body"] for r in self.mock.requests(lane or self.lane)]

    def one_body(self, lane: Optional[str] = None) -> Dict[str, Any]:
        b = self.bodies(lane)
        self.assertEqual(len(b), 1, f"the mock saw {len(b)} requests: {b}")
        return b[0]


def user_text(body: Dict[str, Any]) -> str:
    users = [m for m in body["messages"] if m["role"] == "user"]
    assert len(users) == 1, body
    c = users[0]["content"]
    return c if isinstance(c, str) else "".join(p.get("text", "") for p in c)


def signal_status(rc: int) -> int:
    """The status a shell reports: the code, or 128 + N for a process killed by signal N."""
    return rc if rc >= 0 else 128 - rc


__all__ = ["CliTestCase", "MockUpstream", "Result", "EXIT", "KEY_FLAG", "KEY_ENV", "KEY_CONFIG",
           "closed_port", "build_feature", "user_text", "signal_status", "yaml_dump", "redact", "SENTINELS"]
