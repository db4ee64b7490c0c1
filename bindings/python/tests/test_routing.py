"""Routing from Python: the classifier hook, rules and the built-in classifier, against two mock
deployments (group "cheap" on lane a, group "smart" on lane b)."""
from __future__ import annotations

import sys
import threading
from typing import Any, Dict, List, Optional

import llmgw

from support import USER_HI, MockTestCase, deployment


class RoutingTest(MockTestCase):

    def two_groups(self, **kw: Any) -> llmgw.Client:
        cfg: Dict[str, Any] = {
            "model_list": [deployment(self.mock, "a", "cheap", "gpt-cheap"),
                           deployment(self.mock, "b", "smart", "gpt-smart")],
            "router_settings": {"num_retries": 0},
        }
        return self.client(cfg, **kw)

    def lanes(self) -> List[int]:
        return [len(self.mock.requests("a")), len(self.mock.requests("b"))]

    def test_classifier_routes_by_its_answer(self) -> None:
        client = self.two_groups()
        seen: List[Dict[str, Any]] = []

        @client.set_classifier
        def classify(req: llmgw.RequestView) -> Optional[str]:
            seen.append({"model": req.model, "text": req.text, "customer": req.customer,
                         "tags": req.tags, "metadata": req.metadata,
                         "trace_id": req.trace_id, "has_tools": req.has_tools,
                         "has_images": req.has_images, "json_mode": req.json_mode,
                         "max_tokens": req.max_tokens, "count": req.message_count,
                         "temperature": req.get("temperature")})
            if req.metadata.get("tier") == "pro" or "prove" in req.text:
                return "smart"
            return None

        r1 = client.chat.completions.create(model="cheap", messages=USER_HI, max_tokens=7)
        r2 = client.chat.completions.create(
            model="cheap", messages=[{"role": "system", "content": "be brief"},
                                     {"role": "user", "content": "prove it"}],
            temperature=0.5)
        r3 = client.chat.completions.create(
            model="cheap", messages=USER_HI,
            llmgw={"customer": "acme", "tags": ["t1", "t2"], "metadata": {"tier": "pro"},
                   "trace_id": "tr-1"})
        self.assertEqual([r1.llmgw.group, r2.llmgw.group, r3.llmgw.group],
                         ["cheap", "smart", "smart"])
        self.assertEqual(self.lanes(), [1, 2])
        self.assertEqual(self.mock.requests("b")[0]["body"]["model"], "gpt-smart")
        self.assertEqual(r2.llmgw.record["route_rule"], "classifier")
        self.assertIsNone(r1.llmgw.record["route_rule"])
        # what the classifier saw
        self.assertEqual(seen[0], {"model": "cheap", "text": "hi", "customer": None, "tags": [],
                                   "metadata": {}, "trace_id": None, "has_tools": False,
                                   "has_images": False, "json_mode": False, "max_tokens": 7,
                                   "count": 1, "temperature": None})
        self.assertEqual(seen[1]["text"], "be brief\nprove it")
        self.assertEqual(seen[1]["count"], 2)
        self.assertEqual(seen[1]["temperature"], 0.5)
        self.assertEqual((seen[2]["customer"], seen[2]["tags"], seen[2]["metadata"],
                          seen[2]["trace_id"]), ("acme", ["t1", "t2"], {"tier": "pro"}, "tr-1"))

    def test_view_reads_caller_metadata_from_the_c_request(self) -> None:
        # the view asks the C request (llmgw_request_customer ... _metadata_json), so it shows
        # what llmgw_request_from_json parsed, wherever the "llmgw" member came from
        client = self.two_groups()
        seen: List[Any] = []

        def classify(req: llmgw.RequestView) -> Optional[str]:
            md = req.metadata
            md["mutated"] = "x"                   # a copy: the next read is unaffected
            seen.append((req.customer, req.tags, req.metadata, req.trace_id))
            return "smart" if req.metadata.get("tier") == "pro" else None

        client.set_classifier(classify)
        caller = {"customer": "c-9", "tags": ["a", "b", "c"], "trace_id": "tr-json",
                  "metadata": {"tier": "pro", "region": "eu", "empty": ""}}
        r1 = client.chat.completions.create(model="cheap", messages=USER_HI,
                                            extra_body={"llmgw": caller})
        # extra_body replaces the llmgw= keyword, as it replaces any request member
        r2 = client.chat.completions.create(model="cheap", messages=USER_HI,
                                            llmgw={"customer": "kw", "metadata": {"tier": "pro"}},
                                            extra_body={"llmgw": {"tags": ["only"]}})
        self.assertEqual(seen[0], ("c-9", ["a", "b", "c"],
                                   {"tier": "pro", "region": "eu", "empty": ""}, "tr-json"))
        self.assertEqual(seen[1], (None, ["only"], {}, None))
        self.assertEqual((r1.llmgw.group, r2.llmgw.group), ("smart", "cheap"))
        self.assertEqual((r1.llmgw.record["customer"], r1.llmgw.record["tags"]),
                         ("c-9", ["a", "b", "c"]))
        self.assertEqual(self.lanes(), [1, 1])

    def test_view_shapes_tools_images_json(self) -> None:
        client = self.two_groups()
        seen = []

        def classify(req: llmgw.RequestView) -> Optional[str]:
            seen.append((req.has_tools, req.has_images, req.json_mode, req.max_tokens, req.text))
            return "smart" if req.has_images or req.has_tools else "cheap"

        client.set_classifier(classify)
        tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        image = [{"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]
        client.chat.completions.create(model="cheap", messages=USER_HI, tools=[tool])
        client.chat.completions.create(model="cheap", messages=image, max_completion_tokens=9)
        client.chat.completions.create(model="smart", messages=USER_HI,
                                       response_format={"type": "json_object"})
        self.assertEqual(seen, [(True, False, False, None, "hi"),
                                (False, True, False, 9, "what is this"),
                                (False, False, True, None, "hi")])
        self.assertEqual(self.lanes(), [1, 2])

    def test_view_is_closed_after_the_call(self) -> None:
        client = self.two_groups()
        kept: List[llmgw.RequestView] = []
        client.set_classifier(lambda req: kept.append(req))
        client.chat.completions.create(model="cheap", messages=USER_HI)
        with self.assertRaises(RuntimeError):
            kept[0].model

    def test_exceptions_and_bad_answers_leave_the_request_alone(self) -> None:
        client = self.two_groups()
        reported = []
        old = sys.unraisablehook
        sys.unraisablehook = lambda u: reported.append(u.exc_type)
        answers: List[Any] = [ValueError("boom"), 42, "", KeyboardInterrupt()]

        def classify(req: llmgw.RequestView) -> Any:
            a = answers.pop(0)
            if isinstance(a, BaseException):
                raise a
            return a

        client.set_classifier(classify)
        try:
            for _ in range(4):
                r = client.chat.completions.create(model="cheap", messages=USER_HI)
                self.assertEqual(r.llmgw.group, "cheap")
        finally:
            sys.unraisablehook = old
        self.assertEqual(reported, [ValueError, TypeError, KeyboardInterrupt])
        self.assertEqual(self.lanes(), [4, 0])

    def test_unknown_group_fails_the_request(self) -> None:
        client = self.two_groups()
        client.set_classifier(lambda req: "nope")
        with self.assertRaises(llmgw.NotFoundError):
            client.chat.completions.create(model="cheap", messages=USER_HI)
        self.assertEqual(self.lanes(), [0, 0])

    def test_remove_and_replace(self) -> None:
        client = self.two_groups()
        client.set_classifier(lambda req: "smart")
        client.chat.completions.create(model="cheap", messages=USER_HI)
        client.set_classifier(None)
        client.chat.completions.create(model="cheap", messages=USER_HI)
        client.set_classifier(lambda req: "cheap")
        client.chat.completions.create(model="smart", messages=USER_HI)
        self.assertEqual(self.lanes(), [2, 1])
        with self.assertRaises(TypeError):
            client.set_classifier("smart")  # type: ignore[arg-type]

    def test_classifier_routes_streams(self) -> None:
        client = self.two_groups()
        client.set_classifier(lambda req: "smart")
        stream = client.chat.completions.create(model="cheap", messages=USER_HI, stream=True)
        final = stream.get_final_completion()
        self.assertEqual(final.llmgw.group, "smart")
        self.assertEqual(self.lanes(), [0, 1])

    def test_eight_threads(self) -> None:
        client = self.two_groups()
        calls = []
        client.set_classifier(lambda req: calls.append((req.metadata["n"],
                                                        threading.current_thread().name)) or
                              ("smart" if req.metadata["n"] in "02468" else None))
        errors: List[BaseException] = []
        groups: Dict[int, str] = {}

        def worker(n: int) -> None:
            try:
                for k in range(3):
                    r = client.chat.completions.create(
                        model="cheap", messages=USER_HI, llmgw={"metadata": {"n": str(n)}})
                    groups[n * 10 + k] = r.llmgw.group
            except BaseException as e:   # reported below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(n,), name=f"w{n}") for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(calls), 24)
        for n, thread_name in calls:               # each request on its own caller's thread
            self.assertEqual(thread_name, f"w{n}")
        for key, group in groups.items():
            self.assertEqual(group, "smart" if (key // 10) % 2 == 0 else "cheap")
        self.assertEqual(self.lanes(), [12, 12])

    def test_rules_and_builtin_classifier(self) -> None:
        client = self.two_groups()
        client.add_rule({"metadata.tier": {"eq": "pro"}}, "smart", name="pro-tier")
        client.add_rule('{"customer": {"in": ["big"]}}', "smart")
        r = client.chat.completions.create(model="cheap", messages=USER_HI,
                                           llmgw={"metadata": {"tier": "pro"}})
        self.assertEqual((r.llmgw.group, r.llmgw.record["route_rule"]), ("smart", "pro-tier"))
        r = client.chat.completions.create(model="cheap", messages=USER_HI,
                                           llmgw={"customer": "big"})
        self.assertEqual(r.llmgw.group, "smart")
        r = client.chat.completions.create(model="cheap", messages=USER_HI)
        self.assertEqual(r.llmgw.group, "cheap")
        with self.assertRaises(llmgw.ConfigError):
            client.add_rule({"customer": {"bogus_op": 1}}, "smart")
        with self.assertRaises(llmgw.LLMGWError):
            client.add_rule(None, "no-such-group")
        # the built-in heuristic: a code block and tools make a request complex
        client.use_builtin_classifier("cheap", "smart")
        tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        code = [{"role": "user", "content": "fix this:\n```python\nprint(1/0)\n```\n"}]
        r = client.chat.completions.create(model="cheap", messages=code, tools=[tool])
        self.assertEqual((r.llmgw.group, r.llmgw.record["route_rule"]), ("smart", "classifier"))
        r = client.chat.completions.create(model="smart", messages=USER_HI)
        self.assertEqual(r.llmgw.group, "cheap")
        # a Python classifier takes precedence; rules come first
        client.set_classifier(lambda req: "smart")
        r = client.chat.completions.create(model="cheap", messages=USER_HI)
        self.assertEqual(r.llmgw.group, "smart")
        client.use_builtin_classifier(None, None)
        with self.assertRaises(ValueError):
            client.use_builtin_classifier("cheap", None)
        self.assertEqual(self.lanes(), [2, 4])

    def test_closed_client(self) -> None:
        client = self.two_groups()
        client.close()
        with self.assertRaises(llmgw.ClientClosedError):
            client.set_classifier(lambda req: None)
        with self.assertRaises(llmgw.ClientClosedError):
            client.add_rule(None, "smart")
