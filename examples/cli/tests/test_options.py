"""-o KEY VALUE (JSON types as sent), --no-stream, --api-key and env keys, --request FILE|-,
--timeout."""
from __future__ import annotations

import json
import time

from support import EXIT, KEY_ENV, KEY_FLAG, CliTestCase

WEATHER_REQUEST = {
    "model": "openai/gpt-4o",
    "messages": [{"role": "system", "content": "You call tools."},
                 {"role": "user", "content": "Weather in Paris?"}],
    "tools": [{"type": "function", "function": {
        "name": "get_weather", "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}],
    "tool_choice": "auto",
    "temperature": 0.25,
}
WEATHER_CALL = {"tool_calls": [{"id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"}}]}


class OptionTest(CliTestCase):
    def base(self) -> list:
        return ["-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane), "--api-key", KEY_FLAG]

    def test_option_values_keep_their_json_types(self) -> None:
        r = self.run_cli(*self.base(), "-o", "temperature", "0.5", "--option", "max_tokens", "7",
                         "-o", "top_p", "0.9", "-o", "seed", "42", "-o", "stop", "END",
                         "-o", "user", "bob", "hi")
        self.assertOk(r)
        body = self.one_body()
        for key, want, typ in (("temperature", 0.5, float), ("max_tokens", 7, int), ("top_p", 0.9, float),
                               ("seed", 42, int), ("stop", "END", str), ("user", "bob", str)):
            with self.subTest(key=key):
                self.assertEqual(body[key], want)
                self.assertIs(type(body[key]), typ)

    def test_option_json_array_and_object(self) -> None:
        r = self.run_cli(*self.base(), "-o", "stop", '["a", "b"]', "-o", "logit_bias", '{"50256": -100}',
                         "hi")
        self.assertOk(r)
        body = self.one_body()
        self.assertEqual(body["stop"], ["a", "b"])
        self.assertEqual(body["logit_bias"], {"50256": -100})

    def test_option_quoted_number_stays_a_string(self) -> None:
        r = self.run_cli(*self.base(), "-o", "stop", '"42"', "hi")
        self.assertOk(r)
        self.assertEqual(self.one_body()["stop"], "42")

    def test_max_tokens_in_json_exponent_form(self) -> None:
        r = self.run_cli(*self.base(), "-o", "max_tokens", "1e3", "hi")
        if r.rc == 0:
            self.assertEqual(self.one_body()["max_tokens"], 1000)
        else:
            self.assertErrorLine(r, EXIT["usage"], "usage")

    def test_fractional_max_tokens_is_refused(self) -> None:
        r = self.run_cli(*self.base(), "-o", "max_tokens", "2.5", "hi")
        self.assertErrorLine(r, EXIT["usage"], "usage")
        self.assertEqual(self.bodies(), [])

    def test_invalid_option_values_are_usage_errors(self) -> None:
        for key, value in (("temperature", "hot"), ("max_tokens", "0"), ("max_tokens", "abc"),
                           ("stream", "false"), ("messages", "[]"), ("model", "x")):
            with self.subTest(key=key, value=value):
                r = self.run_cli(*self.base(), "-o", key, value, "hi")
                self.assertErrorLine(r, EXIT["usage"], "usage")
        self.assertEqual(self.bodies(), [])

    def test_option_needs_key_and_value(self) -> None:
        for args in (["-o"], ["-o", "temperature"], ["--option=temperature", "1"]):
            with self.subTest(args=args):
                r = self.run_cli(*self.base(), "hi", *args)
                self.assertErrorLine(r, EXIT["usage"], "usage")

    def test_too_many_tags_is_a_usage_error(self) -> None:
        tags = [a for i in range(17) for a in ("--tag", f"t{i}")]
        r = self.run_cli(*self.base(), *tags, "hi")
        self.assertErrorLine(r, EXIT["usage"], "usage")
        self.assertEqual(self.bodies(), [])

    def test_no_stream(self) -> None:
        self.mock.script(self.lane, [{"text": "whole answer"}])
        r = self.run_cli(*self.base(), "--no-stream", "hi")
        self.assertOk(r)
        self.assertEqual(r.out, "whole answer\n")
        self.assertNotEqual(self.one_body().get("stream"), True)

    def test_streaming_is_the_default(self) -> None:
        r = self.run_cli(*self.base(), "hi")
        self.assertOk(r)
        self.assertIs(self.one_body()["stream"], True)


class KeyTest(CliTestCase):
    def auth_header(self) -> str:
        reqs = self.mock.requests(self.lane)
        self.assertEqual(len(reqs), 1)
        return reqs[0]["headers"].get("authorization", "")

    def test_api_key_flag(self) -> None:
        r = self.run_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane),
                         "--api-key", KEY_FLAG, "hi")
        self.assertOk(r)
        self.assertEqual(self.auth_header(), f"Bearer {KEY_FLAG}")

    def test_vendor_env_var_key(self) -> None:
        r = self.run_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane), "hi",
                         env={"OPENAI_API_KEY": KEY_ENV})
        self.assertOk(r)
        self.assertEqual(self.auth_header(), f"Bearer {KEY_ENV}")

    def test_api_key_flag_overrides_env_var(self) -> None:
        r = self.run_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane),
                         "--api-key", KEY_FLAG, "hi", env={"OPENAI_API_KEY": KEY_ENV})
        self.assertOk(r)
        self.assertEqual(self.auth_header(), f"Bearer {KEY_FLAG}")

    def test_no_key_is_an_auth_error_before_sending(self) -> None:
        r = self.run_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane), "hi")
        self.assertErrorLine(r, EXIT["auth"], "auth")
        self.assertIn("OPENAI_API_KEY", r.err)
        self.assertEqual(self.bodies(), [])

    def test_api_base_to_loopback_over_plain_http(self) -> None:
        self.assertTrue(self.mock.api_base(self.lane).startswith("http://127.0.0.1:"))
        r = self.run_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane),
                         "--api-key", KEY_FLAG, "hi")
        self.assertOk(r)
        self.assertEqual(self.mock.requests(self.lane)[0]["path"], "/v1/chat/completions")


