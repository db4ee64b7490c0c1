"""llmgw: an embeddable LLM gateway, from Python (ctypes over libllmgw; stdlib only).

    import llmgw
    with llmgw.Client(config="llmgw.yaml") as client:
        r = client.chat.completions.create(model="smart",
                                           messages=[{"role": "user", "content": "hi"}])
        print(r.choices[0].message.content, r.usage.total_tokens, r.llmgw.cost_usd)

The library is found through $LLMGW_LIBRARY (or $LLMGW_LIB), the package directory, a build
tree of the checkout holding this package, then the system loader (libllmgw.so.0).
"""
from __future__ import annotations

from typing import Optional

from . import _lib, types
from ._lib import LibraryNotFoundError
from ._report import cost_report, cost_simulate
from ._routing import RequestView
from ._stream import Stream
from .client import Chat, Client, Completions
from .errors import *  # noqa: F401,F403  (the exception tree)
from .errors import __all__ as _errors_all

__version__ = "0.1.0"


def load_library(path: Optional[str] = None) -> None:
    """Load libllmgw now (from `path`, or the usual search); otherwise the first Client does."""
    _lib.load(path)


def library_version() -> str:
    """The loaded libllmgw's version string (llmgw_version())."""
    return _lib.lib().llmgw_version().decode()


__all__ = ["Client", "Chat", "Completions", "Stream", "types", "LibraryNotFoundError",
           "RequestView", "cost_report", "cost_simulate",
           "load_library", "library_version", "__version__"] + list(_errors_all)
