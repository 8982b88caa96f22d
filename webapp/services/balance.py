"""The balance dashboard: kinds among submitted and adopted items, topic coverage against the year's
priorities, grassroots coverage, each unit's kind mix, and silent units."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from nlp.entities import KINDS as GRASSROOTS
from nlp.entities import grassroots_kinds
from webapp.extensions import db
from webapp.models import Adoption, Item, ItemTopic, Publication, Unit, UnitCategory, UpwardReport
from webapp.services import requests, scoring
from webapp.services.access import visible_clause
from webapp.services.errors import ValidationError
from webapp.timeutil import local_midnight, local_today, to_local

KINDS = ("problem", "achievement", "other")
# Problem items are wanted (报喜不报忧 is the chronic fault): their share has a floor, not a band.
DEFAULT_BAND = {"problem_low": 0.15}
DEFAULT_RESEARCH_QUOTA = 2  # 调研信息 each unit is expected to send a year (the speeches say 2–3)
DEFAULT_SILENCE = {"days_without_submission": 30, "months_without_adoption": 5, "months_without_upward": 5}


@dataclass
class KindCounts:
    """Items by kind."""

    problem: int = 0
    achievement: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.problem + self.achievement + self.other

    def share(self, kind: str) -> float:
        return getattr(self, kind) / self.total if self.total else 0.0


@dataclass
class PriorityCoverage:
    """One of the year's priorities, the topics that count for it, and how many items it got."""

    name: str
    topics: list[str]
    count: int

    @property
    def gap(self) -> bool:
        return self.count == 0


@dataclass
class SilentUnit:
    """A unit that stands out for silence, and why."""

    unit: Unit
    reason: str
    kind: str  # no_submission | no_adoption | no_upward | request_overdue


@dataclass
class Scope:
    """Which items a figure covers: dates of the events, and all units, a category or one unit."""

    date_from: date
    date_to: date  # inclusive, as the search filters take it
    category: UnitCategory | None = None
    unit: Unit | None = None

    @property
    def label(self) -> str:
        who = self.unit.name if self.unit else self.category.name if self.category else "全部单位"
        return f"{who}，{self.date_from:%Y-%m-%d} 至 {self.date_to:%Y-%m-%d}"

    def search_args(self, **extra: str) -> dict[str, str]:
        """Search parameters that select the items behind a figure."""
        args = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.unit:
            args["unit"] = self.unit.code
        elif self.category:
            args["category"] = self.category.code
        return {**args, **extra}


@dataclass
class Balance:
    """Every figure of the dashboard for one scope."""

    scope: Scope
    submitted: KindCounts
    adopted: KindCounts
    band: dict[str, float]
    topics: dict[str, int]
    priorities: list[PriorityCoverage]
    grassroots: dict[str, int]
    unit_mix: list[tuple[Unit, KindCounts]]
    silent_units: list[SilentUnit] = field(default_factory=list)
    # Items of another kind (mostly achievement) that also report a problem: 但也存在…问题.
    containing_problems: int = 0
    research: list[tuple[Unit, int]] = field(default_factory=list)  # 调研信息 per unit in the scope
    research_quota: int = DEFAULT_RESEARCH_QUOTA
    publications: list[PublicationShares] = field(default_factory=list)

    @property
    def problem_share_submitted(self) -> float:
        return self.submitted.share("problem")

    @property
    def problem_share_adopted(self) -> float:
        return self.adopted.share("problem")

    @property
    def problem_floor(self) -> float:
        return float(self.band.get("problem_low", DEFAULT_BAND["problem_low"]))

    @property
    def problem_in_band(self) -> bool:
        """At or above the floor: a higher share of problem items is never a fault."""
        return self.problem_share_submitted >= self.problem_floor

    def as_json(self) -> dict[str, Any]:
        def kinds(counts: KindCounts) -> dict[str, Any]:
            return {"total": counts.total, "kinds": {k: getattr(counts, k) for k in KINDS}}

        return {
            "from": self.scope.date_from.isoformat(),
            "to": self.scope.date_to.isoformat(),
            "submitted": kinds(self.submitted),
            "adopted": kinds(self.adopted),
            "problem_share_submitted": round(self.problem_share_submitted, 4),
            "problem_share_adopted": round(self.problem_share_adopted, 4),
            "problem_floor": self.problem_floor,
            "research": {"quota": self.research_quota, "units": {u.code: n for u, n in self.research}},
            "publications": [p.as_json() for p in self.publications],
            "containing_problems": self.containing_problems,
            "topics": self.topics,
            "priorities": [
                {"name": p.name, "topics": p.topics, "count": p.count, "gap": p.gap} for p in self.priorities
            ],
            "grassroots": self.grassroots,
            "units": [
                {"code": u.code, "name": u.name, "kinds": kinds(c)["kinds"], "total": c.total}
                for u, c in self.unit_mix
            ],
            "silent_units": [
                {
                    "code": s.unit.code,
                    "name": s.unit.name,
                    "reason": s.reason,
                    "kind": s.kind,
                    "direct_reporting": s.unit.direct_reporting,
                }
                for s in self.silent_units
            ],
        }


