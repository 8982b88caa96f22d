"""The default search backend: a Whoosh index in a directory, fed with the tokens of `nlp`.

Whoosh never segments anything itself: title and body arrive as our normalised tokens joined by
U+001F (a control character that cannot occur in a token we keep), and its analyzer only splits on
that separator, so positions (and phrases) follow jieba's segmentation exactly.

Each text is also indexed as character grams (`search.grams`): `title_grams`/`body_grams` hold the
positional bigram stream, `title_chars`/`body_chars` single CJK characters. `translate` widens every
positive term in place with its gram form, and word-field matches are boosted so they rank first.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from datetime import date
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from whoosh import collectors, columns, sorting
from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, MERGE_SMALL

from nlp.segment import Segmenter
from search import grams as g
from search import query as q
from search.backend import BaseBackend, empty_result, keyword_filters, plan_run, with_backoff
from search.base import (
    FACET_NAMES,
    KEYWORD_FIELDS,
    SEP,
    TITLE_BOOST,
    WORD_BOOST,
    Hit,
    IndexCorruptError,
    IndexDoc,
    SearchQuery,
    SearchResult,
    join_tokens,
    split_tokens,
)
from search.highlight import make_hit
from search.similar import distinctive_terms

log = logging.getLogger(__name__)

# Bump when the schema or what goes into a field changes: an index of another version is reported
# by `check()` (the app then recreates and rebuilds it) and recreated by `rebuild()`.
SCHEMA_VERSION = 4
# The posting pool of a writer, in MB: small for everyday updates, larger for a rebuild (beyond it
# the pool spills sorted runs to temporary files, so this bounds memory, not what fits).
WRITER_MB = 64
REBUILD_MB = 256
LARGE_SYNC = 200  # documents
INDEX_NAME = "MAIN"
# Whoosh merges its small segments at almost every commit, and with the gram fields one document's
# segment holds thousands of terms: merging was two thirds of a single submission's index write
# (mean 113-159 ms a commit on a 1,500-document index, p95 ~600 ms). Merging only once this many
# segments have gathered cut the mean to ~55 ms (p95 ~200 ms) for ~1.5 ms more per search.
MERGE_AT_SEGMENTS = 12


def _merge_when_many(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh's merge policy hook: its small-segment merge, once MERGE_AT_SEGMENTS have gathered."""
    if len(segments) < MERGE_AT_SEGMENTS:
        return segments
    merged: list[Any] = MERGE_SMALL(writer, segments)
    return merged


# Facet names in SearchResult.facets to Whoosh field names.
_FACETS = {**KEYWORD_FIELDS, "year": "year"}
assert tuple(_FACETS) == FACET_NAMES


def build_schema() -> Any:
    """Return the Whoosh schema of the item index."""
    tokens = RegexTokenizer(r"[^\x1f]+") | LowercaseFilter()
    grams = RegexTokenizer(r"[^\x1f]+")  # already normalised by search.grams
    return Schema(
        id=ID(unique=True, stored=True),
        id_num=NUMERIC(int, bits=64, sortable=True),
        title=TEXT(analyzer=tokens, phrase=True),
        body=TEXT(analyzer=tokens, phrase=True),
        title_grams=TEXT(analyzer=grams, phrase=True),
        body_grams=TEXT(analyzer=grams, phrase=True),
        title_chars=TEXT(analyzer=grams, phrase=False),
        body_chars=TEXT(analyzer=grams, phrase=False),
        title_tokens=STORED(),
        body_tokens=STORED(),
        unit=ID(sortable=True),
        unit_category=ID(sortable=True),
        topics=KEYWORD(commas=True),
        kind=ID(sortable=True),
        status=ID(sortable=True),
        genre=ID(sortable=True),
        publications=KEYWORD(commas=True),
        level=NUMERIC(int),
        event_date=NUMERIC(int, sortable=True),
        year=NUMERIC(int, sortable=True),
        stamp=COLUMN(columns.VarBytesColumn()),
        # Never written: its name carries the version, so an index of another version has other
        # field names, which `_schema_current` notices.
        **{f"schema_v{SCHEMA_VERSION}": STORED()},
    )


