"""Keep the search index in step with the database, which stays the source of truth."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app, g
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, selectinload

from nlp import Analysis
from search import IndexDoc, SearchBackend, SearchError
from search.base import split_tokens
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import LEVELS, Adoption, Item, ItemAnalysis, Unit
from webapp.services.access import visible_clause
from webapp.services.archive import item_batches

log = logging.getLogger(__name__)
REINDEX_BATCH = 500
PARALLEL_REINDEX_ITEMS = 2000  # below this a rebuild cuts its texts in this process
_BATCH_KEY = "xinxi_index_batch"


def doc_stamp(item: Item) -> str:
    """A digest of everything the index holds for an item, to find stale index entries cheaply."""
    return _stamp(
        item.simplified_title,
        item.simplified_text,
        item.unit.code,
        item.unit.category.code,
        item.topic_names,
        item.kind,
        item.status,
        item.level,
        item.event_date,
        [a.publication.code for a in item.adoptions],
    )


def stamped(doc: IndexDoc) -> IndexDoc:
    """`doc` with the stamp `doc_stamp` gives its item, from the document's own values (a bulk
    import builds documents without loading the items)."""
    return replace(
        doc,
        stamp=_stamp(
            doc.title,
            doc.body,
            doc.unit,
            doc.unit_category,
            doc.topics,
            doc.kind,
            doc.status,
            LEVELS[doc.level],
            doc.event_date,
            doc.publications,
        ),
    )


def _stamp(
    title: str,
    text: str,
    unit: str,
    category: str,
    topics: Iterable[str],
    kind: str,
    status: str,
    level: str,
    event_date: date,
    publications: Iterable[str],
) -> str:
    parts = [
        title,
        text,
        unit,
        category,
        ",".join(sorted(topics)),
        kind,
        status,
        level,
        event_date.isoformat(),
        ",".join(sorted(publications)),
    ]
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=12).hexdigest()


def to_index_doc(item: Item, analysis: Analysis | None = None) -> IndexDoc:
    """The index's view of an item; reuses tokens already at hand (this analysis, else the ones kept
    with the item) instead of cutting the text again."""
    if (
        analysis is not None
        and analysis.simplified_title == item.simplified_title
        and analysis.simplified_text == item.simplified_text
    ):
        return _index_doc(item, [t.text for t in analysis.title_tokens], [t.text for t in analysis.tokens])
    kept = kept_tokens(item)
    if kept is not None:
        return _index_doc(item, *kept)
    # No tokens kept for this text (an item from before they were, or a text changed without a new
    # analysis): cut the stored copies once.
    segmenter = engines().segmenter
    return _index_doc(item, segmenter.words(item.simplified_title), segmenter.words(item.simplified_text))


def kept_tokens(item: Item) -> tuple[list[str], list[str]] | None:
    """The title and body tokens kept with the item, if they still cut its current texts."""
    kept = item.stored_analysis
    if kept is None:
        return None
    title_tokens = split_tokens(kept.title_tokens) if kept.title_tokens else []
    body_tokens = split_tokens(kept.body_tokens) if kept.body_tokens else []
    if "".join(title_tokens) != item.simplified_title or "".join(body_tokens) != item.simplified_text:
        return None
    return title_tokens, body_tokens


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
        genre=item.genre,
        stamp=doc_stamp(item),
    )


def indexed_clause() -> ColumnElement[bool]:
    """Which items the index holds: what a system job sees (withdrawn items are left out)."""
    return visible_clause(None)


def _fresh_docs(ids: Sequence[int], analyses: dict[int, Analysis]) -> list[IndexDoc]:
    """Documents for these ids read in a new transaction, so they show every commit made so far
    (the caller's session may hold an older view); withdrawn and deleted ids yield nothing."""
    docs: list[IndexDoc] = []
    with Session(db.engine) as session:
        for start in range(0, len(ids), REINDEX_BATCH):
            chunk = list(ids[start : start + REINDEX_BATCH])
            rows = session.scalars(
                select(Item).where(Item.id.in_(chunk), indexed_clause()).options(*INDEX_LOADS)
            )
            docs.extend(to_index_doc(item, analyses.get(item.id)) for item in rows)
    return docs


def sync_ids(ids: Iterable[int], analyses: dict[int, Analysis] | None = None) -> None:
    """Make the index agree with the database for these ids (add, replace or remove); a failing
    index is logged, never loses the stored items (`index-check --fix` repairs it later).

    The documents are read afresh inside the index's writer lock (see `SearchBackend.sync`).
    """
    todo = sorted(set(ids))
    known = analyses or {}
    for start in range(0, len(todo), REINDEX_BATCH):
        chunk = todo[start : start + REINDEX_BATCH]
        try:
            engines().search.sync(chunk, lambda wanted: _fresh_docs(wanted, known))
        except SearchError:
            log.exception("indexing items %s failed; run `flask --app wsgi index-check --fix`", chunk)


def index_new(docs: Sequence[IndexDoc], written: Mapping[int, datetime]) -> None:
    """Index items this process has just stored, from documents built out of the values it wrote
    (`written`: each id's `updated_at` as stored), in one index commit, without reading the items
    back. Inside the writer lock one query checks them: an item another process changed, withdrew
    or deleted since is read afresh (or removed), as `sync_ids` does for every item."""
    built = {doc.id: doc for doc in docs}
    if not built:
        return

    def load(wanted: Sequence[int]) -> list[IndexDoc]:
        with Session(db.engine) as session:
            rows = session.execute(
                select(Item.id, Item.updated_at).where(Item.id.in_(wanted), indexed_clause())
            ).all()
        same = {item_id for item_id, updated in rows if updated == written.get(item_id)}
        moved = [item_id for item_id in wanted if item_id not in same]
        return [built[i] for i in wanted if i in same] + (_fresh_docs(moved, {}) if moved else [])

    ids = sorted(built)
    try:
        engines().search.sync(ids, load)
    except SearchError:
        log.exception("indexing %d new items failed; run `flask --app wsgi index-check --fix`", len(ids))


def index_items(items: Iterable[Item], analyses: dict[int, Analysis] | None = None) -> None:
    """Index committed items (withdrawn ones are removed from the index instead).

    Inside `batched()` the ids wait and are written together when the batch ends.
    """
    analyses = analyses or {}
    pending: dict[int, Analysis | None] | None = g.get(_BATCH_KEY)
    ids = [item.id for item in items]
    if pending is None:
        sync_ids(ids, analyses)
        return
    for item_id in ids:
        pending[item_id] = analyses.get(item_id) or pending.get(item_id)


@contextmanager
def batched() -> Iterator[None]:
    """Collect index updates and write them in few large commits (demo data, retag).

    Whoosh pays a segment merge per commit, so one commit per item makes bulk loads crawl.
    """
    if g.get(_BATCH_KEY) is not None:  # already inside a batch
        yield
        return
    pending: dict[int, Analysis | None] = {}
    g.setdefault(_BATCH_KEY, pending)
    try:
        yield
    finally:
        g.pop(_BATCH_KEY, None)
        sync_ids(pending, {k: v for k, v in pending.items() if v is not None})


# What a document's stamp reads, loaded with each batch instead of row by row.
STAMP_LOADS = (
    selectinload(Item.unit).selectinload(Unit.category),
    selectinload(Item.topics),
    selectinload(Item.adoptions).selectinload(Adoption.publication),
)
# ... and building an IndexDoc, which adds the kept tokens.
INDEX_LOADS = (*STAMP_LOADS, selectinload(Item.stored_analysis))


def _all_docs(progress: Callable[[int], None] | None, workers: int) -> Iterator[IndexDoc]:
    # First the items whose tokens are kept (no cutting), then the rest, cut in `workers` processes.
    kept = and_(indexed_clause(), Item.stored_analysis.has())
    for batch in item_batches(*INDEX_LOADS, size=REINDEX_BATCH, progress=progress, where=kept):
        yield from (to_index_doc(item) for item in batch)
        db.session.expunge_all()  # bounded memory over large archives

    def without_tokens() -> Iterator[IndexDoc]:
        lacking = and_(indexed_clause(), ~Item.stored_analysis.has())
        for batch in item_batches(*STAMP_LOADS, size=REINDEX_BATCH, progress=progress, where=lacking):
            yield from (_index_doc(item, [], []) for item in batch)
            db.session.expunge_all()

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
    lacking = db.select(db.func.count(Item.id)).where(~Item.stored_analysis.has())
    workers = reindex_workers(db.session.scalar(lacking) or 0)
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
    indexed = engines().search.stamps()
    missing, stale, seen = [], [], set()
    batches = item_batches(*STAMP_LOADS, size=REINDEX_BATCH, progress=progress, where=indexed_clause())
    for batch in batches:
        for item in batch:
            seen.add(item.id)
            stamp = indexed.get(item.id)
            if stamp is None:
                missing.append(item.id)
            elif stamp != doc_stamp(item):
                stale.append(item.id)
    report = IndexReport(missing, stale, sorted(set(indexed) - seen))
    if fix and not report.clean:
        sync_ids(missing + stale + report.extra)
    return report


# --- the start-up check: cheap unless the database moved on since the index last agreed --------


@dataclass(frozen=True)
class Watermark:
    """How many items the index should hold and the latest change among them."""

    count: int
    latest: str  # ISO time of the newest `Item.updated_at`, "" for an empty archive


def database_watermark() -> Watermark:
    """The database's side, from two indexed aggregates (no item is loaded)."""
    count, latest = db.session.execute(
        db.select(db.func.count(Item.id), db.func.max(Item.updated_at)).where(indexed_clause())
    ).one()
    withdrawn_latest = db.session.scalar(db.select(db.func.max(Item.withdrawn_at)))
    newest = max((t for t in (latest, withdrawn_latest) if t is not None), default=None)
    return Watermark(int(count or 0), _iso(newest))


def _iso(moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):  # SQLite aggregates bypass the column type
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _watermark_file() -> Path:
    # Beside the index files, not among them: recreating a tantivy index empties its directory.
    kind = current_app.config["XINXI_SEARCH_BACKEND"]
    return Path(current_app.config["XINXI_INDEX_DIR"]) / f"watermark-{kind}.json"


def _stored_watermark() -> Watermark | None:
    try:
        data = json.loads(_watermark_file().read_text("utf-8"))
        return Watermark(int(data["count"]), str(data["latest"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_watermark(mark: Watermark) -> None:
    path = _watermark_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"count": mark.count, "latest": mark.latest}), "utf-8")
        tmp.replace(path)
    except OSError:
        log.warning("cannot write the index watermark %s", path)


def repair_difference() -> IndexReport | None:
    """Start-up check: when the database changed since the index last agreed with it (count or
    newest change), fix only the difference; return None when nothing needed a look.

    The difference is every id one side holds and the other lacks, plus the items changed after
    the stored watermark whose stamps differ. Changes that leave `updated_at` alone and whose
    index write failed are `index-check --fix`'s job.
    """
    mark = database_watermark()
    stored = _stored_watermark()
    backend = engines().search
    if stored == mark and backend.count() == mark.count:
        return None
    indexed = backend.stamps()
    ids = set(db.session.scalars(db.select(Item.id).where(indexed_clause())))
    missing = sorted(ids - set(indexed))
    extra = sorted(set(indexed) - ids)
    stale: list[int] = []
    if stored is not None and stored.latest:
        since = datetime.fromisoformat(stored.latest)
        changed = item_batches(
            *STAMP_LOADS, size=REINDEX_BATCH, where=and_(indexed_clause(), Item.updated_at >= since)
        )
        for batch in changed:
            stale.extend(i.id for i in batch if i.id in indexed and indexed[i.id] != doc_stamp(i))
    report = IndexReport(missing, stale, extra)
    if not report.clean:
        sync_ids(missing + stale + extra)
    _store_watermark(mark)
    return report


def archive_tokens(progress: Callable[[int], None] | None = None) -> Iterator[list[str]]:
    """The tokens of every stored item, title and text, in batches (for the archive's IDF table);
    kept tokens are read back, only items without them are cut."""
    segmenter = engines().segmenter
    last_id = 0
    while True:
        rows = db.session.execute(
            db.select(
                Item.id,
                Item.simplified_title,
                Item.simplified_text,
                ItemAnalysis.title_tokens,
                ItemAnalysis.body_tokens,
            )
            .outerjoin(ItemAnalysis, ItemAnalysis.item_id == Item.id)
            .where(Item.id > last_id)
            .order_by(Item.id)
            .limit(REINDEX_BATCH)
        ).all()
        if not rows:
            return
        for _, title, text, title_kept, body_kept in rows:
            words = split_tokens(title_kept) + split_tokens(body_kept) if title_kept is not None else None
            if words is None or "".join(words) != title + text:
                words = segmenter.words(title) + segmenter.words(text)
            yield [w for w in words if w]
        last_id = rows[-1][0]
        if progress:
            progress(len(rows))


def item_count() -> int:
    """How many items the database holds (for progress bars)."""
    return db.session.scalar(db.select(db.func.count(Item.id))) or 0


def indexed_count() -> int:
    """How many items the index should hold (withdrawn ones are not indexed)."""
    return db.session.scalar(db.select(db.func.count(Item.id)).where(indexed_clause())) or 0
