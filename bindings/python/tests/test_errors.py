"""Each exception class, from scripted upstream answers and from llmgw's own refusals."""
from __future__ import annotations

import unittest

import llmgw
from llmgw import errors

from support import TEST_KEY, USER_HI, MockTestCase, config, deployment

# (script step, exception class, error class, HTTP status)
UPSTREAM_CASES = [
    ({"status": 400}, llmgw.BadRequestError, "bad_request", 400),
    ({"status": 401, "error_code": "invalid_api_key"}, llmgw.AuthenticationError, "auth", 401),
    ({"status": 403}, llmgw.PermissionDeniedError, "auth", 403),
    ({"status": 404, "error_code": "model_not_found"}, llmgw.NotFoundError, "not_found", 404),
    ({"status": 409}, llmgw.ConflictError, "bad_request", 409),
    ({"status": 422}, llmgw.UnprocessableEntityError, "bad_request", 422),
    ({"status": 429}, llmgw.RateLimitError, "rate_limit", 429),
    ({"status": 429, "error_type": "insufficient_quota", "error_code": "insufficient_quota"},
     llmgw.QuotaExceededError, "quota_exceeded", 429),
    ({"status": 500}, llmgw.InternalServerError, "server_error", 500),
    ({"status": 503}, llmgw.InternalServerError, "server_error", 503),
    ({"status": 400, "error_code": "context_length_exceeded",
      "error_message": "This model's maximum context length is 8192 tokens"},
     llmgw.ContextWindowExceededError, "context_length_exceeded", 400),
    ({"status": 400, "error_code": "content_policy_violation"}, llmgw.ContentPolicyError,
     "content_policy", 400),
    ({"reset": "before_headers"}, llmgw.APIConnectionError, "network", None),
]


class UpstreamErrorTest(MockTestCase):

    def test_each_status_maps_to_its_exception(self) -> None:
        for i, (step, exc, cls, status) in enumerate(UPSTREAM_CASES):
            with self.subTest(step=step):
                lane = f"e{i}"                 # a fresh deployment per case (some cool down)
                self.mock.script(lane, [step])
                client = self.client(config(self.mock, lane))
                with self.assertRaises(exc) as cm:
                    client.chat.completions.create(model="g", messages=USER_HI)
                e = cm.exception
                self.assertIs(type(e), exc)
                self.assertIsInstance(e, llmgw.LLMGWError)
                self.assertEqual(e.error_class, cls)
                self.assertEqual(e.status_code, status)
                self.assertEqual(e.provider, "openai")
                self.assertLess(e.code, 0)
                self.assertEqual(len(e.attempts), 1)
                self.assertEqual(e.attempts[0]["error_class"], cls)
                self.assertEqual(e.attempts[0]["group"], "g")          # the group the attempt served
                self.assertIsNone(e.attempts[0]["route_rule"])         # no routing rule chose it
                self.assertNotIn(TEST_KEY, str(e))
                self.assertNotIn(TEST_KEY, repr(e.attempts))

    def test_openai_style_hierarchy(self) -> None:
        self.assertTrue(issubclass(llmgw.ContextWindowExceededError, llmgw.BadRequestError))
        self.assertTrue(issubclass(llmgw.ContentPolicyError, llmgw.BadRequestError))
        self.assertTrue(issubclass(llmgw.BadRequestError, llmgw.APIStatusError))
        self.assertTrue(issubclass(llmgw.APITimeoutError, llmgw.APIConnectionError))
        self.assertTrue(issubclass(llmgw.QuotaExceededError, llmgw.RateLimitError))
        self.assertTrue(issubclass(llmgw.PermissionDeniedError, llmgw.AuthenticationError))
        for name in ("RateLimitError", "AuthenticationError", "BadRequestError", "NotFoundError",
                     "APITimeoutError", "APIConnectionError", "InternalServerError",
                     "PermissionDeniedError", "ContextWindowExceededError",
                     "ContentPolicyError", "BudgetExceededError"):
            self.assertTrue(issubclass(getattr(llmgw, name), llmgw.LLMGWError), name)

    def test_retry_after(self) -> None:
        self.mock.script("a", [{"status": 429, "headers": {"retry-after": "7"}}])
        with self.assertRaises(llmgw.RateLimitError) as cm:
            self.client().chat.completions.create(model="g", messages=USER_HI)
        self.assertEqual(cm.exception.retry_after, 7.0)
        self.assertEqual(cm.exception.retry_after_ms, 7000)

    def test_timeout(self) -> None:
        self.mock.script("a", [{"delay_ms": -1}])         # never answers
        with self.assertRaises(llmgw.APITimeoutError) as cm:
            self.client().chat.completions.create(model="g", messages=USER_HI, timeout=0.5)
        self.assertIsInstance(cm.exception, llmgw.APIConnectionError)
        self.assertEqual(cm.exception.error_class, "timeout")

    def test_unknown_model_is_not_found(self) -> None:
        with self.assertRaises(llmgw.NotFoundError) as cm:
            self.client().chat.completions.create(model="no-such-group", messages=USER_HI)
        self.assertIsNone(cm.exception.status_code)
        self.assertEqual(self.mock.requests("a"), [])

    def test_invalid_request_is_bad_request(self) -> None:
        client = self.client()
        with self.assertRaises(llmgw.BadRequestError) as cm:
            client.chat.completions.create(model="g", messages=[{"role": "bogus"}])
        self.assertIn("messages[0]", str(cm.exception))
        with self.assertRaises(llmgw.BadRequestError):
            client.chat.completions.create(model="g", messages=[])
        self.assertEqual(self.mock.requests("a"), [])

    def test_budget_exceeded(self) -> None:
        dep = deployment(self.mock, "a", model_info={"input_cost_per_token": 1e-3,
                                                     "output_cost_per_token": 1e-3})
        cfg = {"model_list": [dep], "router_settings": {"num_retries": 0},
               "llmgw_settings": {"budgets": [{"customer": "acme", "max_usd": 0.001}]}}
        with self.assertRaises(llmgw.BudgetExceededError) as cm:
            self.client(cfg).chat.completions.create(model="g", messages=USER_HI,
                                                     max_tokens=1000,
                                                     llmgw={"customer": "acme"})
        self.assertEqual(cm.exception.error_class, "budget_exceeded")
        self.assertEqual(self.mock.requests("a"), [])     # refused before any upstream call


