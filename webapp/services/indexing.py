"""Keep the search index in step with the database, which stays the source of truth."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from flask import current_app, g
from sqlalchemy.orm import selectinload

from nlp import Analysis
from search import IndexDoc, SearchBackend, SearchError
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import LEVELS, Adoption, Item, Unit
from webapp.services.archive import item_batches

log = logging.getLogger(__name__)
REINDEX_BATCH = 500
PARALLEL_REINDEX_ITEMS = 2000  # below this a rebuild cuts its texts in this process
_BATCH_KEY = "xinxi_index_batch"


def doc_stamp(item: Item) -> str:
    """A digest of everything the index holds for an item, to find stale index entries cheaply."""
    parts = [
        item.simplified_title,
        item.simplified_text,
        item.unit.code,
        item.unit.category.code,
        ",".join(sorted(item.topic_names)),
        item.kind,
        item.status,
        item.level,
        item.event_date.isoformat(),
        ",".join(sorted(a.publication.code for a in item.adoptions)),
    ]
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=12).hexdigest()


def to_index_doc(item: Item, analysis: Analysis | None = None, previous: IndexDoc | None = None) -> IndexDoc:
    """The index's view of an item; reuses tokens already at hand instead of cutting the text again."""
    if analysis is not None:
        title_tokens = [t.text for t in analysis.title_tokens]
        body_tokens = [t.text for t in analysis.tokens]
    elif previous is not None:
        title_tokens, body_tokens = list(previous.title_tokens), list(previous.body_tokens)
    else:
        # The tokens are not stored in the database, so cut the stored copies once.
        segmenter = engines().segmenter
        title_tokens = segmenter.words(item.simplified_title)
        body_tokens = segmenter.words(item.simplified_text)
    return _index_doc(item, title_tokens, body_tokens)


def _index_doc(item: Item, title_tokens: list[str], body_tokens: list[str]) -> IndexDoc:
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
        stamp=doc_stamp(item),
    )


def _write(docs: list[IndexDoc]) -> None:
    try:
        engines().search.index(docs)
    except SearchError:
        log.exception("indexing items %s failed; run `flask --app wsgi reindex`", [d.id for d in docs])


def index_items(items: Iterable[Item], analyses: dict[int, Analysis] | None = None) -> None:
    """Index committed items; a failing index is logged, never loses the stored item.

    Inside `batched()` the documents wait and are written together when the batch ends.
    """
    analyses = analyses or {}
    pending: dict[int, IndexDoc] | None = g.get(_BATCH_KEY)
    if pending is None:
        _write([to_index_doc(item, analyses.get(item.id)) for item in items])
        return
    for item in items:
        pending[item.id] = to_index_doc(item, analyses.get(item.id), pending.get(item.id))


@contextmanager
def batched() -> Iterator[None]:
    """Collect index updates and write them in few large commits (bulk import, demo data).

    Whoosh pays a segment merge per commit, so one commit per item makes bulk loads crawl.
    """
    if g.get(_BATCH_KEY) is not None:  # already inside a batch
        yield
        return
    pending: dict[int, IndexDoc] = {}
    g.setdefault(_BATCH_KEY, pending)
    try:
        yield
    finally:
        g.pop(_BATCH_KEY, None)
        docs = list(pending.values())
        for start in range(0, len(docs), REINDEX_BATCH):
            _write(docs[start : start + REINDEX_BATCH])


# What building an IndexDoc reads, loaded with each batch instead of row by row.
INDEX_LOADS = (
    selectinload(Item.unit).selectinload(Unit.category),
    selectinload(Item.topics),
    selectinload(Item.adoptions).selectinload(Adoption.publication),
)


def _all_docs(progress: Callable[[int], None] | None, workers: int) -> Iterator[IndexDoc]:
    def without_tokens() -> Iterator[IndexDoc]:
        for batch in item_batches(*INDEX_LOADS, size=REINDEX_BATCH, progress=progress):
            yield from (_index_doc(item, [], []) for item in batch)
            db.session.expunge_all()  # bounded memory over large archives

    cut = engines().segmenter.cut_many(without_tokens(), lambda doc: (doc.title, doc.body), workers)
    for doc, (title_tokens, body_tokens) in cut:
        yield replace(doc, title_tokens=title_tokens, body_tokens=body_tokens)


def reindex_workers(total: int) -> int:
    """Processes that cut texts during a rebuild: every core for a large archive, else none."""
    configured = current_app.config.get("XINXI_REINDEX_WORKERS")
    if configured:
        return int(configured)
    return (os.cpu_count() or 1) if total >= PARALLEL_REINDEX_ITEMS else 1


def reindex_all(progress: Callable[[int], None] | None = None, backend: SearchBackend | None = None) -> int:
    """Rebuild the whole index (of `backend`, default the app's) from the database, in batches.

    jieba is most of a rebuild's work: on a large archive it runs in forked worker processes
    while this one feeds the index (see `Segmenter.cut_many`).
    """
    workers = reindex_workers(item_count())
    return (backend or engines().search).rebuild(_all_docs(progress, workers))


@dataclass
class IndexReport:
    """What the index lacks, holds stale, or holds that the database no longer has."""

    missing: list[int]
    stale: list[int]
    extra: list[int]

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check_index(fix: bool = False, progress: Callable[[int], None] | None = None) -> IndexReport:
    """Compare the index with the database by stamps; with `fix`, reindex and delete what differs."""
    backend = engines().search
    indexed = backend.stamps()
    missing, stale, seen = [], [], set()
    for batch in item_batches(*INDEX_LOADS, size=REINDEX_BATCH, progress=progress):
        for item in batch:
            seen.add(item.id)
            stamp = indexed.get(item.id)
            if stamp is None:
                missing.append(item.id)
            elif stamp != doc_stamp(item):
                stale.append(item.id)
    report = IndexReport(missing, stale, sorted(set(indexed) - seen))
    if fix and not report.clean:
        todo = missing + stale
        for start in range(0, len(todo), REINDEX_BATCH):
            chunk = db.session.scalars(
                db.select(Item).where(Item.id.in_(todo[start : start + REINDEX_BATCH]))
            )
            backend.index([to_index_doc(item) for item in chunk])
        if report.extra:
            backend.delete(report.extra)
    return report


def archive_tokens(progress: Callable[[int], None] | None = None) -> Iterator[list[str]]:
    """The tokens of every stored item, title and text, in batches (for the archive's IDF table)."""
    segmenter = engines().segmenter
    last_id = 0
    while True:
        rows = db.session.execute(
            db.select(Item.id, Item.simplified_title, Item.simplified_text)
            .where(Item.id > last_id)
            .order_by(Item.id)
            .limit(REINDEX_BATCH)
        ).all()
        if not rows:
            return
        for _, title, text in rows:
            yield segmenter.words(title) + segmenter.words(text)
        last_id = rows[-1][0]
        if progress:
            progress(len(rows))


def item_count() -> int:
    """How many items the database holds (for progress bars)."""
    return db.session.scalar(db.select(db.func.count(Item.id))) or 0
