"""Submitting, reading and reviewing information items."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import defer, selectinload

from nlp import Analysis, clean_text, similarity, to_simplified
from nlp.analyze import TopicLexicon
from nlp.entities import grassroots_kinds
from nlp.fingerprint import differing_bits, most_differing_bits
from nlp.marks import classification_mark
from nlp.normalize import strip_unsafe_chars
from search import SearchError
from search.base import join_tokens
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import (
    DEFAULT_LEVEL,
    EVENT_GRADES,
    GENRES,
    LEVELS,
    REFUSED_LEVEL,
    STATUS_LABELS,
    Adoption,
    Item,
    ItemAnalysis,
    ItemDuplicate,
    ItemSource,
    ItemTopic,
    ItemVersion,
    Publication,
    SimhashBand,
    Topic,
    Unit,
    UpwardReport,
    User,
)
from webapp.services import audit, requests, scoring, writers
from webapp.services.access import (
    can_see,
    can_withdraw,
    is_admin,
    is_editor,
    is_reporter,
    scoped_query,
    visible_clause,
    visible_levels,
)
from webapp.services.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from webapp.services.indexing import index_items
from webapp.services.paging import Page, PageRequest, paginate
from webapp.timeutil import SHANGHAI, local_today, to_local

MAX_TITLE_CHARS = 300
MAX_TEXT_CHARS = 100_000
DUPLICATE_THRESHOLD = 0.8
DUPLICATE_WINDOW_DAYS = 180
REVIEW_ACTIONS = {"adopt": "adopted", "reject": "rejected", "return": "returned"}
# Which review actions each status allows: a rejected item may still be adopted after a second look,
# and an adopted item may be adopted into a further publication.
ALLOWED_ACTIONS = {
    "submitted": {"adopt", "reject", "return"},
    "rejected": {"adopt"},
    "adopted": {"adopt"},
    "returned": set(),
    "merged": set(),
}


@dataclass
class ItemInput:
    """What a submitter provides, from the form, the API, an upload or the importer."""

    title: str
    text: str
    unit_code: str | None = None
    event_date: date | str | None = None
    level: str | None = None
    author: str = ""
    source_filename: str | None = None
    source_encoding: str | None = None
    tables: list[list[list[str]]] | None = None  # Word tables of an upload, rows of cells
    genre: str = "dynamic"
    event_time: datetime | str | None = None  # emergencies: when it happened (local time)
    event_grade: str | None = None  # emergencies: EVENT_GRADES, which sets the 迟报 time limit
    writer: str | int | None = None  # the unit's 信息员 who wrote it: a roster id or name
    request_id: int | None = None  # the commissioned request this item answers


@dataclass
class DuplicateWarning:
    """An earlier item that looks like the same news."""

    item_id: int
    title: str
    unit: str
    similarity: float


@dataclass
class SubmitResult:
    """The stored item and the near-duplicates found on submission."""

    item: Item
    duplicates: list[DuplicateWarning] = field(default_factory=list)
    analysis: Analysis | None = None  # kept for the caller that indexes later (bulk import)
    notices: list[str] = field(default_factory=list)  # e.g. the level raised by a mark in the text


def parse_event_date(value: date | str | None) -> date:
    """Accept a date or YYYY-MM-DD; default today; refuse dates in the future."""
    today = local_today()
    if value is None or value == "":
        return today
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError("事件日期格式应为 YYYY-MM-DD", code="invalid_date") from None
    if value > today + timedelta(days=1):
        raise ValidationError("事件日期不能晚于今天", code="invalid_date")
    return value


def parse_event_time(value: datetime | str | None, genre: str) -> datetime | None:
    """An emergency's event time (local wall clock, e.g. 2026-11-20T08:30); required for emergencies."""
    if value is None or value == "":
        if genre == "emergency":
            raise ValidationError("突发事件信息须填写事件发生时间", code="event_time_required")
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError("事件发生时间格式应为 YYYY-MM-DDTHH:MM", code="invalid_time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    if value > datetime.now(UTC) + timedelta(minutes=5):
        raise ValidationError("事件发生时间不能晚于现在", code="invalid_time")
    return value.astimezone(UTC)


def _level(value: str | None) -> str:
    level = (value or DEFAULT_LEVEL).strip()
    if level == REFUSED_LEVEL:
        raise ValidationError("绝密信息严禁通过网络报送，本系统不予接收", code="level_refused")
    if level not in LEVELS:
        raise ValidationError(f"密级必须是 {'、'.join(LEVELS)} 之一", code="invalid_level")
    return level


def classified_level(requested: str | None, title: str, text: str) -> tuple[str, str | None]:
    """The item's level as chosen, refused for 绝密 whether chosen or marked in the header lines, and
    raised to a 机密/秘密 mark found there; with a notice for the submitter when it was raised."""
    level = _level(requested)
    mark = classification_mark(title, text)
    if mark == REFUSED_LEVEL:
        raise ValidationError(
            "该信息标有绝密标志。绝密信息严禁通过网络报送，本系统不予接收", code="level_refused"
        )
    if mark is not None and LEVELS.index(mark) > LEVELS.index(level):
        return mark, f"信息标有“{mark}”密级标志，密级已由“{level}”调整为“{mark}”"
    return level, None


def _unit_for(actor: User | None, unit_code: str | None) -> Unit:
    if is_reporter(actor) and actor is not None:
        if unit_code and actor.unit is not None and unit_code != actor.unit.code:
            raise Forbidden("信息员只能以本单位名义报送")
        if actor.unit is None:
            raise Forbidden("该账号未关联报送单位")
        return actor.unit
    if actor is not None and not is_editor(actor):
        raise Forbidden("只有信息员、编辑和管理员可以报送信息")
    if not unit_code:
        raise ValidationError("请选择报送单位", code="unit_required")
    unit = db.session.scalar(db.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise ValidationError(f"没有编码为 {unit_code} 的报送单位", code="unknown_unit")
    return unit


_lexicon_cache: dict[str, TopicLexicon] = {}


def topic_lexicon() -> TopicLexicon | None:
    """The administrator's topic word lists, or None for the shipped defaults.

    The same object is returned while the lists are unchanged, so the analyzer can keep its
    compiled form of them.
    """
    rows = db.session.execute(db.select(Topic.name, Topic.words).where(Topic.active)).all()
    if not rows:
        return None
    lexicon = {name: dict(words or {}) for name, words in rows}
    cached = _lexicon_cache.get("current")
    if cached != lexicon:
        _lexicon_cache["current"] = cached = lexicon
    return cached


_PENDING = DomainError("not stored yet")  # a slot of submit_batch's outcomes, filled in order
SIMHASH_BANDS = 8  # of 8 bits each: two fingerprints within 7 bits share a band for sure
STORED_DUPLICATES = 20  # pairs kept per item, before each viewer's scope narrows them to 5
Row = tuple[int, str, str, int]


def band_keys(fingerprint: int) -> list[int]:
    """The bucket keys of a SimHash fingerprint: band number × 256 + the band's 8 bits."""
    bits = fingerprint & (2**64 - 1)
    return [band * 256 + ((bits >> (8 * band)) & 0xFF) for band in range(SIMHASH_BANDS)]


def _candidates(viewer: User | None, fingerprint: int) -> list[Row]:
    """Items `viewer` may see that share a SimHash band with `fingerprint` and are similar enough,
    by index lookups (the check does not scan the archive, nor read the items it rules out)."""
    bucketed = db.session.execute(
        db.select(SimhashBand.item_id, SimhashBand.fingerprint).where(
            SimhashBand.key.in_(band_keys(fingerprint))
        )
    )
    return _rows(viewer, {i for i, fp in bucketed if similarity(fingerprint, fp) >= DUPLICATE_THRESHOLD})


def _rows(viewer: User | None, ids: set[int]) -> list[Row]:
    """(id, title, unit name, fingerprint) of the items among `ids` that `viewer` may see."""
    found: list[Row] = []
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):
        found.extend(
            tuple(row)
            for row in db.session.execute(
                db.select(Item.id, Item.title, Unit.name, Item.fingerprint)
                .join(Unit, Item.unit_id == Unit.id)
                .where(Item.id.in_(wanted[start : start + 500]), visible_clause(viewer))
            )
        )
    return found


def _matches(
    fingerprint: int, rows: list[Row], exclude_id: int | None, limit: int = 5
) -> list[DuplicateWarning]:
    found = [
        DuplicateWarning(item_id, title, unit_name, round(score, 3))
        for item_id, title, unit_name, fp in rows
        if item_id != exclude_id and (score := similarity(fingerprint, fp)) >= DUPLICATE_THRESHOLD
    ]
    return sorted(found, key=lambda d: (-d.similarity, -d.item_id))[:limit]


def find_duplicates(
    viewer: User | None, fingerprint: int, exclude_id: int | None = None, limit: int = 5
) -> list[DuplicateWarning]:
    """Items `viewer` may see whose fingerprint is at least DUPLICATE_THRESHOLD similar, found
    through the SimHash band buckets (certain within 7 differing bits, likely up to the threshold)."""
    return _matches(fingerprint, _candidates(viewer, fingerprint), exclude_id, limit)


def keep_analysis(item: Item, analysis: Analysis) -> None:
    """Store what the index and the duplicate check need from `analysis` with the item (its token
    streams and SimHash bands), in the caller's transaction."""
    title_tokens = join_tokens([t.text for t in analysis.title_tokens])
    body_tokens = join_tokens([t.text for t in analysis.tokens])
    kept = item.stored_analysis
    if kept is None:
        item.stored_analysis = ItemAnalysis(title_tokens=title_tokens, body_tokens=body_tokens)
    else:
        kept.title_tokens, kept.body_tokens = title_tokens, body_tokens


def record_duplicates(item: Item, *, new: bool = False) -> list[DuplicateWarning]:
    """Find the item's near-duplicates once (across every item a system job sees), store the pairs
    both ways for the item page and the review queue, and file its bands; the item has an id (a
    `new` one has no bands or pairs to replace yet)."""
    if not new:
        db.session.execute(db.delete(SimhashBand).where(SimhashBand.item_id == item.id))
        db.session.execute(
            db.delete(ItemDuplicate).where(
                (ItemDuplicate.item_id == item.id) | (ItemDuplicate.other_id == item.id)
            )
        )
    return record_duplicates_batch([item])[0]


@dataclass
class BandBuckets:
    """The SimHash band buckets kept across the batches of one bulk import: read once, then only
    the bands filed since (each batch's own lookup would read a growing share of the archive)."""

    rows: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # key: [(item id, fingerprint)]
    last_id: int = 0  # the newest item whose bands are in `rows`

    def refresh(self) -> None:
        """Add the bands filed since the last look, by this process or any other."""
        for key, item_id, fingerprint in db.session.execute(
            db.select(SimhashBand.key, SimhashBand.item_id, SimhashBand.fingerprint).where(
                SimhashBand.item_id > self.last_id
            )
        ):
            self.rows.setdefault(key, []).append((item_id, fingerprint))
            self.last_id = max(self.last_id, item_id)


def record_duplicates_batch(
    batch: list[Item], kept: BandBuckets | None = None
) -> list[list[DuplicateWarning]]:
    """`record_duplicates(item, new=True)` for each new item of a batch in order, with one band
    lookup for the batch (or the buckets `kept` across batches): each item finds what the archive
    holds and the batch's earlier items."""
    if not batch:
        return []
    keys_of = [band_keys(item.fingerprint) for item in batch]
    buckets: dict[int, list[tuple[int, int]]] = {}
    if kept is not None:
        kept.refresh()
        buckets = kept.rows
        kept.last_id = max(kept.last_id, *(item.id for item in batch))  # filed below
    wanted = sorted({key for keys in keys_of for key in keys}) if kept is None else []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for key, item_id, fingerprint in db.session.execute(
            db.select(SimhashBand.key, SimhashBand.item_id, SimhashBand.fingerprint).where(
                SimhashBand.key.in_(chunk)
            )
        ):
            buckets.setdefault(key, []).append((item_id, fingerprint))
    close_of: list[set[int]] = []
    most_bits = most_differing_bits(DUPLICATE_THRESHOLD)  # a batch compares thousands of candidates
    for item, keys in zip(batch, keys_of, strict=True):
        close_of.append(
            {
                other
                for key in keys
                for other, fp in buckets.get(key, ())
                if differing_bits(item.fingerprint, fp) <= most_bits
            }
        )
        for key in keys:  # filed now: the batch's later items find this one, as one by one
            buckets.setdefault(key, []).append((item.id, item.fingerprint))
    in_batch = {item.id for item in batch}
    rows = {row[0]: row for row in _rows(None, set().union(*close_of) - in_batch)}
    rows.update({item.id: (item.id, item.title, item.unit.name, item.fingerprint) for item in batch})
    found_all: list[list[DuplicateWarning]] = []
    pairs: list[dict[str, Any]] = []
    bands: list[dict[str, Any]] = []
    for item, keys, close in zip(batch, keys_of, close_of, strict=True):
        found = _matches(item.fingerprint, [rows[i] for i in close if i in rows], item.id, STORED_DUPLICATES)
        found_all.append(found)
        for d in found:
            pairs.append({"item_id": item.id, "other_id": d.item_id, "similarity": d.similarity})
            pairs.append({"item_id": d.item_id, "other_id": item.id, "similarity": d.similarity})
        bands.extend({"key": key, "item_id": item.id, "fingerprint": item.fingerprint} for key in keys)
    if pairs:
        db.session.execute(db.insert(ItemDuplicate), pairs)
    db.session.execute(db.insert(SimhashBand), bands)
    return found_all


def _visible_only(viewer: User | None, found: list[DuplicateWarning]) -> list[DuplicateWarning]:
    """The warnings among `found` that name items `viewer` may see (at most five)."""
    if viewer is None or not found:  # a system job sees what `record_duplicates` looked through
        return found[:5]
    ids = set(
        db.session.scalars(
            db.select(Item.id).where(Item.id.in_([d.item_id for d in found]), visible_clause(viewer))
        )
    )
    return [d for d in found if d.item_id in ids][:5]


def indexed_duplicates(
    viewer: User | None, item: Item, known: list[DuplicateWarning]
) -> list[DuplicateWarning]:
    """Add near-duplicates the index's "more like this" finds across what `viewer` may search,
    confirmed by the fingerprints (a second opinion; submission relies on the band buckets)."""
    try:
        hits = engines().search.more_like_this(item.id, scoped_query(viewer), 5)
    except SearchError:
        return known
    seen = {d.item_id for d in known}
    ids = [hit.id for hit in hits if hit.id not in seen]
    if not ids:
        return known
    rows = db.session.execute(
        db.select(Item.id, Item.title, Unit.name, Item.fingerprint)
        .join(Unit, Item.unit_id == Unit.id)
        .where(Item.id.in_(ids), visible_clause(viewer))
    ).all()
    found = _matches(item.fingerprint, [tuple(row) for row in rows], item.id)
    return sorted(known + found, key=lambda d: -d.similarity)[:5]


def count_items(actor: User | None, status: str | None = None) -> int:
    """How many items the actor may see, optionally of one status."""
    query = db.select(db.func.count(Item.id)).where(visible_clause(actor))
    if status:
        query = query.where(Item.status == status)
    return db.session.scalar(query) or 0


def duplicates_for(viewer: User | None, items: list[Item]) -> dict[int, list[DuplicateWarning]]:
    """The stored near-duplicate warnings of a page of items, naming only items `viewer` may see
    (one query; nothing is recomputed). Items stored before pairs were kept are checked by bands."""
    if not items:
        return {}
    # Item here is the other side of each pair: the one the warning names.
    rows = db.session.execute(
        db.select(ItemDuplicate.item_id, Item.id, Item.title, Unit.name, ItemDuplicate.similarity)
        .join(Item, ItemDuplicate.other_id == Item.id)
        .join(Unit, Item.unit_id == Unit.id)
        .where(ItemDuplicate.item_id.in_([item.id for item in items]), visible_clause(viewer))
    ).all()
    found: dict[int, list[DuplicateWarning]] = {}
    for item_id, other_id, title, unit_name, score in rows:
        found.setdefault(item_id, []).append(DuplicateWarning(other_id, title, unit_name, score))
    kept = set(
        db.session.scalars(
            db.select(ItemAnalysis.item_id).where(ItemAnalysis.item_id.in_([i.id for i in items]))
        )
    )
    for item in items:
        # An item from before pairs were kept: look it up by bands here.
        if (
            item.id not in kept
            and item.id not in found
            and (legacy := find_duplicates(viewer, item.fingerprint, item.id))
        ):
            found[item.id] = legacy
    # A comprehensive item repeats its own sources by design: neither flags the other.
    relatives = merge_relatives(list(found))
    return {
        item_id: sorted(kept_warnings, key=lambda d: (-d.similarity, -d.item_id))[:5]
        for item_id, warnings in found.items()
        if (kept_warnings := [d for d in warnings if d.item_id not in relatives.get(item_id, set())])
    }


def merge_relatives(item_ids: list[int]) -> dict[int, set[int]]:
    """For each item, the items it was merged from or into (the sources of a comprehensive item and
    the comprehensive item of a source)."""
    related: dict[int, set[int]] = {}
    if not item_ids:
        return related
    rows = db.session.execute(
        db.select(ItemSource.item_id, ItemSource.source_id).where(
            ItemSource.item_id.in_(item_ids) | ItemSource.source_id.in_(item_ids)
        )
    ).all()
    for merged, source in rows:
        related.setdefault(merged, set()).add(source)
        related.setdefault(source, set()).add(merged)
    return related


def stored_duplicates(viewer: User | None, item: Item) -> list[DuplicateWarning]:
    """The near-duplicate warnings of one item for its page, from the stored pairs."""
    return duplicates_for(viewer, [item]).get(item.id, [])


KIND_COLUMNS = frozenset({"kind", "kind_score", "kind_evidence"})  # what an editor's kind lock keeps


def analysis_columns(analysis: Analysis) -> dict[str, Any]:
    """The item columns an analysis sets: one rule for submission, re-analysis and bulk import."""
    return {
        "clean_text": analysis.clean_text,
        "simplified_title": analysis.simplified_title,
        "simplified_text": analysis.simplified_text,
        "kind": analysis.kind.label,
        "kind_score": analysis.kind.score,
        "kind_evidence": list(analysis.kind.evidence),
        "contains_problems": analysis.contains_problems,
        "grassroots": grassroots_field(analysis.simplified_text),
        "keywords": list(analysis.keywords),
        "sentences": [[s.start, s.end, s.label] for s in analysis.sentences],
        "fingerprint": analysis.fingerprint,
    }


def apply_analysis(item: Item, analysis: Analysis) -> None:
    """Copy an analysis onto an item; tags an editor corrected (locked) are left as they are."""
    # An edited text (or an item kept before bands were) files its bands and pairs anew.
    refile = item.id is not None and (
        item.fingerprint != analysis.fingerprint or item.stored_analysis is None
    )
    for name, value in analysis_columns(analysis).items():
        if not (item.kind_locked and name in KIND_COLUMNS):
            setattr(item, name, value)
    keep_analysis(item, analysis)
    if refile:
        db.session.flush()
        record_duplicates(item)
    if not item.topics_locked:
        # Update rows in place: replacing them would insert the new (item, name) row before the
        # old one is deleted and trip the unique constraint.
        kept = {row.name: row for row in item.topics}
        rows = []
        for tag in analysis.topics:
            row = kept.get(tag.name) or ItemTopic(name=tag.name)
            row.score, row.evidence = tag.score, list(tag.evidence)
            rows.append(row)
        item.topics = rows


def grassroots_field(text: str) -> str:
    """The kinds of grassroots body `text` names, kept on the item as ",企业,农村," (just "," for none)
    so that the dashboard counts them with LIKE instead of scanning every text per request."""
    kinds = sorted(grassroots_kinds(text))
    return "," + ",".join(kinds) + "," if kinds else ","


def analyze_item(title: str, text: str) -> Analysis:
    """Analyse a title and text with the current topic word lists (one jieba pass each)."""
    return engines().analyzer.analyze(title, text, topics=topic_lexicon())


TITLE_LINE_CHARS = 60  # a first line this short reads as a heading
TITLE_GUESS_CHARS = 40
SENTENCE_END = re.compile(r"[。！？!?；;]")


def title_from_text(text: str) -> tuple[str, str]:
    """A title for text pasted or uploaded without one: a short first line becomes the title (and
    leaves the body); otherwise the first sentence, shortened, while the text stays whole."""
    text = strip_unsafe_chars(text).strip()
    first, _, rest = text.partition("\n")
    first = " ".join(first.split())
    if first and len(first) <= TITLE_LINE_CHARS and rest.strip():
        return first.rstrip("。"), rest.strip()
    sentence = SENTENCE_END.split(first, maxsplit=1)[0].strip()
    if len(sentence) > TITLE_GUESS_CHARS:
        sentence = sentence[: TITLE_GUESS_CHARS - 1] + "…"
    return sentence, text


def validated_text(title: str, text: str) -> tuple[str, str]:
    """Check a title and text against the limits; return them tidied (title on one line)."""
    title = " ".join(strip_unsafe_chars(title).split())
    text = strip_unsafe_chars(text).strip()
    if not title:
        raise ValidationError("标题不能为空", code="title_required")
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError(f"标题不能超过 {MAX_TITLE_CHARS} 字", code="title_too_long")
    if not text:
        raise ValidationError("正文不能为空", code="text_required")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(f"正文不能超过 {MAX_TEXT_CHARS} 字", code="text_too_long")
    return title, text


def content_hash(unit_code: str, title: str, text: str) -> str:
    """SHA-256 of the unit code and the normalised, simplified title and text (what makes a
    submission the same submission: a rerun of an import skips items whose hash is stored)."""
    norm_title = " ".join(to_simplified(clean_text(strip_unsafe_chars(title))).split())
    norm_text = to_simplified(clean_text(strip_unsafe_chars(text)))
    return hashlib.sha256("\x1f".join((unit_code, norm_title, norm_text)).encode("utf-8")).hexdigest()


def stored_hashes(hashes: Iterable[str]) -> set[str]:
    """Which of these content hashes the archive already holds."""
    wanted = list(set(hashes))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(db.session.scalars(db.select(Item.content_hash).where(Item.content_hash.in_(chunk))))
    return found


def backfill_content_hashes(batch: int = 500) -> int:
    """Give items stored before content hashes existed their hash (from the text as submitted)."""
    done = 0
    while True:
        rows = list(
            db.session.scalars(
                db.select(Item)
                .where(Item.content_hash.is_(None))
                .order_by(Item.id)
                .limit(batch)
                .options(selectinload(Item.unit), selectinload(Item.versions))
            )
        )
        if not rows:
            return done
        for item in rows:
            first = item.versions[0] if item.versions else None
            title = first.title if first is not None else item.title
            item.content_hash = content_hash(item.unit.code, title, item.original_text)
        db.session.commit()
        done += len(rows)


def submit_item(
    actor: User | None, data: ItemInput, *, commit: bool = True, analysis: Analysis | None = None
) -> SubmitResult:
    """Validate, analyse, store (one transaction, with an audit row) and index a new item.

    With `commit=False` (bulk import) the caller scores, commits and indexes a batch of items at
    once (`commit_submissions`), and may pass the `analysis` of the validated title and text, made
    in a worker process.
    """
    item, analysis, notices = prepare_item(actor, data, analysis)
    db.session.add(item)
    db.session.flush()
    duplicates = _visible_only(actor, record_duplicates(item, new=True))
    audit.record(actor, "item", item.id, "submit", to_state="submitted")
    if not commit:  # scored with its batch
        return SubmitResult(item, duplicates, analysis, notices)
    scoring.rescore_items([item])  # a late emergency is penalised from the start; a request's answer counts
    db.session.commit()
    index_items([item], {item.id: analysis})
    return SubmitResult(item, duplicates, notices=notices)


def submit_batch(
    actor: User | None, entries: list[tuple[ItemInput, Analysis | None]]
) -> list[SubmitResult | DomainError]:
    """Store new items as `submit_item(commit=False)` stores them one after the other (same rows,
    same duplicate pairs, same audit), with one flush and one band lookup for the whole batch;
    return each entry's result or the error that refused it. `commit_submissions` then scores,
    commits and indexes the batch."""
    outcomes: list[SubmitResult | DomainError] = []
    built: list[tuple[int, Item, Analysis, list[str]]] = []
    units: dict[str, Unit] = {}
    for data, analysis in entries:
        try:
            item, analysis, notices = prepare_item(actor, data, analysis, units)
        except DomainError as exc:
            outcomes.append(exc)
            continue
        built.append((len(outcomes), item, analysis, notices))
        outcomes.append(_PENDING)
    db.session.add_all([item for _, item, _, _ in built])
    db.session.flush()  # one INSERT per table for the batch, ids in submission order
    found = record_duplicates_batch([item for _, item, _, _ in built])
    for (position, item, analysis, notices), duplicates in zip(built, found, strict=True):
        audit.record(actor, "item", item.id, "submit", to_state="submitted")
        outcomes[position] = SubmitResult(item, _visible_only(actor, duplicates), analysis, notices)
    return outcomes


def prepare_item(
    actor: User | None,
    data: ItemInput,
    analysis: Analysis | None = None,
    units: dict[str, Unit] | None = None,
) -> tuple[Item, Analysis, list[str]]:
    """Validate a submission and build its item, analysed (not yet added to the session); with the
    analysis and the notices for the submitter. `units` caches the unit lookups of a batch."""
    title, text = validated_text(data.title, data.text)
    original = strip_unsafe_chars(data.text)  # kept as received, but storable everywhere
    level, level_notice = classified_level(data.level, title, text)
    notices = [level_notice] if level_notice else []
    if units is not None and data.unit_code in units:
        unit = units[data.unit_code]
    else:
        unit = _unit_for(actor, data.unit_code)
        if units is not None and data.unit_code:
            units[data.unit_code] = unit
    if data.genre not in GENRES:
        raise ValidationError(f"信息类别必须是 {'、'.join(GENRES)} 之一", code="invalid_genre")
    event_time = parse_event_time(data.event_time, data.genre)
    if data.event_grade and data.event_grade not in EVENT_GRADES:
        raise ValidationError(f"事件等级必须是 {'、'.join(EVENT_GRADES)} 之一", code="invalid_grade")
    event_date = parse_event_date(data.event_date or (to_local(event_time).date() if event_time else None))

    if analysis is None:
        analysis = analyze_item(title, text)
    item = Item(
        title=title,
        original_text=original,
        unit=unit,
        author=strip_unsafe_chars(data.author).strip()[:100],
        event_date=event_date,
        submitted_by=actor,
        status="submitted",
        level=level,
        source_filename=data.source_filename,
        source_encoding=data.source_encoding,
        tables=data.tables or None,
        genre=data.genre,
        event_time=event_time,
        event_grade=(data.event_grade or None) if data.genre == "emergency" else None,
        writer=writers.writer_for(unit, data.writer),
        content_hash=content_hash(unit.code, title, text),
        versions=[ItemVersion(number=1, title=title, text=original, note="报送原稿", created_by=actor)],
        # A new item has none of these: saying so spares scoring a lazy load of each after the flush.
        adoptions=[],
        upward_reports=[],
        instructions=[],
    )
    apply_analysis(item, analysis)
    if item.writer is not None and not item.author:
        item.author = item.writer.name
    requests.link_answer(item, data.request_id)
    return item, analysis, notices


def commit_submissions(results: list[SubmitResult]) -> None:
    """Score items submitted with `commit=False`, commit them and index them together (one
    transaction and one index commit per batch)."""
    scoring.rescore_items([r.item for r in results])
    db.session.commit()
    analyses = {r.item.id: r.analysis for r in results if r.analysis is not None}
    index_items([r.item for r in results], analyses)


def withdraw_item(actor: User | None, item_id: int, reason: str = "") -> Item:
    """Withdraw an item (administrators): kept in the database but out of lists, search, figures and
    bulletin drafts until reinstated; published issues keep their frozen copy."""
    from webapp.services import bulletins

    item = _for_admin(actor, item_id)
    if item.withdrawn_at is not None:
        raise Conflict("该信息已撤回", code="already_withdrawn")
    reason = reason.strip()
    if not reason:
        raise ValidationError("撤回信息时请填写理由", code="reason_required")
    item.withdrawn_at = datetime.now(UTC)
    drafts = bulletins.drop_from_drafts(item.id)
    audit.record(
        actor,
        "item",
        item.id,
        "withdraw",
        from_state=item.status,
        to_state=item.status,
        reason=reason,
        details={"drafts": drafts} if drafts else None,
    )
    scoring.rescore_items([item])  # its ledger rows go, and with them its points in every ranking
    db.session.commit()
    index_items([item])  # removes it from the index
    return item


def reinstate_item(actor: User | None, item_id: int, reason: str = "") -> Item:
    """Bring a withdrawn item back: searchable, scored and counted again (administrators)."""
    item = _for_admin(actor, item_id)
    if item.withdrawn_at is None:
        raise Conflict("该信息未被撤回", code="not_withdrawn")
    item.withdrawn_at = None
    state, why = item.status, reason.strip() or None
    audit.record(actor, "item", item.id, "reinstate", from_state=state, to_state=state, reason=why)
    scoring.rescore_items([item])
    db.session.commit()
    index_items([item])
    return item


def _for_admin(actor: User | None, item_id: int) -> Item:
    if not is_admin(actor):
        raise Forbidden("只有管理员可以撤回或恢复信息")
    item = db.session.get(Item, item_id)
    if item is None or not can_withdraw(actor, item):
        raise NotFound(f"信息 {item_id} 不存在")
    return item


def list_withdrawn(actor: User | None, limit: int = 200) -> list[Item]:
    """Withdrawn items, most recently withdrawn first (administrators)."""
    return page_withdrawn(actor, PageRequest(1, limit)).rows


def page_withdrawn(actor: User | None, wanted: PageRequest | None = None) -> Page[Item]:
    """Withdrawn items, most recently withdrawn first, a page at a time (administrators)."""
    if not is_admin(actor):
        raise Forbidden("只有管理员可以查看已撤回的信息")
    query = (
        db.select(Item)
        .where(Item.withdrawn_at.is_not(None), Item.level.in_(visible_levels(actor)))
        .order_by(Item.withdrawn_at.desc(), Item.id.desc())
        .options(selectinload(Item.unit))
    )
    return paginate(query, wanted or PageRequest())


def get_item(actor: User | None, item_id: int) -> Item:
    """Load an item the actor may see (others are reported as missing, not as forbidden)."""
    item = db.session.get(Item, item_id)
    if item is None or not can_see(actor, item):
        raise NotFound(f"信息 {item_id} 不存在")
    return item


@dataclass
class ItemFilter:
    """The review queue's filters; empty fields do not filter."""

    status: str | None = None
    unit: str | None = None
    topic: str | None = None
    kind: str | None = None
    level: str | None = None


# How a list of items may be sorted: name → (label, ORDER BY). The review queue takes the oldest
# pending first, so nothing waits unseen at the bottom; other lists show the newest first.
ITEM_SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "oldest": ("报送时间（早→晚）", (Item.submitted_at.asc(), Item.id.asc())),
    "newest": ("报送时间（晚→早）", (Item.submitted_at.desc(), Item.id.desc())),
    "event": ("事件日期（晚→早）", (Item.event_date.desc(), Item.id.desc())),
    "unit": ("报送单位", (Unit.code.asc(), Item.submitted_at.asc(), Item.id.asc())),
}


