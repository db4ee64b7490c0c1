"""--json (the chat.completion object plus the "llmgw" usage record; the error object) and -u."""
from __future__ import annotations

import json
import os
import re
import selectors
import time

from support import EXIT, KEY_FLAG, CliTestCase

USAGE = {"prompt_tokens": 1000, "completion_tokens": 100, "cached_tokens": 200, "reasoning_tokens": 30}
LLMGW_KEYS = ("provider", "deployment", "model", "cost_usd", "cost_provenance", "cache_hit", "attempts",
              "latency_ms", "ttft_ms")


class JsonTest(CliTestCase):
    def flags(self, model: str = "openai/gpt-4o") -> list:
        return ["-m", model, "--api-base", self.mock.api_base(self.lane), "--api-key", KEY_FLAG]

    def check_completion(self, doc: dict, text: str) -> None:
        self.assertEqual(doc["object"], "chat.completion")
        self.assertIsInstance(doc["id"], str)
        self.assertIsInstance(doc["created"], int)
        self.assertIsInstance(doc["model"], str)
        self.assertEqual(len(doc["choices"]), 1)
        ch = doc["choices"][0]
        self.assertEqual(ch["index"], 0)
        self.assertEqual(ch["message"]["role"], "assistant")
        self.assertEqual(ch["message"]["content"], text)
        self.assertNotIn("tool_calls", ch["message"])
        self.assertEqual(ch["finish_reason"], "stop")
        for k in LLMGW_KEYS:
            self.assertIn(k, doc["llmgw"])
        self.assertIsInstance(doc["llmgw"]["latency_ms"], (int, float))
        self.assertGreaterEqual(doc["llmgw"]["latency_ms"], 0)

    def test_json_streamed_completion(self) -> None:
        self.mock.script(self.lane, [{"text": "streamed text", "usage": USAGE}])
        r = self.run_cli(*self.flags(), "--json", "hi")
        self.assertOk(r)
        self.assertEqual(r.err, "")
        doc = r.json()                                  # exactly one line, nothing else
        self.check_completion(doc, "streamed text")
        u = doc["usage"]
        self.assertEqual((u["prompt_tokens"], u["completion_tokens"], u["total_tokens"]), (1000, 100, 1100))
        self.assertEqual(u["prompt_tokens_details"]["cached_tokens"], 200)
        self.assertEqual(u["completion_tokens_details"]["reasoning_tokens"], 30)
        rec = doc["llmgw"]
        self.assertEqual(rec["provider"], "openai")
        self.assertEqual(rec["model"], "gpt-4o")
        self.assertIsInstance(rec["deployment"], str)
        self.assertTrue(rec["deployment"])
        self.assertIs(rec["cache_hit"], False)
        self.assertIs(rec["stream"], True)
        self.assertIsInstance(rec["ttft_ms"], (int, float))
        # built-in price of openai/gpt-4o: 2.5 / 10 USD per million, cached input 1.25
        self.assertEqual(rec["cost_provenance"], "computed")
        self.assertAlmostEqual(rec["cost_usd"], (800 * 2.5 + 200 * 1.25 + 100 * 10) / 1e6, places=12)
        self.assertEqual([(a["deployment"], a["status"], a["error_class"]) for a in rec["attempts"]],
                         [(rec["deployment"], "success", None)])

    def test_json_without_stream(self) -> None:
        self.mock.script(self.lane, [{"text": "whole"}])
        r = self.run_cli(*self.flags(), "--json", "--no-stream", "hi")
        self.assertOk(r)
        doc = r.json()
        self.check_completion(doc, "whole")
        self.assertIs(doc["llmgw"]["stream"], False)
        self.assertNotEqual(self.one_body().get("stream"), True)

    def test_json_unknown_cost_is_null(self) -> None:
        cfg = self.write_config(self.config())          # openai/gpt-test: no price anywhere
        r = self.run_cli("--config", cfg, "-m", "g", "--json", "hi")
        self.assertOk(r)
        rec = r.json()["llmgw"]
        self.assertIsNone(rec["cost_usd"])
        self.assertEqual(rec["cost_provenance"], "unknown")

    def test_json_cost_with_deployment_prices(self) -> None:
        cfg = self.config(deployments=[self.deployment(prices=(1e-6, 2e-6))])
        self.mock.script(self.lane, [{"usage": {"prompt_tokens": 1000, "completion_tokens": 500}}])
        r = self.run_cli("--config", self.write_config(cfg), "-m", "g", "--json", "hi")
        self.assertOk(r)
        rec = r.json()["llmgw"]
        self.assertEqual(rec["cost_provenance"], "computed")
        self.assertIsInstance(rec["cost_usd"], float)
        self.assertAlmostEqual(rec["cost_usd"], 1000 * 1e-6 + 500 * 2e-6, places=12)

    def test_json_failover_attempts(self) -> None:
        a, b = f"{self.lane}-a", f"{self.lane}-b"
        deps = [self.deployment(a, order=1), self.deployment(b, model="openai/gpt-4o", order=2)]
        deps[0]["model_info"] = {"id": "dep-a"}
        deps[1]["model_info"] = {"id": "dep-b"}
        self.mock.script(a, {"steps": [{"status": 503}], "then": "repeat_last"})
        self.mock.script(b, [{"text": "second"}])
        cfg = self.write_config(self.config(deployments=deps, retries=1))
        r = self.run_cli("--config", cfg, "-m", "g", "--json", "hi")
        self.assertOk(r)
        doc = r.json()
        self.check_completion(doc, "second")
        rec = doc["llmgw"]
        self.assertEqual(rec["deployment"], "dep-b")
        self.assertEqual(rec["model"], "gpt-4o")
        self.assertEqual([(x["deployment"], x["status"], x["error_class"], x["http_status"])
                          for x in rec["attempts"]],
                         [("dep-a", "failure", "server_error", 503), ("dep-b", "success", None, 200)])

    def test_json_tool_calls(self) -> None:
        self.mock.script(self.lane, [{"tool_calls": [{"id": "c1", "name": "lookup", "arguments": {"q": "x"}},
                                                     {"id": "c2", "name": "other", "arguments": "{}"}]}])
        r = self.run_cli(*self.flags(), "--json", "hi")
        self.assertOk(r)
        msg = r.json()["choices"][0]["message"]
        self.assertEqual([(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
                          for c in msg["tool_calls"]], [("c1", "lookup", {"q": "x"}), ("c2", "other", {})])
        self.assertEqual(r.json()["choices"][0]["finish_reason"], "tool_calls")

    def test_json_stream_is_printed_once_at_the_end(self) -> None:
        # While the stream is stalled half-way, nothing is on stdout yet.
        self.mock.script(self.lane, [{"text": "w1 w2 w3 w4", "stall_after_events": 3, "stall_ms": 800}])
        p = self.popen_cli(*self.flags(), "--json", "hi")
        try:
            deadline = time.monotonic() + 20
            while not self.mock.requests(self.lane) and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertEqual(len(self.mock.requests(self.lane)), 1)
            sel = selectors.DefaultSelector()
            sel.register(p.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
            early = b""
            if sel.select(timeout=0.3) and p.poll() is None:
                early = os.read(p.stdout.fileno(), 65536)  # type: ignore[union-attr]
            sel.close()
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err)
        out = early + out
        self.assertEqual(out.count(b"\n"), 1, out)
        self.assertTrue(out.endswith(b"\n"))
        doc = json.loads(out)
        self.assertEqual(doc["choices"][0]["message"]["content"], "w1 w2 w3 w4")
        if early:
            self.assertEqual(early, out, "part of the object came before the stream ended")

    def test_json_error_object(self) -> None:
        self.mock.script(self.lane, [{"status": 429, "headers": {"retry-after": "7"}}])
        r = self.run_cli("--config", self.write_config(self.config()), "-m", "g", "--json", "hi")
        e = self.assertErrorJson(r, EXIT["rate_limit"], "rate_limit")
        self.assertEqual(r.err, "")
        self.assertEqual(e["status"], 429)
        self.assertEqual(e["provider"], "openai")
        self.assertEqual(e["retry_after_ms"], 7000)
        self.assertEqual([(x["status"], x["error_class"], x["http_status"]) for x in e["attempts"]],
                         [("failure", "rate_limit", 429)])
        self.assertIsInstance(e["attempts"][0]["deployment"], str)

    def test_json_error_before_any_attempt(self) -> None:
        r = self.run_cli("--config", self.write_config(self.config()), "-m", "nope", "--json", "hi")
        e = self.assertErrorJson(r, EXIT["not_found"], "not_found")
        self.assertIsNone(e["status"])
        self.assertIsNone(e["retry_after_ms"])
        self.assertEqual(e["attempts"], [])


class UsageLineTest(CliTestCase):
    LINE = re.compile(r"^llmgw: (\d+) input \((\d+) cached\) \+ (\d+) output tokens, (.+?), [\d.]+ ms, "
                      r"(\S+?)(?: \(cache hit\))?$")

    def usage_line(self, err: str) -> "re.Match[str]":
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        m = self.LINE.match(lines[0])
        self.assertIsNotNone(m, err)
        return m  # type: ignore[return-value]

    def test_usage_line_priced(self) -> None:
        self.mock.script(self.lane, [{"text": "answer", "usage": USAGE}])
        for flag in ("-u", "--usage"):
            with self.subTest(flag=flag):
                self.mock.script(self.lane, [{"text": "answer", "usage": USAGE}])
                r = self.run_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane),
                                 "--api-key", KEY_FLAG, flag, "hi")
                self.assertOk(r)
                self.assertEqual(r.out, "answer\n")
                m = self.usage_line(r.err)
                self.assertEqual(m.group(1, 2, 3), ("1000", "200", "100"))
                self.assertEqual(m.group(4), "$0.003250000")
                self.assertEqual(m.group(5), "openai/gpt-4o")

    def test_usage_line_unknown_cost(self) -> None:
        r = self.run_cli("--config", self.write_config(self.config()), "-m", "g", "-u", "hi")
        self.assertOk(r)
        self.assertEqual(self.usage_line(r.err).group(4), "cost unknown")

    def test_usage_with_json_keeps_stdout_one_object(self) -> None:
        r = self.run_cli("--config", self.write_config(self.config()), "-m", "g", "-u", "--json", "hi")
        self.assertOk(r)
        r.json()
        self.usage_line(r.err)
