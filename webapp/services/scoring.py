"""Scores: rules by effective date, a ledger in which every point points at its cause, rankings and
targets. Totals are sums of the ledger, so any figure can be explained row by row."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import (
    REQUEST_VERDICTS,
    Adoption,
    Item,
    MissedReport,
    Outlet,
    Request,
    ScoreEntry,
    ScoreRuleSet,
    Setting,
    Unit,
    UnitCategory,
    UnitTarget,
    UpwardReport,
    User,
)
from webapp.services import answers as answers_
from webapp.services import audit
from webapp.services.access import is_admin, is_editor, visible_clause
from webapp.services.archive import item_batches
from webapp.services.errors import Forbidden, NotFound, ValidationError
from webapp.timeutil import local_midnight, local_today, to_local

RESCORE_BATCH = 500
BASELINE_KEY = "target_baseline"  # {category: adopted items per unit} for a year with no last year
SETTLED_KEY = "requests_settled_through"  # the day up to which due request penalties were written
DEFAULT_EXCELLENT: dict[str, int] = {}  # per category code; unset: about a third of the category


@dataclass(frozen=True)
class ScoreRules:
    """Points per case; an administrator edits them as data with an effective-from date."""

    adoption_points: dict[str, float] = field(default_factory=lambda: {"*": 1.0})  # by publication code
    # By outlet code; an outlet without its own entry scores its tier's (province, central).
    upward_points: dict[str, float] = field(
        default_factory=lambda: {"province": 3.0, "central": 6.0, "zryq": 10.0}
    )
    instruction_points: dict[str, float] = field(
        default_factory=lambda: {"central": 10.0, "provincial": 5.0, "municipal": 2.0}
    )
    problem_bonus: float = 1.0
    research_bonus: float = 2.0
    request_late_penalty: float = 0.5
    request_missing_penalty: float = 1.0
    # Points for a judged answer to a request (约稿), by verdict (REQUEST_VERDICTS).
    request_verdict_points: dict[str, float] = field(
        default_factory=lambda: {
            "adopted": 1.0,
            "partly": 0.5,
            "off_topic": 0.0,
            "evasive": 0.0,
            "empty": 0.0,
        }
    )
    late_report_penalty: float = 1.0
    missed_report_penalty: float = 2.0
    multi_outlet: str = "highest"  # "highest": an item scores once, at its best outlet; "each": every outlet
    points_per_item: float = 1.0  # targets: last year's category average of adopted items × this
    points_per_item_by_category: dict[str, float] = field(default_factory=dict)  # the same, per category
    emergency_limit_hours: float = 2.0  # a first report of an emergency later than this is 迟报
    # The same limit by the event's grade (EVENT_GRADES): the national rule has major events reported
    # in writing within an hour; an emergency without a grade takes emergency_limit_hours.
    emergency_limits: dict[str, float] = field(
        default_factory=lambda: {"major": 1.0, "large": 2.0, "general": 4.0}
    )
    unreported_penalty: float = 3.0  # 不报: learned of elsewhere, never reported at all
    # A comprehensive item's credit: "office" (the office's own work, as Yangquan counts it), "shared"
    # among its source units, or "each" source unit in full.
    merged_credit: str = "office"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreRules:
        """Build from stored JSON, ignoring unknown keys and keeping defaults for missing ones."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def adoption(self, publication_code: str) -> float:
        return float(self.adoption_points.get(publication_code, self.adoption_points.get("*", 0.0)))

    def upward(self, outlet: Outlet) -> float:
        """Points for an adoption by an upper office's outlet: its own, else its tier's."""
        return float(self.upward_points.get(outlet.code, self.upward_points.get(outlet.tier, 0.0)))


# The rules that are tables (code → points), with the labels the settings page shows.
DICT_RULES = {
    "adoption_points": "本级采用（刊物编码 分值；* 为其他刊物）",
    "upward_points": "上级采用（上级刊物编码或层级 province/central 分值）",
    "instruction_points": "领导批示（central / provincial / municipal）",
    "request_verdict_points": "约稿答复评定（adopted 采用 / partly 部分采用 …）",
    "emergency_limits": "迟报时限按事件等级（major / large / general 小时）",
    "points_per_item_by_category": "年度目标：各类别每条采用折合分值（类别编码 分值）",
}
MERGED_CREDIT = {"office": "全部计入本办", "shared": "来源单位平分", "each": "每个来源单位全额"}
NUMERIC_RULES = tuple(f.name for f in fields(ScoreRules) if f.type == "float")


