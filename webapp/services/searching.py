"""Search on behalf of a user: permissions go into the query, titles and units come from the database."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import selectinload

from search import Hit, SearchQuery
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import Item, SavedSearch, Unit, User, utcnow
from webapp.services.access import can_see, scoped_query
from webapp.services.errors import NotFound, ValidationError
from webapp.services.items import LEAN
from webapp.services.pagecache import cache_key, cached

MAX_PER_PAGE = 100
MAX_PAGE = 10_000  # deeper pages are never read, and a huge offset overflows the engines


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

    @property
    def page(self) -> int:
        return self.query.page

    @property
    def per_page(self) -> int:
        return self.query.per_page

    @property
    def first(self) -> int:
        """1-based position of the first hit shown (0 when nothing was found)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """1-based position of the last hit shown."""
        return self.first + len(self.rows) - 1 if self.rows else 0


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


# `unit:盂县`, `单位:"盂县人民政府办公室"`: a unit filter inside the query text, by code or by name.
UNIT_FILTER = re.compile(
    r'(?<![A-Za-z0-9_])(?P<field>unit|单位)\s*[:：]\s*(?:"(?P<quoted>[^"]+)"|(?P<bare>[^\s()"]+))', re.I
)


def unit_codes(value: str) -> list[str]:
    """The codes of the units a user means by a code, a full name or a short name (盂县 for
    盂县人民政府办公室): an exact code or name wins, else every unit whose name starts with the value
    or contains it."""
    value = value.strip()
    if not value:
        return []
    units = list(db.session.execute(db.select(Unit.code, Unit.name).order_by(Unit.code)))
    for exact in ([c for c, _ in units if c == value], [c for c, n in units if n == value]):
        if exact:
            return exact
    starts = [code for code, name in units if name.startswith(value)]
    return starts or [code for code, name in units if value in name]


def resolve_unit_names(text: str) -> str:
    """Rewrite `unit:NAME` filters in a query to the unit codes the index holds (several matching
    units become an OR group); a value matching no unit is left as typed and finds nothing."""

    def replace(match: re.Match[str]) -> str:
        value = match.group("quoted") or match.group("bare")
        codes = unit_codes(value)
        if not codes:
            return match.group(0)
        terms = [f"unit:{code}" for code in codes]
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"

    return UNIT_FILTER.sub(replace, text)


def build_query(viewer: User | None, params: Mapping[str, str], want_facets: bool = False) -> SearchQuery:
    """Turn request parameters into a SearchQuery with the viewer's permission scope; units may be
    named by code, full name or short name."""
    unit = (params.get("unit") or "").strip()
    if unit:
        codes = unit_codes(unit)
        unit = codes[0] if len(codes) == 1 else unit
    return scoped_query(
        viewer,
        text=resolve_unit_names((params.get("q") or "").strip()),
        unit=unit or None,
        unit_category=params.get("category") or None,
        topic=params.get("topic") or None,
        kind=params.get("kind") or None,
        status=params.get("status") or None,
        publication=params.get("publication") or None,
        genre=params.get("genre") or None,
        date_from=_date(params.get("from"), "起始"),
        date_to=_date(params.get("to"), "截止"),
        sort="date" if params.get("sort") == "date" else "relevance",
        page=min(_positive_int(params.get("page"), 1, "页码"), MAX_PAGE),
        per_page=min(_positive_int(params.get("per_page"), 20, "每页条数"), MAX_PER_PAGE),
        want_facets=want_facets,
    )


def search_items(actor: User, params: Mapping[str, str], facets: bool = False) -> SearchPage:
    """Run a search as `actor` (reporters see only their own unit, everyone only within clearance)."""
    query = build_query(actor, params, want_facets=facets)
    result = engines().search.search(query)
    ids = [hit.id for hit in result.hits]
    items = {
        item.id: item
        for item in db.session.scalars(
            db.select(Item)
            .where(Item.id.in_(ids))
            .options(selectinload(Item.unit), selectinload(Item.topics), *LEAN)
        )
    }
    # An id the index still has but the database lost (or that the viewer may no longer see, e.g.
    # withdrawn) is skipped: the database is the truth.
    rows = [
        SearchRow(items[hit.id], hit)
        for hit in result.hits
        if hit.id in items and can_see(actor, items[hit.id])
    ]
    return SearchPage(query, result.total, rows, result.facets)


