"""Paging of every list: one helper for pages, views and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from webapp.extensions import db

T = TypeVar("T")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 10_000  # deeper pages are never read, and a huge offset only costs the database


def _number(value: object, default: int, upper: int) -> int:
    """A page number or size from a request parameter: bad or missing values fall back quietly."""
    try:
        number = int(str(value)) if value not in (None, "") else default
    except ValueError:
        number = default
    return min(max(number, 1), upper)


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list is wanted, and how many rows a page holds."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def from_args(cls, args: Mapping[str, Any], per_page: int = DEFAULT_PER_PAGE) -> PageRequest:
        """Read `page` and `per_page` from request arguments."""
        return cls(
            _number(args.get("page"), 1, MAX_PAGE),
            _number(args.get("per_page"), per_page, MAX_PER_PAGE),
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass
class Page(Generic[T]):
    """One page of rows with the total over all pages."""

    rows: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """1-based position of the first row shown (0 when the list is empty)."""
        return min(self.total, (self.page - 1) * self.per_page + 1) if self.rows else 0

    @property
    def last(self) -> int:
        """1-based position of the last row shown."""
        return self.first + len(self.rows) - 1 if self.rows else 0

    def as_json(self) -> dict[str, int]:
        """The paging fields every JSON list carries."""
        return {"total": self.total, "page": self.page, "per_page": self.per_page, "pages": self.pages}


def paginate(query: Select[Any], wanted: PageRequest) -> Page[Any]:
    """Run a SELECT of entities for one page, with the count of all its rows."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(query.limit(wanted.per_page).offset(wanted.offset)))
    return Page(rows, total, wanted.page, wanted.per_page)


def page_of(rows: list[T], wanted: PageRequest) -> Page[T]:
    """Page a list already in memory (short lists built in Python)."""
    shown = rows[wanted.offset : wanted.offset + wanted.per_page]
    return Page(shown, len(rows), wanted.page, wanted.per_page)
