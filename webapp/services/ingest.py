"""The bulk import as a pipeline: files read and analysed in worker processes, stored and indexed by
batch in this one.

Each stage does what `submit_item` does for one item, in the same order; only the analysis moves
to forked workers (which share the loaded dictionary and models), so a large import takes about as
long as its slowest stage instead of the sum of them all.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from multiprocessing.pool import AsyncResult
from pathlib import Path

from flask import current_app

from nlp import Analysis, Analyzer
from nlp.analyze import TopicLexicon
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import Item
from webapp.services import items
from webapp.services.errors import DomainError
from webapp.services.files import extract

PARALLEL_IMPORT_FILES = 200  # below this the texts are analysed in this process
_CHUNK = 16  # files per task sent to a worker
_IN_FLIGHT = 3  # tasks queued per worker: enough to keep it busy, few enough to bound memory


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
    """One file read, hashed and analysed (or the reason it cannot be)."""

    path: Path
    data: items.ItemInput | None = None
    digest: str = ""
    analysis: Analysis | None = None
    error: str | None = None


def prepare(path: Path, job: ImportJob, analyzer: Analyzer) -> Prepared:
    """Read one file, hash it and, unless it is already stored or invalid, analyse it."""
    try:
        extracted = extract(path.name, path.read_bytes())
    except DomainError as exc:
        return Prepared(path, error=exc.message)
    except OSError as exc:
        return Prepared(path, error=str(exc))
    title = extracted.title or path.stem
    data = items.ItemInput(
        title=title,
        text=extracted.text,
        unit_code=job.unit_code,
        event_date=job.event_date,
        level=job.level,
        source_filename=extracted.filename,
        source_encoding=extracted.encoding,
        tables=extracted.tables or None,
    )
    digest = items.content_hash(job.unit_code, title, extracted.text)
    if digest in job.stored:
        return Prepared(path, data, digest)
    try:
        clean_title, clean_text = items.validated_text(title, extracted.text)
    except DomainError:
        return Prepared(path, data, digest)  # submit_item reports it, in its own words
    return Prepared(path, data, digest, analyzer.analyze(clean_title, clean_text, topics=job.lexicon))


# The worker processes' view of the job, set before the pool forks (never pickled).
_POOL_JOB: tuple[ImportJob, Analyzer] | None = None


def _prepare_chunk(paths: list[Path]) -> list[Prepared]:
    assert _POOL_JOB is not None
    job, analyzer = _POOL_JOB
    return [prepare(path, job, analyzer) for path in paths]


def prepared(paths: Iterable[Path], job: ImportJob, workers: int) -> Iterator[Prepared]:
    """Yield every file prepared, in order; with `workers` > 1 the work runs in forked processes
    while the caller stores what came back (at most a few chunks in flight)."""
    analyzer = engines().analyzer
    if workers <= 1:
        for path in paths:
            yield prepare(path, job, analyzer)
        return
    global _POOL_JOB
    _POOL_JOB = (job, analyzer)
    pending: deque[AsyncResult[list[Prepared]]] = deque()
    source = iter(paths)
    # The database connections this process holds are never used by the children (they only
    # analyse), and a pool worker leaves through os._exit, so nothing of them is closed twice.
    db.session.close()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            while True:
                while len(pending) < _IN_FLIGHT * workers:
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


def run_import(
    paths: list[Path],
    unit_code: str,
    level: str,
    event_date: date,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import these files as submitted items: analysed in workers, stored batch by batch (one
    transaction, one flush, scores and audit rows per batch), the index written once per batch."""
    job = ImportJob(unit_code, level, event_date, items.topic_lexicon(), all_content_hashes())
    report = ImportReport(failed=[])
    failed: list[str] = []
    pending: list[tuple[Prepared, items.ItemInput]] = []
    seen: set[str] = set()

    def flush() -> None:
        if not pending:
            return
        outcomes = items.submit_batch(None, [(data, ready.analysis) for ready, data in pending])
        stored = []
        for (ready, _), outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, DomainError):
                failed.append(f"{ready.path}: {outcome.message}")
            else:
                stored.append(outcome)
        items.commit_submissions(stored)
        report.imported += len(stored)
        pending.clear()

    for ready in prepared(paths, job, import_workers(len(paths))):
        if progress:
            progress(1)
        if ready.data is None:
            failed.append(f"{ready.path}: {ready.error}")
            continue
        if ready.digest in seen or ready.digest in job.stored:
            report.skipped += 1
            continue
        seen.add(ready.digest)
        pending.append((ready, ready.data))
        if len(pending) >= batch_size:
            flush()
    flush()
    report.failed = failed
    return report
