"""One documented exit code per error class, each produced by the mock upstream (or by the
gateway before anything is sent), in text mode (one line on stderr, nothing on stdout) and with
--json (one error object on stdout)."""
from __future__ import annotations

import json
import os
import selectors
import signal
import time

from support import EXIT, KEY_FLAG, CliTestCase, closed_port, signal_status


class ExitCodeTest(CliTestCase):
    def both(self, script, code: int, cls: str, **cfg_extra):  # type: ignore[no-untyped-def]
        """Run the scripted failure twice (text, then --json); returns the JSON error."""
        cfg = self.write_config(self.config(**cfg_extra))
        self.mock.script(self.lane, script)
        r = self.run_cli("--config", cfg, "-m", "g", "hi")
        self.assertErrorLine(r, code, cls)
        self.mock.script(self.lane, script)
        r = self.run_cli("--config", cfg, "-m", "g", "--json", "hi")
        e = self.assertErrorJson(r, code, cls)
        self.assertEqual(r.err, "")
        return e

    def test_2_usage_unknown_flag(self) -> None:
        for flag in ("--bogus", "-z", "--bogus=1", "---model"):
            with self.subTest(flag=flag):
                r = self.run_cli("-m", "openai/gpt-4o", flag, "hi")
                self.assertErrorLine(r, EXIT["usage"], "usage")
                self.assertIn("--help", r.err)

    def test_2_usage_value_given_to_a_flag_without_one(self) -> None:
        # getopt_long's rule: "--json=yes" is "option '--json' doesn't allow an argument"
        for flag in ("--json=yes", "--no-stream=false", "--no-cache=0", "--usage=1"):
            with self.subTest(flag=flag):
                r = self.run_cli("-m", "openai/gpt-4o", flag, "hi")
                self.assertErrorLine(r, EXIT["usage"], "usage")

    def test_3_config(self) -> None:
        cfg = self.config()
        cfg["model_list"][0]["litellm_params"]["weight"] = -1
        r = self.run_cli("--config", self.write_config(cfg), "-m", "g", "hi")
        self.assertErrorLine(r, EXIT["config"], "config")

    def test_4_auth(self) -> None:
        e = self.both([{"status": 401}], EXIT["auth"], "auth")
        self.assertEqual((e["status"], e["provider"]), (401, "openai"))

    def test_5_rate_limit(self) -> None:
        e = self.both([{"status": 429, "headers": {"retry-after": "3"}}], EXIT["rate_limit"], "rate_limit")
        self.assertEqual((e["status"], e["retry_after_ms"]), (429, 3000))

    def test_6_quota_exceeded(self) -> None:
        e = self.both([{"status": 429, "error_type": "insufficient_quota", "error_code": "insufficient_quota",
                        "error_message": "You exceeded your current quota"}],
                      EXIT["quota_exceeded"], "quota_exceeded")
        self.assertEqual(e["status"], 429)

    def test_7_context_length_exceeded(self) -> None:
        e = self.both([{"status": 400, "error_code": "context_length_exceeded",
                        "error_message": "This model's maximum context length is 8192 tokens."}],
                      EXIT["context_length_exceeded"], "context_length_exceeded")
        self.assertEqual(e["status"], 400)

    def test_8_content_policy(self) -> None:
        e = self.both([{"status": 400, "error_code": "content_policy_violation",
                        "error_message": "Your request was rejected by the safety system."}],
                      EXIT["content_policy"], "content_policy")
        self.assertEqual(e["status"], 400)

    def test_9_timeout(self) -> None:
        cfg = self.write_config(self.config())
        self.mock.script(self.lane, {"steps": [{"delay_ms": -1}], "then": "repeat_last"})
        t0 = time.monotonic()
        r = self.run_cli("--config", cfg, "-m", "g", "--timeout", "0.3", "hi", timeout=20)
        self.assertErrorLine(r, EXIT["timeout"], "timeout")
        r = self.run_cli("--config", cfg, "-m", "g", "--timeout", "0.3", "--json", "hi", timeout=20)
        self.assertErrorJson(r, EXIT["timeout"], "timeout")
        self.assertLess(time.monotonic() - t0, 15, "hang guard")

    def test_10_server_error_without_retries(self) -> None:
        e = self.both({"steps": [{"status": 500}], "then": "repeat_last"}, EXIT["server_error"], "server_error")
        self.assertEqual(len(e["attempts"]), 1)

    def test_10_server_error_with_bounded_retries(self) -> None:
        self.mock.script(self.lane, {"steps": [{"status": 500}], "then": "repeat_last"})
        cfg = self.write_config(self.config(retries=2))
        r = self.run_cli("--config", cfg, "-m", "g", "--json", "hi")
        e = self.assertErrorJson(r, EXIT["server_error"], "server_error")
        self.assertEqual([a["http_status"] for a in e["attempts"]], [500, 500, 500])
        self.assertEqual(len(self.bodies()), 3)

    def test_11_network(self) -> None:
        base = f"http://127.0.0.1:{closed_port()}/v1"
        cfg = self.write_config(self.config(deployments=[self.deployment(base=base)]))
        r = self.run_cli("--config", cfg, "-m", "g", "hi")
        self.assertErrorLine(r, EXIT["network"], "network")
        r = self.run_cli("-m", "openai/gpt-4o", "--api-base", base, "--api-key", KEY_FLAG, "--json", "hi")
        e = self.assertErrorJson(r, EXIT["network"], "network")
        self.assertIsNone(e["status"])
        self.assertTrue(all(a["error_class"] == "network" for a in e["attempts"]), e)

    def test_12_budget_exceeded(self) -> None:
        # The reservation of a single call (max_tokens 1000 at 1 USD per million) exceeds the budget.
        cfg = self.config(deployments=[self.deployment(prices=(1e-6, 1e-6))])
        cfg["llmgw_settings"] = {"budgets": [{"customer": "acme", "max_usd": 0.0001}]}
        path = self.write_config(cfg)
        r = self.run_cli("--config", path, "-m", "g", "--customer", "acme", "-o", "max_tokens", "1000", "hi")
        self.assertErrorLine(r, EXIT["budget_exceeded"], "budget_exceeded")
        self.assertIn("acme", r.err)
        r = self.run_cli("--config", path, "-m", "g", "--customer", "acme", "-o", "max_tokens", "1000",
                         "--json", "hi")
        e = self.assertErrorJson(r, EXIT["budget_exceeded"], "budget_exceeded")
        self.assertEqual(e["attempts"], [])
        self.assertEqual(self.bodies(), [])
        # another customer has no budget
        r = self.run_cli("--config", path, "-m", "g", "--customer", "other", "-o", "max_tokens", "1000", "hi")
        self.assertOk(r)

    def test_13_stream_cut(self) -> None:
        # OpenAI events: role chunk, "alpha", " beta", ...: the stream ends cleanly after 3 events,
        # without a finish: the text already printed stays on stdout.
        script = [{"text": "alpha beta gamma delta", "cut_after_events": 3}]
        cfg = self.write_config(self.config())
        self.mock.script(self.lane, script)
        r = self.run_cli("--config", cfg, "-m", "g", "hi")
        self.assertExit(r, EXIT["stream_cut"])
        self.assertTrue(r.out.startswith("alpha beta"), r)
        self.assertNotIn("gamma", r.out)
        self.assertTrue(r.out.endswith("\n"), r)
        self.assertEqual(r.err.count("\n"), 1, r)
        self.assertTrue(r.err.startswith("llmgw: error: stream_cut: "), r)
        self.mock.script(self.lane, script)
        r = self.run_cli("--config", cfg, "-m", "g", "--json", "hi")
        self.assertErrorJson(r, EXIT["stream_cut"], "stream_cut")

    def test_14_bad_request(self) -> None:
        e = self.both([{"status": 400, "error_message": "Invalid value for 'messages'."}],
                      EXIT["bad_request"], "bad_request")
        self.assertEqual(e["status"], 400)

    def test_15_not_found(self) -> None:
        e = self.both([{"status": 404, "error_code": "model_not_found"}], EXIT["not_found"], "not_found")
        self.assertEqual(e["status"], 404)

    def test_16_unsupported(self) -> None:
        # Anthropic has no seed; without drop_params the gateway refuses before sending.
        args = ["-m", "anthropic/claude-sonnet-4-5", "--api-base", self.mock.lane_base(self.lane),
                "--api-key", KEY_FLAG, "-o", "seed", "7", "hi"]
        r = self.run_cli(*args)
        self.assertErrorLine(r, EXIT["unsupported"], "unsupported")
        self.assertIn("seed", r.err)
        r = self.run_cli(*args, "--json")
        e = self.assertErrorJson(r, EXIT["unsupported"], "unsupported")
        self.assertEqual(e["provider"], "anthropic")
        self.assertEqual(self.bodies(), [])

    def test_16_unsupported_dropped_with_request_drop_params(self) -> None:
        body = {"model": "anthropic/claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}],
                "seed": 7, "drop_params": True}
        r = self.run_cli("--request", "-", "--api-base", self.mock.lane_base(self.lane), "--api-key", KEY_FLAG,
                         stdin=json.dumps(body))
        self.assertOk(r)
        self.assertNotIn("seed", self.one_body())

    def test_16_unsupported_dropped_with_config_drop_params(self) -> None:
        # litellm_settings.drop_params: llmgw_gateway_options.drop_params, "for every request"
        cfg = self.config(deployments=[self.deployment(model="anthropic/claude-sonnet-4-5")],
                          litellm_settings={"drop_params": True})
        r = self.run_cli("--config", self.write_config(cfg), "-m", "g", "-o", "seed", "7", "hi")
        self.assertOk(r)
        self.assertNotIn("seed", self.one_body())


class InterruptTest(CliTestCase):
    def test_130_sigint_during_a_stalled_stream(self) -> None:
        # The stream delivers its first word and stalls; SIGINT ends the CLI with the partial text
        # on stdout. A shell reports 130 either way: the CLI's own exit 130, or 128 + SIGINT when
        # the default disposition kills it.
        self.mock.script(self.lane, [{"text": "partial words here", "stall_after_events": 2}])
        p = self.popen_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane),
                           "--api-key", KEY_FLAG, "hi")
        try:
            sel = selectors.DefaultSelector()
            sel.register(p.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
            early = b""
            deadline = time.monotonic() + 20
            while b"partial" not in early and time.monotonic() < deadline:
                if sel.select(timeout=1):
                    chunk = os.read(p.stdout.fileno(), 4096)  # type: ignore[union-attr]
                    if not chunk:
                        break
                    early += chunk
            sel.close()
            self.assertIn(b"partial", early)
            self.assertIsNone(p.poll())
            p.send_signal(signal.SIGINT)
            rest, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(signal_status(p.returncode), 130, (p.returncode, err))
        self.assertTrue((early + rest).startswith(b"partial"))
        self.assertNotIn(b"here", early + rest)
