"""The bulk import as a pipeline: files read, checked and analysed in worker processes, stored and
indexed by batch in this one.

A file becomes the rows `items.submit_item` stores for a submission (the item, its first version,
topics, kept tokens, audit row, SimHash bands, duplicate pairs and score rows), written with one
bulk insert per table and batch (COPY on PostgreSQL) instead of ORM objects. The workers send back
plain values, never the analysis objects, and what the index derives from the tokens, so this
process mostly writes; the index is written from the same values, one commit per INDEX_EVERY
items. `tests/test_import_pipeline.py` compares every column with item-by-item submission, so a
rule added to `submit_item` and not here fails it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from nlp import Analyzer
from nlp.analyze import TopicLexicon
from nlp.normalize import strip_unsafe_chars
from search import IndexDoc, SearchBackend
from search.base import join_tokens, split_tokens
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import LEVELS, AuditEvent, Item, ItemAnalysis, ItemTopic, ItemVersion, Unit, utcnow
from webapp.services import indexing, items, scoring
from webapp.services.errors import DomainError
from webapp.services.files import extract

PARALLEL_IMPORT_FILES = 200  # below this the texts are analysed in this process
# Items per index commit: a commit costs about the same whatever it holds, and Whoosh sorts up to
# about this many documents' postings in memory (beyond, it spills sorted runs to disk and merges).
INDEX_EVERY = 1000
_CHUNK = 16  # files per task sent to a worker
# Files queued to the workers: enough to keep them busy while this process writes an index commit,
# few enough to bound memory (a prepared file is a few kB).
_AHEAD = INDEX_EVERY


@dataclass(frozen=True)
class ImportJob:
    """What every file of one import shares."""

    unit_code: str
    level: str
    event_date: date
    lexicon: TopicLexicon | None
    stored: frozenset[str]  # content hashes already in the archive (their files are not analysed)


@dataclass
class Prepared:
    """One file read, hashed, checked and analysed, as the plain values its rows need (or the reason
    it cannot be stored)."""

    path: Path
    digest: str = ""
    error: str | None = None  # unreadable: failed, never counted as skipped
    refused: str | None = None  # read, but refused by the submission rules
    item: dict[str, Any] = field(default_factory=dict)  # the item row's values that come from the file
    topics: list[tuple[str, float, list[str]]] = field(default_factory=list)
    title_tokens: str = ""  # the analysis's tokens, joined as kept (`search.base.join_tokens`)
    body_tokens: str = ""
    derived: Mapping[str, Any] | None = None  # what the index derives from them (`IndexDoc.derived`)


def prepare(path: Path, job: ImportJob, analyzer: Analyzer, backend: SearchBackend) -> Prepared:
    """Read one file, hash it and, unless it is already stored or refused, analyse it into the
    values `items.prepare_item` would give its item (validated title and text, level, hashes)."""
    try:
        extracted = extract(path.name, path.read_bytes())
    except DomainError as exc:
        return Prepared(path, error=exc.message)
    except OSError as exc:
        return Prepared(path, error=str(exc))
    title = extracted.title or path.stem
    digest = items.content_hash(job.unit_code, title, extracted.text)
    if digest in job.stored:
        return Prepared(path, digest)
    try:
        title, text = items.validated_text(title, extracted.text)
        level, _ = items.classified_level(job.level, title, text)
    except DomainError as exc:
        return Prepared(path, digest, refused=exc.message)
    analysis = analyzer.analyze(title, text, topics=job.lexicon)
    values = {
        "title": title,
        "original_text": strip_unsafe_chars(extracted.text),
        "level": level,
        "source_filename": extracted.filename,
        "source_encoding": extracted.encoding,
        "tables": extracted.tables or None,
        "content_hash": items.content_hash(job.unit_code, title, text),
        **items.analysis_columns(analysis),
    }
    title_tokens = [t.text for t in analysis.title_tokens]
    body_tokens = [t.text for t in analysis.tokens]
    return Prepared(
        path,
        digest,
        item=values,
        topics=[(tag.name, tag.score, list(tag.evidence)) for tag in analysis.topics],
        title_tokens=join_tokens(title_tokens),
        body_tokens=join_tokens(body_tokens),
        derived=backend.derive(title_tokens, body_tokens),
    )


# The worker processes' view of the job, set before the pool forks (never pickled).
_POOL_JOB: tuple[ImportJob, Analyzer, SearchBackend] | None = None


def _prepare_chunk(paths: list[Path]) -> list[Prepared]:
    assert _POOL_JOB is not None
    job, analyzer, backend = _POOL_JOB
    return [prepare(path, job, analyzer, backend) for path in paths]


def prepared(paths: Iterable[Path], job: ImportJob, workers: int) -> Iterator[Prepared]:
    """Yield every file prepared, in order; with `workers` > 1 the work runs in forked processes
    while the caller stores what came back (at most a few chunks in flight)."""
    analyzer, backend = engines().analyzer, engines().search
    if workers <= 1:
        for path in paths:
            yield prepare(path, job, analyzer, backend)
        return
    global _POOL_JOB
    _POOL_JOB = (job, analyzer, backend)
    pending: deque[AsyncResult[list[Prepared]]] = deque()
    source = iter(paths)
    # The database connections this process holds are never used by the children (they only
    # analyse), and a pool worker leaves through os._exit, so nothing of them is closed twice.
    db.session.close()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            while True:
                while len(pending) * _CHUNK < _AHEAD:
                    chunk = list(islice(source, _CHUNK))
                    if not chunk:
                        break
                    pending.append(pool.apply_async(_prepare_chunk, (chunk,)))
                if not pending:
                    return
                yield from pending.popleft().get()
    finally:
        _POOL_JOB = None


def import_workers(total: int) -> int:
    """Processes that analyse the files of an import: every core for a large one, else none."""
    configured = current_app.config.get("XINXI_IMPORT_WORKERS")
    if configured:
        return int(configured)
    return (os.cpu_count() or 1) if total >= PARALLEL_IMPORT_FILES else 1


def all_content_hashes() -> frozenset[str]:
    """Every content hash the archive holds (what a rerun of an import skips), in one query."""
    return frozenset(h for h in db.session.scalars(db.select(Item.content_hash)) if h)


@dataclass
class ImportReport:
    """What an import stored, skipped as already stored, and could not read."""

    imported: int = 0
    skipped: int = 0
    failed: list[str] | None = None


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows (every row with the same keys) in the session's transaction: COPY on PostgreSQL,
    whose driver would run an executemany row by row; an executemany on SQLite (a loop in C)."""
    if not rows:
        return
    table = model.__table__
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    from psycopg.types.json import Json  # only with PostgreSQL

    # COPY runs no Python-side column defaults: fill them in as an INSERT would.
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.name in rows[0] or column.default is None:
            continue
        default = column.default
        defaults[column.name] = default.arg(None) if default.is_callable else default.arg
    names = [*rows[0], *defaults]
    json = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    quote = connection.dialect.identifier_preparer.quote
    command = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None  # a checked-out connection always has its psycopg connection
    with driver.cursor() as cursor, cursor.copy(command) as copy:
        for row in rows:
            full = {**row, **defaults} if defaults else row
            copy.write_row([Json(full[n]) if n in json else full[n] for n in names])