def _ymd(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _stored(tokens: Iterable[str]) -> str:
    return join_tokens(list(tokens))


def _derived(title_tokens: Sequence[str], body_tokens: Sequence[str]) -> dict[str, str]:
    """The text fields, which come from the tokens alone."""
    title_grams, title_chars = g.index_streams(title_tokens)
    body_grams, body_chars = g.index_streams(body_tokens)
    return {
        "title": SEP.join(q.index_terms(title_tokens)),
        "body": SEP.join(q.index_terms(body_tokens)),
        "title_grams": SEP.join(title_grams),
        "body_grams": SEP.join(body_grams),
        "title_chars": SEP.join(title_chars),
        "body_chars": SEP.join(body_chars),
        "title_tokens": _stored(title_tokens),
        "body_tokens": _stored(body_tokens),
    }


def _document(doc: IndexDoc) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": str(doc.id),
        "id_num": doc.id,
        **(doc.derived or _derived(doc.title_tokens, doc.body_tokens)),
        "level": doc.level,
        "event_date": _ymd(doc.event_date),
        "year": doc.event_date.year,
        "stamp": doc.stamp.encode("utf-8"),
    }
    for name, value in (
        ("unit", doc.unit),
        ("unit_category", doc.unit_category),
        ("kind", doc.kind),
        ("status", doc.status),
        ("genre", doc.genre),
    ):
        if value:
            fields[name] = value
    topics = ",".join(t.replace(",", " ") for t in doc.topics if t)
    if topics:
        fields["topics"] = topics
    publications = ",".join(p.replace(",", " ") for p in doc.publications if p)
    if publications:
        fields["publications"] = publications
    return fields


def _word_query(fieldname: str, words: tuple[str, ...], boost: float) -> Any:
    if len(words) == 1:
        return wq.Term(fieldname, words[0], boost=boost)
    return wq.Phrase(fieldname, list(words), boost=boost)


def _gram_query(prefix: str, widening: g.GramQuery, boost: float) -> Any:
    grams = widening.grams
    fieldname = f"{prefix}_{widening.kind}"
    if len(grams) == 1:
        return wq.Term(fieldname, grams[0], boost=boost)
    # A phrase scores the sum of its terms: share the boost, so a long word's many grams do not
    # outweigh a word-field match.
    return wq.Phrase(fieldname, list(grams), boost=boost / len(grams))


def _text_query(words: tuple[str, ...], widening: g.GramQuery | None, field: str | None, grams: bool) -> Any:
    """Match words in the word fields, or their text in the gram fields (title only if asked).

    A single word of CJK characters is matched through its grams alone and the word fields only
    add to the score (AndMaybe): wherever the word is a token its grams are in the gram stream,
    so the result and the scores are those of the four-way Or, but Whoosh walks two posting
    lists per word instead of four. Other words and phrases keep the Or (``15`` is a token of
    ``iphone 15`` but no gram of ``iphone15``; a phrase's words may be apart in the text), and
    so does an index of an older schema without gram fields (`grams` False).
    """
    word_options: list[Any] = []
    gram_options: list[Any] = []
    for prefix, boost in (("title", TITLE_BOOST), ("body", 1.0)):
        if field == "title" and prefix != "title":
            continue
        word_options.append(_word_query(prefix, words, boost * WORD_BOOST))
        if widening is not None:
            gram_options.append(_gram_query(prefix, widening, boost))
    if grams and len(words) == 1 and g.is_cjk_text(words[0]) and gram_options:
        return wq.AndMaybe(_any(gram_options), _any(word_options))
    return wq.Or(word_options + gram_options)


def _any(options: list[Any]) -> Any:
    return options[0] if len(options) == 1 else wq.Or(options)


def translate(node: q.Node, grams: bool = True) -> Any:
    """Translate our query tree into a whoosh.query object, widening each term with its grams."""
    if isinstance(node, q.MatchAll):
        return wq.Every()
    if isinstance(node, q.Term):
        return _text_query((node.text,), g.widening(node), node.field, grams)
    if isinstance(node, q.Phrase):
        return _text_query(node.words, g.widening(node), node.field, grams)
    if isinstance(node, q.FieldTerm):
        return wq.Term(KEYWORD_FIELDS[node.field], node.value)
    if isinstance(node, q.Not):
        return wq.AndNot(wq.Every(), translate(node.child, grams))
    if isinstance(node, q.Or):
        return wq.Or([translate(child, grams) for child in node.children])
    positives = [translate(c, grams) for c in node.children if not isinstance(c, q.Not)]
    negatives = [translate(c.child, grams) for c in node.children if isinstance(c, q.Not)]
    matched = wq.And(positives) if positives else wq.Every()
    return wq.AndNot(matched, wq.Or(negatives)) if negatives else matched


