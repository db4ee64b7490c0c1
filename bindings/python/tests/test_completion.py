"""Completions: the OpenAI-shaped answer, what reaches the upstream, config forms, cost."""
from __future__ import annotations

import json
import os
import tempfile
import unittest

import llmgw
from llmgw import types

from support import TEST_KEY, USER_HI, MockTestCase, config, deployment


class CompletionTest(MockTestCase):

    def test_completion_shape(self) -> None:
        self.mock.script("a", [{"text": "Paris is the capital.", "model": "gpt-test-0613",
                                "usage": {"prompt_tokens": 11, "completion_tokens": 7}}])
        client = self.client()
        r = client.chat.completions.create(model="g", messages=USER_HI)
        self.assertIsInstance(r, types.ChatCompletion)
        self.assertEqual(r.object, "chat.completion")
        self.assertTrue(r.id)
        self.assertIsInstance(r.created, int)
        self.assertEqual(r.model, "gpt-test-0613")
        self.assertEqual(len(r.choices), 1)
        self.assertEqual(r.choices[0].index, 0)
        self.assertEqual(r.choices[0].message.role, "assistant")
        self.assertEqual(r.choices[0].message.content, "Paris is the capital.")
        self.assertIsNone(r.choices[0].message.tool_calls)
        self.assertEqual(r.choices[0].finish_reason, "stop")
        self.assertEqual(r.usage.prompt_tokens, 11)
        self.assertEqual(r.usage.completion_tokens, 7)
        self.assertEqual(r.usage.total_tokens, 18)
        self.assertEqual(r.usage.prompt_tokens_details.cached_tokens, 0)
        # llmgw's own block
        info = r.llmgw
        self.assertEqual(info.provider, "openai")
        self.assertEqual(info.group, "g")
        self.assertTrue(info.deployment)
        self.assertEqual(info.model, "gpt-test-0613")
        self.assertIs(info.cache_hit, False)
        self.assertIsNone(info.cost_usd)                      # no price known: null, never 0
        self.assertEqual(info.cost_provenance, "unknown")
        self.assertEqual(len(info.attempts), 1)
        self.assertEqual(info.attempts[0].status, "success")
        self.assertEqual(info.attempts[0].http_status, 200)
        self.assertEqual(info.attempts[0].deployment, info.deployment)
        self.assertGreaterEqual(info.latency_ms, 0)
        self.assertEqual(info.record["input_tokens"], 11)
        self.assertEqual(info.record["status"], "success")
        # model_dump gives plain JSON-able dicts
        dumped = r.model_dump()
        self.assertEqual(dumped["choices"][0]["message"]["content"], "Paris is the capital.")
        json.dumps(dumped)

    def test_request_reaches_upstream(self) -> None:
        client = self.client()
        msgs = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}]
        client.chat.completions.create(model="g", messages=msgs, temperature=0.25, max_tokens=50,
                                       seed=7, stop=["\n\n"], top_p=None,
                                       llmgw={"customer": "acme", "tags": ["t1"]})
        recs = self.mock.requests("a")
        self.assertEqual(len(recs), 1)
        body = recs[0]["body"]
        self.assertEqual(recs[0]["path"], "/v1/chat/completions")
        self.assertEqual(body["model"], "gpt-test")
        self.assertEqual(body["messages"], msgs)
        self.assertEqual(body["temperature"], 0.25)
        self.assertEqual(body["seed"], 7)
        self.assertEqual(body["stop"], ["\n\n"])
        self.assertNotIn("top_p", body)          # None means "not given"
        self.assertNotIn("llmgw", body)          # caller metadata never goes upstream
        self.assertNotIn("stream", body)

    def test_caller_metadata_in_record(self) -> None:
        client = self.client()
        r = client.chat.completions.create(model="g", messages=USER_HI,
                                           llmgw={"customer": "acme", "tags": ["t1", "t2"],
                                                  "trace_id": "trace-42"})
        self.assertEqual(r.llmgw.record["customer"], "acme")
        self.assertEqual(r.llmgw.record["tags"], ["t1", "t2"])
        self.assertEqual(r.llmgw.record["trace_id"], "trace-42")

    def test_extra_body_and_timeout(self) -> None:
        client = self.client()
        client.chat.completions.create(model="g", messages=USER_HI, timeout=30,
                                       extra_body={"frequency_penalty": 0.5})
        self.assertEqual(self.mock.requests("a")[0]["body"]["frequency_penalty"], 0.5)
        with self.assertRaises(ValueError):
            client.chat.completions.create(model="g", messages=USER_HI, timeout=0)
        with self.assertRaises(TypeError):
            client.chat.completions.create(model="g", messages="hi")

    def test_cost_from_prices(self) -> None:
        self.mock.script("a", [{"usage": {"prompt_tokens": 1000, "completion_tokens": 500}}])
        dep = deployment(self.mock, "a", model_info={"input_cost_per_token": 1e-6,
                                                     "output_cost_per_token": 2e-6})
        client = self.client({"model_list": [dep]})
        r = client.chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual(r.llmgw.cost_provenance, "computed")
        self.assertEqual(r.llmgw.record["cost_nano_usd"], 2_000_000)    # 1000e-6 + 500 * 2e-6 USD
        self.assertAlmostEqual(r.llmgw.cost_usd, 0.002, places=12)

    def test_failover_trail(self) -> None:
        self.mock.script("bad", [{"status": 503}])
        cfg = {"model_list": [deployment(self.mock, "bad", order=1),
                              deployment(self.mock, "good", order=2)],
               "router_settings": {"num_retries": 1}}
        r = self.client(cfg).chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual([a.status for a in r.llmgw.attempts], ["failure", "success"])
        self.assertEqual(r.llmgw.attempts[0].error_class, "server_error")
        self.assertEqual(r.llmgw.attempts[0].http_status, 503)
        self.assertIn("/lane/good/", r.llmgw.record["api_base"])


