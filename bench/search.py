"""Search latency and indexing throughput of one backend against SQLite FTS5 on the same tokens.

    .venv/bin/python bench/search.py --docs 10000 --backend tantivy [--queries 200] [--passes 5]
    .venv/bin/python bench/search.py --docs 10000 --backend postgres --database-url postgresql://...
    .venv/bin/python bench/search.py --docs 10000 --backend whoosh   # also runs plain Whoosh

Documents are real text: 新闻联播 items split into ~390-character paragraphs, then paragraphs of the
national and provincial government work reports (cycled with other metadata when more documents
are asked for than the corpus holds). Every document is segmented ONCE with `nlp.Segmenter`; the
same token streams feed our backend, FTS5 (tokens joined by spaces, `unicode61`), for Whoosh a
stock Whoosh index and for tantivy a raw tantivy index (`raw_tantivy`: what a plain use of
tantivy costs on the same tokens; `p95_ratio_vs_raw_tantivy` prices our layer). Queries are 2-4
words an editor would type, drawn from the documents' own titles and text; a third carry filters
(unit, kind, a date range). Every engine returns totals and highlights its top 10. The machine is
shared and noisy, so the figures that matter are the ratios measured in the same run: the engines
take turns query by query (`interleaved`), so they meet the same load, in `--passes` passes, each
query counting its best. A rebuild is compared with jieba alone cutting the same texts in the same
run (`jieba_seconds`, `rebuild_seconds`, `rebuild_ratio_vs_jieba`). The last line printed is one
JSON object.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
import json
import math
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp import Segmenter  # noqa: E402
from search import IndexDoc, SearchBackend, SearchQuery, make_backend  # noqa: E402
from search.query import index_terms  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
PARAGRAPH = 390
UNITS = [(f"U{k:02d}", "city" if k < 20 else "dept") for k in range(40)]
KINDS = ["achievement", "problem", "other"]
STATUSES = ["submitted", "adopted", "rejected", "returned"]
TOPICS = [
    "经济运行",
    "三农",
    "工业和企业",
    "安全稳定",
    "政务工作",
    "对外开放",
    "文化旅游",
    "财政金融",
    "党的建设",
]
PUBLICATIONS = ["KB", "ZB", "XX"]
_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")
_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def paragraphs(text: str) -> Iterator[str]:
    """Split a text into paragraphs of about PARAGRAPH characters, at sentence ends."""
    current = ""
    for sentence in _SENTENCE.findall(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if current and len(current) + len(sentence) > PARAGRAPH:
            yield current
            current = ""
        current += sentence
    if len(current) >= 20:
        yield current


def load_texts(corpus: Path, limit: int) -> list[tuple[str, str, date | None]]:
    """(title, paragraph, date) triples: news items first, then government work reports."""
    found: list[tuple[str, str, date | None]] = []
    news = corpus / "xinwenlianbo-2022-2026" / "xwlb_items.jsonl.gz"
    with gzip.open(news, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            day = date.fromisoformat(row["date"]) if row.get("date") else None
            for part in paragraphs(row["text"]):
                found.append((row["title"], part, day))
                if len(found) >= limit:
                    return found
    national = corpus / "gov-work-reports-national" / "government_work_reports.jsonl"
    with national.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            for part in paragraphs(row.get("content", "")):
                found.append((row["title"], part, None))
                if len(found) >= limit:
                    return found
    csv.field_size_limit(sys.maxsize)
    for path in sorted((corpus / "gov-work-reports-provincial-2026").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                for part in paragraphs(row.get("full_text", "")):
                    found.append((row["title"], part, None))
                    if len(found) >= limit:
                        return found
    return found


def build_docs(texts: list[tuple[str, str, date | None]], n: int, segmenter: Segmenter) -> list[IndexDoc]:
    """Segment every distinct text once and build n IndexDocs (cycling texts with other metadata)."""
    rng = random.Random(7)
    intern = sys.intern
    cut: dict[str, list[str]] = {}

    def tokens(text: str) -> list[str]:
        found = cut.get(text)
        if found is None:
            found = cut[text] = [intern(t.text) for t in segmenter.tokens(text)]
        return found

    docs: list[IndexDoc] = []
    start = date(2022, 1, 1)
    for k in range(n):
        title, body, day = texts[k % len(texts)]
        unit, category = rng.choice(UNITS)
        docs.append(
            IndexDoc(
                id=k + 1,
                title=title,
                body=body,
                title_tokens=tokens(title),
                body_tokens=tokens(body),
                unit=unit,
                unit_category=category,
                topics=tuple(rng.sample(TOPICS, rng.choice((1, 1, 2)))),
                kind=rng.choice(KINDS),
                status=rng.choice(STATUSES),
                level=rng.choices((0, 1, 2, 3), (70, 20, 7, 3))[0],
                event_date=day if day and k < len(texts) else start + timedelta(days=rng.randrange(1600)),
                publications=tuple(rng.sample(PUBLICATIONS, rng.choice((0, 0, 1, 2)))),
                stamp=f"bench-{k}",
            )
        )
    return docs


def make_queries(docs: list[IndexDoc], count: int) -> list[dict[str, Any]]:
    """Editor queries: 2-4 words from one document's title and text, a third with filters."""
    rng = random.Random(11)
    queries: list[dict[str, Any]] = []
    while len(queries) < count:
        doc = rng.choice(docs)
        words = [w for w in index_terms([*doc.title_tokens, *doc.body_tokens]) if _WORD.match(w)]
        words = list(dict.fromkeys(words))
        if len(words) < 4:
            continue
        picked = rng.sample(words[:40], rng.choice((2, 2, 3, 4)))
        spec: dict[str, Any] = {"words": picked}
        if len(queries) % 3 == 2:
            which = rng.choice(("unit", "kind", "date"))
            if which == "unit":
                spec["unit"] = doc.unit
            elif which == "kind":
                spec["kind"] = doc.kind
            else:
                spec["date_from"] = doc.event_date - timedelta(days=180)
                spec["date_to"] = doc.event_date + timedelta(days=180)
        queries.append(spec)
    return queries


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(
    queries: list[dict[str, Any]], run: Callable[[dict[str, Any]], int], passes: int = 1
) -> tuple[list[float], int]:
    """Run every query once to warm up, then time each; return latencies and total matches."""
    latencies, matched = interleaved(queries, {"one": run}, passes)
    return latencies["one"], matched["one"]


