"""A few representative runs under valgrind (memcheck): uninitialised reads, invalid accesses
and definite leaks in the CLI and the library paths it uses. ASan does not see uninitialised
reads, so this complements the ASan run. Skipped without valgrind or when the binary is built
with a sanitizer (the two do not mix)."""
from __future__ import annotations

import re
import shutil
import unittest

from support import EXIT, KEY_FLAG, CliTestCase

VALGRIND_ERROR = 99
VALGRIND = ("valgrind", "-q", f"--error-exitcode={VALGRIND_ERROR}", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--track-origins=yes")
SLOW = 60       # seconds for one run under valgrind (hang guard)


class ValgrindTest(CliTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        with open(cls.cli, "rb") as f:
            data = f.read()
        sanitized = b"__asan_init" in data or b"__ubsan_handle" in data
        if sanitized or shutil.which("valgrind") is None:
            cls.tearDownClass()
            raise unittest.SkipTest("valgrind missing or the CLI is built with a sanitizer")

    def vg(self, *args: str, code: int = 0, **kw):  # type: ignore[no-untyped-def]
        r = self.run_cli(*args, wrapper=VALGRIND, timeout=SLOW, **kw)
        self.assertNotEqual(r.rc, VALGRIND_ERROR, f"valgrind found errors\n{r!r}")
        self.assertIsNone(re.search(r"^==\d+==", r.err, re.M), f"valgrind output\n{r!r}")
        self.assertExit(r, code)
        return r

    def test_completion_stream_json_usage(self) -> None:
        cfg = self.config(deployments=[self.deployment(prices=(1e-6, 2e-6))])
        self.mock.script(self.lane, [{"tool_calls": [{"name": "f", "arguments": {"a": 1}}],
                                      "usage": {"prompt_tokens": 3, "cached_tokens": 1}}])
        r = self.vg("--config", self.write_config(cfg), "-m", "g", "--json", "-u", "-s", "sys", "-o",
                    "temperature", "0.1", "hi")
        self.assertEqual(r.json()["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "f")

    def test_errors_and_stream_cut(self) -> None:
        cfg = self.write_config(self.config())
        self.mock.script(self.lane, [{"status": 429, "headers": {"retry-after": "1"}},
                                     {"text": "a b c d", "cut_after_events": 3}])
        r = self.vg("--config", cfg, "-m", "g", "--json", "hi", code=EXIT["rate_limit"])
        self.assertEqual(r.json()["error"]["retry_after_ms"], 1000)
        self.vg("--config", cfg, "-m", "g", "hi", code=EXIT["stream_cut"])

    def test_bad_input(self) -> None:
        self.vg("--request", "-", "--api-key", KEY_FLAG, stdin='{"model": ', code=EXIT["usage"])

    def test_models_and_prices(self) -> None:
        deps = [self.deployment(group="mix", model="openai/gpt-test", prices=(1e-6, 2e-6)),
                self.deployment(group="mix", model="openai/gpt-4o", api_base=self.mock.api_base("x"))]
        cfg = self.write_config(self.config(deployments=deps))
        self.vg("--config", cfg, "models", "--json")
        r = self.vg("--config", cfg, "prices", "mix")
        self.assertIn("openai/gpt-test", r.out)
