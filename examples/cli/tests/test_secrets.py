"""Keys never reach stdout or stderr, even when the upstream echoes them back.

Every run in this suite is checked for the sentinel keys (support.CliTestCase.check_output);
these tests add the cases built to leak: an upstream whose error text quotes the key it got,
from each of the three places a key comes from (--api-key, the vendor's env var, the config).
"""
from __future__ import annotations

from support import EXIT, KEY_CONFIG, KEY_ENV, KEY_FLAG, CliTestCase


class SecretTest(CliTestCase):
    def echo_script(self, key: str) -> dict:
        return {"steps": [{"status": 401, "error_message": f"Incorrect API key provided: {key}. You can find "
                                                           f"your API key at https://platform.openai.com."}],
                "then": "repeat_last"}

    def runs(self, key: str, *args: str, env=None):  # type: ignore[no-untyped-def]
        self.mock.script(self.lane, self.echo_script(key))
        for extra in ((), ("--json",), ("--no-stream", "-u")):
            with self.subTest(key=key[:10], extra=extra):
                r = self.run_cli(*args, *extra, "hi", env=env)          # check_output: no key anywhere
                self.assertExit(r, EXIT["auth"])
                self.assertIn("Incorrect API key provided", r.out + r.err)

    def test_flag_key_echoed_by_the_upstream(self) -> None:
        self.runs(KEY_FLAG, "-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane),
                  "--api-key", KEY_FLAG)

    def test_env_key_echoed_by_the_upstream(self) -> None:
        self.runs(KEY_ENV, "-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane),
                  env={"OPENAI_API_KEY": KEY_ENV})

    def test_config_key_echoed_by_the_upstream(self) -> None:
        self.runs(KEY_CONFIG, "--config", self.write_config(self.config()), "-m", "g")

    def test_key_echoed_in_a_server_error_body(self) -> None:
        self.mock.script(self.lane, {"steps": [{"status": 500, "body": f"exploded while using {KEY_CONFIG}"}],
                                     "then": "repeat_last"})
        cfg = self.write_config(self.config())
        for extra in ((), ("--json",)):
            with self.subTest(extra=extra):
                r = self.run_cli("--config", cfg, "-m", "g", *extra, "hi")
                self.assertExit(r, EXIT["server_error"])
                self.assertIn("exploded", r.out + r.err)

    def test_the_leak_check_catches_a_leak(self) -> None:
        # The guard itself: an answer that happens to contain a sentinel must fail check_output.
        self.mock.script(self.lane, [{"text": f"here is {KEY_ENV}"}])
        with self.assertRaises(AssertionError) as cm:
            self.run_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane), "--api-key",
                         KEY_FLAG, "hi")
        self.assertIn("leaked to stdout", str(cm.exception))
        self.assertNotIn(KEY_ENV, str(cm.exception))

    def test_key_not_in_listings(self) -> None:
        cfg = self.write_config(self.config())
        for args in (("models",), ("models", "--json"), ("prices", "g"), ("prices", "g", "--json")):
            with self.subTest(args=args):
                self.assertOk(self.run_cli("--config", cfg, *args))

    def test_key_not_in_config_errors(self) -> None:
        r = self.run_cli("-m", "openai/gpt-4o", "--api-base", "http://example.com/v1", "--api-key", KEY_FLAG,
                         "hi")
        self.assertErrorLine(r, EXIT["config"], "config")
        cfg = self.config()
        cfg["model_list"][0]["litellm_params"]["api_base"] = "http://example.com/v1"
        r = self.run_cli("--config", self.write_config(cfg), "-m", "g", "--json", "hi")
        self.assertErrorJson(r, EXIT["config"], "config")
