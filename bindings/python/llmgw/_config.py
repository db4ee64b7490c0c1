"""Where a Client's configuration comes from (docs/conventions.md §1).

Client(config=path) opens the file; Client(config={...}) and Client(model_list=[...], ...) are
serialized to JSON and opened from memory, so no C struct carries configuration. Client() alone
searches $LLMGW_CONFIG, ./llmgw.yaml|yml|json, $XDG_CONFIG_HOME/llmgw/config.yaml|yml|json; with
none found the gateway starts empty and provider/model requests use the vendors' env vars.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Mapping, Optional, Tuple, Union

# Top-level keys of the config file that Client(**options) accepts.
CONFIG_KEYS = ("model_list", "router_settings", "litellm_settings", "settings", "llmgw_settings",
               "general_settings", "environment_variables")

PathLike = Union[str, "os.PathLike[str]"]


def search_path() -> Optional[str]:
    """The config file a Client() without arguments uses, or None."""
    env = os.environ.get("LLMGW_CONFIG")
    if env:
        return env
    for name in ("llmgw.yaml", "llmgw.yml", "llmgw.json"):
        if os.path.isfile(name):
            return os.path.abspath(name)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    for name in ("config.yaml", "config.yml", "config.json"):
        path = os.path.join(base, "llmgw", name)
        if os.path.isfile(path):
            return path
    return None


def _json_default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(exclude_none=True)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"llmgw: {type(value).__name__} is not JSON serializable")


def to_json(value: Any) -> str:
    """JSON for the C library: no NaN or infinity, model objects as dicts."""
    return json.dumps(value, allow_nan=False, default=_json_default, ensure_ascii=False)


def resolve(config: Union[None, PathLike, Mapping[str, Any]],
            options: Dict[str, Any]) -> Tuple[str, Optional[str]]:
    """("path", file), ("json", text) or ("none", None) for a Client's arguments."""
    unknown = sorted(set(options) - set(CONFIG_KEYS))
    if unknown:
        raise TypeError(f"llmgw.Client: unexpected keyword argument(s) {', '.join(unknown)}; "
                        f"config options are {', '.join(CONFIG_KEYS)}")
    if config is None and not options:
        path = search_path()
        return ("path", path) if path else ("none", None)
    if isinstance(config, (str, os.PathLike)):
        path = os.fspath(config)
        if not options:
            return "path", path
        if not path.endswith(".json"):
            raise TypeError("llmgw.Client: options can be merged into a JSON config file only; "
                            "pass a dict instead")
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    if config is not None and not isinstance(config, Mapping):
        raise TypeError("llmgw.Client: config must be a path, a dict or None")
    merged: Dict[str, Any] = dict(config or {})
    merged.update(options)
    return "json", to_json(merged)
