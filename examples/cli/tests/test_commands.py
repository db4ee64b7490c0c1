"""--help, --version, `llmgw models [--json]`, `llmgw prices MODEL|GROUP [--json]`, `llmgw demo`."""
from __future__ import annotations

import os
import re

from support import EXIT, CliTestCase

FLAGS = ("-m", "--model", "-s", "--system", "-c", "--config", "--api-base", "--api-key", "--no-stream",
         "-o", "--option", "--request", "--json", "-u", "--usage", "--customer", "--tag", "--timeout",
         "--no-cache", "--version", "-h", "--help")
CLASS_OF_CODE = {0: "ok", 1: "unexpected", 2: "usage", 3: "config", 4: "auth", 5: "rate_limit",
                 6: "quota_exceeded", 7: "context_length_exceeded", 8: "content_policy", 9: "timeout",
                 10: "server_error", 11: "network", 12: "budget_exceeded", 13: "stream_cut",
                 14: "bad_request", 15: "not_found", 16: "unsupported", 130: "cancelled"}


class HelpVersionTest(CliTestCase):
    def test_help_lists_every_flag_and_exit_code(self) -> None:
        for flag in ("--help", "-h"):
            with self.subTest(flag=flag):
                r = self.run_cli(flag)
                self.assertOk(r)
                self.assertEqual(r.err, "")
                self.assertTrue(r.out.startswith("usage: llmgw"), r)
                for f in FLAGS:
                    self.assertRegex(r.out, r"(^|[\s,])%s([\s,=]|$)" % re.escape(f), f"{f} missing from --help")
                for cmd in ("models", "prices", "demo"):
                    self.assertIn(f"llmgw {cmd}", r.out)
                codes = r.out[r.out.index("exit codes:"):]
                documented = {int(n): name for n, name in re.findall(r"\b(\d+) ([a-z_]+)", codes)}
                self.assertEqual(documented, CLASS_OF_CODE)
                self.assertEqual(set(documented), set(EXIT.values()))

    def test_readme_documents_the_exit_codes(self) -> None:
        # Issue 7: exit codes are "documented in `llmgw --help` and the README".
        readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "README.md")
        if not os.path.exists(readme):
            self.skipTest("README.md not found")
        with open(readme) as f:
            text = f.read()
        m = re.search(r"exit code", text, re.I)
        self.assertIsNotNone(m, "README.md does not mention the CLI's exit codes")
        section = text[m.start():]                        # type: ignore[union-attr]
        end = re.search(r"\n#", section)
        section = section[:end.start()] if end else section
        for code, name in CLASS_OF_CODE.items():
            if code in (0, 1):
                continue
            self.assertRegex(section, r"\b%d\b" % code, f"exit code {code} missing from the README")
            self.assertIn(name, section, f"{name} missing from the README's exit codes")

    def test_help_wins_over_other_arguments(self) -> None:
        r = self.run_cli("-m", "x", "--help", "prompt")
        self.assertOk(r)
        self.assertTrue(r.out.startswith("usage: llmgw"))

    def test_version(self) -> None:
        r = self.run_cli("--version")
        self.assertOk(r)
        self.assertRegex(r.out, r"^llmgw \d+\.\d+\.\d+\S*\n$")
        self.assertEqual(r.err, "")


