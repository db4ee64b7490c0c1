"""client.on_budget_alert: a customer budget of 100,000 nano-USD with the default thresholds
(50%, 80%, 100%); each request costs 50,000 (20 input tokens at 1,000, 15 output at 2,000)."""
from __future__ import annotations

import sys
from typing import Any, Dict, List

import llmgw

from support import USER_HI, MockTestCase, deployment

COST = 20 * 1000 + 15 * 2000
LIMIT = 2 * COST


class BudgetAlertTest(MockTestCase):

    def budget_client(self) -> llmgw.Client:
        self.mock.script("a", {"steps": [{"usage": {"prompt_tokens": 20, "completion_tokens": 15}}],
                               "then": "repeat_last"})
        dep = deployment(self.mock, "a", "g", "gpt-test", input_cost_per_token=1e-6,
                         output_cost_per_token=2e-6)
        return self.client({"model_list": [dep], "router_settings": {"num_retries": 0},
                            "llmgw_settings": {"budgets": [
                                {"customer": "acme", "max_usd": LIMIT / 1e9, "period": "total"}]}})

    def ask(self, client: llmgw.Client, customer: str = "acme") -> Any:
        return client.chat.completions.create(model="g", messages=USER_HI, max_tokens=15,
                                              llmgw={"customer": customer})

    def test_thresholds_fire_once_each(self) -> None:
        client = self.budget_client()
        alerts: List[Dict[str, Any]] = []
        order: List[str] = []

        @client.on_budget_alert
        def alert(a: Dict[str, Any]) -> None:
            alerts.append(a)
            order.append("alert")

        client.on_usage(lambda r: order.append("usage"))
        self.ask(client)
        self.assertEqual([a["threshold"] for a in alerts], [0.5])
        self.assertEqual(order, ["alert", "usage"])     # before the request's usage hook
        self.ask(client, "globex")                        # no budget: no alert
        self.ask(client)
        self.assertEqual([a["threshold"] for a in alerts], [0.5, 0.8, 1.0])
        with self.assertRaises(llmgw.BudgetExceededError):
            self.ask(client)
        self.assertEqual(len(alerts), 3)                  # each threshold once
        first, last = alerts[0], alerts[-1]
        self.assertEqual((first["scope"], first["name"], first["period"]),
                         ("customer", "acme", "total"))
        self.assertEqual((first["limit_nano_usd"], first["spent_nano_usd"],
                          first["remaining_nano_usd"]), (LIMIT, COST, LIMIT - COST))
        self.assertEqual((last["spent_nano_usd"], last["remaining_nano_usd"]), (LIMIT, 0))
        self.assertAlmostEqual(first["limit_usd"], LIMIT / 1e9)
        self.assertIsNone(first["period_end"])
        self.assertIs(first["shared"], False)
        self.assertGreater(first["now"], 1_600_000_000)
        self.assertEqual(last["projected_exhaustion"], last["now"])   # already reached

    def test_raising_callback_and_removal(self) -> None:
        client = self.budget_client()
        reported = []
        old = sys.unraisablehook
        sys.unraisablehook = lambda u: reported.append(u.exc_type)
        got: List[float] = []

        def bad(a: Dict[str, Any]) -> None:
            raise RuntimeError("alert hook failed")

        client.on_budget_alert(bad)
        client.on_budget_alert(lambda a: got.append(a["threshold"]))
        try:
            r = self.ask(client)                          # the request is unaffected
        finally:
            sys.unraisablehook = old
        self.assertEqual(r.choices[0].finish_reason, "stop")
        self.assertEqual(reported, [RuntimeError])
        self.assertEqual(got, [0.5])
        client.remove_budget_alert_callback(bad)
        self.ask(client)
        self.assertEqual(reported, [RuntimeError])
        self.assertEqual(got, [0.5, 0.8, 1.0])
        with self.assertRaises(TypeError):
            client.on_budget_alert(None)  # type: ignore[arg-type]