class _ExactTopCollector(collectors.TopCollector):  # type: ignore[misc]
    """The top N by score, counting every match: `len(results)` is the exact total.

    Whoosh's TopCollector raises its minimum score as the heap fills and then replaces the
    matcher tree with one that drops the branches unable to beat it (whoosh-reloaded 2.7.5): the
    documents only those branches match are never visited, so the total undercounts (4,390 of
    4,512 matches over the bench's queries). Keeping the minimum score unset still lets the
    matchers shed exhausted branches, but never live ones.
    """

    def _collect(self, global_docnum: int, score: float) -> Any:
        key = super()._collect(global_docnum, score)
        self.minscore = None
        return key


class _Recorder(collectors.WrappingCollector):  # type: ignore[misc]
    """Pass every match (past the filters) on to the wrapped collector and note its number."""

    def prepare(self, top_searcher: Any, q: Any, context: Any) -> None:
        super().prepare(top_searcher, q, context)
        self.docnums: list[int] = []

    def collect_matches(self) -> None:
        child = self.child
        note = self.docnums.append
        base = child.offset
        for sub_docnum in child.matches():
            note(base + sub_docnum)
            child.collect(sub_docnum)

    def collect(self, sub_docnum: int) -> Any:
        self.docnums.append(self.child.offset + sub_docnum)
        return self.child.collect(sub_docnum)


class _SegmentSets:
    """Document sets computed per index segment, kept across searchers (one per process).

    A segment never changes once written (deleting a document only marks it), so what a filter or
    facet value covers in a segment holds for as long as the segment lives. A commit adds a small
    segment or merges some: the searcher opened after it computes its sets for the new segments
    only. Rebuilding them all took the first search after every submission from ~18 to ~110 ms on
    1,500 documents, once in every worker. A set may still hold a document deleted since; sets are
    only ever intersected with the documents a search matched, which never include deleted ones.
    """

    LIMIT = 4096  # sets kept; past it they are all computed afresh

    def __init__(self) -> None:
        self._sets: dict[tuple[str, Hashable], Any] = {}

    def get(self, segment: str, leaf: Any, key: Hashable, compute: Callable[[Any], Any]) -> Any:
        """What `compute(leaf)` gives for the segment `leaf` searches, computed once."""
        found = self._sets.get((segment, key))
        if found is None:
            if len(self._sets) >= self.LIMIT:
                self._sets.clear()
            found = self._sets[(segment, key)] = compute(leaf)
        return found

    def keep_only(self, segments: AbstractSet[str]) -> None:
        """Forget the sets of segments the index no longer has (merged or cleared)."""
        for key in [key for key in self._sets if key[0] not in segments]:
            del self._sets[key]


