"""tantivy specifics: its one-writer lock, the schema version file, whitespace inside tokens.

The behaviour every backend shares is tested in tests/test_search_backends.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from nlp.segment import Segmenter
from search import IndexBusyError, IndexDoc, SearchQuery
from search.tantivy_backend import VERSION_FILE, TantivyBackend
from tests.test_search_backends import docs, ids, segmenter

__all__ = ["docs", "segmenter"]  # fixtures shared with the behaviour suite


def test_writer_waits_for_the_writer_held_elsewhere(
    tmp_path: Path, segmenter: Segmenter, docs: list[IndexDoc]
) -> None:
    import tantivy

    backend = TantivyBackend(tmp_path, segmenter, lock_timeout=5.0)
    other = tantivy.Index.open(str(tmp_path))  # as another process's backend would hold it
    held = other.writer(15_000_000, 1)

    def release() -> None:
        held.wait_merging_threads()

    timer = threading.Timer(0.3, release)
    timer.start()
    started = time.monotonic()
    backend.index(docs[:2])
    assert time.monotonic() - started >= 0.25
    assert backend.count() == 2

    impatient = TantivyBackend(tmp_path, segmenter, lock_timeout=0.2)
    held = other.writer(15_000_000, 1)
    try:
        with pytest.raises(IndexBusyError):
            impatient.index(docs[2:3])
    finally:
        held.wait_merging_threads()
    impatient.index(docs[2:3])
    assert backend.count() == 3


def test_an_index_of_another_version_is_reported_and_rebuilt(
    tmp_path: Path, segmenter: Segmenter, docs: list[IndexDoc]
) -> None:
    backend = TantivyBackend(tmp_path, segmenter)
    backend.index(docs)
    (tmp_path / VERSION_FILE).write_text("0\n")
    assert not backend.check()
    assert backend.rebuild(docs) == 12
    assert backend.check()
    assert backend.count() == 12


def test_a_token_holding_a_space_stays_one_term(
    tmp_path: Path, segmenter: Segmenter, docs: list[IndexDoc]
) -> None:
    backend = TantivyBackend(tmp_path, segmenter)
    odd = replace(docs[0], title="New York 访问", title_tokens=["New York", " ", "访问"])
    backend.index([odd, docs[1]])
    assert ids(backend.search(SearchQuery(text="title:访问"))) == {1}
    assert ids(backend.search(SearchQuery(text='"new york"'))) == {1}  # through the grams
    (hit,) = backend.search(SearchQuery(text="访问")).hits
    assert hit.title_html == "New York <mark>访问</mark>"


def test_phrases_do_not_cross_from_title_into_body(
    tmp_path: Path, segmenter: Segmenter, docs: list[IndexDoc]
) -> None:
    backend = TantivyBackend(tmp_path, segmenter)
    backend.index(docs)
    # Item 2: title …圆满收官, body 宁波市采用… (title and body share the words and grams fields).
    assert ids(backend.search(SearchQuery(text='"收官 宁波市"'))) == set()
    assert ids(backend.search(SearchQuery(text='"圆满 收官"'))) == {2}
    assert ids(backend.search(SearchQuery(text='"宁波市 采用"'))) == {2, 10}