SAVED_KEYS = (
    "q",
    "unit",
    "category",
    "topic",
    "kind",
    "status",
    "publication",
    "genre",
    "from",
    "to",
    "sort",
)
MAX_SAVED = 30


@dataclass
class SavedView:
    """A saved search with its current total and how many hits are new since the last visit."""

    saved: SavedSearch
    total: int

    @property
    def new(self) -> int:
        return max(0, self.total - self.saved.last_total)


def saved_params(params: Mapping[str, str]) -> dict[str, str]:
    """The search-page parameters worth keeping."""
    return {key: params[key] for key in SAVED_KEYS if params.get(key)}


def save_search(actor: User, name: str, params: Mapping[str, str]) -> SavedSearch:
    """Keep a search (its parameters) on the user's start page under a name."""
    name = name.strip()[:100] or (params.get("q") or "").strip()[:100]
    if not name:
        raise ValidationError("请为检索命名", code="name_required")
    query = saved_params(params)
    if not query:
        raise ValidationError("空检索无需保存", code="empty_search")
    existing = db.session.scalar(
        db.select(SavedSearch).where(SavedSearch.user_id == actor.id, SavedSearch.name == name)
    )
    count = db.session.scalar(db.select(db.func.count(SavedSearch.id)).where(SavedSearch.user_id == actor.id))
    if existing is None and (count or 0) >= MAX_SAVED:
        raise ValidationError(f"最多保存 {MAX_SAVED} 个检索", code="too_many")
    saved = existing or SavedSearch(user_id=actor.id, name=name)
    saved.query = query
    saved.last_total = search_items(actor, {**query, "per_page": "1"}).total
    saved.last_visited_at = utcnow()
    db.session.add(saved)
    db.session.commit()
    return saved


def saved_searches(actor: User) -> list[SavedView]:
    """The user's saved searches, each with its total now and its new hits since the last visit."""
    rows = db.session.scalars(
        db.select(SavedSearch).where(SavedSearch.user_id == actor.id).order_by(SavedSearch.name)
    )
    return [SavedView(row, search_items(actor, {**row.query, "per_page": "1"}).total) for row in rows]


def visit_saved(actor: User, saved_id: int) -> dict[str, str]:
    """Mark a saved search as seen now and return its parameters for the search page."""
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != actor.id:
        raise NotFound("保存的检索不存在")
    saved.last_total = search_items(actor, {**saved.query, "per_page": "1"}).total
    saved.last_visited_at = utcnow()
    db.session.commit()
    return dict(saved.query)


def delete_saved(actor: User, saved_id: int) -> None:
    """Remove one of the user's saved searches."""
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != actor.id:
        raise NotFound("保存的检索不存在")
    db.session.delete(saved)
    db.session.commit()


# "More like this" costs the item page most of its time (a query over the item's distinctive terms):
# its hits are kept this long per item text and access scope, so an item submitted since may join the
# list up to this late. Visibility is checked against the database on every request all the same.
SIMILAR_SECONDS = 600


def similar_items(actor: User, item: Item, limit: int = 5) -> list[SearchRow]:
    """Items like this one ("more like this"), within what the actor may see."""
    scope = scoped_query(actor)
    hits = cached(
        "similar",
        cache_key(item.id, item.fingerprint, limit, scope),
        SIMILAR_SECONDS,
        lambda: engines().search.more_like_this(item.id, scope, limit, terms=item.keywords or ()),
    )
    found = {
        i.id: i
        for i in db.session.scalars(
            db.select(Item).where(Item.id.in_([h.id for h in hits])).options(selectinload(Item.unit), *LEAN)
        )
    }
    return [SearchRow(found[h.id], h) for h in hits if h.id in found and can_see(actor, found[h.id])]