@dataclass
class RuleBook:
    """Every rule set, so each fact is scored by the rules in force on its date."""

    sets: list[tuple[date, int | None, ScoreRules]]

    def at(self, day: date) -> tuple[int | None, ScoreRules]:
        chosen: tuple[int | None, ScoreRules] = (None, ScoreRules())
        for effective_from, set_id, rules in self.sets:
            if effective_from <= day:
                chosen = (set_id, rules)
        return chosen


def rule_book() -> RuleBook:
    """Load the rule sets in date order (the built-in defaults apply before the first one)."""
    rows = db.session.scalars(db.select(ScoreRuleSet).order_by(ScoreRuleSet.effective_from))
    return RuleBook([(r.effective_from, r.id, ScoreRules.from_dict(r.rules or {})) for r in rows])


def _checked_rules(values: dict[str, Any]) -> ScoreRules:
    """Validate stored or submitted rule values: numbers where numbers belong, known choices."""
    try:
        rules = ScoreRules.from_dict(values)
    except TypeError as exc:
        raise ValidationError(f"计分规则格式有误：{exc}", code="invalid_rules") from None
    for f in fields(rules):
        value = getattr(rules, f.name)
        numbers = value.values() if isinstance(value, dict) else [] if f.type == "str" else [value]
        if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
            raise ValidationError(f"计分规则“{f.name}”必须是数值", code="invalid_rules")
    if rules.multi_outlet not in ("highest", "each"):
        raise ValidationError("multi_outlet 必须是 highest 或 each", code="invalid_rules")
    if rules.merged_credit not in MERGED_CREDIT:
        raise ValidationError("merged_credit 必须是 office、shared 或 each", code="invalid_rules")
    return rules


def save_rules(
    actor: User | None, effective_from: date, values: dict[str, Any], *, rescore: bool = True
) -> ScoreRuleSet:
    """Store a rule set effective from a date and rescore the facts it now governs (at once, or with
    `rescore=False` by a job the caller starts)."""
    if not is_admin(actor):
        raise Forbidden("只有管理员可以修改计分规则")
    rules = _checked_rules(values)
    row = db.session.scalar(db.select(ScoreRuleSet).where(ScoreRuleSet.effective_from == effective_from))
    if row is None:
        row = ScoreRuleSet(effective_from=effective_from, created_by_id=actor.id if actor else None)
        db.session.add(row)
    row.rules = asdict(rules)
    db.session.flush()
    audit.record(
        actor, "score_rules", row.id, "update", details={"effective_from": effective_from.isoformat()}
    )
    db.session.commit()
    if rescore:  # pages hand the rescoring to a job instead (webapp.services.jobs)
        rescore_all()
    return row


# --- the ledger ------------------------------------------------------------------------------------


def _local_date(moment: datetime) -> date:
    return to_local(moment).date()


def _entry(unit_id: int, day: date, points: float, cause: str, rule: int | None, **refs: Any) -> ScoreEntry:
    return ScoreEntry(unit_id=unit_id, occurred_on=day, points=points, cause=cause, rule_set_id=rule, **refs)


def item_entries(item: Item, book: RuleBook) -> list[ScoreEntry]:
    """The ledger rows one item earns its credited units (none for items merged into another or
    withdrawn; reinstating rescored the item and brings its rows back)."""
    if item.status == "merged" or item.withdrawn_at is not None:
        return []
    outlets: list[tuple[date, float, str, int, str]] = []  # (day, points, cause, source id, note)
    for adoption in item.adoptions:
        day = _local_date(adoption.adopted_at)
        _, rules = book.at(day)
        outlets.append(
            (
                day,
                rules.adoption(adoption.publication.code),
                "adoption",
                adoption.id,
                f"《{adoption.publication.name}》采用",
            )
        )
    for upward in item.upward_reports:
        if upward.kind != "adopted":
            continue
        _, rules = book.at(upward.reported_on)
        outlets.append(
            (upward.reported_on, rules.upward(upward.outlet), "upward", upward.id, upward.outlet.name)
        )
    rows: list[tuple[date, float, str, int | None, str]] = []
    if outlets:
        outlets.sort(key=lambda o: (o[0], o[2] != "adoption", o[3]))
        first_day = outlets[0][0]
        _, first_rules = book.at(first_day)
        if first_rules.multi_outlet == "highest":
            rows.extend(_increments(outlets))
        else:
            rows.extend(outlets)
        if item.kind == "problem" and first_rules.problem_bonus:
            rows.append((first_day, first_rules.problem_bonus, "problem_bonus", None, "问题性信息"))
        if item.genre == "research" and first_rules.research_bonus:
            rows.append((first_day, first_rules.research_bonus, "research_bonus", None, "调研信息"))
    for instruction in item.instructions:
        _, rules = book.at(instruction.instructed_on)
        points = float(rules.instruction_points.get(instruction.level, 0.0))
        rows.append(
            (instruction.instructed_on, points, "instruction", instruction.id, f"{instruction.leader}批示")
        )
    entries = []
    for day, points, cause, source_id, note in rows:
        rule_id, rules = book.at(day)
        for unit_id, share in credited_units(item, rules):
            entries.append(
                _entry(
                    unit_id,
                    day,
                    round(points * share, 4),
                    cause,
                    rule_id,
                    item_id=item.id,
                    source_id=source_id,
                    note=note,
                )
            )
    late = late_report_hours(item, book)
    if late is not None:
        day = _local_date(item.submitted_at)
        rule_id, rules = book.at(day)
        entries.append(
            _entry(
                item.unit_id,
                day,
                -rules.late_report_penalty,
                "late_report",
                rule_id,
                item_id=item.id,
                note=f"突发事件迟报 {late:.1f} 小时",
            )
        )
    return [e for e in entries if e.points]


