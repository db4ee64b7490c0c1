"""Tools both ways: tool calls in the answer (plain and streamed), tool results sent back."""
from __future__ import annotations

import json

from support import USER_HI, MockTestCase

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]},
    },
}

TWO_CALLS = [{"tool_calls": [
    {"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}},
    {"id": "call_2", "name": "get_weather", "arguments": {"city": "Lima"}},
]}]


class ToolsTest(MockTestCase):

    def test_tool_calls_in_answer(self) -> None:
        self.mock.script("a", TWO_CALLS)
        client = self.client()
        r = client.chat.completions.create(model="g", messages=USER_HI, tools=[WEATHER_TOOL],
                                           tool_choice="auto")
        msg = r.choices[0].message
        self.assertEqual(r.choices[0].finish_reason, "tool_calls")
        self.assertIsNone(msg.content)
        self.assertEqual(len(msg.tool_calls), 2)
        first, second = msg.tool_calls
        self.assertEqual(first.id, "call_1")
        self.assertEqual(first.type, "function")
        self.assertEqual(first.function.name, "get_weather")
        self.assertEqual(json.loads(first.function.arguments), {"city": "Paris"})
        self.assertEqual(json.loads(second.function.arguments), {"city": "Lima"})
        body = self.mock.requests("a")[0]["body"]
        self.assertEqual(body["tools"], [WEATHER_TOOL])
        self.assertEqual(body["tool_choice"], "auto")

    def test_tool_results_sent_back(self) -> None:
        self.mock.script("a", TWO_CALLS + [{"text": "Sunny in Paris, grey in Lima."}])
        client = self.client()
        messages = [{"role": "user", "content": "Weather in Paris and Lima?"}]
        r = client.chat.completions.create(model="g", messages=messages, tools=[WEATHER_TOOL])
        assistant = r.choices[0].message
        messages.append(assistant)            # the response object itself, as with the SDK
        for call in assistant.tool_calls:
            city = json.loads(call.function.arguments)["city"]
            messages.append({"role": "tool", "tool_call_id": call.id,
                             "content": json.dumps({"city": city, "sky": "sunny"})})
        r2 = client.chat.completions.create(model="g", messages=messages, tools=[WEATHER_TOOL])
        self.assertEqual(r2.choices[0].message.content, "Sunny in Paris, grey in Lima.")
        self.assertEqual(r2.choices[0].finish_reason, "stop")

        sent = self.mock.requests("a")[1]["body"]["messages"]
        self.assertEqual([m["role"] for m in sent], ["user", "assistant", "tool", "tool"])
        calls = sent[1]["tool_calls"]
        self.assertEqual([c["id"] for c in calls], ["call_1", "call_2"])
        self.assertEqual(calls[0]["function"]["name"], "get_weather")
        self.assertEqual(json.loads(calls[1]["function"]["arguments"]), {"city": "Lima"})
        self.assertEqual(sent[2]["tool_call_id"], "call_1")
        self.assertEqual(json.loads(sent[3]["content"]), {"city": "Lima", "sky": "sunny"})

    def test_streamed_tool_calls(self) -> None:
        self.mock.script("a", TWO_CALLS)
        client = self.client()
        stream = client.chat.completions.create(model="g", messages=USER_HI,
                                                tools=[WEATHER_TOOL], stream=True)
        calls: dict = {}
        finish = None
        fragments = 0
        for chunk in stream:
            choice = chunk.choices[0]
            for d in choice.delta.tool_calls or []:
                fragments += 1
                slot = calls.setdefault(d.index, {"id": None, "name": None, "arguments": ""})
                if d.id:
                    slot["id"] = d.id
                    self.assertEqual(d.type, "function")
                if d.function.name:
                    slot["name"] = d.function.name
                slot["arguments"] += d.function.arguments or ""
            finish = choice.finish_reason or finish
        self.assertEqual(finish, "tool_calls")
        self.assertGreater(fragments, 2)          # arguments arrive in pieces
        self.assertEqual(sorted(calls), [0, 1])
        self.assertEqual(calls[0]["id"], "call_1")
        self.assertEqual(calls[1]["name"], "get_weather")
        self.assertEqual(json.loads(calls[0]["arguments"]), {"city": "Paris"})
        self.assertEqual(json.loads(calls[1]["arguments"]), {"city": "Lima"})
        # the assembled response agrees with the deltas
        final = stream.response.choices[0].message.tool_calls
        self.assertEqual([c.function.arguments for c in final],
                         [calls[0]["arguments"], calls[1]["arguments"]])
