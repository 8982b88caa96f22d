"""Timeliness of emergency reporting: 迟报 (late first reports) and 漏报 (events never reported)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from webapp.extensions import db
from webapp.models import MISSED_KINDS, Item, MissedReport, Unit, User
from webapp.services import audit, scoring
from webapp.services.access import is_editor
from webapp.services.errors import Forbidden, NotFound, ValidationError
from webapp.services.items import parse_event_date


@dataclass
class LateReport:
    """An emergency item whose first report came later than the limit."""

    item: Item
    hours: float


def record_missed(
    actor: User | None,
    unit_code: str,
    event_date: date | str | None,
    description: str,
    kind: str = "missed",
) -> MissedReport:
    """Record against a unit an event it failed to report, learned from elsewhere: 漏报 (`missed`) or
    不报 (`unreported`, never reported at all), each with its own penalty."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以登记漏报")
    unit = db.session.scalar(db.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise NotFound(f"没有编码为 {unit_code} 的报送单位")
    description = description.strip()
    if not description:
        raise ValidationError("请说明漏报的事件", code="description_required")
    if kind not in MISSED_KINDS:
        raise ValidationError("类型必须是 missed（漏报）或 unreported（不报）", code="invalid_kind")
    missed = MissedReport(
        unit_id=unit.id,
        event_date=parse_event_date(event_date),
        description=description,
        kind=kind,
        recorded_by_id=actor.id if actor else None,
    )
    db.session.add(missed)
    db.session.flush()
    audit.record(
        actor, "unit", unit.id, "missed_report", reason=description, details={"missed_id": missed.id}
    )
    scoring.rescore_missed(missed)
    db.session.commit()
    return missed


def late_reports(unit_ids: list[int], start: date, end: date) -> list[LateReport]:
    """Emergency items of these units, with events in [start, end), reported after the limit."""
    book = scoring.rule_book()
    items = db.session.scalars(
        db.select(Item).where(
            Item.genre == "emergency",
            Item.unit_id.in_(unit_ids),
            Item.event_date >= start,
            Item.event_date < end,
        )
    )
    found = []
    for item in items:
        hours = scoring.late_report_hours(item, book)
        if hours is not None:
            found.append(LateReport(item, hours))
    return found


def missed_reports(unit_ids: list[int], start: date, end: date) -> list[MissedReport]:
    """Missed reports of these units with events in [start, end)."""
    return list(
        db.session.scalars(
            db.select(MissedReport)
            .where(
                MissedReport.unit_id.in_(unit_ids),
                MissedReport.event_date >= start,
                MissedReport.event_date < end,
            )
            .order_by(MissedReport.event_date)
        )
    )
