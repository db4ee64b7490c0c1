"""--config FILE (JSON and YAML), the search order ($LLMGW_CONFIG, ./llmgw.json, XDG), and bad
config files: unreadable (usage, 2) or invalid (config, 3)."""
from __future__ import annotations

import os

from support import EXIT, KEY_CONFIG, KEY_ENV, CliTestCase, build_feature


class ConfigFileTest(CliTestCase):
    def ask(self, *args: str, **kw) -> None:  # type: ignore[no-untyped-def]
        """One successful call that reached this test's lane."""
        r = self.run_cli(*args, "-m", "g", "hi", **kw)
        self.assertOk(r)
        self.assertEqual(r.out, "from the config\n")
        self.assertEqual(len(self.bodies()), 1)

    def setUp(self) -> None:
        super().setUp()
        self.mock.script(self.lane, {"steps": [{"text": "from the config"}], "then": "repeat_last"})

    def test_json_config(self) -> None:
        for flag in ("--config", "-c"):
            with self.subTest(flag=flag):
                path = self.write_config(self.config(), f"cfg{flag}.json")
                r = self.run_cli(flag, path, "-m", "g", "hi")
                self.assertOk(r)
                self.assertEqual(r.out, "from the config\n")
        self.assertEqual(len(self.bodies()), 2)

    def test_config_equals_form(self) -> None:
        self.ask(f"--config={self.write_config(self.config())}")

    def test_yaml_config(self) -> None:
        if build_feature("YAML") is False:
            self.skipTest("built without libyaml")
        for name in ("llmgw.yaml", "other.yml"):
            with self.subTest(name=name):
                path = self.write_config(self.config(), name)
                with open(path) as f:
                    self.assertNotIn("{", f.read())          # block style, not JSON in disguise
                r = self.run_cli("--config", path, "-m", "g", "hi")
                self.assertOk(r)
                self.assertEqual(r.out, "from the config\n")
        self.assertEqual(len(self.bodies()), 2)

    def test_yaml_config_with_litellm_spelling(self) -> None:
        if build_feature("YAML") is False:
            self.skipTest("built without libyaml")
        text = (f"model_list:\n"
                f"  - model_name: g\n"
                f"    params:\n"
                f"      model: openai/gpt-test\n"
                f"      api_base: {self.mock.api_base(self.lane)}\n"
                f"      api_key: os.environ/CLI_TEST_KEY\n"
                f"router_settings:\n"
                f"  num_retries: 0\n"
                f"settings:\n"
                f"  drop_params: True\n")
        self.ask("--config", self.write("c.yaml", text), env={"CLI_TEST_KEY": KEY_ENV})
        self.assertEqual(self.mock.requests(self.lane)[0]["headers"]["authorization"], f"Bearer {KEY_ENV}")

    def test_llmgw_config_env(self) -> None:
        self.ask(env={"LLMGW_CONFIG": self.write_config(self.config())})

    def test_config_flag_beats_llmgw_config(self) -> None:
        other = self.write_config(self.config(lane=f"{self.lane}-other"), "other.json")
        self.ask("--config", self.write_config(self.config()), env={"LLMGW_CONFIG": other})
        self.assertEqual(self.bodies(f"{self.lane}-other"), [])

    def test_llmgw_json_in_the_working_directory(self) -> None:
        self.write_config(self.config(), "llmgw.json", where=self.cwd)
        self.ask()

    def test_xdg_config_home(self) -> None:
        self.write_config(self.config(), os.path.join("llmgw", "config.json"),
                          where=os.path.join(self.home, ".config"))
        self.ask()

    def test_xdg_config_yml(self) -> None:
        """config.yml too, the spelling the Python and Ruby bindings also accept."""
        if build_feature("YAML") is False:
            self.skipTest("built without libyaml")
        self.write_config(self.config(), os.path.join("llmgw", "config.yml"),
                          where=os.path.join(self.home, ".config"))
        self.ask()

    def test_key_from_environment_reference(self) -> None:
        cfg = self.config()
        cfg["model_list"][0]["litellm_params"]["api_key"] = "os.environ/CLI_TEST_KEY"
        self.ask("--config", self.write_config(cfg), env={"CLI_TEST_KEY": KEY_ENV})
        self.assertEqual(self.mock.requests(self.lane)[0]["headers"]["authorization"], f"Bearer {KEY_ENV}")

    def test_key_from_config_literal(self) -> None:
        self.ask("--config", self.write_config(self.config()))
        self.assertEqual(self.mock.requests(self.lane)[0]["headers"]["authorization"],
                         f"Bearer {KEY_CONFIG}")


