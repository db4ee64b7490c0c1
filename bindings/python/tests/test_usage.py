"""The usage hook: one record per logical request, as a dict, on the thread running the C call
(a helper thread, in the caller's context, for calls from the main thread); a raising callback is
reported through sys.unraisablehook and never reaches C."""
from __future__ import annotations

import contextvars
import sys
import threading

import llmgw

from support import USER_HI, MockTestCase, config


class UsageHookTest(MockTestCase):

    def test_record_on_success(self) -> None:
        self.mock.script("a", [{"usage": {"prompt_tokens": 12, "completion_tokens": 3,
                                          "cached_tokens": 4}}])
        client = self.client()
        seen = []
        threads = []
        var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
        var.set("caller's")

        @client.on_usage
        def hook(record: dict) -> None:
            seen.append(record)
            threads.append((threading.current_thread().name, var.get()))

        on_main = threading.current_thread() is threading.main_thread()
        r = client.chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual(len(seen), 1)
        rec = seen[0]
        self.assertIsInstance(rec, dict)
        # a main-thread call runs on a helper thread (so Ctrl-C can cancel it), in a copy of the
        # caller's context; calls from other threads run on their own (test_threads)
        self.assertEqual(len(threads), 1)
        if on_main:
            self.assertRegex(threads[0][0], r"^llmgw-call-\d+$")
        else:
            self.assertEqual(threads[0][0], threading.current_thread().name)
        self.assertEqual(threads[0][1], "caller's")
        self.assertEqual(rec["status"], "success")
        self.assertEqual(rec["provider"], "openai")
        self.assertEqual(rec["model_requested"], "g")
        self.assertEqual(rec["input_tokens"], 12)
        self.assertEqual(rec["output_tokens"], 3)
        self.assertEqual(rec["cache_read_tokens"], 4)
        self.assertEqual(rec["total_tokens"], 15)
        self.assertIsNone(rec["cost_usd"])
        self.assertEqual(rec["cost_source"], "unknown")
        self.assertIs(rec["stream"], False)
        self.assertEqual(rec["attempts"], 1)
        self.assertEqual(rec["request_id"], r.llmgw.request_id)
        self.assertEqual(rec, r.llmgw.record)

    def test_record_on_failure_and_stream(self) -> None:
        self.mock.script("a", [{"status": 429}])
        client = self.client()
        seen = []
        client.on_usage(seen.append)
        with self.assertRaises(llmgw.RateLimitError):
            client.chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual(len(seen), 1)
        self.assertEqual(seen[0]["status"], "failure")
        self.assertEqual(seen[0]["error_class"], "rate_limit")
        self.assertEqual(seen[0]["http_status"], 429)

        self.mock.script("b", [{"text": "streamed"}])
        client2 = self.client(config(self.mock, "b"))
        stream_seen = []
        client2.on_usage(stream_seen.append)
        list(client2.chat.completions.create(model="g", messages=USER_HI, stream=True))
        self.assertEqual(len(stream_seen), 1)
        self.assertIs(stream_seen[0]["stream"], True)
        self.assertEqual(stream_seen[0]["status"], "success")

    def test_several_callbacks_and_removal(self) -> None:
        client = self.client()
        a, b = [], []
        client.on_usage(a.append)
        client.on_usage(b.append)
        client.chat.completions.create(model="g", messages=USER_HI)
        client.remove_usage_callback(a.append)
        client.chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual((len(a), len(b)), (1, 2))
        a[0]["input_tokens"] = -1                      # each callback gets its own dict
        self.assertNotEqual(b[0]["input_tokens"], -1)
        with self.assertRaises(TypeError):
            client.on_usage("not callable")  # type: ignore[arg-type]

    def test_raising_callback_goes_to_unraisablehook(self) -> None:
        client = self.client()
        reported = []
        after = []

        def bad(record: dict) -> None:
            raise RuntimeError("callback bug")

        client.on_usage(bad)
        client.on_usage(after.append)
        old = sys.unraisablehook
        sys.unraisablehook = reported.append
        try:
            r = client.chat.completions.create(model="g", messages=USER_HI)
        finally:
            sys.unraisablehook = old
        self.assertEqual(r.choices[0].finish_reason, "stop")   # the request went on
        self.assertEqual(len(after), 1)                         # later callbacks still ran
        self.assertEqual(len(reported), 1)
        self.assertIs(reported[0].exc_type, RuntimeError)
        self.assertEqual(str(reported[0].exc_value), "callback bug")

    def test_on_usage_constructor_argument(self) -> None:
        seen = []
        client = self.client(on_usage=seen.append)
        client.chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual(len(seen), 1)