def interleaved(
    queries: list[dict[str, Any]], engines: dict[str, Callable[[dict[str, Any]], int]], passes: int = 1
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Time every engine on every query, taking turns query by query; latencies and matches by name.

    On a shared, noisy machine the load changes from one minute to the next: timing one engine
    after the other would compare different minutes. Taking turns on each query (in an order
    that rotates) puts every engine through the same ones. The first 20 queries warm up each.
    With several passes over all the queries, a query's latency is its best pass: a time slice
    lost to another process on a loaded machine (several milliseconds, more than most queries
    take) is not search time, and it would otherwise decide the p95 of whichever engine it hit.
    A query's passes lie a whole pass apart, so no pass finds the previous one's caches warm.
    """
    for spec in queries[:20]:
        for run in engines.values():
            run(spec)
    latencies: dict[str, list[float]] = {name: [math.inf] * len(queries) for name in engines}
    matched = dict.fromkeys(engines, 0)
    names = list(engines)
    for done in range(passes):
        for k, spec in enumerate(queries):
            for name in names[k % len(names) :] + names[: k % len(names)]:
                started = time.perf_counter()
                found = engines[name](spec)
                elapsed = time.perf_counter() - started
                if done == 0:
                    matched[name] += found
                latencies[name][k] = min(latencies[name][k], elapsed)
    return latencies, matched


# --- our backend --------------------------------------------------------------------------------


def our_query(spec: dict[str, Any], facets: bool = False) -> SearchQuery:
    return SearchQuery(
        text=" ".join(spec["words"]),
        unit=spec.get("unit"),
        kind=spec.get("kind"),
        date_from=spec.get("date_from"),
        date_to=spec.get("date_to"),
        per_page=10,
        want_facets=facets,
    )


def jieba_seconds(docs: list[IndexDoc], segmenter: Segmenter) -> float:
    """Seconds jieba alone needs to cut the title and body of every document, as an ingest does.

    `build_docs` cuts each distinct text once (and caches it); this pass cuts every document's
    texts with the segmenter's jieba tokenizer, uncached, to compare a rebuild with.
    """
    cut = segmenter._tokenizer.lcut  # jieba itself, without our offsets on top
    started = time.perf_counter()
    for d in docs:
        cut(d.title)
        cut(d.body)
    return time.perf_counter() - started


def from_text(docs: list[IndexDoc], segmenter: Segmenter, workers: int) -> Iterator[IndexDoc]:
    """The documents as a reindex makes them: tokens cut afresh from the stored texts."""
    cut = segmenter.cut_many(docs, lambda d: (d.title, d.body), workers)
    for doc, (title_tokens, body_tokens) in cut:
        yield dataclasses.replace(doc, title_tokens=title_tokens, body_tokens=body_tokens)


# --- SQLite FTS5 baseline -------------------------------------------------------------------------


def fts5_index(docs: list[IndexDoc], path: Path) -> tuple[sqlite3.Connection, float]:
    """Index the same token streams into FTS5 (tokens joined by spaces); return the seconds taken."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, body, unit UNINDEXED, kind UNINDEXED, "
        "day UNINDEXED, tokenize='unicode61')"
    )
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO docs(rowid, title, body, unit, kind, day) VALUES (?, ?, ?, ?, ?, ?)",
            (
                (
                    d.id,
                    " ".join(d.title_tokens),
                    " ".join(d.body_tokens),
                    d.unit,
                    d.kind,
                    d.event_date.isoformat(),
                )
                for d in docs
            ),
        )
    return conn, time.perf_counter() - started


