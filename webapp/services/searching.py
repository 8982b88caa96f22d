"""Search on behalf of a user: permissions go into the query, titles and units come from the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import selectinload

from search import Hit, SearchQuery
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import Item, User
from webapp.services.errors import ValidationError

MAX_PER_PAGE = 100


@dataclass
class SearchRow:
    """One hit joined with its stored item."""

    item: Item
    hit: Hit


@dataclass
class SearchPage:
    """A page of rows, the total over all pages and facet counts."""

    query: SearchQuery
    total: int
    rows: list[SearchRow]
    facets: dict[str, dict[str, int]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{name} 日期格式应为 YYYY-MM-DD", code="invalid_date") from None


def _positive_int(value: str | None, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValidationError(f"{name} 必须是正整数", code="invalid_number") from None
    if number < 1:
        raise ValidationError(f"{name} 必须是正整数", code="invalid_number")
    return number


def build_query(actor_unit: str | None, clearance: int, params: Mapping[str, str]) -> SearchQuery:
    """Turn request parameters into a SearchQuery with the user's permission scope."""
    return SearchQuery(
        text=(params.get("q") or "").strip(),
        unit=params.get("unit") or None,
        unit_category=params.get("category") or None,
        topic=params.get("topic") or None,
        kind=params.get("kind") or None,
        status=params.get("status") or None,
        date_from=_date(params.get("from"), "起始"),
        date_to=_date(params.get("to"), "截止"),
        allowed_units=frozenset({actor_unit}) if actor_unit else None,
        max_level=clearance,
        sort="date" if params.get("sort") == "date" else "relevance",
        page=_positive_int(params.get("page"), 1, "页码"),
        per_page=min(_positive_int(params.get("per_page"), 20, "每页条数"), MAX_PER_PAGE),
    )


def search_items(actor: User, params: Mapping[str, str]) -> SearchPage:
    """Run a search as `actor` (reporters see only their own unit, everyone only within clearance)."""
    own_unit = None
    if not actor.sees_all_units:
        own_unit = actor.unit.code if actor.unit else "-"
    query = build_query(own_unit, actor.clearance, params)
    result = engines().search.search(query)
    ids = [hit.id for hit in result.hits]
    items = {
        item.id: item
        for item in db.session.scalars(
            db.select(Item)
            .where(Item.id.in_(ids))
            .options(selectinload(Item.unit), selectinload(Item.topics))
        )
    }
    # An id the index still has but the database lost is skipped: the database is the truth.
    rows = [SearchRow(items[hit.id], hit) for hit in result.hits if hit.id in items]
    return SearchPage(query, result.total, rows, result.facets)
