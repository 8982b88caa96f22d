"""The search backend for large archives: a tantivy index in a directory, fed with the tokens of `nlp`.

tantivy never segments anything itself: the word fields get our normalised tokens joined by spaces
and a whitespace tokenizer (plus lowercase) splits them again, so positions (and phrases) follow
jieba's segmentation exactly; the gram fields get the stream of `search.grams` the same way. The
translated query is built from tantivy query objects directly, never from a query string.

Title and body go together into one `words`, one `grams` and one `chars` field, each as two values
of the field (title first): tantivy leaves a position gap between the values of a field, so no
phrase crosses from the title into the body. A query word is then looked up once for both, not
once per field; title relevance comes from a SHOULD clause on the title-only `title` field (the
title-only fields also serve `title:` queries).

Several processes may write one directory: tantivy allows one IndexWriter per index, so every
batch acquires it (bounded retry while another process holds it), commits, waits for its merges
and releases it. Readers keep one Searcher and reload it when meta.json changed (a commit of this
or of another process), checked by a stat() before each search.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import tantivy

from nlp.segment import Segmenter
from search import grams as g
from search import query as q
from search.backend import BaseBackend, empty_result, keyword_filters, plan_run, with_backoff
from search.base import (
    FACET_NAMES,
    KEYWORD_FIELDS,
    TITLE_BOOST,
    WORD_BOOST,
    IndexCorruptError,
    IndexDoc,
    SearchQuery,
    SearchResult,
)
from search.highlight import make_hit_packed, pack_stream, unpack_tokens
from search.similar import distinctive_terms

log = logging.getLogger(__name__)

TOKENIZER = "xinxi_ws"
# Bump when the schema or what goes into a field changes; the version file then mismatches and
# `check()` reports the index (the app recreates and rebuilds it).
SCHEMA_VERSION = 4
VERSION_FILE = "xinxi-tantivy-version"
LOCK_FILE = ".tantivy-writer.lock"
META_FILE = "meta.json"
BATCH_SIZE = 500
REBUILD_BATCH_SIZE = 10_000  # a rebuild holds the writer lock for one batch at a time
WRITER_HEAP = 32_000_000
REBUILD_HEAP = 256_000_000
# A date sort key: yyyymmdd then the id, in one i64 (tantivy sorts by one fast field).
_ID_SPAN = 10**10

_FACETS = {**KEYWORD_FIELDS, "year": "year"}
assert tuple(_FACETS) == FACET_NAMES

_MUST = tantivy.Occur.Must
_SHOULD = tantivy.Occur.Should
_MUST_NOT = tantivy.Occur.MustNot


def build_schema() -> Any:
    """Return the tantivy schema of the item index."""
    b = tantivy.SchemaBuilder()
    b.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in ("words", "grams", "title", "title_grams"):
        b.add_text_field(name, tokenizer_name=TOKENIZER, index_option="position")
    for name in ("chars", "title_chars"):
        b.add_text_field(name, tokenizer_name=TOKENIZER, index_option="freq")
    # What a hit shows, packed by `pack_stream`.
    b.add_bytes_field("title_view", stored=True, indexed=False)
    b.add_bytes_field("body_view", stored=True, indexed=False)
    for name in ("unit", "unit_category", "kind", "status", "genre", "topics", "publications"):
        b.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("stamp", stored=True, tokenizer_name="raw", index_option="basic", fast=True)
    b.add_integer_field("level", indexed=True, fast=True)
    b.add_integer_field("event_date", indexed=True, fast=True)
    b.add_integer_field("year", indexed=True, fast=True)
    b.add_integer_field("date_key", fast=True)
    return b.build()


def _analyzer() -> Any:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
    return builder.filter(tantivy.Filter.lowercase()).build()


def _ymd(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _word(token: str) -> str:
    # The whitespace tokenizer splits on ASCII whitespace: a token holding one stays one term.
    return "_".join(token.split()) if any(ch.isspace() for ch in token) else token


_OTHER_SPACE = re.compile(r"[^\S ]")


def _joined(terms: list[str]) -> str:
    joined = " ".join(terms)
    if joined.count(" ") != max(len(terms) - 1, 0) or _OTHER_SPACE.search(joined):
        joined = " ".join(_word(term) for term in terms)
    return joined


def _derived(title_tokens: Sequence[str], body_tokens: Sequence[str]) -> dict[str, Any]:
    """The text values of a document, which come from the tokens alone."""
    grams, chars = g.index_streams(title_tokens)
    body_grams, body_chars = g.index_streams(body_tokens)
    return {
        "title": _joined(q.index_terms(title_tokens)),
        "title_grams": " ".join(grams),
        "title_chars": " ".join(chars),
        "words": _joined(q.index_terms(body_tokens)),
        "grams": " ".join(body_grams),
        "chars": " ".join(body_chars),
        "title_view": pack_stream(title_tokens),
        "body_view": pack_stream(body_tokens),
    }


def _document(doc: IndexDoc) -> Any:
    d = tantivy.Document()
    d.add_integer("id", doc.id)
    text = doc.derived or _derived(doc.title_tokens, doc.body_tokens)
    d.add_text("title", text["title"])
    d.add_text("title_grams", text["title_grams"])
    d.add_text("title_chars", text["title_chars"])
    # Two values per field, title first: the position gap between them keeps phrases apart.
    d.add_text("words", text["title"])
    d.add_text("words", text["words"])
    d.add_text("grams", text["title_grams"])
    d.add_text("grams", text["grams"])
    d.add_text("chars", text["title_chars"])
    d.add_text("chars", text["chars"])
    d.add_bytes("title_view", text["title_view"])
    d.add_bytes("body_view", text["body_view"])
    for name, value in (
        ("unit", doc.unit),
        ("unit_category", doc.unit_category),
        ("kind", doc.kind),
        ("status", doc.status),
        ("genre", doc.genre),
    ):
        if value:
            d.add_text(name, value)
    for topic in doc.topics:
        if topic:
            d.add_text("topics", topic)
    for publication in doc.publications:
        if publication:
            d.add_text("publications", publication)
    d.add_text("stamp", doc.stamp)
    d.add_integer("level", doc.level)
    d.add_integer("event_date", _ymd(doc.event_date))
    d.add_integer("year", doc.event_date.year)
    d.add_integer("date_key", _ymd(doc.event_date) * _ID_SPAN + doc.id)
    return d


# --- translating our query tree ------------------------------------------------------------------


@dataclass(frozen=True)
class _Translator:
    schema: Any

    def term(self, field: str, value: str, boost: float = 1.0) -> Any:
        query = tantivy.Query.term_query(self.schema, field, value, index_option="freq")
        return query if boost == 1.0 else tantivy.Query.boost_query(query, boost)

    def words(self, field: str, words: Sequence[str], boost: float) -> Any:
        if len(words) == 1:
            return self.term(field, words[0], boost)
        phrase = tantivy.Query.phrase_query(self.schema, field, list(words))
        return tantivy.Query.boost_query(phrase, boost)

    def text(self, words: tuple[str, ...], widening: g.GramQuery | None, field: str | None) -> Any:
        """Match words in the word field, or their text in the gram fields (title only if asked).

        Unfielded, title and body are searched together (one clause each for words and grams); a
        title word match adds the title boost through a SHOULD clause on the title field.
        """
        terms = [_word(w) for w in words]
        if field == "title":
            words_field, gram_prefix, boost = "title", "title_", TITLE_BOOST
        else:
            words_field, gram_prefix, boost = "words", "", 1.0
        options: list[tuple[Any, Any]] = [(_SHOULD, self.words(words_field, terms, boost * WORD_BOOST))]
        if widening is not None:
            grams = widening.grams
            # A phrase scores the sum of its terms: share the boost (as the Whoosh backend does).
            share = boost if len(grams) == 1 else boost / len(grams)
            # A one-word CJK term found as a token is always found by its grams too (its characters
            # stand contiguous in one CJK run): the grams alone then decide the match and drive the
            # search, the word clauses only add to the score (the same scores, far fewer unions).
            occur = _MUST if len(words) == 1 and g.is_cjk_text(words[0]) else _SHOULD
            options.append((occur, self.words(f"{gram_prefix}{widening.kind}", grams, share)))
        if field != "title":
            extra = (TITLE_BOOST - 1.0) * WORD_BOOST
            options.append((_SHOULD, self.words("title", terms, extra)))
        return tantivy.Query.boolean_query(options)

    def node(self, node: q.Node) -> Any:
        """Translate our query tree into a tantivy query, widening each term with its grams."""
        if isinstance(node, q.MatchAll):
            return tantivy.Query.all_query()
        if isinstance(node, q.Term):
            return self.text((node.text,), g.widening(node), node.field)
        if isinstance(node, q.Phrase):
            return self.text(node.words, g.widening(node), node.field)
        if isinstance(node, q.FieldTerm):
            return self.term(KEYWORD_FIELDS[node.field], node.value)
        if isinstance(node, q.Not):
            return tantivy.Query.boolean_query(
                [(_MUST, tantivy.Query.all_query()), (_MUST_NOT, self.node(node.child))]
            )
        if isinstance(node, q.Or):
            return tantivy.Query.boolean_query([(_SHOULD, self.node(child)) for child in node.children])
        clauses: list[tuple[Any, Any]] = []
        for child in node.children:
            if isinstance(child, q.Not):
                clauses.append((_MUST_NOT, self.node(child.child)))
            else:
                clauses.append((_MUST, self.node(child)))
        if all(occur == _MUST_NOT for occur, _ in clauses):
            clauses.append((_MUST, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    def filters(self, query: SearchQuery, exclude: int | None = None) -> list[tuple[Any, Any]]:
        """The structured filters and the permission scope, as clauses that must all match."""
        schema = self.schema
        clauses: list[tuple[Any, Any]] = [
            (
                _MUST,
                tantivy.Query.range_query(
                    schema, "level", tantivy.FieldType.Integer, -(2**31), query.max_level
                ),
            )
        ]
        if query.allowed_units is not None:
            units = sorted(query.allowed_units)
            clauses.append((_MUST, tantivy.Query.term_set_query(schema, "unit", units)))
        for name, value in keyword_filters(query):
            clauses.append((_MUST, self.term(KEYWORD_FIELDS[name], value)))
        if query.date_from is not None or query.date_to is not None:
            low = _ymd(query.date_from) if query.date_from is not None else 0
            high = _ymd(query.date_to) if query.date_to is not None else 99991231
            clauses.append(
                (_MUST, tantivy.Query.range_query(schema, "event_date", tantivy.FieldType.Integer, low, high))
            )
        if exclude is not None:
            clauses.append((_MUST_NOT, tantivy.Query.term_query(schema, "id", exclude)))
        return clauses


def _facets(aggregated: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    facets: dict[str, dict[str, int]] = {}
    for name in _FACETS:
        buckets = aggregated.get(name, {}).get("buckets", [])
        counts: dict[str, int] = {}
        for bucket in buckets:
            key = bucket["key"]
            label = str(int(key)) if isinstance(key, int | float) else str(key)
            if label:
                counts[label] = int(bucket["doc_count"])
        facets[name] = counts
    return facets


_AGGREGATIONS = {
    name: {"terms": {"field": field, "size": 10000, "min_doc_count": 1}} for name, field in _FACETS.items()
}


class TantivyBackend(BaseBackend):
    """A tantivy index in `index_dir`; safe for threads and for several processes on one directory."""

    def __init__(self, index_dir: Path, segmenter: Segmenter, *, lock_timeout: float = 10.0) -> None:
        self._dir = Path(index_dir)
        self._segmenter = segmenter
        self._lock_timeout = lock_timeout
        self._lock = threading.Lock()  # guards the index object and the shared searcher
        self._write_lock = threading.Lock()  # one writer per process; other processes: tantivy's lock
        self._schema = build_schema()
        self._translate = _Translator(self._schema)
        self._ix: Any = None
        self._searcher: Any = None
        self._key: tuple[int, int, int] | None = None
        self._pid = os.getpid()
        self._dir.mkdir(parents=True, exist_ok=True)
        self._ix = self._open(create=True)

    # --- opening -------------------------------------------------------------------------------

    def _open(self, *, create: bool) -> Any:
        """Open the directory's index (creating it when there is none yet), or None if unreadable."""
        path = str(self._dir)
        try:
            if tantivy.Index.exists(path):
                if self._version() != SCHEMA_VERSION:
                    log.warning("search index in %s has another schema version; rebuild it", self._dir)
                    return None
                ix = tantivy.Index.open(path)
            elif create:
                ix = self._create_files()
            else:
                return None
            ix.register_tokenizer(TOKENIZER, _analyzer())
            ix.config_reader("manual")
            return ix
        except (Exception, BaseException) as exc:  # tantivy panics surface as BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            log.warning("search index in %s cannot be opened (%r); recreate and rebuild it", self._dir, exc)
            return None

    def _version(self) -> int:
        try:
            return int((self._dir / VERSION_FILE).read_text().strip())
        except (OSError, ValueError):
            return -1

    def _create_files(self) -> Any:
        ix = tantivy.Index(build_schema(), str(self._dir), reuse=False)
        tmp = self._dir / f"{VERSION_FILE}.tmp"
        tmp.write_text(f"{SCHEMA_VERSION}\n")
        tmp.replace(self._dir / VERSION_FILE)
        return ix

    def _meta_key(self) -> tuple[int, int, int]:
        try:
            st = os.stat(self._dir / META_FILE)
        except FileNotFoundError:
            raise IndexCorruptError("搜索索引已损坏，请重建索引") from None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _index(self) -> Any:
        """Return the index object, reopening it if needed. Hold _lock."""
        if self._forked():
            self._ix, self._searcher, self._key = None, None, None
        if self._ix is None:
            self._ix = self._open(create=False)
            if self._ix is None:
                raise IndexCorruptError("搜索索引已损坏，请重建索引")
        return self._ix

    def _current(self) -> Any:
        """Return the shared searcher, reloaded if the index changed since. Hold _lock."""
        ix = self._index()
        key = self._meta_key()
        if self._searcher is None or key != self._key:
            try:
                ix.reload()
                self._searcher = ix.searcher()
            except ValueError as exc:
                raise IndexCorruptError("搜索索引已损坏，请重建索引") from exc
            self._key = key
        return self._searcher

    def _searching(self) -> Any:
        with self._lock:
            return self._current()

    def refresh(self) -> None:
        """Reload the shared searcher now if the index changed since it was opened."""
        self._searching()

    def close(self) -> None:
        """Drop the searcher and the index object (they reopen on the next use)."""
        with self._lock:
            self._searcher, self._key, self._ix = None, None, None

    # --- writing ---------------------------------------------------------------------------------

    def derive(self, title_tokens: Sequence[str], body_tokens: Sequence[str]) -> dict[str, Any]:
        """The text values of a document (see `SearchBackend.derive`)."""
        return _derived(title_tokens, body_tokens)

    def _writer(self, ix: Any, heap: int, threads: int) -> Any:
        """Acquire the index's one writer, waiting (bounded, with backoff) while another holds it."""

        def attempt() -> Any:
            try:
                return ix.writer(heap, threads)
            except ValueError as exc:
                if "LockBusy" not in str(exc):
                    raise IndexCorruptError("搜索索引已损坏，请重建索引") from exc
                return None

        return with_backoff(attempt, self._lock_timeout, first=0.01, cap=0.25)

    @contextmanager
    def _writing(self, heap: int = WRITER_HEAP, threads: int = 1) -> Iterator[Any]:
        """Hold the writer for one batch: commit on success, roll back on error, always release."""
        with self._write_lock:
            with self._lock:
                ix = self._index()
            writer = self._writer(ix, heap, threads)
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()  # finishes merges and releases the lock file
                del writer
            with self._lock:
                if self._ix is ix:
                    self._key = None  # reload on the next search

    def index(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace these documents (by id) and commit."""
        batch = list(docs)
        if not batch:
            return
        for start in range(0, len(batch), REBUILD_BATCH_SIZE):
            chunk = batch[start : start + REBUILD_BATCH_SIZE]
            big = len(chunk) > BATCH_SIZE
            with self._writing(REBUILD_HEAP if big else WRITER_HEAP, 0 if big else 1) as writer:
                for doc in chunk:
                    writer.delete_documents_by_term("id", doc.id)
                    writer.add_document(_document(doc))

    def sync(self, ids: Sequence[int], load: Callable[[Sequence[int]], Iterable[IndexDoc]]) -> None:
        """Replace the documents `load` returns and remove the other ids, all under the writer lock."""
        if not ids:
            return
        with self._writing() as writer:
            for key in ids:
                writer.delete_documents_by_term("id", int(key))
            for doc in load(ids):
                writer.add_document(_document(doc))

    def delete(self, ids: Iterable[int]) -> None:
        """Remove these documents and commit."""
        keys = list(ids)
        if not keys:
            return
        with self._writing() as writer:
            for key in keys:
                writer.delete_documents_by_term("id", int(key))

    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        """Drop everything and index `docs` in batches; return how many were indexed.

        The first batch replaces all documents in one commit (readers never see an empty index
        unless `docs` is empty); later batches update by id, each under the writer lock taken
        afresh, so other processes' updates interleave instead of timing out.
        """
        if self._ix is None or self._version() != SCHEMA_VERSION:
            self.recreate()
        source = iter(docs)
        total = 0
        first = True
        while True:
            batch = list(islice(source, REBUILD_BATCH_SIZE))
            if not batch and not first:
                break
            threads = min(4, os.cpu_count() or 1)
            with self._writing(REBUILD_HEAP, threads) as writer:
                if first:
                    writer.delete_all_documents()
                for doc in batch:
                    if not first:
                        writer.delete_documents_by_term("id", doc.id)
                    writer.add_document(_document(doc))
            total += len(batch)
            first = False
            if len(batch) < REBUILD_BATCH_SIZE:
                break
        return total

    def recreate(self) -> None:
        """Delete the index files and start an empty index (then rebuild it from the database)."""
        with self._write_lock:
            self._dir.mkdir(parents=True, exist_ok=True)
            with self._lock, self._file_lock():
                self._searcher, self._key, self._ix = None, None, None
                for entry in self._dir.iterdir():
                    if entry.name.startswith(".tantivy-") and entry.name.endswith(".lock"):
                        continue
                    if entry.is_dir():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink()
                self._create_files()
                self._ix = self._open(create=False)

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Hold tantivy's writer lock file ourselves (flock, as tantivy takes it), bounded wait."""
        fd = os.open(self._dir / LOCK_FILE, os.O_WRONLY | os.O_CREAT, 0o644)
        try:

            def attempt() -> bool | None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    return None

            with_backoff(attempt, self._lock_timeout, first=0.05, cap=0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # --- reading ---------------------------------------------------------------------------------

    def count(self) -> int:
        """How many documents the index holds."""
        return int(self._searching().num_docs)

    def check(self) -> bool:
        """Whether the index opens, has the current schema version and reads cleanly (sampled)."""
        path = str(self._dir)
        try:
            if not tantivy.Index.exists(path) or self._version() != SCHEMA_VERSION:
                log.warning("search index in %s is missing or of another version", self._dir)
                return False
            ix = tantivy.Index.open(path)
            ix.register_tokenizer(TOKENIZER, _analyzer())
            searcher = ix.searcher()
            total = int(searcher.num_docs)
            sample = searcher.search(tantivy.Query.all_query(), 50, order_by_field="date_key")
            for _, address in sample.hits:
                searcher.doc(address).get_first("body_tokens")
            probe = tantivy.Query.term_query(ix.schema, "words", "的", index_option="position")
            searcher.search(probe, 5, count=True)
            searcher.aggregate(tantivy.Query.all_query(), _AGGREGATIONS)
            return len(sample.hits) == min(total, 50)
        except (Exception, BaseException) as exc:  # tantivy panics surface as BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            log.warning("search index in %s failed its check: %r", self._dir, exc)
            return False

    def stamps(self) -> dict[int, str]:
        """Return the stamp stored with every indexed document, by id."""
        searcher = self._searching()
        found: dict[int, str] = {}
        everything = tantivy.Query.all_query()
        total = int(searcher.num_docs)
        step = 10_000
        for offset in range(0, total, step):
            result = searcher.search(everything, step, count=False, order_by_field="id", offset=offset)
            for _, address in result.hits:
                doc = searcher.doc(address)
                found[int(doc.get_first("id"))] = str(doc.get_first("stamp") or "")
        return found

    def _similar_terms(self, item_id: int) -> list[str]:
        searcher = self._searching()
        found = searcher.search(tantivy.Query.term_query(self._schema, "id", item_id), 1)
        if not found.hits:
            return []
        doc = searcher.doc(found.hits[0][1])

        def doc_freq(terms: Sequence[str]) -> dict[str, int]:
            return {term: searcher.doc_freq("words", _word(term)) for term in terms}

        return distinctive_terms(
            unpack_tokens(doc.get_first("title_view")),
            unpack_tokens(doc.get_first("body_view")),
            doc_freq,
            int(searcher.num_docs),
        )

    def _run(
        self, tree: q.Node, query: SearchQuery, *, facets: bool, exclude: int | None = None
    ) -> SearchResult:
        plan = plan_run(tree, query)
        if plan is None:
            return empty_result(facets)
        terms, by_date = plan.terms, plan.by_date
        # Filters restrict the match set inside the query (hits, total and facets alike) without
        # contributing to the score (a constant 0). Each is a clause of its own, not one nested
        # boolean: tantivy's intersection then seeks into each filter (the level range nested
        # cost more than the whole text query).
        clauses = [(_MUST, self._translate.node(tree))]
        for occur, clause in self._translate.filters(query, exclude):
            clauses.append(
                (occur, clause if occur == _MUST_NOT else tantivy.Query.const_score_query(clause, 0.0))
            )
        full = tantivy.Query.boolean_query(clauses)
        per_page, offset = plan.per_page, plan.offset
        searcher = self._searching()
        try:
            if by_date:
                result = searcher.search(
                    full, per_page, count=True, order_by_field="date_key", offset=offset,
                    order=tantivy.Order.Desc,
                )  # fmt: skip
            else:
                result = searcher.search(full, per_page, count=True, offset=offset)
            hits = []
            for score, address in result.hits:
                doc = searcher.doc(address)
                hits.append(
                    make_hit_packed(
                        int(doc.get_first("id")),
                        0.0 if by_date else float(score),
                        doc.get_first("title_view"),
                        doc.get_first("body_view"),
                        terms,
                    )
                )
            counted = _facets(searcher.aggregate(full, _AGGREGATIONS)) if facets else {}
        except ValueError as exc:
            raise IndexCorruptError("搜索索引已损坏，请重建索引") from exc
        return SearchResult(total=int(result.count or 0), hits=hits, facets=counted)