class _Scope:
    """The document numbers each filter allows, computed once per opened searcher and reused.

    Filters and the permission scope never enter the Whoosh query: they become sets of document
    numbers handed to the collector (`filter` allows, `mask` excludes; never modified, as they
    are shared by every search of the searcher). Inside the query a
    filter costs a pass over every document it covers on every search (a ConstantScoreQuery
    lists all of them: 10,000 ids for `level <= 3` at 10,000 documents), while a set built once
    per searcher is only looked up for the documents the text matched. The searcher is reopened
    after every commit, and its scope with it, so the sets are never stale; each set is the union
    of its segments' sets (`_SegmentSets`), shifted by each segment's first document number.
    """

    CACHED = 64  # keyword sets kept (each at most one int per document)

    def __init__(self, searcher: Any, kept: _SegmentSets) -> None:
        self._searcher = searcher
        self._kept = kept
        leaves = searcher.subsearchers or [(searcher, 0)]
        self._leaves: list[tuple[str, Any, int]] = [
            (leaf.reader().segment().segment_id(), leaf, offset) for leaf, offset in leaves
        ]
        kept.keep_only({segment for segment, _, _ in self._leaves})
        self._terms: dict[tuple[str, str], set[int]] = {}
        self._above: dict[int, set[int]] = {}
        self._facets: dict[str, list[tuple[str, set[int]]]] | None = None

    def _union(self, key: Hashable, compute: Callable[[Any], Any]) -> set[int]:
        """The documents of all segments under `key`, each segment's computed once by `compute`."""
        found: set[int] = set()
        for segment, leaf, offset in self._leaves:
            local = self._kept.get(segment, leaf, key, compute)
            found |= local if not offset else {docnum + offset for docnum in local}
        return found

    def term(self, field: str, value: str) -> set[int]:
        """The documents holding `value` in keyword field `field`."""
        key = (field, value)
        found = self._terms.get(key)
        if found is None:
            if len(self._terms) >= self.CACHED:
                self._terms.clear()
            query = wq.Term(field, value)
            found = self._terms[key] = self._union(("term", field, value), partial(_docs, query))
        return found

    def above(self, max_level: int) -> set[int]:
        """The documents classified above `max_level`."""
        found = self._above.get(max_level)
        if found is None:
            query = wq.NumericRange("level", max_level + 1, None)
            found = self._above[max_level] = self._union(("above", max_level), partial(_docs, query))
        return found

    def dates(self, low: int | None, high: int | None) -> set[int]:
        """The documents whose event date (yyyymmdd) lies within [low, high]."""
        found: set[int] = set()
        for segment, leaf, offset in self._leaves:
            keys, order = self._kept.get(segment, leaf, "dates", _sorted_dates)
            start = 0 if low is None else bisect_left(keys, low)
            stop = len(keys) if high is None else bisect_right(keys, high)
            found.update(docnum + offset for docnum in order[start:stop])
        return found

    def facets(self, matched: set[int]) -> dict[str, dict[str, int]]:
        """Count the matched documents under every value of every facet.

        Each value's documents are a set built once per searcher, so a count is one set
        intersection in C, instead of Whoosh's grouping, which reads every matched document's
        values in Python on every search (and the postings of the multi-valued fields too).
        """
        if self._facets is None:
            self._facets = {name: self._facet_sets(field) for name, field in _FACETS.items()}
        counted: dict[str, dict[str, int]] = {}
        for name, sets in self._facets.items():
            found = {value: len(docs & matched) for value, docs in sets}
            counted[name] = {value: n for value, n in found.items() if n}
        return counted

    def _facet_sets(self, field: str) -> list[tuple[str, set[int]]]:
        by_value: dict[str, set[int]] = {}
        for segment, leaf, offset in self._leaves:
            local = self._kept.get(segment, leaf, ("facet", field), partial(_facet_docs, field=field))
            for value, docs in local.items():
                shifted = docs if not offset else {docnum + offset for docnum in docs}
                by_value.setdefault(value, set()).update(shifted)
        return list(by_value.items())

    def allow(self, query: SearchQuery) -> set[int] | None:
        """The documents every structured filter and the unit scope allow (None: no such filter)."""
        sets: list[set[int]] = []
        if query.allowed_units is not None:
            units = [self.term("unit", unit) for unit in sorted(query.allowed_units)]
            sets.append(units[0] if len(units) == 1 else set().union(*units))
        for name, value in keyword_filters(query):
            sets.append(self.term(KEYWORD_FIELDS[name], value))
        if query.date_from is not None or query.date_to is not None:
            low = _ymd(query.date_from) if query.date_from is not None else None
            high = _ymd(query.date_to) if query.date_to is not None else None
            sets.append(self.dates(low, high))
        if not sets:
            return None
        sets.sort(key=len)
        return sets[0].intersection(*sets[1:]) if len(sets) > 1 else sets[0]

    def mask(self, query: SearchQuery, exclude: int | None) -> set[int] | None:
        """The documents to leave out: above the user's clearance, and `exclude` (by item id)."""
        hidden: set[int] = self.above(query.max_level)
        if exclude is not None:
            docnum = self._searcher.document_number(id=str(exclude))
            if docnum is not None:
                hidden = hidden | {docnum}
        return hidden or None


