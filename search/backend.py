"""What every search backend shares, written once: the public `search` and `more_like_this`, the
preamble of a query run, the filter list, the reset after a fork and the bounded back-off loops.

Each backend module keeps only what is its own: its schema, how it translates a query tree, how
it runs one and reads the hits back.
"""

from __future__ import annotations

import abc
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from nlp.segment import Segmenter
from search import query as q
from search.base import (
    FACET_NAMES,
    Hit,
    IndexBusyError,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResult,
)
from search.similar import similar_tree

T = TypeVar("T")
BUSY_MESSAGE = "搜索索引正被其他进程更新，请稍后重试"


@dataclass(frozen=True)
class RunPlan:
    """What a query run needs to know before it asks its engine anything."""

    terms: set[str]  # the positive terms, for highlighting
    by_date: bool  # newest first (a date sort, or a query without positive terms)
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def limit(self) -> int:
        """How many top hits the page needs collected (every earlier page's too)."""
        return self.offset + self.per_page


def empty_result(facets: bool) -> SearchResult:
    """No hits, with empty facets when the page asked for them."""
    return SearchResult(total=0, hits=[], facets={name: {} for name in FACET_NAMES} if facets else {})


def plan_run(tree: q.Node, query: SearchQuery) -> RunPlan | None:
    """The preamble every backend's run shares; None when the scope allows no unit at all."""
    if query.allowed_units is not None and not query.allowed_units:
        return None
    terms = q.positive_terms(tree)
    by_date = query.sort == "date" or not terms
    if not by_date and query.sort != "relevance":
        raise SearchError(f"unknown sort order: {query.sort}")
    return RunPlan(terms, by_date, max(1, query.page), max(1, query.per_page))


def keyword_filters(query: SearchQuery) -> list[tuple[str, str]]:
    """The keyword filters `query` sets, as (logical name, value) pairs; `KEYWORD_FIELDS` maps a
    name to the field of the embedded engines."""
    pairs = (
        ("unit", query.unit),
        ("unit_category", query.unit_category),
        ("topic", query.topic),
        ("kind", query.kind),
        ("status", query.status),
        ("publication", query.publication),
        ("genre", query.genre),
    )
    return [(name, value) for name, value in pairs if value]


def with_backoff(
    attempt: Callable[[], T | None], timeout: float, *, first: float = 0.02, cap: float = 0.5
) -> T:
    """Call `attempt` until it returns something other than None (None: the lock is held by
    another process), sleeping between tries with a doubling delay; raise IndexBusyError after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    delay = first
    while True:
        got = attempt()
        if got is not None:
            return got
        if time.monotonic() >= deadline:
            raise IndexBusyError(BUSY_MESSAGE)
        time.sleep(delay)
        delay = min(delay * 2, cap)


class BaseBackend(SearchBackend):
    """A search backend built on the shared query language; subclasses run the trees."""

    _segmenter: Segmenter
    _pid: int

    def _forked(self) -> bool:
        """Whether this is a process forked since the last call (gunicorn --preload): the caller
        then drops what it inherited (open files, pooled connections) without closing it."""
        pid = os.getpid()
        if getattr(self, "_pid", pid) == pid:
            self._pid = pid
            return False
        self._pid = pid
        return True

    def search(self, query: SearchQuery) -> SearchResult:
        """Run a query and return one page of highlighted hits (with facets over all matches if asked)."""
        tree = q.parse_query(query.text, self._segmenter)
        return self._run(tree, query, facets=query.want_facets)

    def more_like_this(
        self, item_id: int, query: SearchQuery, limit: int = 5, terms: Sequence[str] = ()
    ) -> list[Hit]:
        """Return items similar to `item_id` within the scope and filters of `query` (never itself).

        Given `terms` (the item's keywords, TF-IDF ranked at analysis), no doc frequency is looked up:
        on PostgreSQL that look-up (a capped count per candidate word) cost more than the query.
        """
        terms = list(terms) or self._similar_terms(item_id)
        if not terms:
            return []
        similar = replace(query, text="", sort="relevance", page=1, per_page=limit)
        return self._run(similar_tree(terms), similar, facets=False, exclude=item_id).hits

    @abc.abstractmethod
    def _similar_terms(self, item_id: int) -> Sequence[str]:
        """The document's distinctive terms (`search.similar.distinctive_terms` over its stored
        tokens and this index's doc frequencies); empty when it is not indexed."""

    @abc.abstractmethod
    def _run(
        self, tree: q.Node, query: SearchQuery, *, facets: bool, exclude: int | None = None
    ) -> SearchResult:
        """Run a parsed query within the scope and filters of `query`, leaving out `exclude`."""