def fts5_search(conn: sqlite3.Connection, spec: dict[str, Any]) -> int:
    match = " ".join('"' + w.replace('"', '""') + '"' for w in spec["words"])
    where = "docs MATCH ?"
    params: list[Any] = [match]
    if spec.get("unit"):
        where += " AND unit = ?"
        params.append(spec["unit"])
    if spec.get("kind"):
        where += " AND kind = ?"
        params.append(spec["kind"])
    if spec.get("date_from"):
        where += " AND day BETWEEN ? AND ?"
        params += [spec["date_from"].isoformat(), spec["date_to"].isoformat()]
    total = conn.execute(f"SELECT count(*) FROM docs WHERE {where}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT rowid, highlight(docs, 0, '<mark>', '</mark>'), "
        f"snippet(docs, 1, '<mark>', '</mark>', '…', 40) FROM docs WHERE {where} ORDER BY rank LIMIT 10",
        params,
    ).fetchall()
    assert len(rows) <= 10
    return int(total)


# --- plain Whoosh baseline ------------------------------------------------------------------------


def plain_fields(d: IndexDoc) -> dict[str, Any]:
    """A document as the plain baselines (stock Whoosh, raw tantivy) index it: the same pre-cut
    tokens joined by spaces, unit, kind and the day as yyyymmdd."""
    return {
        "id": d.id,
        "title": " ".join(d.title_tokens),
        "body": " ".join(d.body_tokens),
        "unit": d.unit,
        "kind": d.kind,
        "day": int(d.event_date.strftime("%Y%m%d")),
    }