class RequestFileTest(CliTestCase):
    def args(self) -> list:
        return ["--api-base", self.mock.api_base(self.lane), "--api-key", KEY_FLAG]

    def check_tool_call(self, doc: dict) -> None:
        choice = doc["choices"][0]
        self.assertEqual(choice["finish_reason"], "tool_calls")
        calls = choice["message"]["tool_calls"]
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0]["id"], "call_w1")
        self.assertEqual(calls[0]["type"], "function")
        self.assertEqual(calls[0]["function"]["name"], "get_weather")
        self.assertEqual(json.loads(calls[0]["function"]["arguments"]), {"city": "Paris"})

    def check_sent(self) -> None:
        body = self.one_body()
        self.assertEqual(body["tools"], WEATHER_REQUEST["tools"])
        self.assertEqual(body["tool_choice"], "auto")
        self.assertEqual(body["temperature"], 0.25)
        self.assertEqual(body["messages"], WEATHER_REQUEST["messages"])
        self.assertEqual(body["model"], "gpt-4o")

    def test_request_file_with_tools(self) -> None:
        self.mock.script(self.lane, [WEATHER_CALL])
        path = self.write("req.json", json.dumps(WEATHER_REQUEST))
        r = self.run_cli("--request", path, "--json", *self.args())
        self.assertOk(r)
        self.check_tool_call(r.json())
        self.check_sent()

    def test_request_from_stdin(self) -> None:
        self.mock.script(self.lane, [WEATHER_CALL])
        r = self.run_cli("--request", "-", "--json", "--no-stream", *self.args(),
                         stdin=json.dumps(WEATHER_REQUEST))
        self.assertOk(r)
        self.check_tool_call(r.json())
        self.check_sent()

    def test_model_flag_overrides_the_request_model(self) -> None:
        path = self.write("req.json", json.dumps(WEATHER_REQUEST))
        r = self.run_cli("--request", path, "-m", "openai/gpt-4o-mini", *self.args())
        self.assertOk(r)
        self.assertEqual(self.one_body()["model"], "gpt-4o-mini")

    def test_llmgw_model_does_not_override_the_request_model(self) -> None:
        # $LLMGW_MODEL is a default: the model the body names wins over it (-m still wins over both).
        path = self.write("req.json", json.dumps(WEATHER_REQUEST))
        r = self.run_cli("--request", path, *self.args(), env={"LLMGW_MODEL": "openai/gpt-4o-mini"})
        self.assertOk(r)
        self.assertEqual(self.one_body()["model"], "gpt-4o")

    def test_model_flag_supplies_a_missing_request_model(self) -> None:
        body = {k: v for k, v in WEATHER_REQUEST.items() if k != "model"}
        r = self.run_cli("--request", "-", "-m", "openai/gpt-4o-mini", *self.args(), stdin=json.dumps(body))
        self.assertOk(r)
        self.assertEqual(self.one_body()["model"], "gpt-4o-mini")

    def test_invalid_request_json_is_a_usage_error(self) -> None:
        for text in ('{"model": "openai/gpt-4o", "messages": [', '{"model": "openai/gpt-4o"}',
                     '{"model": "openai/gpt-4o", "messages": "hi"}', "", "[]"):
            with self.subTest(text=text):
                r = self.run_cli("--request", "-", *self.args(), stdin=text)
                self.assertErrorLine(r, EXIT["usage"], "usage")
                r = self.run_cli("--request", self.write("bad.json", text), "--json", *self.args())
                self.assertErrorLine(r, EXIT["usage"], "usage")
        self.assertEqual(self.bodies(), [])

    def test_request_file_with_prompt_or_system_is_not_silently_dropped(self) -> None:
        # --request FILE plus PROMPT or -s: either refused as a usage error, or the text is sent;
        # never dropped without a word.
        path = self.write("req.json", json.dumps(WEATHER_REQUEST))
        for extra, marker in ((["PROMPT-MARK"], "PROMPT-MARK"), (["-s", "SYSTEM-MARK"], "SYSTEM-MARK")):
            with self.subTest(extra=extra):
                lane = f"{self.lane}-{marker[:6].lower()}"
                r = self.run_cli("--request", path, "--api-base", self.mock.api_base(lane), "--api-key",
                                 KEY_FLAG, *extra)
                if r.rc == EXIT["usage"]:
                    self.assertErrorLine(r, EXIT["usage"], "usage")
                    self.assertEqual(self.bodies(lane), [])
                else:
                    self.assertOk(r)
                    self.assertIn(marker, json.dumps(self.one_body(lane)["messages"]))

    def test_missing_request_file_is_a_usage_error(self) -> None:
        r = self.run_cli("--request", f"{self.tmp}/nope.json", *self.args())
        self.assertErrorLine(r, EXIT["usage"], "usage")


