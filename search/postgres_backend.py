"""The search backend for several hosts: PostgreSQL full text search in a table of its own.

The index is derived data outside the app's migrations: the backend creates its table
(`search_doc`, in `schema`) itself with CREATE TABLE IF NOT EXISTS and can drop and recreate it.

PostgreSQL never segments anything either. Its parser would cut our tokens again (``5.2``,
``covid-19`` and mixed Latin/CJK tokens into several lexemes), so the tsvector is written from the
tokens of the one `nlp` pass directly, as a literal with positions, the way `to_tsvector('simple',
…)` of the space-joined tokens would look if the parser kept every token whole (lower-cased, no
stemming, no stop words). Two tsvector columns, each with its own GIN index:

- `words`: title words (weight A) and body words (B), our normalised tokens;
- `grams`: title grams (C) and body grams (D) (`search.grams`), and the single CJK characters of
  title (C) and body (D) as separate lexemes prefixed with ``~``.

Each stream has its own range of positions with a gap between ranges, so a phrase (``<->``) never
crosses from one stream into another. A query word is looked up without a weight unless it is
restricted to titles: GIN keeps no weights, so a weighted lookup has to recheck (and detoast)
every candidate row. A word made of CJK characters only is matched in `grams` alone (its grams
hold every text containing it, whole-token occurrences included); other words match either
column (`words @@ 'gdp' OR grams @@ 'gdp'`). Literals are bound as parameters; filters and the
permission scope are SQL conditions of the same WHERE clause. Ranking is `ts_rank_cd` over the
small `words` column only (title words weigh twice body words), never over the large `grams`
column: ranking reads the ranked column of every match, so a document that holds the query words
as tokens ranks first and gram-only matches follow by id.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateTable

from nlp.segment import Segmenter
from search import grams as g
from search import query as q
from search.backend import BaseBackend, empty_result, keyword_filters, plan_run
from search.base import (
    FACET_NAMES,
    IndexCorruptError,
    IndexDoc,
    SearchError,
    SearchQuery,
    SearchResult,
    join_tokens,
    split_tokens,
)
from search.highlight import make_hit
from search.similar import distinctive_terms

log = logging.getLogger(__name__)

TABLE = "search_doc"
# Bump when the table or what goes into its tsvectors changes; the table comment then mismatches and
# `check()` reports the index (the app recreates and rebuilds it).
SCHEMA_VERSION = 3
VERSION_COMMENT = f"xinxi search index v{SCHEMA_VERSION}"
BATCH_SIZE = 1000
# ts_rank_cd weights for {D, C, B, A} of the `words` column: body word, title word, in the
# proportions of the Whoosh boosts (3, 6).
RANK_WEIGHTS = "{0.1,0.2,0.3,0.6}"
GRAM_SCORE = 0.01
# PostgreSQL limits: positions 1..16383, 256 positions per lexeme, 2047 bytes per lexeme.
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 255
MAX_LEXEME_BYTES = 2000
CHAR_PREFIX = "~"
# A doc frequency above this many documents is counted no further (the term is common anyway).
DF_CAP = 1000

_KEYWORD_COLUMNS = {
    "unit": "unit",
    "unit_category": "unit_category",
    "kind": "kind",
    "status": "status",
    "genre": "genre",
}
# Filters on the array columns (an item has several topics and publications).
_ARRAY_COLUMNS = {"topic": "topics", "publication": "publications"}


def build_table(schema: str) -> sa.Table:
    """Return the table of the index in `schema`."""
    return sa.Table(
        TABLE,
        sa.MetaData(schema=schema),
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("stamp", sa.Text, nullable=False, server_default=""),
        sa.Column("unit", sa.Text),
        sa.Column("unit_category", sa.Text),
        sa.Column("topics", pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("kind", sa.Text),
        sa.Column("status", sa.Text),
        sa.Column("genre", sa.Text),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("event_date", sa.Date, nullable=False),
        sa.Column("publications", pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("title_tokens", sa.Text, nullable=False),
        sa.Column("body_tokens", sa.Text, nullable=False),
        sa.Column("words", pg.TSVECTOR, nullable=False),
        sa.Column("grams", pg.TSVECTOR, nullable=False),
    )


# --- tsvector and tsquery literals --------------------------------------------------------------


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


# Position labels ("17B") made once: a document writes thousands of them.
_LABELS = {weight: [f"{at}{weight}" for at in range(MAX_POSITION + 1)] for weight in "ABCD"}


def _tsvector(streams: Iterable[tuple[Iterable[str], str, str]]) -> str:
    """A tsvector literal of (lexemes, weight, prefix) streams, positions running on across them."""
    positions: dict[str, list[str]] = {}
    at = 1
    for stream, weight, prefix in streams:
        labels = _LABELS[weight]
        for lexeme in stream:
            if prefix:
                lexeme = prefix + lexeme
            slots = positions.get(lexeme)
            if slots is None:
                positions[lexeme] = slots = []
            if len(slots) < MAX_POSITIONS_PER_LEXEME:
                slots.append(labels[at if at < MAX_POSITION else MAX_POSITION])
            at += 1
        at += 1  # a gap: no phrase crosses from one stream into the next
    return " ".join(
        f"{_quote(lexeme)}:{','.join(slots)}"
        for lexeme, slots in positions.items()
        if len(lexeme) * 4 <= MAX_LEXEME_BYTES or len(lexeme.encode("utf-8")) <= MAX_LEXEME_BYTES
    )


def words_literal(title_tokens: Sequence[str], body_tokens: Sequence[str]) -> str:
    """Return the `words` tsvector of a document as a literal (see the module docstring)."""
    return _tsvector([(q.index_terms(title_tokens), "A", ""), (q.index_terms(body_tokens), "B", "")])


def grams_literal(title_tokens: Sequence[str], body_tokens: Sequence[str]) -> str:
    """Return the `grams` tsvector of a document as a literal (see the module docstring)."""
    title_grams, title_chars = g.index_streams(title_tokens)
    body_grams, body_chars = g.index_streams(body_tokens)
    return _tsvector(
        [
            (title_grams, "C", ""),
            (body_grams, "D", ""),
            # Last, so that a very long text runs out of positions here, where no phrase looks.
            (title_chars, "C", CHAR_PREFIX),
            (body_chars, "D", CHAR_PREFIX),
        ]
    )


def _derived(title_tokens: Sequence[str], body_tokens: Sequence[str]) -> dict[str, str]:
    return {
        "title_tokens": join_tokens(title_tokens),
        "body_tokens": join_tokens(body_tokens),
        "words": words_literal(title_tokens, body_tokens),
        "grams": grams_literal(title_tokens, body_tokens),
    }


def _sequence(lexemes: Sequence[str], weight: str) -> str:
    suffix = f":{weight}" if weight else ""
    parts = [f"{_quote(lexeme)}{suffix}" for lexeme in lexemes]
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def words_tsquery(node: q.Term | q.Phrase) -> str:
    """The tsquery of a term or phrase in the `words` column (title words only if asked)."""
    words = (node.text,) if isinstance(node, q.Term) else node.words
    return _sequence(words, "A" if node.field == "title" else "")


def grams_tsquery(node: q.Term | q.Phrase) -> str | None:
    """The tsquery of a term or phrase in the `grams` column (None if it has no grams)."""
    widening = g.widening(node)
    if widening is None:
        return None
    weight = "C" if node.field == "title" else ""
    if widening.kind == "chars":
        return _sequence([CHAR_PREFIX + widening.grams[0]], weight)
    return _sequence(widening.grams, weight)


def _grams_cover(node: q.Node) -> bool:
    """Whether the `grams` column alone finds a subtree: CJK-only terms under And/Or/Not.

    A CJK word's grams (or its one character) are in the gram stream wherever the word is a token,
    so its word match adds nothing. Not so for other words (``15`` is a token of ``iphone 15`` but
    no gram of ``iphone15``) nor for phrases (their words may be apart in the text, across
    punctuation the word stream drops).
    """
    if isinstance(node, q.Term):
        return g.is_cjk_text(node.text) and not node.whole
    if isinstance(node, q.Not):
        return _grams_cover(node.child)
    if isinstance(node, q.And | q.Or):
        return all(_grams_cover(child) for child in node.children)
    return False


def grams_tree_tsquery(node: q.Node) -> str:
    """Translate a subtree for which `_grams_cover` holds into one `grams` tsquery."""
    if isinstance(node, q.Term):
        found = grams_tsquery(node)
        if found is None:  # pragma: no cover - a CJK term always has grams
            raise SearchError(f"no grams for {node!r}")
        return found
    if isinstance(node, q.Not):
        return "!" + grams_tree_tsquery(node.child)
    if isinstance(node, q.And | q.Or):
        joiner = " & " if isinstance(node, q.And) else " | "
        return "(" + joiner.join(grams_tree_tsquery(child) for child in node.children) + ")"
    raise SearchError(f"not a gram query: {node!r}")


def rank_tsquery(node: q.Node) -> str | None:
    """Return the `words` tsquery that ranks: every positive term or phrase OR'ed (None without)."""
    leaves: list[str] = []

    def collect(n: q.Node) -> None:
        if isinstance(n, q.Term | q.Phrase):
            leaves.append(words_tsquery(n))
        elif isinstance(n, q.And | q.Or):
            for child in n.children:
                collect(child)

    collect(node)
    return " | ".join(leaves) if leaves else None