def credited_units(item: Item, rules: ScoreRules) -> list[tuple[int, float]]:
    """Who earns an item's credit, with each one's share: its unit; for a comprehensive item
    (综合信息) the office alone, its source units sharing it, or each source unit in full, as the
    rules in force say (`merged_credit`)."""
    if not item.sources or rules.merged_credit == "office":
        return [(item.unit_id, 1.0)]
    units = list(dict.fromkeys(link.source.unit_id for link in item.sources))
    share = 1.0 / len(units) if rules.merged_credit == "shared" else 1.0
    return [(unit_id, share) for unit_id in units]


def _increments(
    outlets: list[tuple[date, float, str, int, str]],
) -> list[tuple[date, float, str, int | None, str]]:
    """ "Only the highest outlet counts", without moving credit between periods: each adoption, in date
    order, scores what it adds over the best one before it, on its own day. The item's total is its
    highest outlet, and a later, higher adoption never takes points away from a period already reported."""
    rows: list[tuple[date, float, str, int | None, str]] = []
    best = 0.0
    for day, points, cause, source_id, note in outlets:
        if points > best:
            rows.append(
                (day, points - best, cause, source_id, note if not best else f"{note}（高于此前采用，补差）")
            )
            best = points
    return rows


def late_report_hours(item: Item, book: RuleBook | None = None) -> float | None:
    """Hours an emergency's first report came after the event, when over the limit (迟报); else None."""
    if item.genre != "emergency" or item.event_time is None:
        return None
    delay = (to_local(item.submitted_at) - to_local(item.event_time)).total_seconds() / 3600
    _, rules = (book or rule_book()).at(_local_date(item.submitted_at))
    limit = float(rules.emergency_limits.get(item.event_grade or "", rules.emergency_limit_hours))
    return delay if delay > limit else None


def request_entries(request: Request, book: RuleBook, today: date) -> list[ScoreEntry]:
    """A request's points: each judged answer's verdict points, a penalty for an accepted answer that
    came late, and one for no acceptable answer once the deadline has passed. Each is dated when it
    became due (the judgement, the late answer, the deadline or the last rejection after it), so a
    later judgement never changes a period already reported."""
    answers = [a for a in request.answers if a.withdrawn_at is None]
    judged = answers_.judged_on(answers)
    entries = []
    for target in request.targets:
        mine = [a for a in answers if a.unit_id == target.unit_id]
        for answer in mine:
            if answer.request_verdict is None:
                continue
            day = judged.get(answer.id, _local_date(answer.submitted_at))
            rule_id, rules = book.at(day)
            label = REQUEST_VERDICTS[answer.request_verdict]
            entries.append(
                _entry(
                    target.unit_id,
                    day,
                    float(rules.request_verdict_points.get(answer.request_verdict, 0.0)),
                    "request_answer",
                    rule_id,
                    request_id=request.id,
                    item_id=answer.id,
                    note=f"约稿“{request.topic}”答复评定：{label}",
                )
            )
        standings = {answers_.standing(a) for a in mine}
        accepted = [a for a in mine if answers_.standing(a) == "accepted"]
        if accepted:
            first = min(accepted, key=lambda a: a.submitted_at)
            answered = _local_date(first.submitted_at)
            if answered > request.deadline:
                day = max(answered, judged.get(first.id, answered))  # late once it was accepted
                rule_id, rules = book.at(day)
                entries.append(
                    _entry(
                        target.unit_id,
                        day,
                        -rules.request_late_penalty,
                        "request_late",
                        rule_id,
                        request_id=request.id,
                        note=f"约稿“{request.topic}”逾期报送",
                    )
                )
        elif today > request.deadline and "pending" not in standings:
            # Nothing acceptable: due at the deadline, or when the last answer was turned down after it.
            day = max([request.deadline, *(judged[a.id] for a in mine if a.id in judged)])
            rule_id, rules = book.at(day)
            what = "答复未被采用" if mine else "未报送"
            entries.append(
                _entry(
                    target.unit_id,
                    day,
                    -rules.request_missing_penalty,
                    "request_missing",
                    rule_id,
                    request_id=request.id,
                    note=f"约稿“{request.topic}”{what}",
                )
            )
    return [e for e in entries if e.points]


