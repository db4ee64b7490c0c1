"""llmgw.cost_report / llmgw.cost_simulate over a usage log written by a gateway in the test
(llmgw_settings.log.path); every total is recomputed here from the log's own lines and from the
test's prices."""
from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
from typing import Any, Dict, List, Optional

import llmgw

from support import USER_HI, MockTestCase, deployment

# the deployment's prices, in nano-USD per token (custom prices in litellm_params)
IN_NUSD, OUT_NUSD = 1000, 2000
# the simulation target's, from the test's own price file
SIM_IN_NUSD, SIM_OUT_NUSD, SIM_WINDOW = 500, 1000, 30
# (customer, tags, prompt tokens, completion tokens); the last request fails (HTTP 500)
CALLS = [("acme", ["batch"], 10, 5), ("acme", ["batch", "eu"], 20, 7), ("globex", [], 30, 11)]


class ReportTest(MockTestCase):

    def setUp(self) -> None:
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="llmgw-py-report-")
        self.log = os.path.join(self.dir, "usage.jsonl")
        self.prices = os.path.join(self.dir, "prices.json")
        with open(self.prices, "w") as f:
            json.dump({"sim-model": {"litellm_provider": "openai", "mode": "chat",
                                     "input_cost_per_token": SIM_IN_NUSD / 1e9,
                                     "output_cost_per_token": SIM_OUT_NUSD / 1e9,
                                     "max_input_tokens": SIM_WINDOW}}, f)
        self.mock.script("a", [{"usage": {"prompt_tokens": p, "completion_tokens": c}}
                               for _, _, p, c in CALLS] + [{"status": 500}])
        dep = deployment(self.mock, "a", "cheap", "gpt-cheap",
                         input_cost_per_token=IN_NUSD / 1e9, output_cost_per_token=OUT_NUSD / 1e9)
        client = self.client({"model_list": [dep], "router_settings": {"num_retries": 0},
                              "llmgw_settings": {"log": {"path": self.log}}})
        for customer, tags, _, _ in CALLS:
            client.chat.completions.create(model="cheap", messages=USER_HI,
                                           llmgw={"customer": customer, "tags": tags})
        with self.assertRaises(llmgw.InternalServerError):
            client.chat.completions.create(model="cheap", messages=USER_HI,
                                           llmgw={"customer": "globex"})
        client.close()                   # flushes the log
        with open(self.log) as f:
            self.lines = [json.loads(line) for line in f if line.strip()]

    def tearDown(self) -> None:
        super().tearDown()
        shutil.rmtree(self.dir, ignore_errors=True)

    def sums(self, key: Optional[str] = None) -> Dict[str, int]:
        rows = [r for r in self.lines if key is None or r["customer"] == key]
        return {"requests": len(rows),
                "failures": sum(r["status"] == "failure" for r in rows),
                "input_tokens": sum(r["input_tokens"] for r in rows),
                "output_tokens": sum(r["output_tokens"] for r in rows),
                "spend_nano_usd": sum(r["cost_nano_usd"] or 0 for r in rows)}

    @staticmethod
    def pick(row: Dict[str, Any]) -> Dict[str, int]:
        return {k: row[k] for k in ("requests", "failures", "input_tokens", "output_tokens",
                                    "spend_nano_usd")}

    def test_the_log_is_what_the_test_expects(self) -> None:
        self.assertEqual(len(self.lines), 4)
        expected = sum(p * IN_NUSD + c * OUT_NUSD for _, _, p, c in CALLS)
        self.assertEqual(self.sums()["spend_nano_usd"], expected)

    def test_report_by_customer(self) -> None:
        rep = llmgw.cost_report(self.log, by="customer")
        assert isinstance(rep, dict)
        self.assertEqual((rep["report"], rep["by"]), ("cost", "customer"))
        self.assertEqual(rep["input"]["records"], 4)
        self.assertEqual(rep["input"]["bad_lines"], 0)
        self.assertEqual(self.pick(rep["totals"]), self.sums())
        by_key = {g["key"]: g for g in rep["groups"]}
        self.assertEqual(set(by_key), {"acme", "globex"})
        for key in ("acme", "globex"):
            self.assertEqual(self.pick(by_key[key]), self.sums(key))
        self.assertEqual(by_key["acme"]["spend_nano_usd"],
                         10 * IN_NUSD + 5 * OUT_NUSD + 20 * IN_NUSD + 7 * OUT_NUSD)
        self.assertEqual([g["key"] for g in rep["groups"]], ["acme", "globex"])  # by spend

    def test_report_by_tag_and_default_by_model(self) -> None:
        rep = llmgw.cost_report([self.log], by="tag")
        by_key = {g["key"]: g["requests"] for g in rep["groups"]}
        self.assertEqual(by_key, {"batch": 2, "eu": 1, None: 2})
        rep = llmgw.cost_report(self.log)
        self.assertEqual(rep["by"], "model")
        self.assertEqual([g["key"] for g in rep["groups"]], ["openai/gpt-cheap"])

    def test_windows(self) -> None:
        tomorrow = datetime.date.today() + datetime.timedelta(days=2)
        rep = llmgw.cost_report(self.log, since=tomorrow)
        self.assertEqual(rep["input"]["outside_window"], 4)
        self.assertEqual(rep["totals"]["requests"], 0)
        rep = llmgw.cost_report(self.log, since="1d",
                                until=datetime.datetime.now(datetime.timezone.utc) +
                                datetime.timedelta(hours=1))
        self.assertEqual(rep["totals"]["requests"], 4)
        rep = llmgw.cost_report(self.log, until="2000-01-01")
        self.assertEqual(rep["totals"]["requests"], 0)

    def test_text_formats(self) -> None:
        csv = llmgw.cost_report(self.log, by="customer", format="csv")
        assert isinstance(csv, str)
        self.assertTrue(csv.startswith("key,requests,"))
        self.assertEqual(len(csv.strip().splitlines()), 3)
        text = llmgw.cost_report(self.log, format="text")
        self.assertIn("openai/gpt-cheap", text)

    def test_errors(self) -> None:
        with self.assertRaises(llmgw.ConfigError) as ce:      # class config, LLMGW_ENOTFOUND
            llmgw.cost_report(os.path.join(self.dir, "missing.jsonl"))
        self.assertEqual(ce.exception.code, -5)
        self.assertIn("missing.jsonl", ce.exception.message)
        with self.assertRaises(llmgw.ConfigError) as cm:      # bad options: class config
            llmgw.cost_report(self.log, by="planet")
        self.assertTrue(cm.exception.message.startswith("by:"))
        with self.assertRaises(llmgw.ConfigError):
            llmgw.cost_simulate(self.log, as_="openai/sim-model", cache_hit_rate=1.5)
        with self.assertRaises(ValueError):
            llmgw.cost_report(self.log, format="xml")
        with self.assertRaises(ValueError):
            llmgw.cost_report([])
        with self.assertRaises(llmgw.NotFoundError):
            llmgw.cost_simulate(self.log, as_="openai/no-such-model-xyz")

    def simulated(self, rate: Optional[float] = None) -> List[int]:
        """Each priced record repriced at the target; with a hit rate, half up per request."""
        out = []
        for r in self.lines:
            miss = r["input_tokens"] * SIM_IN_NUSD + r["output_tokens"] * SIM_OUT_NUSD
            out.append(miss if rate is None else int(miss * (1 - rate) + 0.5))
        return out

    def test_simulate_as(self) -> None:
        sim = llmgw.cost_simulate(self.log, as_="openai/sim-model", prices=self.prices,
                                  by="customer")
        assert isinstance(sim, dict)
        self.assertEqual(sim["report"], "simulate")
        self.assertEqual(sim["scenario"]["as"], "openai/sim-model")
        t = sim["totals"]
        self.assertEqual(t["current_nano_usd"], self.sums()["spend_nano_usd"])
        self.assertEqual(t["simulated_nano_usd"], sum(self.simulated()))
        self.assertEqual(t["difference_nano_usd"], t["simulated_nano_usd"] - t["current_nano_usd"])
        acme = next(g for g in sim["groups"] if g["key"] == "acme")
        self.assertEqual(acme["simulated_nano_usd"],
                         10 * SIM_IN_NUSD + 5 * SIM_OUT_NUSD + 20 * SIM_IN_NUSD + 7 * SIM_OUT_NUSD)
        # 30 + 11 tokens did not fit the target's 30-token window
        self.assertEqual(len(sim["warnings"]), 1)
        self.assertEqual(sim["warnings"][0]["target"], "openai/sim-model")
        self.assertEqual(sim["warnings"][0]["requests_too_large"], 1)
        self.assertEqual(sim["warnings"][0]["largest_request_tokens"], 41)

    def test_simulate_map_and_cache_rate(self) -> None:
        sim = llmgw.cost_simulate(self.log, map={"gpt-cheap": "openai/sim-model"},
                                  prices=self.prices, cache_hit_rate=0.5)
        self.assertEqual(sim["by"], "group")
        self.assertEqual(len(sim["scenario"]["map"]), 1)
        self.assertIn("gpt-cheap", json.dumps(sim["scenario"]["map"]))
        self.assertEqual(sim["totals"]["simulated_nano_usd"], sum(self.simulated(0.5)))
        self.assertEqual(sim["totals"]["repriced"], 4)
        same = llmgw.cost_simulate(self.log, map=["other-model=openai/sim-model"],
                                   prices=self.prices)
        self.assertEqual(same["totals"]["repriced"], 0)
        self.assertEqual(same["totals"]["difference_nano_usd"], 0)
