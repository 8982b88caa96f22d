"""Full-text search over items: one interface, several backends, one query language above them.

`import search` stays light: a backend's library is imported only when `make_backend` builds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp.segment import Segmenter
from search.base import (
    FACET_NAMES,
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
    from search.postgres_backend import PostgresBackend
    from search.tantivy_backend import TantivyBackend
    from search.whoosh_backend import WhooshBackend

BACKENDS = ("whoosh", "tantivy", "postgres")

__all__ = [
    "BACKENDS",
    "FACET_NAMES",
    "Hit",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexDoc",
    "PostgresBackend",
    "QuerySyntaxError",
    "SearchBackend",
    "SearchError",
    "SearchQuery",
    "SearchResult",
    "TantivyBackend",
    "WhooshBackend",
    "highlight_all",
    "make_backend",
    "parse_query",
    "positive_terms",
    "snippet",
]


def make_backend(
    kind: str,
    *,
    index_dir: Path,
    segmenter: Segmenter,
    database_url: str | None = None,
    schema: str = "public",
) -> SearchBackend:
    """Build the search backend named `kind`: "whoosh", "tantivy" (both in `index_dir`) or "postgres".

    The PostgreSQL backend keeps its own table in `schema` of the database at `database_url`.
    """
    if kind == "whoosh":
        from search.whoosh_backend import WhooshBackend

        return WhooshBackend(index_dir, segmenter)
    if kind == "tantivy":
        from search.tantivy_backend import TantivyBackend

        return TantivyBackend(index_dir, segmenter)
    if kind == "postgres":
        if not database_url:
            raise SearchError("the postgres search backend needs a database URL")
        from search.postgres_backend import PostgresBackend

        return PostgresBackend(database_url, segmenter, schema=schema)
    raise SearchError(f"unknown search backend {kind!r}")


_LAZY = {
    "WhooshBackend": "search.whoosh_backend",
    "TantivyBackend": "search.tantivy_backend",
    "PostgresBackend": "search.postgres_backend",
}


def __getattr__(name: str) -> Any:
    # `from search import WhooshBackend` works without importing whoosh for everyone else.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
