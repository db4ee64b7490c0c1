"""The prompt (argument, stdin, both), streaming to stdout, -s, and how -m picks the model."""
from __future__ import annotations

import os
import pty
import selectors
import subprocess
import time

from support import EXIT, KEY_ENV, KEY_FLAG, CliTestCase, Result, user_text


class PromptTest(CliTestCase):
    def flag_args(self, model: str = "openai/gpt-4o") -> list:
        return ["-m", model, "--api-base", self.mock.api_base(self.lane), "--api-key", KEY_FLAG]

    def test_prompt_as_argument(self) -> None:
        self.mock.script(self.lane, [{"text": "the answer"}])
        r = self.run_cli(*self.flag_args(), "what is it?")
        self.assertOk(r)
        self.assertEqual(r.out, "the answer\n")
        self.assertEqual(r.err, "")
        body = self.one_body()
        self.assertEqual(body["messages"], [{"role": "user", "content": "what is it?"}])
        self.assertEqual(body["model"], "gpt-4o")

    def test_stdin_is_placed_before_the_prompt(self) -> None:
        r = self.run_cli(*self.flag_args(), "summarise the above", stdin="line one\nline two\n")
        self.assertOk(r)
        text = user_text(self.one_body())
        self.assertTrue(text.startswith("line one\nline two"), text)
        self.assertTrue(text.endswith("summarise the above"), text)
        self.assertLess(text.index("line two"), text.index("summarise"))

    def test_stdin_alone_is_the_prompt(self) -> None:
        r = self.run_cli(*self.flag_args(), stdin="just the piped text")
        self.assertOk(r)
        self.assertEqual(user_text(self.one_body()), "just the piped text")

    def test_terminal_stdin_is_not_read(self) -> None:
        # stdin is a terminal nobody types into: reading it would block until the run's timeout.
        master, slave = pty.openpty()
        try:
            p = subprocess.run([self.cli, *self.flag_args(), "only the argument"], stdin=slave,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env(), cwd=self.cwd,
                               timeout=30)
        finally:
            os.close(slave)
            os.close(master)
        r = Result(["(tty stdin)"], p.returncode, p.stdout, p.stderr, 0)
        self.check_output(r)
        self.assertOk(r)
        self.assertEqual(user_text(self.one_body()), "only the argument")

    def test_oversize_stdin_is_refused_not_dropped(self) -> None:
        # The CLI reads at most 64 MiB (examples/cli/main.c MAX_INPUT). More is a usage error;
        # sending PROMPT without the piped text would answer a different question.
        r = self.run_cli(*self.flag_args(), "summarise the above", stdin="a" * (64 << 20))
        self.assertErrorLine(r, EXIT["usage"], "usage")
        self.assertEqual(self.bodies(), [])

    def test_no_prompt_is_a_usage_error(self) -> None:
        r = self.run_cli(*self.flag_args())
        self.assertErrorLine(r, EXIT["usage"], "usage")
        self.assertEqual(self.bodies(), [])

    def test_empty_stdin_and_no_prompt_is_a_usage_error(self) -> None:
        r = self.run_cli(*self.flag_args(), stdin="")
        self.assertErrorLine(r, EXIT["usage"], "usage")

    def test_two_prompts_are_a_usage_error(self) -> None:
        r = self.run_cli(*self.flag_args(), "one", "two")
        self.assertErrorLine(r, EXIT["usage"], "usage")
        self.assertEqual(self.bodies(), [])

    def test_double_dash_ends_options(self) -> None:
        r = self.run_cli(*self.flag_args(), "--", "--not-a-flag")
        self.assertOk(r)
        self.assertEqual(user_text(self.one_body()), "--not-a-flag")

    def test_stream_reaches_stdout_as_it_arrives(self) -> None:
        # The mock sends "alpha " and "beta ", then stalls for 2 s before the rest: the CLI must
        # have written the first words while the answer is still incomplete.
        self.mock.script(self.lane, [{"text": "alpha beta gamma delta", "chunks": 4,
                                      "stall_after_events": 3, "stall_ms": 2000}])
        p = self.popen_cli(*self.flag_args(), "go")
        try:
            sel = selectors.DefaultSelector()
            sel.register(p.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
            early = b""
            deadline = time.monotonic() + 20
            while b"beta" not in early and time.monotonic() < deadline:
                if not sel.select(timeout=1):
                    continue
                chunk = os.read(p.stdout.fileno(), 4096)  # type: ignore[union-attr]
                if not chunk:
                    break
                early += chunk
            sel.close()
            self.assertIn(b"alpha beta", early)
            self.assertNotIn(b"delta", early, "the end arrived together with the start")
            self.assertIsNone(p.poll(), "the CLI ended before the stream did")
            rest, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual((early + rest).decode(), "alpha beta gamma delta\n")
        self.assertEqual(err, b"")

    def test_diagnostics_go_to_stderr_only(self) -> None:
        self.mock.script(self.lane, [{"text": "clean"}])
        r = self.run_cli(*self.flag_args(), "-u", "hi")
        self.assertOk(r)
        self.assertEqual(r.out, "clean\n")
        self.assertTrue(r.err.startswith("llmgw: "), r)

    def test_error_leaves_stdout_empty(self) -> None:
        self.mock.script(self.lane, [{"status": 400, "error_message": "nope"}])
        r = self.run_cli(*self.flag_args(), "hi")
        self.assertErrorLine(r, EXIT["bad_request"], "bad_request")

    def test_system_prompt_comes_first(self) -> None:
        for flag in ("-s", "--system"):
            with self.subTest(flag=flag):
                lane = f"{self.lane}-{flag.strip('-')}"
                r = self.run_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(lane),
                                 "--api-key", KEY_FLAG, flag, "You are terse.", "hi")
                self.assertOk(r)
                self.assertEqual(self.one_body(lane)["messages"],
                                 [{"role": "system", "content": "You are terse."},
                                  {"role": "user", "content": "hi"}])

    def test_option_equals_form(self) -> None:
        r = self.run_cli("--model=openai/gpt-4o", f"--api-base={self.mock.api_base(self.lane)}",
                         f"--api-key={KEY_FLAG}", "--system=brief", "hi")
        self.assertOk(r)
        self.assertEqual(self.one_body()["messages"][0], {"role": "system", "content": "brief"})

    def test_option_missing_its_value_is_a_usage_error(self) -> None:
        for flag in ("-m", "-s", "--config", "--api-base", "--api-key", "--request", "--timeout",
                     "--customer", "--tag"):
            with self.subTest(flag=flag):
                r = self.run_cli("hi", flag)
                self.assertErrorLine(r, EXIT["usage"], "usage")