class ConfigFormsTest(MockTestCase):

    def _check(self, client: llmgw.Client, lane: str) -> None:
        self.mock.script(lane, [{"text": f"via {lane}"}])
        r = client.chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual(r.choices[0].message.content, f"via {lane}")

    def test_config_dict(self) -> None:
        self._check(self.client(config(self.mock, "d")), "d")

    def test_config_kwargs(self) -> None:
        c = llmgw.Client(model_list=[deployment(self.mock, "k")],
                         router_settings={"num_retries": 0})
        self._clients.append(c)
        self._check(c, "k")

    def test_config_file_and_merge(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "llmgw.json")
            with open(path, "w") as f:
                json.dump(config(self.mock, "f"), f)
            self._check(self.client(path), "f")
            merged = self.client(path, model_list=[deployment(self.mock, "m")])
            self._check(merged, "m")

    def test_config_from_env(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "conf.json")
            with open(path, "w") as f:
                json.dump(config(self.mock, "e"), f)
            old = os.environ.get("LLMGW_CONFIG")
            os.environ["LLMGW_CONFIG"] = path
            try:
                client = self.client_noargs()
            finally:
                if old is None:
                    del os.environ["LLMGW_CONFIG"]
                else:
                    os.environ["LLMGW_CONFIG"] = old
            self._check(client, "e")

    def test_provider_model_from_vendor_env(self) -> None:
        saved = {k: os.environ.get(k) for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL",
                                                 "LLMGW_CONFIG")}
        os.environ["OPENAI_API_KEY"] = TEST_KEY
        os.environ["OPENAI_BASE_URL"] = self.mock.api_base("env")
        os.environ.pop("LLMGW_CONFIG", None)
        cwd = os.getcwd()
        try:
            with tempfile.TemporaryDirectory() as d:
                os.chdir(d)                      # no ./llmgw.yaml to pick up
                client = self.client_noargs()
                self.mock.script("env", [{"text": "from env"}])
                r = client.chat.completions.create(model="openai/gpt-test", messages=USER_HI)
        finally:
            os.chdir(cwd)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.assertEqual(r.choices[0].message.content, "from env")
        self.assertEqual(self.mock.requests("env")[0]["body"]["model"], "gpt-test")

    def test_bad_options(self) -> None:
        with self.assertRaises(TypeError):
            llmgw.Client(model_lst=[])
        with self.assertRaises(TypeError):
            llmgw.Client(config=42)  # type: ignore[arg-type]
        with self.assertRaises(llmgw.ConfigError) as cm:
            llmgw.Client({"model_list": [{"model_name": "x",
                                          "litellm_params": {"model": "opnai/x"}}]})
        self.assertIn("model_list[0].litellm_params.model", str(cm.exception))
        self.assertEqual(cm.exception.error_class, "config")
        with self.assertRaises(llmgw.ConfigError):
            llmgw.Client(config="/nonexistent/llmgw.json")

    def client_noargs(self) -> llmgw.Client:
        c = llmgw.Client()
        self._clients.append(c)
        return c
