"""Commissioned requests (约稿): issue to units or categories, answer with items, track deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import Item, Request, RequestTarget, Unit, UnitCategory, User
from webapp.services import audit, scoring
from webapp.services.access import is_editor, visible_requests_clause
from webapp.services.errors import Conflict, Forbidden, NotFound, ValidationError
from webapp.timeutil import local_today, to_local


@dataclass
class TargetState:
    """How one target unit stands with a request."""

    unit: Unit
    answers: list[Item]
    state: str  # answered | late | overdue | waiting

    @property
    def label(self) -> str:
        return {"answered": "已按时报送", "late": "逾期报送", "overdue": "逾期未报", "waiting": "待报送"}[
            self.state
        ]


def request_state(request: Request, today: date | None = None) -> str:
    """open → answered (every target answered) / overdue (deadline passed, someone silent) → closed."""
    if request.closed:
        return "closed"
    answered = {item.unit_id for item in request.answers}
    if all(t.unit_id in answered for t in request.targets):
        return "answered"
    return "overdue" if (today or local_today()) > request.deadline else "open"


def target_states(request: Request, today: date | None = None) -> list[TargetState]:
    """Each target unit's answers and standing."""
    today = today or local_today()
    states = []
    for target in request.targets:
        answers = [a for a in request.answers if a.unit_id == target.unit_id]
        if answers:
            first = min(to_local(a.submitted_at).date() for a in answers)
            state = "late" if first > request.deadline else "answered"
        else:
            state = "overdue" if today > request.deadline else "waiting"
        states.append(TargetState(target.unit, answers, state))
    return states


def create_request(
    actor: User | None,
    topic: str,
    description: str,
    deadline: date | str,
    unit_codes: Sequence[str] = (),
    category_codes: Sequence[str] = (),
) -> Request:
    """Issue a request to units and/or whole categories, with a deadline."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以发布约稿")
    topic = topic.strip()
    if not topic:
        raise ValidationError("请填写约稿主题", code="topic_required")
    if isinstance(deadline, str):
        try:
            deadline = date.fromisoformat(deadline)
        except ValueError:
            raise ValidationError("截止日期格式应为 YYYY-MM-DD", code="invalid_date") from None
    if deadline < local_today():
        raise ValidationError("截止日期不能早于今天", code="invalid_date")
    units: dict[int, Unit] = {}
    for code in unit_codes:
        unit = db.session.scalar(db.select(Unit).where(Unit.code == code))
        if unit is None:
            raise ValidationError(f"没有编码为 {code} 的报送单位", code="unknown_unit")
        units[unit.id] = unit
    for code in category_codes:
        category = db.session.scalar(db.select(UnitCategory).where(UnitCategory.code == code))
        if category is None:
            raise ValidationError(f"没有编码为 {code} 的单位类别", code="unknown_category")
        units.update({u.id: u for u in category.units if u.active})
    if not units:
        raise ValidationError("请选择约稿对象（单位或单位类别）", code="targets_required")
    request = Request(
        topic=topic[:200],
        description=description.strip(),
        deadline=deadline,
        created_by_id=actor.id if actor else None,
        targets=[RequestTarget(unit=unit) for unit in units.values()],
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor,
        "request",
        request.id,
        "create",
        to_state="open",
        details={"units": sorted(u.code for u in units.values())},
    )
    db.session.commit()
    return request


def get_request(request_id: int) -> Request:
    """A request by id."""
    request = db.session.get(Request, request_id)
    if request is None:
        raise NotFound(f"约稿 {request_id} 不存在")
    return request


def list_requests(actor: User | None, include_closed: bool = True) -> list[Request]:
    """Requests newest first; a reporter sees only those issued to their unit."""
    query = (
        db.select(Request)
        .order_by(Request.deadline.desc(), Request.id.desc())
        .options(
            selectinload(Request.targets).selectinload(RequestTarget.unit), selectinload(Request.answers)
        )
    )
    query = query.where(visible_requests_clause(actor))
    if not include_closed:
        query = query.where(Request.closed.is_(False))
    return list(db.session.scalars(query))


def open_for_unit(unit_id: int) -> list[Request]:
    """Requests still open (not closed) that were issued to a unit and it has not answered."""
    requests = db.session.scalars(
        db.select(Request)
        .where(Request.closed.is_(False), Request.targets.any(RequestTarget.unit_id == unit_id))
        .order_by(Request.deadline)
    )
    return [r for r in requests if not any(a.unit_id == unit_id for a in r.answers)]


def link_answer(item: Item, request_id: int | None) -> None:
    """Attach a newly submitted item to the request it answers (its unit must be a target)."""
    if request_id is None:
        return
    request = get_request(request_id)
    if request.closed:
        raise Conflict("该约稿已结束", code="request_closed")
    if not any(t.unit_id == item.unit.id for t in request.targets):
        raise ValidationError("该约稿没有发给本单位", code="not_a_target")
    item.request = request


def close_request(actor: User | None, request_id: int) -> Request:
    """Close a request; unanswered targets keep their penalty."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以结束约稿")
    request = get_request(request_id)
    before = request_state(request)
    request.closed = True
    audit.record(actor, "request", request.id, "close", from_state=before, to_state="closed")
    scoring.rescore_request(request)
    db.session.commit()
    return request


def overdue_targets(today: date | None = None) -> list[tuple[Request, Unit]]:
    """(request, unit) pairs past the deadline with no answer, for the dashboard."""
    today = today or local_today()
    pairs = []
    for request in db.session.scalars(db.select(Request).where(Request.deadline < today)):
        answered = {a.unit_id for a in request.answers}
        pairs.extend((request, t.unit) for t in request.targets if t.unit_id not in answered)
    return pairs
