"""Upward reporting, the office's headline work: items sent up (上报) to the upper offices' outlets and
adopted there (上级采用), the outlets themselves, each unit's share of the city's upward points, the
standings the upper offices publish, and direct-reporting points gone quiet upward."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import (
    OUTLET_TIERS,
    STANDING_MEASURES,
    UPWARD_KINDS,
    ExternalStanding,
    Item,
    Outlet,
    Unit,
    UpwardReport,
    User,
)
from webapp.services import audit, scoring
from webapp.services.access import is_admin, is_editor, visible_clause
from webapp.services.errors import Forbidden, NotFound, ValidationError
from webapp.services.items import get_item, parse_event_date
from webapp.services.scoring import Period
from webapp.services.units import checked_code
from webapp.timeutil import local_today, to_local


def list_outlets(include_inactive: bool = False) -> list[Outlet]:
    """The upper offices' outlets in their order."""
    query = db.select(Outlet).order_by(Outlet.sort_order, Outlet.id)
    if not include_inactive:
        query = query.where(Outlet.active)
    return list(db.session.scalars(query))


def get_outlet(code: str) -> Outlet:
    """An outlet by code."""
    outlet = db.session.scalar(db.select(Outlet).where(Outlet.code == (code or "").strip()))
    if outlet is None:
        raise ValidationError(f"没有编码为 {code} 的上级刊物或渠道", code="unknown_outlet")
    return outlet


def _points(value: Any, name: str) -> float:
    try:
        points = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name}必须是数值", code="invalid_points") from None
    if not math.isfinite(points) or not 0 <= points <= 1000:
        raise ValidationError(f"{name}应在 0–1000 之间", code="invalid_points")
    return points


def save_outlet(
    actor: User | None,
    code: str,
    name: str,
    tier: str,
    *,
    points: float | str | None = None,
    effective_from: date | None = None,
    active: bool = True,
) -> Outlet:
    """Add or change an outlet (administrators). Its points are score rules: a new value takes effect
    from `effective_from` (default today) and never rescores an earlier period."""
    if not is_admin(actor):
        raise Forbidden("只有管理员可以管理上级刊物和分值")
    code, name = checked_code(code, "刊物或渠道"), " ".join(name.split())
    if not name or len(name) > 100:
        raise ValidationError("请填写刊物或渠道名称（至多 100 字）", code="name_required")
    if tier not in OUTLET_TIERS:
        raise ValidationError("层级必须是 province（省级）或 central（国家级）", code="invalid_tier")
    outlet = db.session.scalar(db.select(Outlet).where(Outlet.code == code))
    if outlet is None:
        order = db.session.scalar(db.select(db.func.max(Outlet.sort_order))) or 0
        outlet = Outlet(code=code, sort_order=order + 1)
        db.session.add(outlet)
    outlet.name, outlet.tier, outlet.active = name, tier, active
    db.session.flush()
    audit.record(actor, "outlet", outlet.id, "update", details={"code": code, "name": name, "tier": tier})
    db.session.commit()
    if points is not None and points != "":
        value = _points(points, "分值")
        day = effective_from or local_today()
        _, rules = scoring.rule_book().at(day)
        if rules.upward(outlet) != value or code not in rules.upward_points:
            upward_points = {**rules.upward_points, code: value}
            scoring.save_rules(actor, day, {**asdict(rules), "upward_points": upward_points})
    return outlet


def record_upward(
    actor: User | None,
    item_id: int,
    outlet_code: str,
    kind: str,
    day: date | str | None,
    awarded_points: float | str | None = None,
    note: str = "",
) -> UpwardReport:
    """Record that an item was sent up to an outlet, or adopted by it (editors). An adoption scores
    under the rules of its day; neither can predate the item's submission."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以登记上报和上级采用")
    item = get_item(actor, item_id)
    if kind not in UPWARD_KINDS:
        raise ValidationError("类型必须是 sent（上报）或 adopted（上级采用）", code="invalid_kind")
    outlet = get_outlet(outlet_code)
    when = parse_event_date(day)
    if when < to_local(item.submitted_at).date():
        raise ValidationError(f"{UPWARD_KINDS[kind]}日期不能早于该信息的报送日期", code="invalid_date")
    awarded = None if awarded_points in (None, "") else _points(awarded_points, "上级给分")
    row = UpwardReport(
        outlet=outlet,
        kind=kind,
        reported_on=when,
        awarded_points=awarded,
        note=" ".join(note.split())[:200],
        recorded_by_id=actor.id if actor else None,
    )
    item.upward_reports.append(row)
    action = "upward_adoption" if kind == "adopted" else "upward_sent"
    audit.record(actor, "item", item.id, action, details={"outlet": outlet.code, "date": when.isoformat()})
    if kind == "adopted":
        scoring.rescore_items([item])
    db.session.commit()
    return row


# --- figures ---------------------------------------------------------------------------------------


@dataclass
class OutletFigures:
    """Items sent up to one outlet and adopted there in a period."""

    outlet: Outlet
    sent: int = 0
    adopted: int = 0

    @property
    def adoption_rate(self) -> float | None:
        """Adopted per item sent up, when anything was sent."""
        return self.adopted / self.sent if self.sent else None


@dataclass
class UnitShare:
    """A unit's upward points in a period and its share of the city's total."""

    unit: Unit
    points: float = 0.0
    adopted: int = 0
    share: float = 0.0


@dataclass
class UpwardFigures:
    """The period's upward work: per outlet, the city's total points, and each unit's share."""

    period: Period
    outlets: list[OutletFigures]
    total_points: float
    units: list[UnitShare]

    @property
    def sent(self) -> int:
        return sum(o.sent for o in self.outlets)

    @property
    def adopted(self) -> int:
        return sum(o.adopted for o in self.outlets)

    @property
    def direct_points(self) -> list[UnitShare]:
        """The direct-reporting points' shares, which both speeches quote."""
        return [u for u in self.units if u.unit.direct_reporting]

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period.key,
            "label": self.period.label,
            "sent": self.sent,
            "adopted": self.adopted,
            "total_points": self.total_points,
            "outlets": [
                {"outlet": o.outlet.code, "name": o.outlet.name, "sent": o.sent, "adopted": o.adopted}
                for o in self.outlets
            ],
            "units": [
                {
                    "unit": u.unit.code,
                    "unit_name": u.unit.name,
                    "direct_reporting": u.unit.direct_reporting,
                    "office": u.unit.is_office,
                    "points": u.points,
                    "adopted": u.adopted,
                    "share": round(u.share, 4),
                }
                for u in self.units
            ],
        }


