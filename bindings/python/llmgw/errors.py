"""Exceptions, named as the OpenAI Python SDK names them, all under LLMGWError.

    LLMGWError (alias APIError)
    +-- APIConnectionError                  network
    |   +-- APITimeoutError                 timeout
    |   +-- StreamCutError                  stream_cut: failed after the first delivered event
    +-- APIStatusError
    |   +-- BadRequestError                 bad_request
    |   |   +-- ConflictError               bad_request with HTTP 409
    |   |   +-- UnprocessableEntityError    bad_request with HTTP 422
    |   |   +-- ContextWindowExceededError  context_length_exceeded
    |   |   +-- ContentPolicyError          content_policy (alias ContentPolicyViolationError)
    |   +-- AuthenticationError             auth
    |   |   +-- PermissionDeniedError       auth with HTTP 403
    |   +-- NotFoundError                   not_found
    |   +-- RateLimitError                  rate_limit
    |   |   +-- QuotaExceededError          quota_exceeded
    |   +-- InternalServerError             server_error
    +-- BudgetExceededError                 budget_exceeded
    +-- ConfigError                         config
    +-- UnsupportedError                    unsupported
    +-- CancelledError                      cancelled
    +-- ClientClosedError                   the client was closed
    +-- InvalidArgumentError (ValueError)   LLMGW_EINVAL without a class
    +-- OutOfMemoryError (MemoryError)      LLMGW_ENOMEM

Every exception carries: message, error_class ("rate_limit" ...), code (the llmgw_status, e.g.
-7), status_code (HTTP status or None), provider (or None), retry_after (seconds or None),
retry_after_ms, and attempts (the attempt trail: a list of dicts).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional


class LLMGWError(Exception):
    """Base of every llmgw error."""

    def __init__(self, message: str = "", *, error_class: str = "", code: int = -1,
                 status_code: Optional[int] = None, provider: Optional[str] = None,
                 retry_after_ms: Optional[int] = None,
                 attempts: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_class = error_class
        self.code = code
        self.status_code = status_code
        self.provider = provider
        self.retry_after_ms = retry_after_ms
        self.retry_after = None if retry_after_ms is None else retry_after_ms / 1000.0
        self.attempts = list(attempts or [])

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.message!r}, error_class={self.error_class!r}, "
                f"status_code={self.status_code!r}, provider={self.provider!r})")


APIError = LLMGWError


class APIConnectionError(LLMGWError):
    """The upstream could not be reached or the connection failed (class network)."""


class APITimeoutError(APIConnectionError):
    """The deadline or an attempt timeout passed (class timeout)."""


class StreamCutError(APIConnectionError):
    """A stream failed after its first event was delivered (class stream_cut)."""


class APIStatusError(LLMGWError):
    """The upstream answered with an error status, or llmgw refused the request for that reason."""


class BadRequestError(APIStatusError):
    pass


class ConflictError(BadRequestError):
    pass


class UnprocessableEntityError(BadRequestError):
    pass


class ContextWindowExceededError(BadRequestError):
    pass


class ContentPolicyError(BadRequestError):
    pass


ContentPolicyViolationError = ContentPolicyError


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(AuthenticationError):
    """HTTP 403. A subclass of AuthenticationError because llmgw classes both as "auth"."""


class NotFoundError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class QuotaExceededError(RateLimitError):
    pass


class InternalServerError(APIStatusError):
    pass


class BudgetExceededError(LLMGWError):
    pass


class ConfigError(LLMGWError):
    pass


class UnsupportedError(LLMGWError):
    pass


class CancelledError(LLMGWError):
    pass


class ClientClosedError(LLMGWError, RuntimeError):
    pass


class InvalidArgumentError(LLMGWError, ValueError):
    pass


class OutOfMemoryError(LLMGWError, MemoryError):
    pass


_BY_CLASS = {
    "bad_request": BadRequestError,
    "auth": AuthenticationError,
    "not_found": NotFoundError,
    "rate_limit": RateLimitError,
    "quota_exceeded": QuotaExceededError,
    "context_length_exceeded": ContextWindowExceededError,
    "content_policy": ContentPolicyError,
    "timeout": APITimeoutError,
    "server_error": InternalServerError,
    "network": APIConnectionError,
    "stream_cut": StreamCutError,
    "budget_exceeded": BudgetExceededError,
    "config": ConfigError,
    "unsupported": UnsupportedError,
    "cancelled": CancelledError,
}

# llmgw_status codes (errors.h), for errors that carry no class.
_BY_CODE = {
    -2: OutOfMemoryError,       # LLMGW_ENOMEM
    -3: InvalidArgumentError,   # LLMGW_EINVAL
    -4: ConfigError,            # LLMGW_EVERSION
    -5: NotFoundError,          # LLMGW_ENOTFOUND
    -6: AuthenticationError,    # LLMGW_EAUTH
    -7: RateLimitError,         # LLMGW_ERATELIMIT
    -8: APITimeoutError,        # LLMGW_ETIMEOUT
    -9: APIConnectionError,     # LLMGW_EUNAVAILABLE
    -10: BadRequestError,       # LLMGW_EPROVIDER
    -11: BudgetExceededError,   # LLMGW_EBUDGET
    -12: CancelledError,        # LLMGW_ECANCELLED
    -13: UnsupportedError,      # LLMGW_EUNSUPPORTED
    -14: CancelledError,        # LLMGW_EUSER
}


def exception_class(error_class: str, code: int = -1, status_code: Optional[int] = None) -> type:
    """The exception type for an llmgw error class (or, without one, its status code)."""
    cls = _BY_CLASS.get(error_class) or _BY_CODE.get(code, LLMGWError)
    if cls is BadRequestError:
        cls = {409: ConflictError, 422: UnprocessableEntityError}.get(status_code or 0, cls)
    elif cls is AuthenticationError and status_code == 403:
        cls = PermissionDeniedError
    return cls


def make_error(info: Dict[str, Any]) -> LLMGWError:
    """Build the exception for an error captured as a dict (see _errinfo.capture())."""
    status = info.get("http_status") or None
    cls = exception_class(info.get("error_class") or "", info.get("code", -1), status)
    return cls(info.get("message") or "llmgw error", error_class=info.get("error_class") or "",
               code=info.get("code", -1), status_code=status, provider=info.get("provider"),
               retry_after_ms=info.get("retry_after_ms"), attempts=info.get("attempts"))


__all__ = [name for name, value in list(globals().items())
           if isinstance(value, type) and issubclass(value, Exception)] + \
    ["exception_class", "make_error"]