# A list row shows titles and tags, never the texts: loading them for a page of 50 costs more than
# the rest of the query. A consumer that shows them (the JSON API) asks for the whole record.
LIST_DEFERRED = (Item.original_text, Item.clean_text, Item.simplified_text, Item.sentences, Item.tables)
LEAN = tuple(defer(column) for column in LIST_DEFERRED)  # the load options of such rows


def _items_query(
    actor: User | None, filters: ItemFilter, sort: str, whole: bool = False
) -> Select[tuple[Item]]:
    """The items the actor may see, filtered and sorted (unknown sort names fall back to newest);
    `whole` loads each item's texts and relations too (one query per relation, never per item)."""
    order = ITEM_SORTS.get(sort, ITEM_SORTS["newest"])[1]
    query = (
        db.select(Item)
        .join(Unit, Item.unit_id == Unit.id)
        .where(visible_clause(actor))
        .order_by(*order)
        .options(selectinload(Item.unit), selectinload(Item.topics))
    )
    if whole:
        query = query.options(
            selectinload(Item.writer),
            selectinload(Item.adoptions).selectinload(Adoption.publication),
            selectinload(Item.upward_reports).selectinload(UpwardReport.outlet),
        )
    else:
        query = query.options(*LEAN)
    if filters.status:
        query = query.where(Item.status == filters.status)
    if filters.unit:
        query = query.where(Unit.code == filters.unit)
    if filters.topic:
        query = query.where(Item.topics.any(ItemTopic.name == filters.topic))
    if filters.kind:
        query = query.where(Item.kind == filters.kind)
    if filters.level:
        query = query.where(Item.level == filters.level)
    return query