class ModelsTest(CliTestCase):
    def configured(self) -> str:
        deps = [self.deployment(group="smart", order=1), self.deployment(f"{self.lane}-b", group="smart",
                                                                          model="openai/gpt-4o", order=2)]
        deps[0]["model_info"] = {"id": "smart-one"}
        deps[1]["model_info"] = {"id": "smart-two"}
        deps.append(self.deployment(group="fast", model="openai/gpt-4o-mini", prices=(1e-6, 2e-6)))
        deps[2]["model_info"]["id"] = "fast-one"
        return self.write_config(self.config(deployments=deps))

    def test_models_lists_groups_and_known_models(self) -> None:
        r = self.run_cli("--config", self.configured(), "models")
        self.assertOk(r)
        self.assertEqual(r.err, "")
        for s in ("smart", "fast", "smart-one", "smart-two", "fast-one"):
            self.assertIn(s, r.out)
        rows = [line.split() for line in r.out.splitlines()]
        gpt4o = [row for row in rows if row and row[0] == "openai/gpt-4o"]
        self.assertEqual(len(gpt4o), 1, r.out)
        self.assertEqual(gpt4o[0][1:4], ["128000", "2.5", "10"], "context window, input, output $/M")

    def test_models_json(self) -> None:
        r = self.run_cli("--config", self.configured(), "models", "--json")
        self.assertOk(r)
        doc = r.json()
        groups = {g["name"]: [d["id"] for d in g["deployments"]] for g in doc["groups"]}
        self.assertEqual(groups, {"smart": ["smart-one", "smart-two"], "fast": ["fast-one"]})
        known = {m["id"]: m for m in doc["known_models"]}
        g = known["openai/gpt-4o"]
        self.assertEqual((g["max_input_tokens"], g["input_usd_per_mtok"], g["output_usd_per_mtok"]),
                         (128000, 2.5, 10))
        self.assertTrue(all(isinstance(m["max_input_tokens"], (int, type(None))) for m in known.values()))

    def test_models_json_flag_before_the_command(self) -> None:
        r = self.run_cli("--config", self.configured(), "--json", "models")
        self.assertOk(r)
        self.assertEqual({g["name"] for g in r.json()["groups"]}, {"smart", "fast"})

    def test_models_without_config(self) -> None:
        r = self.run_cli("models", "--json")
        self.assertOk(r)
        doc = r.json()
        self.assertEqual(doc["groups"], [])
        self.assertIn("openai/gpt-4o", {m["id"] for m in doc["known_models"]})

    def test_models_with_bad_config(self) -> None:
        r = self.run_cli("--config", self.write("bad.json", "{"), "models")
        self.assertErrorLine(r, EXIT["config"], "config")

    def test_models_extra_argument(self) -> None:
        r = self.run_cli("models", "extra")
        self.assertErrorLine(r, EXIT["usage"], "usage")