def plain_whoosh(docs: list[IndexDoc], where: Path) -> tuple[Any, float]:
    """A stock Whoosh index (default analyzer) over the same pre-joined tokens."""
    from whoosh import index
    from whoosh.fields import ID, NUMERIC, TEXT, Schema

    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(stored=True),
        body=TEXT(stored=True),
        unit=ID,
        kind=ID,
        day=NUMERIC(int),
    )
    ix = index.create_in(str(where), schema)
    started = time.perf_counter()
    writer = ix.writer(limitmb=256)
    for d in docs:
        writer.add_document(**{**plain_fields(d), "id": str(d.id)})
    writer.commit()
    return ix, time.perf_counter() - started


def plain_whoosh_search(searcher: Any, spec: dict[str, Any]) -> int:
    from whoosh import query as wq

    words = [wq.Or([wq.Term("title", w), wq.Term("body", w)]) for w in spec["words"]]
    filters: list[Any] = []
    if spec.get("unit"):
        filters.append(wq.Term("unit", spec["unit"]))
    if spec.get("kind"):
        filters.append(wq.Term("kind", spec["kind"]))
    if spec.get("date_from"):
        low, high = (int(spec[k].strftime("%Y%m%d")) for k in ("date_from", "date_to"))
        filters.append(wq.NumericRange("day", low, high))
    results = searcher.search(wq.And(words + filters), limit=10)
    for hit in results:
        hit.highlights("body")
    return len(results)


# --- raw tantivy baseline -------------------------------------------------------------------------
#
# What a plain use of tantivy does with the same pre-cut tokens: title and body each one text field
# holding the document's tokens joined by spaces (stored), split again by a whitespace tokenizer
# with lowercase; a query is a plain boolean query (every word MUST match in the title or the body),
# the filters are term and range queries, top 10 with the total; the title and a body snippet of
# each hit are highlighted with tantivy's own SnippetGenerator. Our layer does more on top (the
# query parsed and segmented, every word widened by its character grams, title and word boosts, the
# permission scope, highlights on whole tokens of the original text): that is what the ratio prices.


def raw_tantivy(docs: list[IndexDoc], where: Path) -> tuple[Any, float]:
    """A plain tantivy index over the same token streams; return its index and the seconds taken."""
    import tantivy

    b = tantivy.SchemaBuilder()
    b.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in ("title", "body"):
        b.add_text_field(name, stored=True, tokenizer_name="ws", index_option="position")
    for name in ("unit", "kind"):
        b.add_text_field(name, tokenizer_name="raw", index_option="basic")
    b.add_integer_field("day", indexed=True, fast=True)
    schema = b.build()
    ix = tantivy.Index(schema, str(where), reuse=False)
    analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
    ix.register_tokenizer("ws", analyzer.filter(tantivy.Filter.lowercase()).build())
    started = time.perf_counter()
    writer = ix.writer(256_000_000, min(4, os.cpu_count() or 1))
    for d in docs:
        writer.add_document(tantivy.Document(**plain_fields(d)))
    writer.commit()
    writer.wait_merging_threads()
    ix.reload()
    return ix, time.perf_counter() - started


def raw_tantivy_search(ix: Any, searcher: Any, spec: dict[str, Any]) -> int:
    import tantivy

    schema = ix.schema
    must, should = tantivy.Occur.Must, tantivy.Occur.Should
    clauses = [
        (
            must,
            tantivy.Query.boolean_query(
                [
                    (should, tantivy.Query.term_query(schema, "title", w, index_option="freq")),
                    (should, tantivy.Query.term_query(schema, "body", w, index_option="freq")),
                ]
            ),
        )
        for w in spec["words"]
    ]
    for name in ("unit", "kind"):
        if spec.get(name):
            clauses.append((must, tantivy.Query.term_query(schema, name, spec[name], index_option="basic")))
    if spec.get("date_from"):
        low, high = (int(spec[k].strftime("%Y%m%d")) for k in ("date_from", "date_to"))
        clauses.append((must, tantivy.Query.range_query(schema, "day", tantivy.FieldType.Integer, low, high)))
    query = tantivy.Query.boolean_query(clauses)
    result = searcher.search(query, 10, count=True)
    titles = tantivy.SnippetGenerator.create(searcher, query, schema, "title")
    titles.set_max_num_chars(1000)  # the whole title, as ours
    bodies = tantivy.SnippetGenerator.create(searcher, query, schema, "body")
    bodies.set_max_num_chars(120)
    for _, address in result.hits:
        doc = searcher.doc(address)
        titles.snippet_from_doc(doc).to_html()
        bodies.snippet_from_doc(doc).to_html()
    return int(result.count or 0)


