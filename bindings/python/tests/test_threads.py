"""Threads: 8 Python threads on one client at once; the GIL is released during calls."""
from __future__ import annotations

import threading
import time

import llmgw

from support import (USER_HI, MockTestCase, MockUpstream, config, deployment,
                     mock_path)

THREADS = 8
ROUNDS = 6
JOIN_TIMEOUT_S = 120


class ThreadsTest(MockTestCase):

    def test_eight_threads_one_client(self) -> None:
        # one group per thread, each answering its own text: answers must never cross
        for i in range(THREADS):
            self.mock.script(f"t{i}", {"steps": [{"text": f"answer {i}", "delay_ms": 10}],
                                       "then": "repeat_last"})
        client = self.client({"model_list": [deployment(self.mock, f"t{i}", group=f"g{i}")
                                             for i in range(THREADS)],
                              "router_settings": {"num_retries": 0}})
        hook_threads = {}       # request_id -> thread ident the usage hook ran on
        lock = threading.Lock()

        @client.on_usage
        def hook(record: dict) -> None:
            with lock:
                hook_threads[record["request_id"]] = threading.get_ident()

        errors = []
        calls = {}               # request_id -> thread ident of the non-stream caller
        barrier = threading.Barrier(THREADS)

        def work(i: int) -> None:
            try:
                barrier.wait(timeout=JOIN_TIMEOUT_S)
                for n in range(ROUNDS):
                    if n % 2 == 0:
                        r = client.chat.completions.create(model=f"g{i}", messages=USER_HI)
                        text = r.choices[0].message.content
                        with lock:
                            calls[r.llmgw.request_id] = threading.get_ident()
                    else:
                        s = client.chat.completions.create(model=f"g{i}", messages=USER_HI,
                                                           stream=True)
                        text = "".join(c.choices[0].delta.content or "" for c in s)
                    if text != f"answer {i}":
                        raise AssertionError(f"thread {i} got {text!r}")
            except BaseException as e:   # reported to the main thread
                errors.append((i, e))

        workers = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(JOIN_TIMEOUT_S)
        self.assertFalse(any(w.is_alive() for w in workers), "a worker thread hung")
        self.assertEqual(errors, [])
        self.assertEqual(len(hook_threads), THREADS * ROUNDS)
        self.assertEqual(len(calls), THREADS * ROUNDS // 2)
        for request_id, ident in calls.items():      # the hook ran on the calling thread
            self.assertEqual(hook_threads[request_id], ident)
        for i in range(THREADS):
            self.assertEqual(len(self.mock.requests(f"t{i}")), ROUNDS)
        self.assertEqual(self.stream_threads(), [])

    def test_gil_released_during_a_call(self) -> None:
        # Thread A blocks in llmgw_complete on an upstream that never answers; the main thread
        # must still run Python and complete its own request meanwhile.
        stalled = MockUpstream(mock_path())  # type: ignore[arg-type]
        try:
            stalled.script("s", [{"delay_ms": -1}])
            client = self.client({"model_list": [deployment(stalled, "s", group="slow"),
                                                 deployment(self.mock, "a", group="fast")],
                                  "router_settings": {"num_retries": 0}})
            outcome = []

            def blocked() -> None:
                try:
                    client.chat.completions.create(model="slow", messages=USER_HI, timeout=30)
                    outcome.append("answered")
                except llmgw.LLMGWError as e:
                    outcome.append(type(e))

            a = threading.Thread(target=blocked)
            a.start()
            for _ in range(400):                 # until the stalled request has arrived
                if stalled.requests("s"):
                    break
                time.sleep(0.05)
            self.assertEqual(len(stalled.requests("s")), 1)
            r = client.chat.completions.create(model="fast", messages=USER_HI)
            self.assertEqual(r.choices[0].finish_reason, "stop")
            self.assertTrue(a.is_alive())         # A is still inside C, without the GIL
            self.assertEqual(outcome, [])
        finally:
            stalled.stop()                        # closes A's connection: A fails at once
        a.join(JOIN_TIMEOUT_S)
        self.assertFalse(a.is_alive())
        self.assertEqual(len(outcome), 1)
        self.assertTrue(issubclass(outcome[0], llmgw.APIConnectionError), outcome)

    def test_close_waits_for_calls_in_flight(self) -> None:
        self.mock.script("a", [{"delay_ms": 300}])
        client = self.client(config(self.mock, "a"))
        results = []

        def call() -> None:
            try:
                r = client.chat.completions.create(model="g", messages=USER_HI)
                results.append(r.choices[0].finish_reason)
            except BaseException as e:
                results.append(e)

        t = threading.Thread(target=call)
        t.start()
        for _ in range(400):
            if self.mock.requests("a"):
                break
            time.sleep(0.05)
        client.close()                             # waits; does not free under the call
        t.join(JOIN_TIMEOUT_S)
        self.assertEqual(results, ["stop"])
        with self.assertRaises(llmgw.ClientClosedError):
            client.chat.completions.create(model="g", messages=USER_HI)