def missed_entry(missed: MissedReport, book: RuleBook) -> ScoreEntry | None:
    rule_id, rules = book.at(missed.event_date)
    unreported = missed.kind == "unreported"
    penalty = rules.unreported_penalty if unreported else rules.missed_report_penalty
    if not penalty:
        return None
    return _entry(
        missed.unit_id,
        missed.event_date,
        -penalty,
        "unreported" if unreported else "missed_report",
        rule_id,
        source_id=missed.id,
        note=f"漏报：{missed.description[:100]}",
    )


def rescore_items(items: Iterable[Item], book: RuleBook | None = None) -> None:
    """Replace the ledger rows of these items (manual corrections stay); the caller commits."""
    book = book or rule_book()
    items = list(items)
    ids = [item.id for item in items]
    if not ids:
        return
    db.session.execute(
        db.delete(ScoreEntry).where(
            ScoreEntry.item_id.in_(ids), ScoreEntry.cause != "correction", ScoreEntry.request_id.is_(None)
        )
    )
    for item in items:
        db.session.add_all(item_entries(item, book))
    # An answer's adoption, rejection or withdrawal changes how its request stands.
    for request in {item.request_id: item.request for item in items if item.request is not None}.values():
        rescore_request(request, book)


def score_new_items(ids: Sequence[int], book: RuleBook | None = None) -> None:
    """`rescore_items` for items just stored in bulk (as rows, not loaded): a new item has no
    adoption, upward report or instruction yet, so only an emergency (迟报) or an answer to a
    request can earn a row; one query finds those few and only they are loaded and scored."""
    if not ids:
        return
    scorable = db.session.scalars(
        db.select(Item).where(
            Item.id.in_(list(ids)), (Item.genre == "emergency") | Item.request_id.is_not(None)
        )
    ).all()
    if scorable:
        rescore_items(scorable, book)


def rescore_request(request: Request, book: RuleBook | None = None) -> None:
    """Replace a request's penalty rows; the caller commits."""
    db.session.execute(db.delete(ScoreEntry).where(ScoreEntry.request_id == request.id))
    db.session.add_all(request_entries(request, book or rule_book(), local_today()))


def rescore_missed(missed: MissedReport, book: RuleBook | None = None) -> None:
    """Replace a missed report's penalty row; the caller commits."""
    db.session.execute(
        db.delete(ScoreEntry).where(
            ScoreEntry.cause.in_(("missed_report", "unreported")), ScoreEntry.source_id == missed.id
        )
    )
    entry = missed_entry(missed, book or rule_book())
    if entry is not None:
        db.session.add(entry)


def settle_due_requests(today: date | None = None) -> None:
    """Write the penalties of requests whose deadline has passed since the last settlement: a penalty
    is due at the deadline, whether or not anyone touches the request again."""
    today = today or local_today()
    settled = setting(SETTLED_KEY, None)
    since = date.fromisoformat(settled) if settled else date(FIRST_YEAR, 1, 1)
    if since >= today:
        return
    due = db.session.scalars(
        db.select(Request).where(Request.deadline >= since, Request.deadline < today)
    ).all()
    book = rule_book() if due else None
    for request in due:
        rescore_request(request, book)
    row = db.session.get(Setting, SETTLED_KEY)
    if row is None:
        db.session.add(Setting(key=SETTLED_KEY, value=today.isoformat()))
    else:
        row.value = today.isoformat()
    db.session.commit()