# --- main -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--backend", choices=("whoosh", "tantivy", "postgres"), default="tantivy")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--passes", type=int, default=5, help="timed passes over the queries; a query counts its best"
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--database-url", default=os.environ.get("XINXI_TEST_DATABASE_URL"))
    parser.add_argument("--workdir", type=Path, default=None, help="where indexes go (default: a temp dir)")
    parser.add_argument("--facets", action="store_true", help="also time searches that ask for facets")
    args = parser.parse_args()
    if args.backend == "postgres" and not args.database_url:
        sys.exit("--backend postgres needs --database-url or XINXI_TEST_DATABASE_URL")

    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="xinxi-bench-", dir=args.workdir))
    segmenter = Segmenter().initialize()
    started = time.perf_counter()
    texts = load_texts(args.corpus, args.docs)
    docs = build_docs(texts, args.docs, segmenter)
    prepare_s = time.perf_counter() - started
    distinct = min(len(texts), len(docs))
    print(f"docs {len(docs)} ({distinct} distinct paragraphs), segmented once in {prepare_s:.1f} s")
    print(f"RSS after preparing the documents: {rss_mb():.0f} MB")
    jieba_s = jieba_seconds(docs, segmenter)
    print(f"jieba alone: {jieba_s:.1f} s for the titles and bodies of {len(docs)} docs")

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    backend: SearchBackend = make_backend(
        args.backend,
        index_dir=workdir / args.backend,
        segmenter=segmenter,
        database_url=args.database_url,
        schema=schema,
    )
    result: dict[str, Any] = {"backend": args.backend, "docs": len(docs), "passes": args.passes}
    try:
        started = time.perf_counter()
        indexed = backend.rebuild(iter(docs))
        index_s = time.perf_counter() - started
        rebuild_peak = rss_mb()
        assert indexed == len(docs) == backend.count()
        print(
            f"{args.backend}: rebuilt {indexed} docs in {index_s:.1f} s ({indexed / index_s:,.0f} docs/s), "
            f"{index_s / jieba_s:.2f}x jieba alone, peak RSS {rebuild_peak:.0f} MB"
        )

        if args.backend == "tantivy":
            # What `flask reindex` does: cut every stored text (in worker processes, one per core)
            # while the index takes the documents; compared with jieba alone on one core.
            other = make_backend("tantivy", index_dir=workdir / "from-text", segmenter=segmenter)
            workers = os.cpu_count() or 1
            started = time.perf_counter()
            rebuilt = other.rebuild(from_text(docs, segmenter, workers))
            text_s = time.perf_counter() - started
            other.close()
            assert rebuilt == len(docs)
            print(
                f"tantivy from text ({workers} cutting processes): {text_s:.1f} s, "
                f"{text_s / jieba_s:.2f}x jieba alone, peak RSS {rss_mb():.0f} MB"
            )
            result.update(
                rebuild_from_text_seconds=round(text_s, 2),
                rebuild_from_text_ratio_vs_jieba=round(text_s / jieba_s, 3),
                cutting_processes=workers,
            )

        queries = make_queries(docs, args.queries)
        conn, fts_s = fts5_index(docs, workdir / "fts5.db")
        engines: dict[str, Callable[[dict[str, Any]], int]] = {
            "ours": lambda spec: backend.search(our_query(spec)).total,
            "fts5": lambda spec: fts5_search(conn, spec),
        }
        searcher: Any = None
        if args.backend == "whoosh":
            (workdir / "plain").mkdir()
            ix, plain_s = plain_whoosh(docs, workdir / "plain")
            searcher = ix.searcher()
            engines["plain"] = lambda spec: plain_whoosh_search(searcher, spec)
        raw: Any = None
        if args.backend == "tantivy":
            (workdir / "raw").mkdir()
            raw_ix, raw_s = raw_tantivy(docs, workdir / "raw")
            raw = raw_ix.searcher()
            engines["raw"] = lambda spec: raw_tantivy_search(raw_ix, raw, spec)
        latencies, matches = interleaved(queries, engines, args.passes)
        our_matches, fts_matches = matches["ours"], matches["fts5"]
        p50, p95 = percentiles(latencies["ours"])
        print(f"{args.backend}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(queries)} queries")
        fts_p50, fts_p95 = percentiles(latencies["fts5"])
        print(
            f"fts5: indexed in {fts_s:.1f} s ({len(docs) / fts_s:,.0f} docs/s), "
            f"p50 {fts_p50:.1f} ms, p95 {fts_p95:.1f} ms (timed in turns with {args.backend})"
        )
        print(f"total matches: {args.backend} {our_matches}, fts5 {fts_matches} (grams widen ours)")
        result.update(
            p50_ms=round(p50, 2),
            p95_ms=round(p95, 2),
            fts5_p50_ms=round(fts_p50, 2),
            fts5_p95_ms=round(fts_p95, 2),
            p95_ratio_vs_fts5=round(p95 / fts_p95, 3),
            index_docs_per_s=round(indexed / index_s),
            jieba_seconds=round(jieba_s, 2),
            rebuild_seconds=round(index_s, 2),
            rebuild_ratio_vs_jieba=round(index_s / jieba_s, 3),
            fts5_index_docs_per_s=round(len(docs) / fts_s),
            rebuild_peak_rss_mb=round(rebuild_peak),
            queries=len(queries),
            matches=our_matches,
            fts5_matches=fts_matches,
        )
        if searcher is not None:
            searcher.close()
            plain_p50, plain_p95 = percentiles(latencies["plain"])
            print(f"plain whoosh: indexed in {plain_s:.1f} s, p50 {plain_p50:.1f} ms, p95 {plain_p95:.1f} ms")
            result.update(
                whoosh_plain_p50_ms=round(plain_p50, 2),
                whoosh_plain_p95_ms=round(plain_p95, 2),
                p95_ratio_vs_plain_whoosh=round(p95 / plain_p95, 3),
                whoosh_plain_index_docs_per_s=round(len(docs) / plain_s),
            )
        if raw is not None:
            raw_p50, raw_p95 = percentiles(latencies["raw"])
            print(
                f"raw tantivy: indexed in {raw_s:.1f} s, p50 {raw_p50:.1f} ms, p95 {raw_p95:.1f} ms, "
                f"{matches['raw']} matches (timed in turns with ours)"
            )
            result.update(
                raw_tantivy_p50_ms=round(raw_p50, 2),
                raw_tantivy_p95_ms=round(raw_p95, 2),
                p50_ratio_vs_raw_tantivy=round(p50 / raw_p50, 3),
                p95_ratio_vs_raw_tantivy=round(p95 / raw_p95, 3),
                raw_tantivy_matches=matches["raw"],
            )
        conn.close()
        if args.facets:
            faceted, _ = timed(
                queries, lambda spec: backend.search(our_query(spec, facets=True)).total, args.passes
            )
            facet_p50, facet_p95 = percentiles(faceted)
            print(f"{args.backend} with facets: p50 {facet_p50:.1f} ms, p95 {facet_p95:.1f} ms")
            result.update(facets_p50_ms=round(facet_p50, 2), facets_p95_ms=round(facet_p95, 2))
    finally:
        backend.close()
        if args.backend == "postgres":
            from sqlalchemy import create_engine, text

            engine = create_engine(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.begin() as conn_pg:
                conn_pg.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    result["peak_rss_mb"] = round(rss_mb())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
