"""Streams: chunks, the final usage, errors before and after the commit point, abandonment."""
from __future__ import annotations

import gc

import llmgw
from llmgw import types

from support import USER_HI, MockTestCase

LONG_TEXT = " ".join(f"w{i}" for i in range(400))


class StreamTest(MockTestCase):

    def test_stream_chunks_and_final_usage(self) -> None:
        self.mock.script("a", [{"text": "one two three four five",
                                "usage": {"prompt_tokens": 9, "completion_tokens": 5}}])
        client = self.client()
        stream = client.chat.completions.create(model="g", messages=USER_HI, stream=True)
        self.assertIsInstance(stream, llmgw.Stream)
        chunks = list(stream)
        self.assertTrue(all(isinstance(c, types.ChatCompletionChunk) for c in chunks))
        self.assertTrue(all(c.object == "chat.completion.chunk" for c in chunks))
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
        self.assertEqual(text, "one two three four five")
        self.assertGreaterEqual(sum(1 for c in chunks if c.choices[0].delta.content), 5)
        self.assertEqual(chunks[0].choices[0].delta.role, "assistant")
        self.assertEqual([c.choices[0].finish_reason for c in chunks[:-1]],
                         [None] * (len(chunks) - 1))
        last = chunks[-1]
        self.assertEqual(last.choices[0].finish_reason, "stop")
        self.assertEqual(last.usage.prompt_tokens, 9)
        self.assertEqual(last.id, stream.response.id)
        # the final usage and response
        self.assertEqual(stream.usage.prompt_tokens, 9)
        self.assertEqual(stream.usage.completion_tokens, 5)
        self.assertEqual(stream.usage.total_tokens, 14)
        self.assertEqual(stream.llmgw.provider, "openai")
        self.assertIs(stream.llmgw.record["stream"], True)
        self.assertEqual(stream.response.choices[0].message.content, "one two three four five")
        self.assertEqual(stream.usage_record["status"], "success")
        self.assertEqual(list(stream), [])          # exhausted stays exhausted
        self.assertEqual(self.stream_threads(), [])  # the worker is joined
        body = self.mock.requests("a")[0]["body"]
        self.assertIs(body["stream"], True)

    def test_get_final_completion(self) -> None:
        client = self.client()
        with client.chat.completions.create(model="g", messages=USER_HI, stream=True) as s:
            final = s.get_final_completion()
        self.assertEqual(final.choices[0].message.content, "Hello from the mock upstream.")

    def test_error_before_commit_raises_at_create(self) -> None:
        self.mock.script("a", [{"status": 429, "headers": {"retry-after": "3"}}])
        client = self.client()
        with self.assertRaises(llmgw.RateLimitError) as cm:
            client.chat.completions.create(model="g", messages=USER_HI, stream=True)
        self.assertEqual(cm.exception.status_code, 429)
        self.assertEqual(cm.exception.retry_after, 3.0)
        self.assertEqual(self.stream_threads(), [])

    def test_cut_after_commit_raises_stream_cut(self) -> None:
        self.mock.script("a", [{"text": "alpha beta gamma delta", "cut_after_events": 3}])
        client = self.client()
        got = []
        with self.assertRaises(llmgw.StreamCutError) as cm:
            for chunk in client.chat.completions.create(model="g", messages=USER_HI,
                                                        stream=True):
                got.append(chunk.choices[0].delta.content)
        self.assertIsInstance(cm.exception, llmgw.APIConnectionError)
        self.assertEqual(cm.exception.error_class, "stream_cut")
        self.assertEqual(got, ["alpha", " beta"])   # role chunk, then two text events
        self.assertEqual(self.stream_threads(), [])

    def test_early_close_cancels_and_joins(self) -> None:
        self.mock.script("a", [{"text": LONG_TEXT}])
        client = self.client()
        records = []
        client.on_usage(records.append)
        stream = client.chat.completions.create(model="g", messages=USER_HI, stream=True)
        it = iter(stream)
        self.assertEqual(next(it).choices[0].delta.content, "w0")
        self.assertEqual(next(it).choices[0].delta.content, " w1")
        worker = self.stream_threads()
        self.assertEqual(len(worker), 1)
        stream.close()
        self.assertFalse(worker[0].is_alive())
        self.assertEqual(list(stream), [])
        stream.close()                                   # idempotent
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0]["status"], "failure")
        self.assertEqual(records[0]["error_class"], "cancelled")
        self.assertIsNone(stream.response)
        # the client is still fine
        r = client.chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual(r.choices[0].finish_reason, "stop")

    def test_break_out_of_with_block(self) -> None:
        self.mock.script("a", [{"text": LONG_TEXT}])
        client = self.client()
        records = []
        client.on_usage(records.append)
        with client.chat.completions.create(model="g", messages=USER_HI, stream=True) as s:
            for n, _ in enumerate(s):
                if n == 3:
                    break
        self.assertEqual(self.stream_threads(), [])
        self.assertEqual([r["error_class"] for r in records], ["cancelled"])

    def test_dropped_stream_is_cancelled(self) -> None:
        self.mock.script("a", [{"text": LONG_TEXT}])
        client = self.client()
        records = []
        client.on_usage(records.append)
        for n, _ in enumerate(client.chat.completions.create(model="g", messages=USER_HI,
                                                             stream=True)):
            if n == 1:
                break                          # the only reference goes away here
        gc.collect()
        self.assertEqual(self.stream_threads(), [])
        self.assertEqual([r["error_class"] for r in records], ["cancelled"])

    def test_client_close_cancels_open_stream(self) -> None:
        self.mock.script("a", [{"text": LONG_TEXT}])
        client = self.client()
        stream = client.chat.completions.create(model="g", messages=USER_HI, stream=True)
        next(iter(stream))
        client.close()                         # must not hang on the unread stream
        self.assertEqual(self.stream_threads(), [])
        with self.assertRaises(llmgw.CancelledError) as cm:
            list(stream)
        self.assertIn("client was closed", str(cm.exception))
