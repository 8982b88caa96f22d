"""Full-text search over items: one interface, several backends, one query language above them.

`import search` stays light: a backend's library is imported only when `make_backend` builds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp.segment import Segmenter
from search.base import (
    Hit,
    IndexBusyError,
    IndexCorruptError,
    IndexDoc,
    QuerySyntaxError,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResult,
)
from search.highlight import highlight_all, snippet
from search.query import parse_query, positive_terms

if TYPE_CHECKING:
    from search.whoosh_backend import WhooshBackend

BACKENDS = ("whoosh", "tantivy", "postgres")

__all__ = [
    "BACKENDS",
    "Hit",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexDoc",
    "QuerySyntaxError",
    "SearchBackend",
    "SearchError",
    "SearchQuery",
    "SearchResult",
    "WhooshBackend",
    "highlight_all",
    "make_backend",
    "parse_query",
    "positive_terms",
    "snippet",
]


def make_backend(kind: str, *, index_dir: Path, segmenter: Segmenter) -> SearchBackend:
    """Build the search backend named `kind` ("whoosh"; "tantivy" and "postgres" are to come)."""
    if kind == "whoosh":
        from search.whoosh_backend import WhooshBackend

        return WhooshBackend(index_dir, segmenter)
    if kind in BACKENDS:
        raise SearchError(f"search backend {kind!r} is not available yet")
    raise SearchError(f"unknown search backend {kind!r}")


def __getattr__(name: str) -> Any:
    # `from search import WhooshBackend` works without importing whoosh for everyone else.
    if name == "WhooshBackend":
        from search.whoosh_backend import WhooshBackend

        return WhooshBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