class PricesTest(CliTestCase):
    def test_prices_of_a_model(self) -> None:
        r = self.run_cli("prices", "openai/gpt-4o")
        self.assertOk(r)
        row = [line.split() for line in r.out.splitlines() if line.split()[:1] == ["openai/gpt-4o"]]
        self.assertEqual(len(row), 1, r.out)
        self.assertEqual(row[0][1:4], ["128000", "2.5", "10"])

    def test_prices_json(self) -> None:
        r = self.run_cli("prices", "openai/gpt-4o", "--json")
        self.assertOk(r)
        p = r.json()
        self.assertEqual((p["id"], p["provider"], p["input_usd_per_mtok"], p["output_usd_per_mtok"],
                          p["cache_read_usd_per_mtok"], p["max_input_tokens"]),
                         ("openai/gpt-4o", "openai", 2.5, 10, 1.25, 128000))

    def test_prices_json_flag_before_the_command(self) -> None:
        r = self.run_cli("--json", "prices", "openai/gpt-4o")
        self.assertOk(r)
        self.assertEqual(r.json()["output_usd_per_mtok"], 10)

    def test_prices_unknown_model_is_not_found(self) -> None:
        r = self.run_cli("prices", "openai/no-such-model-xyz")
        self.assertErrorLine(r, EXIT["not_found"], "not_found")
        r = self.run_cli("prices", "--json", "nope/none")
        self.assertErrorJson(r, EXIT["not_found"], "not_found")

    def test_prices_needs_a_model(self) -> None:
        r = self.run_cli("prices")
        self.assertErrorLine(r, EXIT["usage"], "usage")

    def group_config(self) -> str:
        deps = [self.deployment(group="mix", model="openai/gpt-test", prices=(1e-6, 2e-6), order=1),
                self.deployment(group="mix", model="openai/gpt-4o", order=2),
                self.deployment(group="mix", model="openai/gpt-4o", prices=(3e-6, 4e-6), order=3,
                                api_base=self.mock.api_base(f"{self.lane}-c"))]
        for i, d in enumerate(deps):
            d.setdefault("model_info", {})["id"] = f"mix-{i}"
        return self.write_config(self.config(deployments=deps))

    def test_prices_of_a_group_json(self) -> None:
        r = self.run_cli("--config", self.group_config(), "prices", "mix", "--json")
        self.assertOk(r)
        doc = r.json()
        self.assertEqual(doc["group"], "mix")
        got = {d["id"]: d["price"] for d in doc["deployments"]}
        self.assertEqual(set(got), {"mix-0", "mix-1", "mix-2"})
        self.assertEqual((got["mix-0"]["input_usd_per_mtok"], got["mix-0"]["output_usd_per_mtok"]), (1, 2))
        self.assertEqual(got["mix-0"]["source"], "deployment")
        self.assertEqual((got["mix-1"]["input_usd_per_mtok"], got["mix-1"]["output_usd_per_mtok"]), (2.5, 10))
        self.assertEqual((got["mix-2"]["input_usd_per_mtok"], got["mix-2"]["output_usd_per_mtok"]), (3, 4))
        self.assertEqual(got["mix-1"]["max_input_tokens"], 128000)
        self.assertEqual(got["mix-2"]["max_input_tokens"], 128000)    # custom rates, the table's window

    def test_prices_of_a_group_custom_model_has_no_context_window(self) -> None:
        # openai/gpt-test is in no price table: its context window is unknown (null), not garbage.
        r = self.run_cli("--config", self.group_config(), "prices", "mix", "--json")
        self.assertOk(r)
        got = {d["id"]: d["price"] for d in r.json()["deployments"]}
        self.assertIsNone(got["mix-0"]["max_input_tokens"])

    def test_prices_of_a_group_text(self) -> None:
        r = self.run_cli("--config", self.group_config(), "prices", "mix")
        self.assertOk(r)
        self.assertIn("mix", r.out)
        rows = [line.split() for line in r.out.splitlines()]
        models = [row for row in rows if row and row[0] in ("openai/gpt-test", "openai/gpt-4o")]
        self.assertEqual(len(models), 3, r.out)
        self.assertIn(["openai/gpt-4o", "128000", "2.5", "10"], [m[:4] for m in models])


class DemoTest(CliTestCase):
    def test_demo_extra_argument(self) -> None:
        r = self.run_cli("demo", "extra")
        self.assertErrorLine(r, EXIT["usage"], "usage")

    def test_demo_needs_no_keys(self) -> None:
        r = self.run_cli("demo", replace_env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                              **{k: v for k, v in os.environ.items()
                                                 if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}},
                         timeout=60)
        self.assertOk(r)
        self.assertEqual(r.err, "")
        out = r.out.lower()
        self.assertIn("cache hit", out)
        self.assertIn("failover", out)
        self.assertRegex(r.out, r"attempt 1: .*server_error")
        self.assertRegex(r.out, r"attempt 2: .* ok")
        self.assertIn("cost by deployment", out)
        self.assertRegex(r.out, r"\n\s+total\s+\$\d+\.\d{9}")
        self.assertNotRegex(r.out, r"https?://(?!127\.0\.0\.1)", "the demo reaches beyond loopback")


class MockProgramTest(CliTestCase):
    """The llmgw-mock program the tests and the demo lean on: it serves until SIGTERM, then exits 0."""

    def test_exits_cleanly_on_sigterm(self) -> None:
        from support import MockUpstream, mock_path
        mp = mock_path()
        if mp is None:
            self.skipTest("llmgw-mock not built")
        m = MockUpstream(mp)
        self.assertTrue(m.base.startswith("http://127.0.0.1:"))
        m.script("x", [{"text": "hi"}])
        self.assertEqual(m.requests("x"), [])
        m.stop()
        self.assertEqual(m.proc.returncode, 0, "llmgw-mock did not exit 0 on SIGTERM")