class BadConfigTest(CliTestCase):
    def test_missing_config_file_is_a_usage_error(self) -> None:
        for args, env in ((["--config", os.path.join(self.tmp, "nope.json")], {}),
                          ([], {"LLMGW_CONFIG": os.path.join(self.tmp, "nope.yaml")})):
            with self.subTest(args=args, env=env):
                r = self.run_cli(*args, "-m", "g", "hi", env=env)
                self.assertErrorLine(r, EXIT["usage"], "usage")
                self.assertIn("nope.", r.err)

    def test_missing_config_file_with_json_prints_nothing_on_stdout(self) -> None:
        r = self.run_cli("--config", os.path.join(self.tmp, "nope.json"), "--json", "-m", "g", "hi")
        self.assertErrorLine(r, EXIT["usage"], "usage")

    def test_invalid_json_syntax_is_a_config_error(self) -> None:
        path = self.write("broken.json", '{"model_list": [\n')
        r = self.run_cli("--config", path, "-m", "g", "hi")
        self.assertErrorLine(r, EXIT["config"], "config")
        self.assertIn("broken.json", r.err)

    def test_invalid_yaml_is_a_config_error(self) -> None:
        if build_feature("YAML") is False:
            self.skipTest("built without libyaml")
        path = self.write("broken.yaml", "model_list:\n  - model_name: g\n   bad: [\n")
        r = self.run_cli("--config", path, "-m", "g", "hi")
        self.assertErrorLine(r, EXIT["config"], "config")

    def test_invalid_content_is_a_config_error(self) -> None:
        cfg = self.config()
        cfg["model_list"][0]["litellm_params"]["model"] = "opnai/gpt-test"
        r = self.run_cli("--config", self.write_config(cfg), "-m", "g", "hi")
        self.assertErrorLine(r, EXIT["config"], "config")
        self.assertIn("opnai", r.err)
        self.assertEqual(self.bodies(), [])

    def test_invalid_config_with_json_is_an_error_object(self) -> None:
        cfg = self.config()
        cfg["router_settings"]["routing_strategy"] = "fastest-please"
        r = self.run_cli("--config", self.write_config(cfg), "--json", "-m", "g", "hi")
        e = self.assertErrorJson(r, EXIT["config"], "config")
        self.assertIn("routing_strategy", e["message"])
        self.assertEqual(r.err, "")

    def test_unset_environment_reference_is_a_config_error(self) -> None:
        cfg = self.config()
        cfg["model_list"][0]["litellm_params"]["api_key"] = "os.environ/CLI_TEST_UNSET_KEY"
        r = self.run_cli("--config", self.write_config(cfg), "-m", "g", "hi")
        self.assertErrorLine(r, EXIT["config"], "config")
        self.assertIn("CLI_TEST_UNSET_KEY", r.err)

    def test_plain_http_to_a_remote_host_is_a_config_error(self) -> None:
        cfg = self.config()
        cfg["model_list"][0]["litellm_params"]["api_base"] = "http://example.com/v1"
        r = self.run_cli("--config", self.write_config(cfg), "-m", "g", "hi")
        self.assertErrorLine(r, EXIT["config"], "config")

    def test_plain_http_api_base_flag_to_a_remote_host_is_a_config_error(self) -> None:
        r = self.run_cli("-m", "openai/gpt-4o", "--api-base", "http://example.com/v1", "--api-key",
                         "x", "hi")
        self.assertErrorLine(r, EXIT["config"], "config")

    def test_config_error_never_shows_the_key(self) -> None:
        cfg = self.config()
        cfg["model_list"][0]["litellm_params"]["api_base"] = "ftp://127.0.0.1/v1"
        r = self.run_cli("--config", self.write_config(cfg), "-m", "g", "hi")
        self.assertErrorLine(r, EXIT["config"], "config")      # check_output looks for the key
