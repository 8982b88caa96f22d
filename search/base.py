"""The search interface every backend implements, and the plain data that crosses it."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class SearchError(Exception):
    """Base error of `search`; `status_hint` tells the web layer which HTTP status fits."""

    status_hint = 500


class QuerySyntaxError(SearchError):
    """The user's query cannot be parsed."""

    status_hint = 400


class IndexBusyError(SearchError):
    """Another writer kept the index locked longer than we were willing to wait."""

    status_hint = 503


class IndexCorruptError(SearchError):
    """The index cannot be read; recreate it and rebuild from the database."""

    status_hint = 503


@dataclass(frozen=True)
class IndexDoc:
    """One stored item as the index sees it; text fields are the simplified-script copies.

    `title_tokens` and `body_tokens` are the tokens of the one `nlp` analysis (they concatenate back
    to `title` and `body`), so the index never segments a second time.
    """

    id: int
    title: str
    body: str
    title_tokens: Sequence[str]
    body_tokens: Sequence[str]
    unit: str  # unit code
    unit_category: str  # category code
    topics: Sequence[str]
    kind: str  # problem | achievement | other
    status: str  # submitted | adopted | rejected | returned
    level: int  # confidentiality rank: 0 公开, 1 内部, 2 秘密, 3 机密
    event_date: date
    publications: Sequence[str] = ()  # codes of publications the item was adopted into
    genre: str = ""  # the item's category: dynamic | research | emergency
    # What the index was built from (e.g. the item's update time or a content hash), stored as is
    # so an index check can find stale entries by comparing `SearchBackend.stamps()` with the DB.
    stamp: str = ""
    # What the backend derives from the tokens alone (`SearchBackend.derive`), computed ahead, e.g.
    # in a bulk import's worker processes; None: derived when the document is written.
    derived: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SearchQuery:
    """What a user asked for, with the permission scope the web layer computed."""

    text: str = ""
    unit: str | None = None
    unit_category: str | None = None
    topic: str | None = None
    kind: str | None = None
    status: str | None = None
    publication: str | None = None  # code of a publication the item was adopted into
    genre: str | None = None  # the item's category (dynamic, research, emergency)
    date_from: date | None = None
    date_to: date | None = None
    allowed_units: frozenset[str] | None = None  # None: every unit; reporters get their own unit only
    max_level: int = 3  # items above the user's clearance are filtered inside the query
    sort: str = "relevance"  # relevance | date
    page: int = 1
    per_page: int = 20
    # Facet counts cost a pass over every match: only a page that shows them asks for them.
    want_facets: bool = False


@dataclass(frozen=True)
class Hit:
    """One result: the item id, its score and an HTML-escaped snippet with <mark> highlights."""

    id: int
    score: float
    snippet: str
    title_html: str


@dataclass(frozen=True)
class SearchResult:
    """A page of hits with the total count over all pages and facet counts.

    `facets` holds every name of FACET_NAMES when the query set `want_facets`, and is empty otherwise.
    """

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


# The facet names every backend fills in SearchResult.facets.
FACET_NAMES = ("unit", "unit_category", "topic", "kind", "status", "publication", "genre", "year")

# Shared by every backend, so results rank and read alike whichever engine serves them.
TITLE_BOOST = 2.0
# A word match counts WORD_BOOST times a gram match, so a document holding the query word as a token
# ranks above one that only contains its characters (农田 before 高标准农田).
WORD_BOOST = 3.0
# Logical filter names to the keyword fields of the embedded engines' schemas.
KEYWORD_FIELDS = {
    "unit": "unit",
    "unit_category": "unit_category",
    "topic": "topics",
    "kind": "kind",
    "status": "status",
    "publication": "publications",
    "genre": "genre",
}
# Stored token streams: the tokens of one nlp pass, joined by a character text never contains.
SEP = "\x1f"


def join_tokens(tokens: Sequence[str]) -> str:
    """Join tokens for storage; a token holding the separator (rare) has it replaced by a space."""
    joined = SEP.join(tokens)
    if joined.count(SEP) != max(len(tokens) - 1, 0):
        joined = SEP.join(token.replace(SEP, " ") for token in tokens)
    return joined


def split_tokens(stored: str) -> list[str]:
    """The tokens of a stored stream."""
    return stored.split(SEP)


class SearchBackend(abc.ABC):
    """A full-text index of items, derived from the database and rebuildable at will."""

    def derive(self, title_tokens: Sequence[str], body_tokens: Sequence[str]) -> Mapping[str, Any] | None:
        """What this backend's documents derive from the tokens alone (term streams, literals), as
        plain data for `IndexDoc.derived`: a bulk import computes it in its worker processes, so
        the process that writes the index only writes. None: nothing worth computing ahead."""
        return None

    @abc.abstractmethod
    def index(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace these documents (by id) and commit."""

    @abc.abstractmethod
    def delete(self, ids: Iterable[int]) -> None:
        """Remove these documents and commit."""

    @abc.abstractmethod
    def sync(self, ids: Sequence[int], load: Callable[[Sequence[int]], Iterable[IndexDoc]]) -> None:
        """Bring these ids in line with their source: holding the index's writer lock (across
        processes), call `load` for the documents to keep, replace them, remove the other ids, commit.

        Reading the source inside the lock makes the last writer also the one that read last, so
        two processes updating one item at once cannot leave the older document in the index.
        """

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        """Run a query and return one page of highlighted hits."""

    @abc.abstractmethod
    def more_like_this(
        self, item_id: int, query: SearchQuery, limit: int = 5, terms: Sequence[str] = ()
    ) -> list[Hit]:
        """Return items similar to `item_id` within the scope and filters of `query` (never itself):
        items sharing `terms` (the item's keywords, when the caller has them) or else the item's
        most distinctive terms by the index's own doc frequencies."""

    @abc.abstractmethod
    def stamps(self) -> dict[int, str]:
        """Return the stamp stored with every indexed document, by id."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many documents the index holds."""

    @abc.abstractmethod
    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        """Drop everything and index `docs` in batches; return how many were indexed."""

    @abc.abstractmethod
    def check(self) -> bool:
        """Whether the index opens and reads cleanly."""

    @abc.abstractmethod
    def recreate(self) -> None:
        """Throw the index away and start an empty one (then rebuild it from the database)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release searchers and connections; the backend reopens them when used again."""