def upward_figures(period: Period) -> UpwardFigures:
    """Counts per outlet, the city's upward points (the upper office's own points where recorded,
    else the outlet's points under the rules of the day), and each credited unit's share of them."""
    reports = db.session.scalars(
        db.select(UpwardReport)
        .join(Item, UpwardReport.item_id == Item.id)
        .where(
            UpwardReport.reported_on >= period.start,
            UpwardReport.reported_on < period.end,
            visible_clause(None),
        )
        .options(selectinload(UpwardReport.outlet))
    ).all()
    book = scoring.rule_book()
    by_outlet = {o.id: OutletFigures(o) for o in list_outlets(include_inactive=True)}
    points: dict[int, float] = defaultdict(float)
    adopted: dict[int, set[int]] = defaultdict(set)
    items = {
        i.id: i for i in db.session.scalars(db.select(Item).where(Item.id.in_({r.item_id for r in reports})))
    }
    for report in reports:
        figures = by_outlet[report.outlet_id]
        if report.kind == "sent":
            figures.sent += 1
            continue
        figures.adopted += 1
        _, rules = book.at(report.reported_on)
        value = report.awarded_points if report.awarded_points is not None else rules.upward(report.outlet)
        for unit_id, share in scoring.credited_units(items[report.item_id], rules):
            points[unit_id] += value * share
            adopted[unit_id].add(report.item_id)
    total = round(sum(points.values()), 2)
    units = {u.id: u for u in db.session.scalars(db.select(Unit).where(Unit.id.in_(points)))}
    shares = [
        UnitShare(units[unit_id], round(value, 2), len(adopted[unit_id]), value / total if total else 0.0)
        for unit_id, value in points.items()
    ]
    # Every direct-reporting point is listed, at 0 if need be: its silence is a figure too.
    quiet = db.session.scalars(
        db.select(Unit).where(Unit.active, Unit.direct_reporting, Unit.id.not_in(list(points) or [0]))
    )
    shares.extend(UnitShare(unit) for unit in quiet)
    shares.sort(key=lambda s: (-s.points, s.unit.code))
    listed = [f for f in by_outlet.values() if f.outlet.active or f.sent or f.adopted]
    return UpwardFigures(period, listed, total, shares)


# --- standings published by the upper offices -----------------------------------------------------


def record_standing(
    actor: User | None,
    period_key: str,
    measure: str,
    value: float | str,
    out_of: int | str | None = None,
    note: str = "",
) -> ExternalStanding:
    """Enter (or correct) a figure the upper offices published for a period (editors)."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以登记上级通报的排名")
    period = scoring.parse_period(period_key)
    if measure not in STANDING_MEASURES:
        raise ValidationError(f"指标必须是 {'、'.join(STANDING_MEASURES)} 之一", code="invalid_measure")
    number = _points(value, STANDING_MEASURES[measure])
    total: int | None = None
    if out_of not in (None, ""):
        try:
            total = int(str(out_of))
        except ValueError:
            raise ValidationError("参评总数必须是整数", code="invalid_number") from None
        if not 1 <= total <= 10000 or (measure.endswith("rank") and number > total):
            raise ValidationError("参评总数应在 1–10000 之间且不小于名次", code="invalid_number")
    row = db.session.scalar(
        db.select(ExternalStanding).where(
            ExternalStanding.period == period.key, ExternalStanding.measure == measure
        )
    )
    if row is None:
        row = ExternalStanding(period=period.key, measure=measure, value=number)
        db.session.add(row)
    row.value, row.out_of, row.note = number, total, " ".join(note.split())[:200]
    row.recorded_by_id = actor.id if actor else None
    db.session.flush()
    audit.record(actor, "standing", row.id, "update", details={"period": period.key, "measure": measure})
    db.session.commit()
    return row


def standings() -> dict[str, list[ExternalStanding]]:
    """Every recorded standing, by measure, oldest period first (a trend)."""
    by_measure: dict[str, list[ExternalStanding]] = {measure: [] for measure in STANDING_MEASURES}
    rows = db.session.scalars(db.select(ExternalStanding).order_by(ExternalStanding.period))
    for row in rows:
        by_measure.setdefault(row.measure, []).append(row)
    return {measure: rows for measure, rows in by_measure.items() if rows}


def delete_standing(actor: User | None, standing_id: int) -> None:
    """Remove a wrongly entered standing (editors)."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以登记上级通报的排名")
    row = db.session.get(ExternalStanding, standing_id)
    if row is None:
        raise NotFound("该排名记录不存在")
    audit.record(actor, "standing", row.id, "delete", details={"period": row.period, "measure": row.measure})
    db.session.delete(row)
    db.session.commit()