def _insert_items(rows: list[dict[str, Any]]) -> list[int]:
    """Insert item rows; return their new ids in row order."""
    table: Any = Item.__table__
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        returning = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.execute(returning, rows).scalars())
    ids = sorted(
        connection.execute(
            sa.text("SELECT nextval(pg_get_serial_sequence('item', 'id')) FROM generate_series(1, :n)"),
            {"n": len(rows)},
        ).scalars()
    )
    _insert(Item, [{"id": item_id, **row} for item_id, row in zip(ids, rows, strict=True)])
    return ids


def store_batch(
    batch: list[Prepared], unit: Unit, event_date: date, buckets: items.BandBuckets
) -> tuple[list[IndexDoc], datetime]:
    """Store a batch of prepared files as submitted items in one transaction (a bulk insert per
    table, duplicates found in the kept band buckets, scores for the batch) and commit; return the
    index documents of the stored items and the `updated_at` written with them."""
    now = utcnow()
    rows = [
        {
            **ready.item,
            "unit_id": unit.id,
            "event_date": event_date,
            "status": "submitted",
            "author": "",
            "genre": "dynamic",
            "submitted_at": now,
            "updated_at": now,
        }
        for ready in batch
    ]
    ids = _insert_items(rows)
    versions: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    topics: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    for item_id, ready in zip(ids, batch, strict=True):
        values = ready.item
        versions.append(
            {
                "item_id": item_id,
                "number": 1,
                "title": values["title"],
                "text": values["original_text"],
                "note": "报送原稿",
                "created_by_id": None,
                "created_at": now,
            }
        )
        kept.append(
            {"item_id": item_id, "title_tokens": ready.title_tokens, "body_tokens": ready.body_tokens}
        )
        topics.extend({"item_id": item_id, "name": n, "score": s, "evidence": e} for n, s, e in ready.topics)
        audit.append(
            {
                "at": now,
                "actor_id": None,
                "entity": "item",
                "entity_id": item_id,
                "action": "submit",
                "from_state": None,
                "to_state": "submitted",
                "reason": None,
                "details": None,
            }
        )
    _insert(ItemVersion, versions)
    _insert(ItemAnalysis, kept)
    _insert(ItemTopic, topics)
    # Duplicates as submission finds them: the archive's and the batch's earlier items (those need
    # an id, a title, a unit and a fingerprint; transient objects, never added to the session).
    items.record_duplicates_batch(
        [
            Item(id=item_id, title=ready.item["title"], fingerprint=ready.item["fingerprint"], unit=unit)
            for item_id, ready in zip(ids, batch, strict=True)
        ],
        buckets,
    )
    _insert(AuditEvent, audit)
    scoring.score_new_items(ids)
    db.session.commit()
    category = unit.category.code
    docs = [
        indexing.stamped(
            IndexDoc(
                id=item_id,
                title=ready.item["simplified_title"],
                body=ready.item["simplified_text"],
                title_tokens=split_tokens(ready.title_tokens) if ready.title_tokens else [],
                body_tokens=split_tokens(ready.body_tokens) if ready.body_tokens else [],
                unit=unit.code,
                unit_category=category,
                topics=[name for name, _, _ in sorted(ready.topics, key=lambda t: -t[1])],
                kind=ready.item["kind"],
                status="submitted",
                level=LEVELS.index(ready.item["level"]),
                event_date=event_date,
                genre="dynamic",
                derived=ready.derived,
            )
        )
        for item_id, ready in zip(ids, batch, strict=True)
    ]
    return docs, now