def build_scope(date_from: str | None, date_to: str | None, category: str | None, unit: str | None) -> Scope:
    """Parse the dashboard's parameters; the default is this year up to today."""
    today = local_today()

    def parse(value: str | None, default: date, name: str) -> date:
        if not value:
            return default
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{name}日期格式应为 YYYY-MM-DD", code="invalid_date") from None

    scope = Scope(parse(date_from, date(today.year, 1, 1), "起始"), parse(date_to, today, "截止"))
    if scope.date_from > scope.date_to:
        raise ValidationError("起始日期不能晚于截止日期", code="invalid_date")
    if unit:
        scope.unit = db.session.scalar(db.select(Unit).where(Unit.code == unit))
        if scope.unit is None:
            raise ValidationError(f"没有编码为 {unit} 的报送单位", code="unknown_unit")
    elif category:
        scope.category = db.session.scalar(db.select(UnitCategory).where(UnitCategory.code == category))
        if scope.category is None:
            raise ValidationError(f"没有编码为 {category} 的单位类别", code="unknown_category")
    return scope


def scope_units(scope: Scope) -> list[Unit]:
    """The active units a scope covers."""
    if scope.unit:
        return [scope.unit]
    query = db.select(Unit).where(Unit.active).order_by(Unit.code)
    if scope.category:
        query = query.where(Unit.category_id == scope.category.id)
    return list(db.session.scalars(query))


def _items_clause(scope: Scope, unit_ids: list[int]) -> Any:
    return (
        Item.unit_id.in_(unit_ids),
        Item.event_date >= scope.date_from,
        Item.event_date <= scope.date_to,
        Item.status != "merged",
        visible_clause(None),  # withdrawn items count nowhere
    )


def balance(scope: Scope) -> Balance:
    """All the dashboard's figures for a scope (items counted by their event date, like the search)."""
    units = scope_units(scope)
    unit_ids = [u.id for u in units]
    where = _items_clause(scope, unit_ids)
    submitted, adopted = KindCounts(), KindCounts()
    per_unit: dict[int, KindCounts] = {u.id: KindCounts() for u in units}
    rows = db.session.execute(
        db.select(Item.unit_id, Item.kind, Item.status, db.func.count(Item.id))
        .where(*where)
        .group_by(Item.unit_id, Item.kind, Item.status)
    ).all()
    for unit_id, kind, status, count in rows:
        kind = kind if kind in KINDS else "other"
        setattr(submitted, kind, getattr(submitted, kind) + count)
        setattr(per_unit[unit_id], kind, getattr(per_unit[unit_id], kind) + count)
        if status == "adopted":
            setattr(adopted, kind, getattr(adopted, kind) + count)
    topics = dict(
        db.session.execute(
            db.select(ItemTopic.name, db.func.count(ItemTopic.id))
            .join(Item, ItemTopic.item_id == Item.id)
            .where(*where)
            .group_by(ItemTopic.name)
            .order_by(db.func.count(ItemTopic.id).desc())
        )
        .tuples()
        .all()
    )
    priorities_key = f"priorities:{scope.date_to.year}"
    setting = scoring.settings(
        {
            priorities_key: default_priorities(),
            "balance_band": DEFAULT_BAND,
            "research_quota": DEFAULT_RESEARCH_QUOTA,
            "silence": {},
        }
    )
    priorities = [
        PriorityCoverage(p["name"], list(p["topics"]), sum(topics.get(t, 0) for t in p["topics"]))
        for p in setting[priorities_key]
    ]
    research = research_counts(scope.date_from, scope.date_to + timedelta(days=1), unit_ids)
    return Balance(
        scope=scope,
        submitted=submitted,
        adopted=adopted,
        band=setting["balance_band"],
        topics=topics,
        priorities=priorities,
        grassroots=grassroots_counts(where),
        unit_mix=[(u, per_unit[u.id]) for u in units],
        silent_units=silent_units(units, silence=setting["silence"]),
        research=[(u, research.get(u.id, 0)) for u in units],
        research_quota=int(setting["research_quota"]),
        publications=publication_shares(scope, priorities_topics=[t for p in priorities for t in p.topics]),
        containing_problems=db.session.scalar(
            db.select(db.func.count(Item.id)).where(
                *where, Item.contains_problems.is_(True), Item.kind != "problem"
            )
        )
        or 0,
    )


