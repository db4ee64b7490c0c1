"""Response objects shaped like the OpenAI Python SDK's (attribute access, model_dump()).

Built from the JSON the C library renders (llmgw_response_to_json, llmgw_usage_to_json). Every
model keeps unknown members as attributes too, so fields the library adds later show up.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Optional


class BaseModel:
    """A plain attribute object built from a dict; `_fields` default to None."""

    _fields: tuple = ()
    _nested: Dict[str, Any] = {}    # field -> model class (a list of them when the value is a list)

    def __init__(self, data: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        values = dict(data or {})
        values.update(kwargs)
        for name in self._fields:
            values.setdefault(name, None)
        for name, value in values.items():
            kind = self._nested.get(name)
            if kind is not None and value is not None:
                if isinstance(value, list):
                    value = [v if isinstance(v, BaseModel) else kind(v) for v in value]
                elif isinstance(value, dict):
                    value = kind(value)
            object.__setattr__(self, name, value)

    def model_dump(self, exclude_none: bool = False) -> Dict[str, Any]:
        """A plain dict, recursively (pydantic's name, as the OpenAI SDK has it)."""
        out = {}
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            value = _dump(value, exclude_none)
            if value is None and exclude_none:
                continue
            out[name] = value
        return out

    to_dict = model_dump

    def model_dump_json(self, indent: Optional[int] = None) -> str:
        return json.dumps(self.model_dump(), indent=indent)

    to_json = model_dump_json

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.model_dump() == other.model_dump()  # type: ignore

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({inner})"


def _dump(value: Any, exclude_none: bool) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none)
    if isinstance(value, list):
        return [_dump(v, exclude_none) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, exclude_none) for k, v in value.items()}
    return value


# ---- chat.completion ------------------------------------------------------------------------

class Function(BaseModel):
    _fields = ("name", "arguments")


class ChatCompletionMessageToolCall(BaseModel):
    _fields = ("id", "type", "function")
    _nested = {"function": Function}


class ChatCompletionMessage(BaseModel):
    _fields = ("role", "content", "refusal", "tool_calls")
    _nested = {"tool_calls": ChatCompletionMessageToolCall}


class Choice(BaseModel):
    _fields = ("index", "message", "finish_reason", "logprobs")
    _nested = {"message": ChatCompletionMessage}


class PromptTokensDetails(BaseModel):
    _fields = ("cached_tokens",)


class CompletionTokensDetails(BaseModel):
    _fields = ("reasoning_tokens",)


class CompletionUsage(BaseModel):
    _fields = ("prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
               "completion_tokens_details")
    _nested = {"prompt_tokens_details": PromptTokensDetails,
               "completion_tokens_details": CompletionTokensDetails}


class Attempt(BaseModel):
    """One HTTP exchange of the request (the usage record's trail entry)."""
    _fields = ("deployment", "provider", "model", "status", "error_class", "http_status",
               "latency_ms")


class LLMGWInfo(BaseModel):
    """What llmgw adds to a response: routing, cost and the attempt trail.

    `record` is the whole usage record (docs/conventions.md §9) as a dict, the same dict the
    usage hook receives.
    """
    _fields = ("provider", "deployment", "model", "group", "request_id", "cost_usd",
               "cost_provenance", "cache_hit", "attempts", "fallbacks", "latency_ms", "ttft_ms",
               "record")
    _nested = {"attempts": Attempt}

    @classmethod
    def from_record(cls, record: Dict[str, Any]) -> "LLMGWInfo":
        return cls(provider=record.get("provider"), deployment=record.get("deployment_id"),
                   model=record.get("model"), group=record.get("group"),
                   request_id=record.get("request_id"), cost_usd=record.get("cost_usd"),
                   cost_provenance=record.get("cost_source"),
                   cache_hit=bool(record.get("cache_hit")),
                   attempts=list(record.get("trail") or []),
                   fallbacks=record.get("fallbacks", 0), latency_ms=record.get("latency_ms"),
                   ttft_ms=record.get("ttft_ms"), record=record)


class ChatCompletion(BaseModel):
    _fields = ("id", "object", "created", "model", "choices", "usage", "system_fingerprint",
               "service_tier", "llmgw")
    _nested = {"choices": Choice, "usage": CompletionUsage, "llmgw": LLMGWInfo}


# ---- chat.completion.chunk ------------------------------------------------------------------

class ChoiceDeltaToolCallFunction(BaseModel):
    _fields = ("name", "arguments")


class ChoiceDeltaToolCall(BaseModel):
    _fields = ("index", "id", "type", "function")
    _nested = {"function": ChoiceDeltaToolCallFunction}


class ChoiceDelta(BaseModel):
    _fields = ("role", "content", "refusal", "tool_calls")
    _nested = {"tool_calls": ChoiceDeltaToolCall}


class ChunkChoice(BaseModel):
    _fields = ("index", "delta", "finish_reason", "logprobs")
    _nested = {"delta": ChoiceDelta}


class ChatCompletionChunk(BaseModel):
    _fields = ("id", "object", "created", "model", "choices", "usage", "system_fingerprint",
               "llmgw")
    _nested = {"choices": ChunkChoice, "usage": CompletionUsage, "llmgw": LLMGWInfo}


def completion_from_json(response: Dict[str, Any], record: Dict[str, Any]) -> ChatCompletion:
    """A ChatCompletion from llmgw_response_to_json's object and the usage record."""
    return ChatCompletion(response, llmgw=LLMGWInfo.from_record(record))


__all__ = ["BaseModel", "Function", "ChatCompletionMessageToolCall", "ChatCompletionMessage",
           "Choice", "PromptTokensDetails", "CompletionTokensDetails", "CompletionUsage",
           "Attempt", "LLMGWInfo", "ChatCompletion", "ChoiceDeltaToolCallFunction",
           "ChoiceDeltaToolCall", "ChoiceDelta", "ChunkChoice", "ChatCompletionChunk",
           "completion_from_json"]