def rescore_all(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the ledger from the facts (rule changes, repairs); return how many items were scored."""
    book = rule_book()
    written = 0
    loads = (
        selectinload(Item.adoptions).selectinload(Adoption.publication),
        selectinload(Item.upward_reports).selectinload(UpwardReport.outlet),
        selectinload(Item.instructions),
        selectinload(Item.sources),
    )
    for batch in item_batches(*loads, size=RESCORE_BATCH, progress=progress):
        rescore_items(batch, book)
        written += len(batch)
        db.session.commit()
    for request in db.session.scalars(db.select(Request)):
        rescore_request(request, book)
    for missed in db.session.scalars(db.select(MissedReport)):
        rescore_missed(missed, book)
    db.session.commit()
    return written


def add_correction(actor: User | None, unit_code: str, day: date, points: float, note: str) -> ScoreEntry:
    """A manual adjustment with its reason; it stays through every rescore."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以调整分数")
    unit = db.session.scalar(db.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise NotFound(f"没有编码为 {unit_code} 的报送单位")
    if not note.strip():
        raise ValidationError("请说明调整理由", code="reason_required")
    entry = _entry(
        unit.id,
        day,
        points,
        "correction",
        None,
        note=note.strip()[:300],
        created_by_id=actor.id if actor else None,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "score_entry", entry.id, "correction", reason=note, details={"points": points})
    db.session.commit()
    return entry


# --- periods, rankings, targets --------------------------------------------------------------------

PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4])|-(ytd))?$", re.IGNORECASE)
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*[~～至]\s*(\d{4}-\d{2}-\d{2})$")
FIRST_YEAR, LAST_YEAR = 1990, 2100
MAX_RANGE_DAYS = 366 * 10
PERIOD_HELP = "统计期间格式应为 YYYY、YYYY-MM、YYYY-Qn、YYYY-ytd（年初至今）或 YYYY-MM-DD~YYYY-MM-DD"


@dataclass(frozen=True)
class Period:
    """A month (2026-10), a quarter (2026-Q3), a year (2026) or any span of days
    (2026-01-01~2026-05-31, year to date: 2026-ytd), as a half-open date range."""

    key: str
    start: date
    end: date  # exclusive
    label: str
    kind: str = "year"  # month | quarter | year | range

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def is_year(self) -> bool:
        """A whole calendar year: the only period with a 合格/不合格 verdict and 先进单位."""
        return self.kind == "year"

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        if self.kind == "year":
            return parse_period(str(self.year - 1))
        if self.kind == "quarter":
            quarter = int(self.key[-1])
            return parse_period(f"{self.year - 1}-Q4" if quarter == 1 else f"{self.year}-Q{quarter - 1}")
        if self.kind == "month":
            month = self.start.month
            return parse_period(f"{self.year - 1}-12" if month == 1 else f"{self.year}-{month - 1:02d}")
        length = self.end - self.start
        return date_range(self.start - length, self.start - timedelta(days=1))


def _range_label(start: date, last: date) -> str:
    """1–5月 style labels for whole months, else day by day."""
    whole_months = start.day == 1 and (last + timedelta(days=1)).day == 1
    if whole_months and start.year == last.year:
        months = f"{start.month}月" if start.month == last.month else f"{start.month}–{last.month}月"
        return f"{start.year}年{months}"
    if whole_months:
        return f"{start.year}年{start.month}月至{last.year}年{last.month}月"
    tail = (
        f"{last.month}月{last.day}日"
        if last.year == start.year
        else f"{last.year}年{last.month}月{last.day}日"
    )
    return f"{start.year}年{start.month}月{start.day}日至{tail}"


def date_range(start: date, last: date, key: str | None = None) -> Period:
    """A span of days from `start` to `last`, both included."""
    if last < start:
        raise ValidationError("统计期间的结束日期不能早于开始日期", code="invalid_period")
    if (last - start).days > MAX_RANGE_DAYS or not FIRST_YEAR <= start.year <= last.year <= LAST_YEAR:
        raise ValidationError(
            f"统计期间应在 {FIRST_YEAR}–{LAST_YEAR} 年之间、不超过十年", code="invalid_period"
        )
    return Period(
        key or f"{start.isoformat()}~{last.isoformat()}",
        start,
        last + timedelta(days=1),
        _range_label(start, last),
        "range",
    )