class PostgresBackend(BaseBackend):
    """A full-text index in PostgreSQL (`search_doc` in `schema`), through SQLAlchemy core + psycopg."""

    def __init__(self, database_url: str, segmenter: Segmenter, *, schema: str = "public") -> None:
        url = sa.make_url(database_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        # Statements are never prepared server-side: a generic plan cannot know how selective
        # one search's tsquery is, so every search is planned with its own values. No JIT: a
        # search over many matches is estimated costly enough to be compiled, which takes longer
        # (tens of milliseconds) than running it.
        self._engine: Engine = sa.create_engine(
            url, pool_pre_ping=True, connect_args={"prepare_threshold": None, "options": "-c jit=off"}
        )
        self._segmenter = segmenter
        self._schema = schema
        self._table = build_table(schema)
        self._pid = os.getpid()
        preparer = self._engine.dialect.identifier_preparer
        self._qschema = preparer.quote_schema(schema)
        self._qtable = f"{self._qschema}.{preparer.quote(TABLE)}"
        self._ensure()

    # --- the table -------------------------------------------------------------------------------

    def _engine_here(self) -> Engine:
        if self._forked():
            # A forked worker must not use the parent's pooled connections.
            self._engine.dispose(close=False)
        return self._engine

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with self._engine_here().begin() as conn:
            yield conn

    def _lock_ddl(self, conn: Connection) -> None:
        # Several processes may create the table at once; serialise them.
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"xinxi-search:{self._schema}"},
        )

    def _create(self, conn: Connection) -> None:
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {self._qschema}"))
        # The table as `build_table` declares it (the one declaration of its columns).
        conn.execute(CreateTable(self._table, if_not_exists=True))
        # Ranking reads `words` of every match: keep it in the row (compressed), and let the larger
        # columns move out to TOAST storage first.
        conn.execute(sa.text(f"ALTER TABLE {self._qtable} ALTER COLUMN words SET STORAGE MAIN"))
        for column in ("words", "grams"):
            conn.execute(
                sa.text(
                    f"CREATE INDEX IF NOT EXISTS {TABLE}_{column}_idx ON {self._qtable} USING gin ({column})"
                )
            )
        conn.execute(
            sa.text(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_date_idx ON {self._qtable} (event_date DESC, id DESC)"
            )
        )
        conn.execute(sa.text(f"COMMENT ON TABLE {self._qtable} IS '{VERSION_COMMENT}'"))

    def _ensure(self) -> None:
        try:
            with self._begin() as conn:
                self._lock_ddl(conn)
                if self._version(conn) in (None, VERSION_COMMENT):
                    self._create(conn)
        except SQLAlchemyError as exc:
            log.warning("search table %s cannot be created: %r", self._qtable, exc)

    def _version(self, conn: Connection) -> str | None:
        """The table's comment, "" for a table without one, None when there is no table."""
        row = conn.execute(
            sa.text("SELECT obj_description(to_regclass(:name), 'pg_class'), to_regclass(:name) IS NOT NULL"),
            {"name": self._qtable},
        ).one()
        return None if not row[1] else str(row[0] or "")

    def recreate(self) -> None:
        """Drop the index table and create an empty one (then rebuild it from the database)."""
        with self._begin() as conn:
            self._lock_ddl(conn)
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {self._qtable}"))
            self._create(conn)

    def close(self) -> None:
        """Close the pooled connections (the pool reconnects on the next use)."""
        self._engine.dispose()

    # --- writing ---------------------------------------------------------------------------------

    @staticmethod
    def _row(doc: IndexDoc) -> dict[str, Any]:
        return {
            "id": doc.id,
            "stamp": doc.stamp,
            "unit": doc.unit or None,
            "unit_category": doc.unit_category or None,
            "topics": [t for t in doc.topics if t],
            "kind": doc.kind or None,
            "status": doc.status or None,
            "genre": doc.genre or None,
            "level": doc.level,
            "event_date": doc.event_date,
            "publications": [p for p in doc.publications if p],
            "title": doc.title,
            "body": doc.body,
            **(doc.derived or _derived(doc.title_tokens, doc.body_tokens)),
        }

    def derive(self, title_tokens: Sequence[str], body_tokens: Sequence[str]) -> dict[str, str]:
        """The stored token streams and the two tsvector literals (see `SearchBackend.derive`)."""
        return _derived(title_tokens, body_tokens)

    def _upsert(self, conn: Connection, docs: Sequence[IndexDoc]) -> None:
        table = self._table
        columns = [c.name for c in table.columns]
        values: dict[str, Any] = {name: sa.bindparam(name) for name in columns}
        for name in ("words", "grams"):
            values[name] = sa.cast(sa.bindparam(name, type_=sa.Text), pg.TSVECTOR)
        stmt = pg.insert(table).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={name: stmt.excluded[name] for name in columns if name != "id"},
        )
        conn.execute(stmt, [self._row(doc) for doc in docs])

    def index(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace these documents (by id) and commit."""
        batch = list(docs)
        if not batch:
            return
        with self._guard(), self._begin() as conn:
            for start in range(0, len(batch), BATCH_SIZE):
                self._upsert(conn, batch[start : start + BATCH_SIZE])

    def sync(self, ids: Sequence[int], load: Callable[[Sequence[int]], Iterable[IndexDoc]]) -> None:
        """Replace the documents `load` returns and remove the other ids, in one transaction that
        holds an advisory lock, so concurrent syncs of one item run one after the other."""
        keys = sorted({int(i) for i in ids})
        if not keys:
            return
        with self._guard(), self._begin() as conn:
            conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"xinxi-search-write:{self._schema}"},
            )
            docs = list(load(keys))
            for start in range(0, len(docs), BATCH_SIZE):
                self._upsert(conn, docs[start : start + BATCH_SIZE])
            gone = sorted(set(keys) - {doc.id for doc in docs})
            if gone:
                conn.execute(sa.delete(self._table).where(self._table.c.id == sa.any_(sa.literal(gone))))

    def delete(self, ids: Iterable[int]) -> None:
        """Remove these documents and commit."""
        keys = [int(i) for i in ids]
        if not keys:
            return
        with self._guard(), self._begin() as conn:
            conn.execute(sa.delete(self._table).where(self._table.c.id == sa.any_(sa.literal(keys))))

    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        """Replace everything with `docs` in one transaction; return how many were indexed.

        Readers keep seeing the old rows until the commit (DELETE, not TRUNCATE, so they are not
        blocked meanwhile). A table of another version is recreated first.
        """
        with self._guard(), self._begin() as conn:
            self._lock_ddl(conn)
            if self._version(conn) != VERSION_COMMENT:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {self._qtable}"))
                self._create(conn)
            conn.execute(sa.delete(self._table))
            source = iter(docs)
            total = 0
            while batch := list(islice(source, BATCH_SIZE)):
                self._upsert(conn, batch)
                total += len(batch)
        with self._guard(), self._begin() as conn:
            # Fresh statistics, or the planner guesses how selective a tsquery or a date range is
            # and may walk the date index through every row of the range instead of the GIN index.
            conn.execute(sa.text(f"ANALYZE {self._qtable}"))
        return total

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            if self._missing(exc):
                raise IndexCorruptError("搜索索引表不存在或已损坏，请重建索引") from exc
            raise SearchError(f"search database error: {exc.__class__.__name__}") from exc

    @staticmethod
    def _missing(exc: SQLAlchemyError) -> bool:
        code = getattr(getattr(exc, "orig", None), "sqlstate", None)
        return code in ("42P01", "42703", "3F000")  # undefined table / column / schema

    # --- reading ---------------------------------------------------------------------------------

    def count(self) -> int:
        """How many documents the index holds."""
        with self._guard(), self._begin() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(self._table)).scalar_one())

    def check(self) -> bool:
        """Whether the table exists with the current version and reads cleanly."""
        try:
            with self._begin() as conn:
                if self._version(conn) != VERSION_COMMENT:
                    log.warning("search table %s is missing or of another version", self._qtable)
                    return False
                conn.execute(sa.select(self._table).limit(5)).all()
                conn.execute(sa.text("SELECT count(*) FROM " + self._qtable)).scalar_one()
            return True
        except SQLAlchemyError as exc:
            log.warning("search table %s failed its check: %r", self._qtable, exc)
            return False

    def stamps(self) -> dict[int, str]:
        """Return the stamp stored with every indexed document, by id."""
        table = self._table
        with self._guard(), self._begin() as conn:
            rows = conn.execute(sa.select(table.c.id, table.c.stamp))
            return {int(row[0]): str(row[1]) for row in rows}

    def _similar_terms(self, item_id: int) -> list[str]:
        table = self._table
        with self._guard(), self._begin() as conn:
            row = conn.execute(
                sa.select(table.c.title_tokens, table.c.body_tokens).where(table.c.id == item_id)
            ).one_or_none()
            if row is None:
                return []
            total = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

            def doc_freq(terms: Sequence[str]) -> dict[str, int]:
                # One statement, one capped count per term: a common term stops counting early.
                counts = []
                for k, term in enumerate(terms):
                    hit = table.c.words.op("@@")(sa.cast(sa.bindparam(f"q{k}", _quote(term)), pg.TSQUERY))
                    capped = sa.select(sa.literal(1)).where(hit).limit(DF_CAP).subquery()
                    counts.append(sa.select(sa.func.count()).select_from(capped).scalar_subquery())
                values = conn.execute(sa.select(*counts)).one()
                return {term: int(n) for term, n in zip(terms, values, strict=True)}

            return distinctive_terms(split_tokens(str(row[0])), split_tokens(str(row[1])), doc_freq, total)

    # --- the query -------------------------------------------------------------------------------

    def _match(self, node: q.Node, params: list[int]) -> Any:
        """Translate our query tree into a SQL condition (see the module docstring)."""
        table = self._table

        def matches(column: Any, literal: str) -> Any:
            params[0] += 1
            bound = sa.bindparam(f"m{params[0]}", literal, type_=sa.Text)
            return column.op("@@")(sa.cast(bound, pg.TSQUERY))

        if _grams_cover(node):
            return matches(table.c.grams, grams_tree_tsquery(node))
        if isinstance(node, q.Term | q.Phrase):
            in_words = matches(table.c.words, words_tsquery(node))
            grams = grams_tsquery(node)
            return in_words if grams is None else sa.or_(in_words, matches(table.c.grams, grams))
        if isinstance(node, q.MatchAll):
            return sa.true()
        if isinstance(node, q.FieldTerm):
            if node.field == "topic":
                return table.c.topics.contains(sa.cast(sa.literal([node.value]), pg.ARRAY(sa.Text)))
            return table.c[_KEYWORD_COLUMNS[node.field]] == node.value
        if isinstance(node, q.Not):
            return sa.not_(self._match(node.child, params))
        if isinstance(node, q.Or):
            return sa.or_(*(self._match(child, params) for child in node.children))
        if isinstance(node, q.And):
            return sa.and_(*(self._match(child, params) for child in node.children))
        raise SearchError(f"unknown query node {node!r}")

    def _where(self, tree: q.Node, query: SearchQuery, exclude: int | None) -> list[Any]:
        """The text match, the structured filters and the permission scope: all in WHERE."""
        table = self._table
        conditions: list[Any] = [self._match(tree, [0]), table.c.level <= query.max_level]
        if query.allowed_units is not None:
            conditions.append(table.c.unit == sa.any_(sa.literal(sorted(query.allowed_units))))
        for name, value in keyword_filters(query):
            if name in _ARRAY_COLUMNS:
                column = table.c[_ARRAY_COLUMNS[name]]
                conditions.append(column.contains(sa.cast(sa.literal([value]), pg.ARRAY(sa.Text))))
            else:
                conditions.append(table.c[name] == value)
        if query.date_from is not None:
            conditions.append(table.c.event_date >= query.date_from)
        if query.date_to is not None:
            conditions.append(table.c.event_date <= query.date_to)
        if exclude is not None:
            conditions.append(table.c.id != exclude)
        return conditions

    def _facet_statement(self, where: list[Any]) -> Any:
        table = self._table
        matched = (
            sa.select(
                table.c.unit,
                table.c.unit_category,
                table.c.kind,
                table.c.status,
                table.c.genre,
                table.c.topics,
                table.c.publications,
                sa.cast(sa.extract("year", table.c.event_date), sa.Integer).label("year"),
            )
            .where(*where)
            .cte("matched")
        )
        parts: list[Any] = [sa.select(sa.literal("total"), sa.literal(None, sa.Text), sa.func.count())]
        parts[0] = parts[0].select_from(matched)
        for name in ("unit", "unit_category", "kind", "status", "genre"):
            key = matched.c[name]
            parts.append(sa.select(sa.literal(name), key, sa.func.count()).group_by(key))
        year = sa.cast(matched.c.year, sa.Text)
        parts.append(sa.select(sa.literal("year"), year, sa.func.count()).group_by(year))
        for name, column in (("topic", matched.c.topics), ("publication", matched.c.publications)):
            values = sa.select(sa.func.unnest(column).label("key")).subquery()
            parts.append(sa.select(sa.literal(name), values.c.key, sa.func.count()).group_by(values.c.key))
        return sa.union_all(*parts)

    @staticmethod
    def _order(by_date: bool, columns: Any, rank: Any) -> list[Any]:
        if by_date:
            return [columns.event_date.desc(), columns.id.desc()]
        return [sa.desc(rank), columns.id.asc()]

    def _run(
        self, tree: q.Node, query: SearchQuery, *, facets: bool, exclude: int | None = None
    ) -> SearchResult:
        plan = plan_run(tree, query)
        if plan is None:
            return empty_result(facets)
        terms, by_date, page, per_page = plan.terms, plan.by_date, plan.page, plan.per_page
        table = self._table
        where = self._where(tree, query, exclude)
        rank_query = rank_tsquery(tree)
        if by_date or rank_query is None:
            rank: Any = sa.literal(0.0)
            keys = [table.c.event_date, table.c.id]
        else:
            ranking = sa.cast(sa.bindparam("rank_q", rank_query, type_=sa.Text), pg.TSQUERY)
            weights = sa.cast(sa.literal(RANK_WEIGHTS), pg.ARRAY(sa.REAL))
            # Every match holds the query's grams: a gram-only match scores GRAM_SCORE, below any
            # document that holds the words as tokens.
            rank = sa.func.ts_rank_cd(weights, table.c.words, ranking) + GRAM_SCORE
            keys = [table.c.id]
        # Rank (and count) every match in a sub-select that carries only ids and sort keys; the
        # stored tokens are read for the one page of rows that survives the LIMIT.
        ranked = (
            sa.select(*keys, rank.label("rank"), sa.func.count().over().label("total"))
            .where(*where)
            .order_by(*self._order(by_date or rank_query is None, table.c, "rank"))
            .limit(per_page)
            .offset((page - 1) * per_page)
            .subquery("ranked")
        )
        page_stmt = (
            sa.select(ranked, table.c.title_tokens, table.c.body_tokens)
            .join_from(ranked, table, table.c.id == ranked.c.id)
            .order_by(*self._order(by_date or rank_query is None, ranked.c, ranked.c.rank))
        )
        with self._guard(), self._engine_here().connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                rows = conn.execute(page_stmt).all()
                counted: dict[str, dict[str, int]] = {}
                total = int(rows[0].total) if rows else 0
                if facets:
                    counted = {name: {} for name in FACET_NAMES}
                    for name, key, n in conn.execute(self._facet_statement(where)):
                        if name == "total":
                            total = int(n)
                        elif key not in (None, ""):
                            counted[name][str(key)] = int(n)
                elif not rows and page > 1:  # past the last page: the total still counts
                    count = sa.select(sa.func.count()).select_from(table).where(*where)
                    total = int(conn.execute(count).scalar_one())
        hits = [
            make_hit(
                int(row.id),
                0.0 if by_date else float(row.rank),
                split_tokens(str(row.title_tokens)),
                split_tokens(str(row.body_tokens)),
                terms,
            )
            for row in rows
        ]
        return SearchResult(total=total, hits=hits, facets=counted)