class TimeoutTest(CliTestCase):
    def test_timeout_against_a_silent_upstream(self) -> None:
        # The mock never answers: only the deadline can end the call.
        self.mock.script(self.lane, {"steps": [{"delay_ms": -1}], "then": "repeat_last"})
        t0 = time.monotonic()
        r = self.run_cli("-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane),
                         "--api-key", KEY_FLAG, "--timeout", "0.5", "hi", timeout=20)
        self.assertErrorLine(r, EXIT["timeout"], "timeout")
        self.assertLess(time.monotonic() - t0, 15, "hang guard: the deadline was not honoured")

    def test_timeout_mid_stream_is_a_stream_cut(self) -> None:
        # Text was delivered before the deadline: the class is stream_cut (output began), with the
        # partial text on stdout; with --json, one error object.
        script = [{"text": "first second third", "stall_after_events": 2}]
        args = ["-m", "openai/gpt-4o", "--api-base", self.mock.api_base(self.lane), "--api-key", KEY_FLAG,
                "--timeout=0.5", "hi"]
        self.mock.script(self.lane, script)
        r = self.run_cli(*args, timeout=20)
        self.assertExit(r, EXIT["stream_cut"])
        self.assertTrue(r.out.startswith("first") and r.out.endswith("\n"), r)
        self.assertNotIn("third", r.out)
        self.assertTrue(r.err.startswith("llmgw: error: stream_cut: "), r)
        self.assertIn("timed out", r.err)
        self.mock.script(self.lane, script)
        r = self.run_cli(*args, "--json", timeout=20)
        e = self.assertErrorJson(r, EXIT["stream_cut"], "stream_cut")
        self.assertEqual(e["provider"], "openai")
        self.assertEqual([a["error_class"] for a in e["attempts"]], ["stream_cut"])

    def test_bad_timeout_values(self) -> None:
        for v in ("0", "-1", "abc", "1s", "100000"):
            with self.subTest(value=v):
                r = self.run_cli("-m", "openai/gpt-4o", "--timeout", v, "hi")
                self.assertErrorLine(r, EXIT["usage"], "usage")