def parse_period(text: str) -> Period:
    """Parse YYYY, YYYY-MM, YYYY-Qn, YYYY-ytd or YYYY-MM-DD~YYYY-MM-DD."""
    text = (text or "").strip()
    span = RANGE.match(text)
    if span:
        try:
            first, last = date.fromisoformat(span.group(1)), date.fromisoformat(span.group(2))
        except ValueError:
            raise ValidationError("统计期间中的日期无效", code="invalid_period") from None
        return date_range(first, last)
    match = PERIOD.match(text)
    if not match:
        raise ValidationError(PERIOD_HELP, code="invalid_period")
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间", code="invalid_period")
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValidationError("月份应在 01–12 之间", code="invalid_period")
        end = date(year + (month == 12), month % 12 + 1, 1)
        return Period(text, date(year, month, 1), end, f"{year}年{month}月", "month")
    if match.group(3):
        quarter = int(match.group(3))
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
        names = "一二三四"
        return Period(text, start, end, f"{year}年第{names[quarter - 1]}季度", "quarter")
    if match.group(4):
        today = local_today()
        last = min(date(year, 12, 31), today) if year <= today.year else date(year, 1, 1)
        period = date_range(date(year, 1, 1), last, key=f"{year}-ytd")
        return Period(
            period.key, period.start, period.end, f"{year}年1月1日至{last.month}月{last.day}日", "range"
        )
    return Period(text, date(year, 1, 1), date(year + 1, 1, 1), f"{year}年度", "year")


@dataclass
class RankingRow:
    """One unit's figures for a period.

    `adopted` counts the items whose adoption scored in the period (the points' basis);
    `adopted_of_submitted` counts the items submitted in the period that have been adopted, whenever:
    the adoption rate is that share of `submitted`, so it is a fraction by construction.
    """

    rank: int
    unit: Unit
    points: float
    adopted: int
    submitted: int
    problem: int
    adopted_of_submitted: int = 0
    target: float | None = None
    year_points: float = 0.0  # the calendar year's points up to the period's end (target progress)
    target_met: bool | None = None  # the year-end verdict (合格): only for a whole-year period
    rank_change: int | None = None
    excellent: bool = False

    @property
    def adoption_rate(self) -> float:
        return self.adopted_of_submitted / self.submitted if self.submitted else 0.0

    @property
    def problem_share(self) -> float:
        return self.problem / self.submitted if self.submitted else 0.0

    @property
    def progress(self) -> float | None:
        """Share of the yearly target reached (may pass 1.0; penalties never make it negative), or None
        without a target."""
        return max(0.0, self.year_points / self.target) if self.target else None


def _utc_bounds(period: Period) -> tuple[datetime, datetime]:
    return local_midnight(period.start), local_midnight(period.end)


def _points(unit_ids: Sequence[int], period: Period) -> dict[int, float]:
    rows = db.session.execute(
        db.select(ScoreEntry.unit_id, db.func.sum(ScoreEntry.points))
        .where(
            ScoreEntry.unit_id.in_(unit_ids),
            ScoreEntry.occurred_on >= period.start,
            ScoreEntry.occurred_on < period.end,
        )
        .group_by(ScoreEntry.unit_id)
    ).all()
    return {unit_id: round(float(total or 0), 2) for unit_id, total in rows}


def _adopted(unit_ids: Sequence[int], period: Period) -> dict[int, int]:
    """Distinct items whose adoption (own or upward) scored for the unit in the period."""
    rows = (
        db.session.execute(
            db.select(ScoreEntry.unit_id, db.func.count(db.distinct(ScoreEntry.item_id)))
            .where(
                ScoreEntry.unit_id.in_(unit_ids),
                ScoreEntry.cause.in_(("adoption", "upward")),
                ScoreEntry.occurred_on >= period.start,
                ScoreEntry.occurred_on < period.end,
            )
            .group_by(ScoreEntry.unit_id)
        )
        .tuples()
        .all()
    )
    return dict(rows)


def _submitted(
    unit_ids: Sequence[int], period: Period
) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Items each unit submitted in the period, the problem items among them, and those of them that
    were adopted (locally or upward, whenever). Comprehensive items are the office's, not a unit's."""
    start, end = _utc_bounds(period)
    adopted = Item.adoptions.any() | Item.upward_reports.any(UpwardReport.kind == "adopted")
    rows = db.session.execute(
        db.select(Item.unit_id, Item.kind, adopted, db.func.count(Item.id))
        .where(
            Item.unit_id.in_(unit_ids),
            Item.submitted_at >= start,
            Item.submitted_at < end,
            Item.is_comprehensive.is_(False),
            visible_clause(None),  # withdrawn items count nowhere
        )
        .group_by(Item.unit_id, Item.kind, adopted)
    ).all()
    submitted: Counter[int] = Counter()
    problem: Counter[int] = Counter()
    used: Counter[int] = Counter()
    for unit_id, kind, was_adopted, count in rows:
        submitted[unit_id] += count
        if kind == "problem":
            problem[unit_id] += count
        if was_adopted:
            used[unit_id] += count
    return dict(submitted), dict(problem), dict(used)


def competition_ranks(values: Sequence[float]) -> list[int]:
    """Ranks for values sorted in descending order; ties share a rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for position, value in enumerate(values, start=1):
        ranks.append(ranks[-1] if ranks and values[position - 2] == value else position)
    return ranks