def run_import(
    paths: list[Path],
    unit_code: str,
    level: str,
    event_date: date,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import these files as submitted items: analysed in workers, stored batch by batch (one
    transaction per batch), the index written every INDEX_EVERY items and at the end."""
    job = ImportJob(unit_code, level, event_date, items.topic_lexicon(), all_content_hashes())
    report = ImportReport(failed=[])
    failed: list[str] = []
    try:
        unit: Unit | None = items._unit_for(None, unit_code)
        no_unit = ""
    except DomainError as exc:  # every file is refused, as submission refuses each
        unit, no_unit = None, exc.message
    unit_id = unit.id if unit is not None else None
    pending: list[Prepared] = []
    unindexed: list[IndexDoc] = []
    written: dict[int, datetime] = {}
    seen: set[str] = set()
    buckets = items.BandBuckets()  # read once, not per batch

    def store() -> None:
        nonlocal unit
        if not pending:
            return
        # The session was closed before the workers forked and is expired by every commit.
        unit = db.session.get(Unit, unit_id)
        assert unit is not None
        docs, when = store_batch(pending, unit, event_date, buckets)
        written.update((doc.id, when) for doc in docs)
        unindexed.extend(docs)
        report.imported += len(docs)
        pending.clear()

    def index() -> None:
        indexing.index_new(unindexed, written)
        unindexed.clear()
        written.clear()

    for ready in prepared(paths, job, import_workers(len(paths))):
        if progress:
            progress(1)
        if ready.error is not None:
            failed.append(f"{ready.path}: {ready.error}")
            continue
        if ready.digest in seen or ready.digest in job.stored:
            report.skipped += 1
            continue
        seen.add(ready.digest)
        if ready.refused is not None or no_unit:
            failed.append(f"{ready.path}: {ready.refused or no_unit}")
            continue
        pending.append(ready)
        if len(pending) >= batch_size:
            store()
            if len(unindexed) >= INDEX_EVERY:
                index()
    store()
    index()
    report.failed = failed
    return report