class MappingTest(unittest.TestCase):
    """The class table itself, for classes no loopback script can produce."""

    def test_every_class_has_an_exception(self) -> None:
        expected = {
            "bad_request": llmgw.BadRequestError, "auth": llmgw.AuthenticationError,
            "not_found": llmgw.NotFoundError, "rate_limit": llmgw.RateLimitError,
            "quota_exceeded": llmgw.QuotaExceededError,
            "context_length_exceeded": llmgw.ContextWindowExceededError,
            "content_policy": llmgw.ContentPolicyError, "timeout": llmgw.APITimeoutError,
            "server_error": llmgw.InternalServerError, "network": llmgw.APIConnectionError,
            "stream_cut": llmgw.StreamCutError, "budget_exceeded": llmgw.BudgetExceededError,
            "config": llmgw.ConfigError, "unsupported": llmgw.UnsupportedError,
            "cancelled": llmgw.CancelledError,
        }
        from llmgw._gateway import CLASS_NAMES
        self.assertEqual(set(expected), set(CLASS_NAMES) - {""})
        for name, exc in expected.items():
            self.assertIs(errors.exception_class(name), exc, name)

    def test_codes_without_class(self) -> None:
        self.assertIs(errors.exception_class("", -3), llmgw.InvalidArgumentError)
        self.assertTrue(issubclass(llmgw.InvalidArgumentError, ValueError))
        self.assertIs(errors.exception_class("", -2), llmgw.OutOfMemoryError)
        self.assertTrue(issubclass(llmgw.OutOfMemoryError, MemoryError))
        self.assertIs(errors.exception_class("", -11), llmgw.BudgetExceededError)
        self.assertIs(errors.exception_class("", -999), llmgw.LLMGWError)

    def test_budget_error_fields(self) -> None:
        e = errors.make_error({"code": -11, "error_class": "budget_exceeded",
                               "message": "budget exceeded for customer acme",
                               "http_status": 0, "provider": None, "retry_after_ms": None,
                               "attempts": []})
        self.assertIsInstance(e, llmgw.BudgetExceededError)
        self.assertIsNone(e.status_code)
        self.assertIsNone(e.retry_after)
        self.assertEqual(e.error_class, "budget_exceeded")

    def test_class_names_match_library(self) -> None:
        lib = llmgw._lib.lib()
        from llmgw._gateway import CLASS_NAMES
        for i, name in enumerate(CLASS_NAMES):
            self.assertEqual(lib.llmgw_error_class_str(i).decode(), name)
        self.assertIsNone(lib.llmgw_error_class_str(len(CLASS_NAMES)))