def _docs(query: Any, leaf: Any) -> frozenset[int]:
    """The documents of one segment that `query` matches."""
    return frozenset(query.docs(leaf))


def _sorted_dates(leaf: Any) -> tuple[list[int], list[int]]:
    """A segment's event dates in order, with the document number of each."""
    values = list(leaf.reader().column_reader("event_date"))
    order = sorted(range(len(values)), key=values.__getitem__)
    return [values[i] for i in order], order


def _facet_docs(leaf: Any, field: str) -> dict[str, frozenset[int]]:
    """A segment's documents under each value of a facet field."""
    reader = leaf.reader()
    if field == "year":  # numeric: its indexed terms are encoded, its column is plain
        by_year: dict[int, set[int]] = {}
        for docnum, year in enumerate(reader.column_reader("year")):
            by_year.setdefault(int(year), set()).add(docnum)
        return {str(year): frozenset(docs) for year, docs in by_year.items() if year}
    values = [str(value) for value in reader.field_terms(field)]
    return {value: frozenset(wq.Term(field, value).docs(leaf)) for value in values if value}


def _open_searcher(ix: Any, where: Path, previous: Any = None) -> tuple[Any, list[Any]]:
    """Open a searcher, or raise IndexCorruptError when a segment cannot be read.

    With the `previous` searcher, each segment it reads unchanged (the same segment, the same
    deleted documents) keeps its open reader: after a submission only the new segment is opened,
    not all of them (a dozen segment readers took ~9 ms to open on every worker after every
    commit). Returns the searcher and the previous readers it did not keep, for the caller to
    close once nothing searches the previous searcher any more. (Whoosh's own reuse,
    `Searcher.refresh()`, keeps readers of merged-away segments and ignores new deletions.)
    """
    # Whoosh leaves the file of a truncated segment open when its reader fails; collect it here,
    # quietly, instead of letting a ResourceWarning surface at some later garbage collection.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return _reopen(ix, previous)
        except Exception as exc:
            reason = repr(exc)
        gc.collect()
    log.warning("search index in %s cannot be read: %s", where, reason)
    raise IndexCorruptError("搜索索引已损坏，请重建索引")


def _reopen(ix: Any, previous: Any) -> tuple[Any, list[Any]]:
    open_readers: dict[str, Any] = {}
    if previous is not None:
        for reader, _ in previous.reader().leaf_readers():
            segment = reader.segment()
            if segment is not None and not reader.is_closed:
                open_readers[segment.segment_id()] = reader
    toc = ix._read_toc()  # FileIndex internals of the pinned whoosh-reloaded: the segment list
    readers = []
    for segment in toc.segments:
        reader = open_readers.get(segment.segment_id())
        if reader is not None and set(reader.segment().deleted_docs()) == set(segment.deleted_docs()):
            del open_readers[segment.segment_id()]
        else:
            reader = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
        readers.append(reader)
    if not readers:
        whole: Any = EmptyReader(toc.schema)
    elif len(readers) == 1:
        whole = readers[0]
    else:
        whole = MultiReader(readers, generation=toc.generation)
    return Searcher(whole, fromindex=ix), list(open_readers.values())


