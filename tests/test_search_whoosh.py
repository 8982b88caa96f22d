"""Whoosh specifics: its writer lock file, outdated schemas, and a matcher bug we route around.

The behaviour every backend shares is tested in tests/test_search_backends.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from nlp.segment import Segmenter
from search import IndexBusyError, IndexDoc, SearchQuery
from search.whoosh_backend import WhooshBackend
from tests.test_search_backends import docs, find, ids, segmenter

__all__ = ["docs", "segmenter"]  # fixtures shared with the behaviour suite


@pytest.fixture
def whoosh_dir(tmp_path: Path) -> Path:
    return tmp_path / "whoosh"


@pytest.fixture
def open_whoosh(whoosh_dir: Path, segmenter: Segmenter) -> Iterator[Callable[..., WhooshBackend]]:
    opened: list[WhooshBackend] = []

    def _open(**kwargs: float) -> WhooshBackend:
        backend = WhooshBackend(whoosh_dir, segmenter, **kwargs)
        opened.append(backend)
        return backend

    yield _open
    for backend in opened:
        backend.close()


def test_writer_waits_for_a_lock_held_by_another_process(
    open_whoosh: Callable[..., WhooshBackend], whoosh_dir: Path, docs: list[IndexDoc]
) -> None:
    from whoosh.filedb.filestore import FileStorage

    backend = open_whoosh(lock_timeout=5.0)
    lock = FileStorage(str(whoosh_dir)).lock("MAIN_WRITELOCK")  # as another process's writer would
    assert lock.acquire()
    timer = threading.Timer(0.3, lock.release)
    timer.start()
    started = time.monotonic()
    backend.index(docs[:2])
    assert time.monotonic() - started >= 0.25
    assert backend.count() == 2

    impatient = open_whoosh(lock_timeout=0.2)
    assert lock.acquire()
    try:
        with pytest.raises(IndexBusyError):
            impatient.index(docs[2:3])
    finally:
        lock.release()


def test_an_index_without_grams_is_reported_and_rebuilt(
    open_whoosh: Callable[..., WhooshBackend], whoosh_dir: Path, docs: list[IndexDoc]
) -> None:
    from whoosh import index as windex
    from whoosh.fields import Schema

    from search.whoosh_backend import INDEX_NAME, build_schema

    current = build_schema()
    old = Schema(
        **{
            name: current[name]
            for name in current.names()
            if not name.endswith(("_grams", "_chars")) and not name.startswith("schema_v")
        }
    )
    whoosh_dir.mkdir()
    windex.create_in(str(whoosh_dir), old, indexname=INDEX_NAME)
    backend = open_whoosh()
    backend.index(docs)  # an outdated index keeps taking documents until it is rebuilt
    assert backend.count() == 12
    assert ids(find(backend, "国企改革 -宁波市")) == {1}
    assert not backend.check()  # the app recreates and rebuilds an index that fails its check

    assert backend.rebuild(docs) == 12
    assert backend.check()
    assert ids(find(backend, "水")) == {6}


def test_filtered_relevance_search_with_more_matches_than_the_page(
    open_whoosh: Callable[..., WhooshBackend], docs: list[IndexDoc]
) -> None:
    # whoosh's Require matcher fails an assertion under block-quality skipping on such queries.
    backend = open_whoosh()
    backend.index(docs)
    result = backend.search(SearchQuery(text="增长 OR 采用 OR 资金 OR 国企改革", per_page=2, max_level=2))
    assert result.total == 8 and len(result.hits) == 2
    assert backend.more_like_this(2, SearchQuery(), limit=1)


def test_filters_and_facets_stay_exact_as_commits_add_replace_and_merge_segments(
    open_whoosh: Callable[..., WhooshBackend], docs: list[IndexDoc]
) -> None:
    """Filter and facet sets are kept per segment across searchers: a replaced document (deleted in
    its old segment) counts once, under its new values, and merges drop nothing."""
    backend = open_whoosh()
    backend.index(docs)
    everything = SearchQuery(text="", max_level=3, want_facets=True)
    before = backend.search(everything)
    assert sum(before.facets["kind"].values()) == before.total == len(docs)

    moved = replace(docs[0], unit="ZZ", kind="problem", level=3, event_date=date(2030, 1, 1))
    backend.index([moved])
    after = backend.search(everything)
    assert after.total == len(docs)
    assert after.facets["unit"]["ZZ"] == 1 and after.facets["year"]["2030"] == 1
    assert sum(after.facets["kind"].values()) == len(docs)
    assert ids(backend.search(SearchQuery(unit="ZZ", max_level=2))) == set()  # above the clearance
    assert ids(backend.search(SearchQuery(unit="ZZ", max_level=3))) == {moved.id}
    in_2030 = SearchQuery(max_level=3, date_from=date(2030, 1, 1), date_to=date(2030, 12, 31))
    assert ids(backend.search(in_2030)) == {moved.id}

    for n in range(14):  # one segment a commit, merged once MERGE_AT_SEGMENTS have gathered
        backend.index([replace(docs[1], id=1000 + n, unit=f"U{n % 2}")])
    merged = backend.search(everything)
    assert merged.total == len(docs) + 14
    assert merged.facets["unit"]["U0"] == merged.facets["unit"]["U1"] == 7
    assert ids(backend.search(SearchQuery(unit="ZZ", max_level=3))) == {moved.id}
    assert len(ids(backend.search(SearchQuery(unit="U1", per_page=50)))) == 7


def test_a_reopened_searcher_keeps_unchanged_segments_and_sees_new_deletions(
    open_whoosh: Callable[..., WhooshBackend], docs: list[IndexDoc]
) -> None:
    """After another process commits, only what changed is opened again: a segment the commit left
    as it was keeps its reader; one whose documents were deleted or merged away does not."""
    other_process, backend = open_whoosh(), open_whoosh()
    other_process.index(docs)
    assert backend.count() == len(docs)

    def readers() -> list[object]:
        with backend._searching() as searcher:
            return [reader for reader, _ in searcher.reader().leaf_readers()]

    (base,) = readers()
    other_process.index([replace(docs[1], id=500)])  # a new segment, nothing deleted
    assert backend.count() == len(docs) + 1 and base in readers()
    assert ids(find(backend, "国企改革")) >= {2, 500}

    other_process.delete([500, docs[0].id])
    assert backend.count() == len(docs) - 1 and base not in readers()
    assert docs[0].id not in ids(find(backend, ""))
    assert 500 not in ids(find(backend, "国企改革"))