def category_units(category_code: str) -> tuple[UnitCategory, list[Unit]]:
    category = db.session.scalar(db.select(UnitCategory).where(UnitCategory.code == category_code))
    if category is None:
        raise ValidationError(f"没有编码为 {category_code} 的单位类别", code="unknown_category")
    return category, [u for u in category.units if u.active]


def _ranked(units: list[Unit], period: Period) -> list[RankingRow]:
    ids = [u.id for u in units]
    points, adopted = _points(ids, period), _adopted(ids, period)
    submitted, problem, used = _submitted(ids, period)
    rows = [
        RankingRow(
            0,
            u,
            points.get(u.id, 0.0),
            adopted.get(u.id, 0),
            submitted.get(u.id, 0),
            problem.get(u.id, 0),
            used.get(u.id, 0),
        )
        for u in units
    ]
    rows.sort(key=lambda r: (-r.points, -r.adopted, r.unit.code))
    for row, rank in zip(rows, competition_ranks([r.points for r in rows]), strict=True):
        row.rank = rank
    return rows


def ranking(category_code: str, period: Period) -> list[RankingRow]:
    """The ranking of one unit category for a period, with rank changes, progress towards the yearly
    target, and for a whole year the verdict (合格) and the 先进单位."""
    settle_due_requests()
    _, units = category_units(category_code)
    rows = _ranked(units, period)
    before = {r.unit.id: r.rank for r in _ranked(units, period.previous())}
    targets = yearly_targets(category_code, period.year)
    year = parse_period(str(period.year))
    to_date = date_range(year.start, min(period.end, year.end) - timedelta(days=1))
    year_points = _points([u.id for u in units], to_date)
    for row in rows:
        row.rank_change = before[row.unit.id] - row.rank if row.unit.id in before else None
        row.target = targets.get(row.unit.id)
        row.year_points = year_points.get(row.unit.id, 0.0)
        if row.target is not None and period.is_year:
            row.target_met = row.year_points >= row.target
    if period.is_year:
        for row in _excellent(category_code, rows):
            row.excellent = True
    return rows


def yearly_targets(category_code: str, year: int) -> dict[int, float]:
    """Each unit's target: its override, else last year's category average adopted × points per item."""
    _, units = category_units(category_code)
    last_year = parse_period(str(year - 1))
    adopted = _adopted([u.id for u in units], last_year)
    average = sum(adopted.values()) / len(units) if units else 0.0
    # A first year (or a year after a partial one) has no usable last year: the office enters a
    # baseline average of adopted items per unit for the category, for that year or for any year
    # without an average.
    for_year = setting(f"{BASELINE_KEY}:{year}", {})
    if category_code in for_year:
        average = float(for_year[category_code])
    elif not average:
        average = float(setting(BASELINE_KEY, {}).get(category_code, 0.0))
    _, rules = rule_book().at(date(year, 1, 1))
    points = float(rules.points_per_item_by_category.get(category_code, rules.points_per_item))
    # With neither last year's average nor a baseline there is nothing to build on: no target.
    default = round(average * points, 2) if average else None
    overrides = dict(
        db.session.execute(
            db.select(UnitTarget.unit_id, UnitTarget.points).where(
                UnitTarget.year == year, UnitTarget.unit_id.in_([u.id for u in units])
            )
        )
        .tuples()
        .all()
    )
    targets = {u.id: overrides.get(u.id, default) for u in units}
    return {unit_id: float(t) for unit_id, t in targets.items() if t is not None}