class ModelTest(CliTestCase):
    def test_group_alias_from_config(self) -> None:
        cfg = self.write_config(self.config(group="smart"))
        self.mock.script(self.lane, [{"text": "from the group"}])
        r = self.run_cli("--config", cfg, "-m", "smart", "hi")
        self.assertOk(r)
        self.assertEqual(r.out, "from the group\n")
        self.assertEqual(self.one_body()["model"], "gpt-test")

    def test_long_model_flag(self) -> None:
        cfg = self.write_config(self.config(group="smart"))
        r = self.run_cli("--config", cfg, "--model", "smart", "hi")
        self.assertOk(r)
        self.assertEqual(len(self.bodies()), 1)

    def test_model_alias_from_router_settings(self) -> None:
        cfg = self.config(group="smart")
        cfg["router_settings"]["model_group_alias"] = {"quick": "smart"}
        r = self.run_cli("--config", self.write_config(cfg), "-m", "quick", "hi")
        self.assertOk(r)
        self.assertEqual(len(self.bodies()), 1)

    def test_provider_slash_model_with_api_base(self) -> None:
        r = self.run_cli("-m", "openai/gpt-4o-mini", "--api-base", self.mock.api_base(self.lane),
                         "--api-key", KEY_FLAG, "hi")
        self.assertOk(r)
        self.assertEqual(self.one_body()["model"], "gpt-4o-mini")

    def test_provider_colon_model_with_env(self) -> None:
        r = self.run_cli("-m", "openai:gpt-4o-mini", "hi",
                         env={"OPENAI_API_KEY": KEY_ENV, "OPENAI_BASE_URL": self.mock.api_base(self.lane)})
        self.assertOk(r)
        self.assertEqual(self.one_body()["model"], "gpt-4o-mini")

    def test_provider_colon_model_with_api_base(self) -> None:
        r = self.run_cli("-m", "openai:gpt-4o-mini", "--api-base", self.mock.api_base(self.lane),
                         "--api-key", KEY_FLAG, "hi")
        self.assertOk(r)
        self.assertEqual(self.one_body()["model"], "gpt-4o-mini")

    def test_llmgw_model_is_the_default(self) -> None:
        cfg = self.write_config(self.config(group="dflt"))
        r = self.run_cli("--config", cfg, "hi", env={"LLMGW_MODEL": "dflt"})
        self.assertOk(r)
        self.assertEqual(len(self.bodies()), 1)

    def test_model_flag_beats_llmgw_model(self) -> None:
        cfg = self.config(group="chosen")
        cfg["model_list"].append(self.deployment(f"{self.lane}-other", group="other"))
        r = self.run_cli("--config", self.write_config(cfg), "-m", "chosen", "hi",
                         env={"LLMGW_MODEL": "other"})
        self.assertOk(r)
        self.assertEqual(len(self.bodies()), 1)
        self.assertEqual(self.bodies(f"{self.lane}-other"), [])

    def test_missing_model_is_a_usage_error(self) -> None:
        for env in ({}, {"LLMGW_MODEL": ""}):
            with self.subTest(env=env):
                r = self.run_cli("hi", env=env)
                self.assertErrorLine(r, EXIT["usage"], "usage")
                self.assertIn("model", r.err)

    def test_unknown_group_is_not_found(self) -> None:
        cfg = self.write_config(self.config(group="smart"))
        r = self.run_cli("--config", cfg, "-m", "smrat", "hi")
        self.assertErrorLine(r, EXIT["not_found"], "not_found")
        self.assertIn("smrat", r.err)
        self.assertEqual(self.bodies(), [])

    def test_api_base_needs_provider_model(self) -> None:
        cfg = self.write_config(self.config(group="smart"))
        r = self.run_cli("--config", cfg, "-m", "nogroup", "--api-base", self.mock.api_base(self.lane),
                         "hi")
        self.assertErrorLine(r, EXIT["usage"], "usage")

