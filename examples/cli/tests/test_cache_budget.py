"""--no-cache, --customer and --tag across separate CLI runs.

Each CLI run is its own process, so the in-memory cache and the in-process budget ledger start
empty every time: a cache hit or a budget spent by an earlier run needs the shared state in Redis
(litellm_settings.cache_params type redis; budgets shared through the same Redis). These tests
start a private redis-server on a Unix socket in the test's temporary directory and skip when
redis-server or hiredis support is missing. (test_exit_codes covers exit 12 without Redis.)
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
from typing import Any, Dict, Optional

from support import EXIT, SENTINELS, CliTestCase, build_feature


class Redis:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="llmgw-cli-redis-")
        self.sock = os.path.join(self.dir, "redis.sock")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.sock, "--save", "", "--appendonly", "no",
             "--rdbcompression", "no", "--dir", self.dir], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.command("PING") == b"+PONG\r\n":
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def command(self, *words: str) -> bytes:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(self.sock)
            s.sendall(f"*{len(words)}\r\n".encode() +
                      b"".join(f"${len(w)}\r\n{w}\r\n".encode() for w in words))
            return s.recv(65536)
        finally:
            s.close()

    def snapshot(self) -> bytes:
        """Every key and value, as an uncompressed RDB file."""
        if self.command("SAVE") != b"+OK\r\n":
            raise RuntimeError("redis SAVE failed")
        with open(os.path.join(self.dir, "dump.rdb"), "rb") as f:
            return f.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class SharedStateTest(CliTestCase):
    redis: Optional[Redis] = None

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if build_feature("REDIS") is False:
            cls.tearDownClass()
            raise unittest.SkipTest("built without hiredis")
        if shutil.which("redis-server") is None:
            cls.tearDownClass()
            raise unittest.SkipTest("redis-server not installed")
        cls.redis = Redis()

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.redis is not None:
            cls.redis.stop()
            cls.redis = None
        super().tearDownClass()

    def setUp(self) -> None:
        super().setUp()
        assert self.redis is not None
        self.assertEqual(self.redis.command("FLUSHALL"), b"+OK\r\n")

    def shared_config(self, cache: bool = False, budgets: Optional[list] = None) -> str:
        assert self.redis is not None
        cfg: Dict[str, Any] = self.config(deployments=[self.deployment(prices=(1e-6, 2e-6))])
        settings: Dict[str, Any] = {"redis": {"url": f"unix://{self.redis.sock}"}}
        if budgets is not None:
            settings["budgets"] = budgets
        cfg["llmgw_settings"] = settings
        if cache:
            cfg["litellm_settings"] = {"cache": True, "cache_params": {"type": "redis",
                                                                       "url": f"unix://{self.redis.sock}"}}
        return self.write_config(cfg)

    # --- cache ---------------------------------------------------------------------------

    def test_second_identical_call_is_a_cache_hit(self) -> None:
        cfg = self.shared_config(cache=True)
        self.mock.script(self.lane, {"steps": [{"text": "cached answer"}], "then": "repeat_last"})
        first = self.run_cli("--config", cfg, "-m", "g", "--json", "same question")
        self.assertOk(first)
        self.assertIs(first.json()["llmgw"]["cache_hit"], False)
        second = self.run_cli("--config", cfg, "-m", "g", "--json", "same question")
        self.assertOk(second)
        doc = second.json()
        self.assertIs(doc["llmgw"]["cache_hit"], True)
        self.assertEqual(doc["choices"][0]["message"]["content"], "cached answer")
        self.assertEqual(len(self.bodies()), 1)
        text = self.run_cli("--config", cfg, "-m", "g", "-u", "same question")
        self.assertOk(text)
        self.assertEqual(text.out, "cached answer\n")
        self.assertIn("(cache hit)", text.err)
        self.assertEqual(len(self.bodies()), 1)
        dump = self.redis.snapshot()  # type: ignore[union-attr]
        self.assertIn(b"cached answer", dump)          # the entry is there, readable ...
        for key in SENTINELS[:3]:
            self.assertFalse(key.encode() in dump, "a key reached the shared cache")  # ... the key is not

    def test_no_cache_skips_the_cache(self) -> None:
        cfg = self.shared_config(cache=True)
        self.assertOk(self.run_cli("--config", cfg, "-m", "g", "--json", "question"))
        r = self.run_cli("--config", cfg, "-m", "g", "--json", "--no-cache", "question")
        self.assertOk(r)
        self.assertIs(r.json()["llmgw"]["cache_hit"], False)
        self.assertEqual(len(self.bodies()), 2)
        # and the cache still answers without the flag
        r = self.run_cli("--config", cfg, "-m", "g", "--json", "question")
        self.assertIs(r.json()["llmgw"]["cache_hit"], True)
        self.assertEqual(len(self.bodies()), 2)

    def test_different_prompt_is_not_a_hit(self) -> None:
        cfg = self.shared_config(cache=True)
        self.assertOk(self.run_cli("--config", cfg, "-m", "g", "--json", "one"))
        r = self.run_cli("--config", cfg, "-m", "g", "--json", "two")
        self.assertIs(r.json()["llmgw"]["cache_hit"], False)
        self.assertEqual(len(self.bodies()), 2)

    # --- budgets -------------------------------------------------------------------------

    # Each call: 10 input + 10 output tokens at 1 / 2 USD per million = 30 micro-USD; the
    # reservation for max_tokens 5 is about 15 micro-USD. A 40 micro-USD budget takes one call.
    USAGE = {"steps": [{"usage": {"prompt_tokens": 10, "completion_tokens": 10}}], "then": "repeat_last"}

    def test_customer_budget_second_call_is_refused(self) -> None:
        cfg = self.shared_config(budgets=[{"customer": "acme", "max_usd": 0.00004}])
        self.mock.script(self.lane, self.USAGE)
        r = self.run_cli("--config", cfg, "-m", "g", "--customer", "acme", "-o", "max_tokens", "5", "--json",
                         "first")
        self.assertOk(r)
        self.assertEqual(r.json()["llmgw"]["customer"], "acme")
        r = self.run_cli("--config", cfg, "-m", "g", "--customer", "acme", "-o", "max_tokens", "5", "second")
        self.assertErrorLine(r, EXIT["budget_exceeded"], "budget_exceeded")
        r = self.run_cli("--config", cfg, "-m", "g", "--customer=acme", "-o", "max_tokens", "5", "--json",
                         "third")
        self.assertErrorJson(r, EXIT["budget_exceeded"], "budget_exceeded")
        self.assertEqual(len(self.bodies()), 1)
        r = self.run_cli("--config", cfg, "-m", "g", "--customer", "globex", "-o", "max_tokens", "5", "fourth")
        self.assertOk(r)
        self.assertEqual(len(self.bodies()), 2)

    def test_tag_budget_second_call_is_refused(self) -> None:
        cfg = self.shared_config(budgets=[{"tag": "team-a", "max_usd": 0.00004}])
        self.mock.script(self.lane, self.USAGE)
        r = self.run_cli("--config", cfg, "-m", "g", "--tag", "team-a", "--tag", "nightly",
                         "-o", "max_tokens", "5", "--json", "first")
        self.assertOk(r)
        self.assertEqual(sorted(r.json()["llmgw"]["tags"]), ["nightly", "team-a"])
        r = self.run_cli("--config", cfg, "-m", "g", "--tag", "nightly", "--tag", "team-a",
                         "-o", "max_tokens", "5", "second")
        self.assertErrorLine(r, EXIT["budget_exceeded"], "budget_exceeded")
        self.assertIn("team-a", r.err)
        r = self.run_cli("--config", cfg, "-m", "g", "--tag", "team-b", "-o", "max_tokens", "5", "third")
        self.assertOk(r)
        self.assertEqual(len(self.bodies()), 2)