def set_target(actor: User | None, unit_code: str, year: int, points: float | None) -> None:
    """Override (or with None, restore the default of) a unit's yearly target."""
    if not is_admin(actor):
        raise Forbidden("只有管理员可以修改目标")
    unit = db.session.scalar(db.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise NotFound(f"没有编码为 {unit_code} 的报送单位")
    row = db.session.scalar(
        db.select(UnitTarget).where(UnitTarget.unit_id == unit.id, UnitTarget.year == year)
    )
    if points is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(UnitTarget(unit_id=unit.id, year=year, points=points))
    else:
        row.points = points
    audit.record(actor, "unit", unit.id, "target", details={"year": year, "points": points})
    db.session.commit()


def _check_excellent_counts(value: Any) -> None:
    """先进 quotas: whole numbers per known category, each below the category's number of units."""
    if not isinstance(value, dict):
        raise ValidationError("先进单位名额应为 {类别编码: 名额}", code="invalid_setting")
    for code, quota in value.items():
        category = db.session.scalar(db.select(UnitCategory).where(UnitCategory.code == code))
        if category is None:
            raise ValidationError(f"没有编码为 {code} 的单位类别", code="invalid_setting")
        if not isinstance(quota, int) or isinstance(quota, bool) or quota < 0:
            raise ValidationError(f"“{category.name}”的先进单位名额应为非负整数", code="invalid_setting")
        size = sum(1 for unit in category.units if unit.active)
        if quota >= size:
            raise ValidationError(
                f"“{category.name}”共 {size} 个单位，先进单位名额应少于 {size}（现为 {quota}）",
                code="invalid_setting",
            )


def excellent_quota(category_code: str, size: int) -> int:
    """How many 先进单位 a category names: the configured quota, else about a third of it; always
    fewer than the category has units, so that the title means something."""
    counts = setting("excellent_counts", DEFAULT_EXCELLENT)
    quota = int(counts[category_code]) if category_code in counts else round(size / 3)
    return max(0, min(quota, size - 1))


def _excellent(category_code: str, rows: list[RankingRow]) -> list[RankingRow]:
    """The stated rule: by points, then adopted items; no unit with no points or short of its target
    (不合格); and a tie that straddles the quota's cut-off is left out whole rather than drawn by lot."""
    quota = excellent_quota(category_code, len(rows))
    eligible = sorted(
        (r for r in rows if r.points > 0 and r.target_met is not False), key=lambda r: (-r.points, -r.adopted)
    )
    chosen = eligible[:quota]
    if chosen and len(eligible) > quota:
        cut = (chosen[-1].points, chosen[-1].adopted)
        if (eligible[quota].points, eligible[quota].adopted) == cut:
            chosen = [r for r in chosen if (r.points, r.adopted) != cut]
    return chosen


EXCELLENT_RULE = (
    "先进单位按年度得分排序、同分比采用条数，名额少于该类别单位数；年度目标未完成（不合格）或无得分的单位"
    "不列入；名额线上同分同采用数的单位均不列入。"
)


def excellent_units(category_code: str, year: int) -> list[RankingRow]:
    """The year's best units of a category (先进单位), by the stated rule (EXCELLENT_RULE)."""
    return [row for row in ranking(category_code, parse_period(str(year))) if row.excellent]


def ledger(unit_code: str, period: Period, cause: str | None = None) -> list[ScoreEntry]:
    """The ledger rows behind a unit's figure for a period (what a click on a number shows)."""
    settle_due_requests()
    unit = db.session.scalar(db.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise NotFound(f"没有编码为 {unit_code} 的报送单位")
    query = (
        db.select(ScoreEntry)
        .where(
            ScoreEntry.unit_id == unit.id,
            ScoreEntry.occurred_on >= period.start,
            ScoreEntry.occurred_on < period.end,
        )
        .order_by(ScoreEntry.occurred_on, ScoreEntry.id)
        .options(selectinload(ScoreEntry.item))
    )
    if cause:
        query = query.where(ScoreEntry.cause == cause)
    return list(db.session.scalars(query))


def setting(key: str, default: Any) -> Any:
    """An office setting, or its default."""
    row = db.session.get(Setting, key)
    return default if row is None else row.value


def settings(defaults: dict[str, Any]) -> dict[str, Any]:
    """Several office settings in one query, each its default when unset (pages that read many)."""
    rows = db.session.scalars(db.select(Setting).where(Setting.key.in_(list(defaults))))
    return {**defaults, **{row.key: row.value for row in rows}}


def save_setting(actor: User | None, key: str, value: Any) -> None:
    """Store an office setting (administrators only), checked where the office's rules constrain it."""
    if not is_admin(actor):
        raise Forbidden("只有管理员可以修改设置")
    if key == "excellent_counts":
        _check_excellent_counts(value)
    if key == "research_quota" and not (
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 50
    ):
        raise ValidationError("调研信息年度要求应为 0–50 的整数", code="invalid_setting")
    if key.split(":")[0] == BASELINE_KEY and not (
        isinstance(value, dict)
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 10000 for v in value.values()
        )
    ):
        raise ValidationError("目标基数应为 {类别编码: 每个单位平均采用条数}", code="invalid_setting")
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    audit.record(actor, "setting", 0, "update", details={"key": key})
    db.session.commit()
