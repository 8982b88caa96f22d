"""Keep the search index in step with the database, which stays the source of truth."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy.orm import selectinload

from nlp import Analysis
from search import IndexDoc, SearchError
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import LEVELS, Item, Unit

log = logging.getLogger(__name__)
REINDEX_BATCH = 500


def to_index_doc(item: Item, analysis: Analysis | None = None) -> IndexDoc:
    """The index's view of an item; reuses the submission's tokens when they are at hand."""
    if analysis is None:
        # Rebuilding from the database: the tokens were not stored, so cut the stored copies once.
        segmenter = engines().segmenter
        title_tokens = [t.text for t in segmenter.tokens(item.simplified_title)]
        body_tokens = [t.text for t in segmenter.tokens(item.simplified_text)]
    else:
        title_tokens = [t.text for t in analysis.title_tokens]
        body_tokens = [t.text for t in analysis.tokens]
    return IndexDoc(
        id=item.id,
        title=item.simplified_title,
        body=item.simplified_text,
        title_tokens=title_tokens,
        body_tokens=body_tokens,
        unit=item.unit.code,
        unit_category=item.unit.category.code,
        topics=item.topic_names,
        kind=item.kind,
        status=item.status,
        level=LEVELS.index(item.level),
        event_date=item.event_date,
        publications=[a.publication.code for a in item.adoptions],
    )


def index_items(items: Iterable[Item], analyses: dict[int, Analysis] | None = None) -> None:
    """Index committed items; a failing index is logged, never loses the stored item."""
    analyses = analyses or {}
    docs = [to_index_doc(item, analyses.get(item.id)) for item in items]
    try:
        engines().search.index(docs)
    except SearchError:
        log.exception("indexing items %s failed; run `flask --app wsgi reindex`", [d.id for d in docs])


def _all_docs(progress: Callable[[int], None] | None) -> Iterator[IndexDoc]:
    last_id = 0
    while True:
        batch = list(
            db.session.scalars(
                db.select(Item)
                .where(Item.id > last_id)
                .order_by(Item.id)
                .limit(REINDEX_BATCH)
                .options(
                    selectinload(Item.unit).selectinload(Unit.category),
                    selectinload(Item.topics),
                    selectinload(Item.adoptions),
                )
            )
        )
        if not batch:
            return
        for item in batch:
            yield to_index_doc(item)
        last_id = batch[-1].id
        db.session.expunge_all()  # bounded memory over large archives
        if progress:
            progress(len(batch))


def reindex_all(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database in batches; return how many items were indexed."""
    return engines().search.rebuild(_all_docs(progress))


def item_count() -> int:
    """How many items the database holds (for progress bars)."""
    return db.session.scalar(db.select(db.func.count(Item.id))) or 0