def list_items(
    actor: User | None, status: str | None = None, limit: int = 50, filters: ItemFilter | None = None
) -> list[Item]:
    """Newest items the actor may see, optionally filtered (status, unit, topic, kind, level)."""
    query = _items_query(actor, filters or ItemFilter(status=status), "newest")
    return list(db.session.scalars(query.limit(limit)))


def page_items(
    actor: User | None,
    filters: ItemFilter | None = None,
    wanted: PageRequest | None = None,
    sort: str = "newest",
    whole: bool = False,
) -> Page[Item]:
    """One page of the items the actor may see, filtered and sorted, with the total (`whole`: with
    texts and relations, for the JSON API)."""
    return paginate(_items_query(actor, filters or ItemFilter(), sort, whole), wanted or PageRequest())


def review_item(
    actor: User | None, item_id: int, action: str, publication_code: str | None = None, reason: str = ""
) -> Item:
    """Adopt into a publication, reject with a reason, or return for revision with a comment."""
    item = _review(actor, item_id, action, publication_code, reason)
    scoring.rescore_items([item])
    db.session.commit()
    index_items([item])
    return item


def _review(actor: User | None, item_id: int, action: str, publication_code: str | None, reason: str) -> Item:
    """Check and apply one review decision inside the caller's transaction."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以审核信息")
    item = get_item(actor, item_id)
    if action not in REVIEW_ACTIONS:
        raise ValidationError("审核操作必须是 adopt、reject 或 return", code="invalid_action")
    if action not in ALLOWED_ACTIONS[item.status]:
        state = STATUS_LABELS[item.status]
        raise Conflict(f"该信息当前状态为“{state}”，不能执行该操作", code="invalid_transition")
    reason = reason.strip()
    if action in ("reject", "return") and not reason:
        raise ValidationError("不采用或退回修改时请填写理由", code="reason_required")
    from_state = item.status
    details = None
    if action == "adopt":
        publication = db.session.scalar(db.select(Publication).where(Publication.code == publication_code))
        if publication is None:
            raise ValidationError("请选择采用的刊物", code="publication_required")
        if any(a.publication_id == publication.id for a in item.adoptions):
            raise Conflict(f"该信息已被《{publication.name}》采用", code="already_adopted")
        item.adoptions.append(Adoption(publication=publication, adopted_by=actor))
        details = {"publication": publication.code}
    item.status = REVIEW_ACTIONS[action]
    item.review_reason = reason or None
    audit.record(
        actor,
        "item",
        item.id,
        action,
        from_state=from_state,
        to_state=item.status,
        reason=reason or None,
        details=details,
    )
    return item


def bulk_review(
    actor: User | None,
    item_ids: list[int],
    action: str,
    publication_code: str | None = None,
    reason: str = "",
) -> list[Item]:
    """Apply one review action to each selected item (each gets its own audit row); all or nothing."""
    if not item_ids:
        raise ValidationError("请至少选择一条信息", code="items_required")
    reviewed = []
    for item_id in dict.fromkeys(item_ids):
        reviewed.append(_review(actor, item_id, action, publication_code, reason))
    scoring.rescore_items(reviewed)
    db.session.commit()
    index_items(reviewed)
    return reviewed