def grassroots_counts(where: Any) -> dict[str, int]:
    """Items naming each kind of grassroots body, counted in SQL from the kinds kept per text version
    (`items.grassroots_field`); an item kept before that (NULL) has its text scanned here."""
    *counts, unkept = db.session.execute(
        db.select(
            *(db.func.count(Item.id).filter(Item.grassroots.like(f"%,{k},%")) for k in GRASSROOTS),
            db.func.count(Item.id).filter(Item.grassroots.is_(None)),
        ).where(*where)
    ).one()
    grassroots = dict(zip(GRASSROOTS, (int(c) for c in counts), strict=True))
    if not unkept:
        return grassroots
    texts = db.session.execute(
        db.select(Item.simplified_text)
        .where(*where, Item.grassroots.is_(None))
        .execution_options(yield_per=500)
    )
    for (text,) in texts:
        for kind in grassroots_kinds(text):
            grassroots[kind] += 1
    return grassroots


def default_priorities() -> list[dict[str, Any]]:
    """A province's usual list of the year's priorities, mapped onto the default topics."""
    return [
        {"name": "经济结构调整", "topics": ["经济运行", "工业和企业"]},
        {"name": "农业和农民增收", "topics": ["三农"]},
        {"name": "投资与城镇化", "topics": ["城乡建设"]},
        {"name": "国企改革", "topics": ["工业和企业"]},
        {"name": "对外开放", "topics": ["对外开放"]},
        {"name": "财政金融", "topics": ["财政金融"]},
        {"name": "科教与可持续发展", "topics": ["科技教育", "生态环境"]},
    ]


def research_counts(start: date, end: date, unit_ids: list[int] | None = None) -> dict[int, int]:
    """调研信息 each unit submitted in [start, end) (by submission day, withdrawn ones left out)."""
    first, last = local_midnight(start), local_midnight(end)
    query = (
        db.select(Item.unit_id, db.func.count(Item.id))
        .where(Item.genre == "research", Item.submitted_at >= first, Item.submitted_at < last)
        .where(visible_clause(None))
        .group_by(Item.unit_id)
    )
    if unit_ids is not None:
        query = query.where(Item.unit_id.in_(unit_ids))
    return dict(db.session.execute(query).tuples().all())


@dataclass
class PublicationShares:
    """What one publication carried in the scope: items, and the shares on the year's priorities
    (中心工作), of comprehensive items and of problem items (offices aim at ≥80 %, ≈20 %, ≈20 %)."""

    publication: Publication
    items: int
    priority: int
    comprehensive: int
    problem: int

    def share(self, count: int) -> float:
        return count / self.items if self.items else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "publication": self.publication.code,
            "items": self.items,
            "priority_share": round(self.share(self.priority), 4),
            "comprehensive_share": round(self.share(self.comprehensive), 4),
            "problem_share": round(self.share(self.problem), 4),
        }


