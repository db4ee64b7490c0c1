"""Client lifecycle and library loading."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

import llmgw

from support import USER_HI, MockTestCase, config

PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class LifecycleTest(MockTestCase):

    def test_closed_client_raises(self) -> None:
        client = self.client()
        client.chat.completions.create(model="g", messages=USER_HI)
        self.assertFalse(client.closed)
        client.close()
        self.assertTrue(client.closed)
        client.close()                                   # idempotent
        with self.assertRaises(llmgw.ClientClosedError) as cm:
            client.chat.completions.create(model="g", messages=USER_HI)
        self.assertIsInstance(cm.exception, llmgw.LLMGWError)
        with self.assertRaises(llmgw.ClientClosedError):
            client.chat.completions.create(model="g", messages=USER_HI, stream=True)
        self.assertEqual(len(self.mock.requests("a")), 1)

    def test_context_manager_closes(self) -> None:
        with llmgw.Client(config(self.mock)) as client:
            r = client.chat.completions.create(model="g", messages=USER_HI)
            self.assertEqual(r.choices[0].finish_reason, "stop")
        self.assertTrue(client.closed)
        with self.assertRaises(llmgw.ClientClosedError):
            client.chat.completions.create(model="g", messages=USER_HI)

    def test_close_from_inside_usage_callback(self) -> None:
        client = self.client()
        client.on_usage(lambda record: client.close())   # deferred to the end of the call
        r = client.chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual(r.choices[0].finish_reason, "stop")
        self.assertTrue(client.closed)
        with self.assertRaises(llmgw.ClientClosedError):
            client.chat.completions.create(model="g", messages=USER_HI)

    def test_close_from_inside_stream_usage_callback(self) -> None:
        client = self.client()
        client.on_usage(lambda record: client.close())
        chunks = list(client.chat.completions.create(model="g", messages=USER_HI, stream=True))
        self.assertEqual(chunks[-1].choices[0].finish_reason, "stop")
        self.assertTrue(client.closed)
        self.assertEqual(self.stream_threads(), [])

    def test_exit_with_open_client_and_stream(self) -> None:
        # atexit closes what the program left open: the unread stream is cancelled, the
        # gateway freed, and the interpreter exits cleanly instead of hanging or crashing.
        self.mock.script("a", [{"text": " ".join(["word"] * 500)}])
        code = textwrap.dedent("""
            import json, sys, llmgw
            client = llmgw.Client(json.loads(sys.argv[1]))
            client.on_usage(lambda r: print("usage", r["error_class"], flush=True))
            keep = client.chat.completions.create(model="g", messages=[{"role": "user",
                                                  "content": "hi"}], stream=True)
            print(next(iter(keep)).choices[0].delta.content, flush=True)
            """)
        env = dict(os.environ, PYTHONPATH=PKG_DIR)
        p = subprocess.run([sys.executable, "-c", code, json.dumps(config(self.mock))],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0], "word")
        self.assertEqual(p.stdout.splitlines()[1:], ["usage cancelled"])
        self.assertNotIn("Traceback", p.stderr)

    def test_library_version(self) -> None:
        self.assertRegex(llmgw.library_version(), r"^\d+\.\d+\.\d+")
        self.assertEqual(llmgw.__version__.split(".")[:2], llmgw.library_version().split(".")[:2])


class LoadingTest(unittest.TestCase):
    """Loading runs in a child interpreter: this one has the library loaded already."""

    def _run(self, code: str, env_update: dict, pkg_dir: str = PKG_DIR) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.update(env_update)
        env["PYTHONPATH"] = pkg_dir
        return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                              capture_output=True, text=True, timeout=60, cwd=pkg_dir)

    def test_missing_library_is_a_clear_error(self) -> None:
        missing = "/nonexistent/dir/libllmgw.so.0"
        p = self._run("""
            import llmgw
            try:
                llmgw.load_library("%s")
            except llmgw.LibraryNotFoundError as e:
                print("ERR", e)
            """ % missing, {})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ERR llmgw: cannot load libllmgw", p.stdout)
        self.assertIn(missing, p.stdout)
        self.assertIn("LLMGW_LIBRARY", p.stdout)

    def test_env_variable_is_used_and_listed(self) -> None:
        if not os.environ.get("LLMGW_LIBRARY"):
            self.skipTest("LLMGW_LIBRARY not set")
        p = self._run("""
            import llmgw, llmgw._lib as L
            print(L.candidates()[0])
            print(llmgw.library_version())
            """, {})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0], os.environ["LLMGW_LIBRARY"])

    def test_bad_env_path_fails_with_every_path_tried(self) -> None:
        # a copy of the package outside the checkout: no build tree to fall back on
        with tempfile.TemporaryDirectory() as d:
            shutil.copytree(os.path.join(PKG_DIR, "llmgw"), os.path.join(d, "llmgw"),
                            ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
            p = self._run("""
                import llmgw
                try:
                    llmgw.Client()
                except llmgw.LibraryNotFoundError as e:
                    print("ERR", e)
                """, {"LLMGW_LIBRARY": "/nonexistent/libllmgw.so.0", "LLMGW_LIB": "",
                      "LD_LIBRARY_PATH": ""}, pkg_dir=d)
        self.assertEqual(p.returncode, 0, p.stderr)
        if "ERR" not in p.stdout:
            self.skipTest("a libllmgw is installed on this system")
        self.assertIn("/nonexistent/libllmgw.so.0 (no such file)", p.stdout)
        self.assertIn(os.path.join(d, "llmgw", "libllmgw.so.0"), p.stdout)
        self.assertIn("\n  libllmgw.so.0 (", p.stdout)