class WhooshBackend(BaseBackend):
    """A Whoosh index in `index_dir`; safe for threads and for several processes on one directory.

    One searcher is kept open and reopened when another commit (from this or another process)
    changed the index. Whoosh's own `Searcher.refresh()` is not used: in whoosh-reloaded 2.7.5 it
    re-adds segments of the previous reader (`FileIndex._reader(reuse=...)`), so after an update
    or a merge the refreshed searcher returns stale and duplicate documents.
    """

    def __init__(self, index_dir: Path, segmenter: Segmenter, *, lock_timeout: float = 10.0) -> None:
        self._dir = Path(index_dir)
        self._segmenter = segmenter
        self._lock_timeout = lock_timeout
        self._lock = threading.Lock()  # guards the shared searcher
        self._write_lock = threading.Lock()  # one writer per process; other processes: file lock
        self._searcher: Any = None
        self._scope: _Scope | None = None
        self._scope_owner: Any = None
        self._kept = _SegmentSets()
        self._key: tuple[int, int, int] | None = None
        self._pid = os.getpid()
        self._dir.mkdir(parents=True, exist_ok=True)
        self._ix: Any = self._open()

    # --- opening -------------------------------------------------------------------------------

    def _open(self) -> Any:
        try:
            if not windex.exists_in(str(self._dir), indexname=INDEX_NAME):
                return windex.create_in(str(self._dir), build_schema(), indexname=INDEX_NAME)
            return windex.open_dir(str(self._dir), indexname=INDEX_NAME)
        except Exception as exc:
            log.warning("search index in %s cannot be opened (%r); recreate and rebuild it", self._dir, exc)
            return None

    def _index(self) -> Any:
        if self._ix is None:
            self._ix = self._open()
            if self._ix is None:
                raise IndexCorruptError("搜索索引已损坏，请重建索引")
        return self._ix

    def _toc_key(self, ix: Any) -> tuple[int, int, int]:
        # The generation alone is not enough: recreating an index restarts it at 0.
        for _ in range(5):
            generation = int(ix.latest_generation())
            if generation < 0:
                break
            try:
                st = os.stat(self._dir / f"_{INDEX_NAME}_{generation}.toc")
            except FileNotFoundError:  # a concurrent commit just replaced it
                continue
            return generation, st.st_ino, st.st_mtime_ns
        raise IndexCorruptError("搜索索引已损坏，请重建索引")

    # --- the shared searcher ---------------------------------------------------------------------

    def _current(self) -> Any:
        """Return the shared searcher, reopened if the index changed. Hold _lock."""
        if self._forked():
            # A forked worker (gunicorn --preload) must not share the parent's open files and
            # their positions: drop the inherited searcher without closing the parent's handles.
            self._searcher, self._key = None, None
        ix = self._index()
        key = self._toc_key(ix)
        if self._searcher is None or key != self._key:
            fresh, unused = _open_searcher(ix, self._dir, self._searcher)
            self._searcher, self._key, self._scope = fresh, key, None
            for reader in unused:  # the previous searcher is dropped, with what `fresh` did not keep
                reader.close()
        return self._searcher

    def _retire(self) -> None:
        """Close the shared searcher (it reopens on the next search). Hold _lock."""
        old, self._searcher, self._key, self._scope = self._searcher, None, None, None
        if old is not None:
            old.close()

    def _scope_of(self, searcher: Any) -> _Scope:
        """The filter sets of the shared searcher. Hold _lock."""
        if self._scope is None or self._scope_owner is not searcher:
            self._scope, self._scope_owner = _Scope(searcher, self._kept), searcher
        return self._scope

    @contextmanager
    def _searching(self) -> Iterator[Any]:
        # Searches take turns on the one searcher: Whoosh readers keep file positions that are not
        # safe to share between threads, and as pure Python a search gains nothing from running in
        # parallel under the GIL anyway.
        with self._lock:
            yield self._current()

    def refresh(self) -> None:
        """Reopen the shared searcher now if the index changed since it was opened."""
        with self._searching():
            pass

    def close(self) -> None:
        """Close the shared searcher (it reopens on the next search)."""
        with self._lock:
            self._retire()

    # --- writing ---------------------------------------------------------------------------------

    def derive(self, title_tokens: Sequence[str], body_tokens: Sequence[str]) -> dict[str, str]:
        """The text fields of a document (see `SearchBackend.derive`)."""
        return _derived(title_tokens, body_tokens)

    def _writer(self, ix: Any, limitmb: int = WRITER_MB) -> Any:
        """Open a writer, waiting (bounded, with backoff) while another process holds the lock."""

        def attempt() -> Any:
            try:
                return ix.writer(limitmb=limitmb)
            except windex.LockError:
                return None

        return with_backoff(attempt, self._lock_timeout, first=0.02, cap=0.5)

    def _commit(self, docs: Iterable[IndexDoc], *, replace: bool, clear: bool = False) -> int:
        ix = self._index()
        writer = self._writer(ix, REBUILD_MB if clear else WRITER_MB)
        # An index of an older schema keeps taking documents (without the fields it lacks) until
        # it is rebuilt, instead of failing every save.
        known = set(ix.schema.names())
        outdated = known != set(build_schema().names())
        count = 0
        try:
            for doc in docs:
                fields = self._fields(doc, known, outdated)
                if replace:
                    writer.update_document(**fields)
                else:
                    writer.add_document(**fields)
                count += 1
            if clear:
                writer.commit(mergetype=CLEAR)
            else:
                writer.commit(mergetype=_merge_when_many)
        except BaseException:
            writer.cancel()
            raise
        return count

    @staticmethod
    def _fields(doc: IndexDoc, known: set[str], outdated: bool) -> dict[str, Any]:
        fields = _document(doc)
        if outdated:
            fields = {name: value for name, value in fields.items() if name in known}
        return fields

    def index(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace these documents (by id) and commit."""
        batch = list(docs)
        if not batch:
            return
        with self._write_lock:
            self._commit(batch, replace=True)

    def sync(self, ids: Sequence[int], load: Callable[[Sequence[int]], Iterable[IndexDoc]]) -> None:
        """Replace the documents `load` returns and remove the other ids, all under the writer lock."""
        if not ids:
            return
        with self._write_lock:
            ix = self._index()
            # A large sync (a bulk import's) gets the rebuild's pool: its postings sort in memory.
            writer = self._writer(ix, REBUILD_MB if len(ids) > LARGE_SYNC else WRITER_MB)
            known = set(ix.schema.names())
            outdated = known != set(build_schema().names())
            try:
                kept = set()
                for doc in load(ids):
                    writer.update_document(**self._fields(doc, known, outdated))
                    kept.add(doc.id)
                for gone in set(ids) - kept:
                    writer.delete_by_term("id", str(gone))
                writer.commit(mergetype=_merge_when_many)
            except BaseException:
                writer.cancel()
                raise

    def delete(self, ids: Iterable[int]) -> None:
        """Remove these documents and commit."""
        keys = [str(i) for i in ids]
        if not keys:
            return
        with self._write_lock:
            writer = self._writer(self._index())
            try:
                for key in keys:
                    writer.delete_by_term("id", key)
                writer.commit(mergetype=_merge_when_many)
            except BaseException:
                writer.cancel()
                raise

    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        """Drop everything and index `docs` with one writer in one commit; return how many.

        Readers keep the old index until that commit replaces every segment with the one new
        segment (never an empty index unless `docs` is empty). One writer, not a commit per batch:
        each Whoosh commit merges small segments, so batched commits rewrite the growing index
        over and over (a 10,000-document rebuild took minutes). The writer's posting pool spills
        to temporary files past REBUILD_MB, so memory stays bounded however many documents come.
        Other processes' updates wait for the writer lock meanwhile (and give up after
        `lock_timeout`; the app logs that and `check_index` repairs it). The index is created
        afresh when its schema is outdated.
        """
        with self._write_lock:
            if self._ix is None or not self._schema_current():
                self._create()
            return self._commit(docs, replace=False, clear=True)

    def _schema_current(self) -> bool:
        try:
            return set(self._ix.schema.names()) == set(build_schema().names())
        except Exception:
            return False

    def _create(self) -> None:
        """Empty the directory's index and start a new one, holding the writer lock."""
        self._dir.mkdir(parents=True, exist_ok=True)  # the directory may have been deleted
        storage_lock = FileStorage(str(self._dir)).lock(f"{INDEX_NAME}_WRITELOCK")
        with_backoff(
            lambda: storage_lock.acquire(blocking=False) or None, self._lock_timeout, first=0.05, cap=0.05
        )
        try:
            with self._lock:
                self._retire()
                self._ix = windex.create_in(str(self._dir), build_schema(), indexname=INDEX_NAME)
        finally:
            storage_lock.release()

    def recreate(self) -> None:
        """Delete the index files and start an empty index (then rebuild it from the database)."""
        with self._write_lock:
            self._create()

    # --- reading ---------------------------------------------------------------------------------

    def count(self) -> int:
        """How many documents the index holds."""
        with self._searching() as searcher:
            return int(searcher.doc_count())

    def check(self) -> bool:
        """Whether the index opens, has the current schema and reads cleanly (sampled fields)."""
        try:
            ix = windex.open_dir(str(self._dir), indexname=INDEX_NAME)
            searcher, _ = _open_searcher(ix, self._dir)
        except Exception as exc:
            log.warning("search index in %s cannot be opened: %r", self._dir, exc)
            return False
        try:
            if set(ix.schema.names()) != set(build_schema().names()):
                log.warning("search index in %s has an outdated schema; rebuild it", self._dir)
                return False
            reader = searcher.reader()
            total = reader.doc_count_all()
            for docnum in {*range(0, total, max(1, total // 50)), total - 1} - {-1}:
                reader.stored_fields(docnum)
            for fieldname in ("id", "title", "body"):
                for term in islice(reader.lexicon(fieldname), 20):
                    list(reader.postings(fieldname, term).all_ids())
            return sum(1 for _ in reader.lexicon("id")) >= int(reader.doc_count())
        except Exception as exc:
            log.warning("search index in %s failed its check: %r", self._dir, exc)
            return False
        finally:
            searcher.close()

    def stamps(self) -> dict[int, str]:
        """Return the stamp stored with every indexed document, by id (read from columns only)."""
        with self._searching() as searcher:
            reader = searcher.reader()
            if not reader.has_column("stamp"):
                return {}
            ids = reader.column_reader("id_num")
            stamps = reader.column_reader("stamp")
            return {
                int(ids[docnum]): bytes(stamps[docnum] or b"").decode("utf-8")
                for docnum in reader.all_doc_ids()
            }

    def _similar_terms(self, item_id: int) -> list[str]:
        with self._searching() as searcher:
            docnum = searcher.document_number(id=str(item_id))
            if docnum is None:
                return []
            stored = searcher.stored_fields(docnum)

            def doc_freq(terms: Sequence[str]) -> dict[str, int]:
                return {
                    term: max(searcher.doc_frequency("title", term), searcher.doc_frequency("body", term))
                    for term in terms
                }

            return distinctive_terms(
                split_tokens(str(stored.get("title_tokens", ""))),
                split_tokens(str(stored.get("body_tokens", ""))),
                doc_freq,
                int(searcher.doc_count()),
            )

    def _run(
        self, tree: q.Node, query: SearchQuery, *, facets: bool, exclude: int | None = None
    ) -> SearchResult:
        plan = plan_run(tree, query)
        if plan is None:
            return empty_result(facets)
        terms, by_date, offset, per_page = plan.terms, plan.by_date, plan.offset, plan.per_page
        limit = plan.limit
        if by_date:
            order = [
                sorting.FieldFacet("event_date", reverse=True),
                sorting.FieldFacet("id_num", reverse=True),
            ]
            collector: Any = collectors.SortingCollector(order, limit=limit)
        else:
            collector = _ExactTopCollector(limit, usequality=False)
        recorder = _Recorder(collector) if facets else None
        if recorder is not None:
            collector = recorder
        empty = empty_result(facets)
        try:
            with self._searching() as searcher:
                # Filters restrict the match set (hits, total and facets alike) without
                # contributing to the score.
                # An index of an older schema (no gram fields) still answers until it is rebuilt.
                whoosh_query = translate(tree, grams="body_grams" in searcher.schema)
                scope = self._scope_of(searcher)
                allowed = scope.allow(query)
                if allowed is not None and not allowed:
                    return empty  # Whoosh would read an empty filter as no filter at all
                hidden = scope.mask(query, exclude)
                if allowed is not None or hidden is not None:
                    collector = collectors.FilterCollector(collector, allowed, hidden)
                searcher.search_with_collector(whoosh_query, collector)
                results = collector.results()
                total = len(results)
                hits = [self._hit(hit, terms, by_date) for hit in results[offset : offset + per_page]]
                counted = scope.facets(set(recorder.docnums)) if recorder is not None else {}
        except (OSError, EOFError, windex.IndexError) as exc:
            raise IndexCorruptError("搜索索引已损坏，请重建索引") from exc
        return SearchResult(total=total, hits=hits, facets=counted)

    @staticmethod
    def _hit(hit: Any, terms: set[str], by_date: bool) -> Hit:
        stored = hit.fields()
        return make_hit(
            int(stored["id"]),
            0.0 if by_date else float(hit.score or 0.0),  # sorted hits carry a sort key
            split_tokens(str(stored.get("title_tokens", ""))),
            split_tokens(str(stored.get("body_tokens", ""))),
            terms,
        )