def publication_shares(scope: Scope, priorities_topics: list[str]) -> list[PublicationShares]:
    """Per publication, the items adopted into it in the scope's dates and their shares."""
    first, last = local_midnight(scope.date_from), local_midnight(scope.date_to + timedelta(days=1))
    on_priority = Item.topics.any(ItemTopic.name.in_(priorities_topics or ["-"]))
    rows = db.session.execute(
        db.select(
            Adoption.publication_id, Item.is_comprehensive, Item.kind, on_priority, db.func.count(Item.id)
        )
        .join(Item, Adoption.item_id == Item.id)
        .where(Adoption.adopted_at >= first, Adoption.adopted_at < last, visible_clause(None))
        .group_by(Adoption.publication_id, Item.is_comprehensive, Item.kind, on_priority)
    ).all()
    shares = {p.id: PublicationShares(p, 0, 0, 0, 0) for p in db.session.scalars(db.select(Publication))}
    for publication_id, comprehensive, kind, priority, count in rows:
        entry = shares[publication_id]
        entry.items += count
        entry.priority += count if priority else 0
        entry.comprehensive += count if comprehensive else 0
        entry.problem += count if kind == "problem" else 0
    return [s for s in shares.values() if s.items or s.publication.active]


def _latest(column: Any, unit_ids: list[int], *joins: Any) -> dict[int, Any]:
    query = db.select(Item.unit_id, db.func.max(column))
    query = query.where(Item.unit_id.in_(unit_ids), visible_clause(None))
    for target, condition in joins:
        query = query.join(target, condition)
    return dict(db.session.execute(query.group_by(Item.unit_id)).tuples().all())


def silent_units(
    units: list[Unit], today: date | None = None, silence: dict[str, Any] | None = None
) -> list[SilentUnit]:
    """Units with no submission in N days, no adoption in M months, or requests unanswered past deadline
    (`silence`: the office's setting when the caller has read it already)."""
    today = today or local_today()
    stored = scoring.setting("silence", {}) if silence is None else silence
    silence = {**DEFAULT_SILENCE, **stored}
    days, months = int(silence["days_without_submission"]), int(silence["months_without_adoption"])
    unit_ids = [u.id for u in units]
    last_submitted = _latest(Item.submitted_at, unit_ids)
    last_adopted = _latest(Adoption.adopted_at, unit_ids, (Adoption, Adoption.item_id == Item.id))
    last_upward = _latest(
        UpwardReport.reported_on,
        unit_ids,
        (UpwardReport, (UpwardReport.item_id == Item.id) & (UpwardReport.kind == "adopted")),
    )
    upward_months = int(silence["months_without_upward"])
    upward_cutoff = today - timedelta(days=round(upward_months * 30.4))
    submission_cutoff = local_midnight(today - timedelta(days=days))
    adoption_cutoff = today - timedelta(days=round(months * 30.4))
    found: list[SilentUnit] = []
    for unit in units:
        submitted = last_submitted.get(unit.id)
        if submitted is None or to_local(submitted) < submission_cutoff:
            found.append(SilentUnit(unit, f"连续 {days} 天以上未报送信息", "no_submission"))
        adopted_days = [d for d in (_day(last_adopted.get(unit.id)), last_upward.get(unit.id)) if d]
        if not adopted_days or max(adopted_days) < adoption_cutoff:
            point = "（直报点）" if unit.direct_reporting else ""
            found.append(SilentUnit(unit, f"{months} 个月以上无信息被采用{point}", "no_adoption"))
        # A direct-reporting point exists to report upward: local adoptions do not reset this.
        upward = last_upward.get(unit.id)
        if unit.direct_reporting and (upward is None or upward < upward_cutoff):
            since = f"（最近一次 {upward}）" if upward else "（从未被上级采用）"
            found.append(
                SilentUnit(unit, f"直报点 {upward_months} 个月以上无信息被上级采用{since}", "no_upward")
            )
    in_scope = set(unit_ids)
    for request, unit in requests.overdue_targets(today):
        if unit.id in in_scope and not request.closed:
            found.append(
                SilentUnit(
                    unit, f"约稿“{request.topic}”逾期未报（截止 {request.deadline}）", "request_overdue"
                )
            )
    # Direct-reporting points first: their silence is what offices watch most closely.
    return sorted(found, key=lambda s: (not s.unit.direct_reporting, s.unit.code, s.kind))


def _day(moment: datetime | None) -> date | None:
    return to_local(moment).date() if moment is not None else None
