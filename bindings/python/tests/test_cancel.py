"""Cancellation of abandoned streams, and of interrupted calls, through llmgw_request_cancel().

The mock sends a few events (or nothing at all) and then goes silent until the client hangs up.
Without llmgw_request_cancel() the C call would sit there until the gateway's timeouts (30 s here)
and end as "timeout"/"stream_cut"; these tests assert it ends as "cancelled", with its usage
record, and that the client goes on working.
"""
from __future__ import annotations

import contextlib
import gc
import signal
import sys
import threading
from typing import Any, Dict, Iterator, List

import llmgw

from support import USER_HI, MockTestCase, config

STALL = {"text": "alpha beta gamma delta", "stall_after_events": 3, "stall_ms": -1}
BOUND_S = 60      # only a bound for helper waits; never asserted


class CancelTest(MockTestCase):

    def stalling_client(self) -> llmgw.Client:
        self.mock.script("a", {"steps": [STALL], "then": "default"})
        cfg = config(self.mock, llmgw_settings={"idle_timeout_ms": 30000})
        return self.client(cfg)

    def check_cancelled(self, client: llmgw.Client, records: List[Dict[str, Any]],
                        stream: bool = True) -> None:
        self.assertEqual(self.stream_threads(), [])
        self.assertEqual(self.call_threads(), [])
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0]["status"], "failure")
        self.assertEqual(records[0]["error_class"], "cancelled")
        self.assertIs(records[0]["stream"], stream)
        r = client.chat.completions.create(model="g", messages=USER_HI)   # still usable
        self.assertEqual(r.choices[0].message.content, "Hello from the mock upstream.")

    def test_close_while_upstream_is_silent(self) -> None:
        client = self.stalling_client()
        records: List[Dict[str, Any]] = []
        client.on_usage(records.append)
        stream = client.chat.completions.create(model="g", messages=USER_HI, stream=True)
        got = [c.choices[0].delta.content for _, c in zip(range(2), stream)]
        self.assertEqual(got, ["alpha", " beta"])
        stream.close()                    # the upstream sends nothing more: cancel must act
        self.check_cancelled(client, records)
        self.assertEqual(stream.usage_record["error_class"], "cancelled")

    def test_break_out_of_for_loop(self) -> None:
        client = self.stalling_client()
        records: List[Dict[str, Any]] = []
        client.on_usage(records.append)
        for chunk in client.chat.completions.create(model="g", messages=USER_HI, stream=True):
            if chunk.choices[0].delta.content == " beta":
                break
        gc.collect()
        self.check_cancelled(client, records)

    def test_generator_close(self) -> None:
        client = self.stalling_client()
        records: List[Dict[str, Any]] = []
        client.on_usage(records.append)

        def texts() -> Any:
            with client.chat.completions.create(model="g", messages=USER_HI,
                                                stream=True) as s:
                for c in s:
                    yield c.choices[0].delta.content

        gen = texts()
        self.assertEqual(next(gen), "alpha")
        gen.close()                       # GeneratorExit leaves the with block
        self.check_cancelled(client, records)

    def test_client_close_while_upstream_is_silent(self) -> None:
        client = self.stalling_client()
        records: List[Dict[str, Any]] = []
        client.on_usage(records.append)
        stream = client.chat.completions.create(model="g", messages=USER_HI, stream=True)
        next(iter(stream))
        client.close()
        self.assertEqual(self.stream_threads(), [])
        self.assertEqual([r["error_class"] for r in records], ["cancelled"])

    @staticmethod
    def call_threads() -> List[threading.Thread]:
        """Helper threads of non-streamed calls still alive."""
        return [t for t in threading.enumerate()
                if t.name.startswith("llmgw-call-") and t.is_alive()]

    @contextlib.contextmanager
    def interrupting(self, where: str, waiting_in: Any = ("get", "wait"),
                     ready: Any = None) -> Iterator[None]:
        """Runs the with-block while a helper thread waits (bounded) until the main thread is
        blocked inside the function named `where`, in the functions named in `waiting_in`, and
        `ready()` (if given) holds, then sends it SIGINT. Without that state (a regression), no
        signal is sent and the block's own assertions fail."""
        if not hasattr(signal, "pthread_kill"):
            self.skipTest("needs signal.pthread_kill")
        if threading.current_thread() is not threading.main_thread():
            self.skipTest("SIGINT reaches the main thread only")
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            self.skipTest("SIGINT is not Python's default handler here")
        main = threading.main_thread().ident
        stop = threading.Event()

        def run() -> None:
            for _ in range(BOUND_S * 100):
                frame = sys._current_frames().get(main)   # type: ignore[arg-type]
                names = []
                while frame is not None:
                    names.append(frame.f_code.co_name)
                    frame = frame.f_back
                if {where, *waiting_in} <= set(names) and (ready is None or ready()):
                    signal.pthread_kill(main, signal.SIGINT)   # type: ignore[arg-type]
                    return
                if stop.wait(0.01):
                    return

        helper = threading.Thread(target=run)
        helper.start()
        try:
            yield
        finally:
            stop.set()
            helper.join()

    def test_keyboard_interrupt_while_waiting(self) -> None:
        client = self.stalling_client()
        records: List[Dict[str, Any]] = []
        client.on_usage(records.append)
        stream = client.chat.completions.create(model="g", messages=USER_HI, stream=True)
        it = iter(stream)
        self.assertEqual(next(it).choices[0].delta.content, "alpha")
        self.assertEqual(next(it).choices[0].delta.content, " beta")
        with self.interrupting("__next__"), self.assertRaises(KeyboardInterrupt):
            for _ in it:                  # the upstream is silent: blocks until the signal
                pass
        # the iterator closed the stream itself: `stream` is still referenced here
        self.check_cancelled(client, records)
        self.assertEqual(list(stream), [])

    def test_keyboard_interrupt_before_the_first_event(self) -> None:
        self.mock.script("a", {"steps": [{"stall_after_events": 0, "stall_ms": -1}],
                               "then": "default"})
        client = self.client(config(self.mock, llmgw_settings={"idle_timeout_ms": 30000,
                                                               "first_byte_timeout_ms": 30000}))
        records: List[Dict[str, Any]] = []
        client.on_usage(records.append)
        with self.interrupting("_prime"), self.assertRaises(KeyboardInterrupt):
            client.chat.completions.create(model="g", messages=USER_HI, stream=True)
        self.check_cancelled(client, records)

    def test_keyboard_interrupt_during_a_call(self) -> None:
        # a non-streamed call from the main thread: its C call runs on a helper thread while the
        # main thread waits, so SIGINT raises KeyboardInterrupt there and cancels the request
        self.mock.script("a", {"steps": [{"delay_ms": -1}], "then": "default"})
        client = self.client(config(self.mock, llmgw_settings={"deadline_ms": 30000}))
        records: List[Dict[str, Any]] = []
        client.on_usage(records.append)
        with self.interrupting("_wait", waiting_in=("complete", "wait"),
                               ready=lambda: len(self.mock.requests("a")) == 1), \
                self.assertRaises(KeyboardInterrupt):
            client.chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual(len(self.mock.requests("a")), 1)   # it was waiting on the upstream
        self.check_cancelled(client, records, stream=False)
        self.assertIsNone(records[0]["cost_usd"])
