"""Commissioned requests (约稿): issue to units or categories, answer with items, track deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import REQUEST_VERDICTS, Item, Request, RequestTarget, Unit, UnitCategory, User
from webapp.services import audit, scoring
from webapp.services.access import can_see, is_editor, visible_requests_clause
from webapp.services.answers import standing as answer_standing
from webapp.services.errors import Conflict, Forbidden, NotFound, ValidationError
from webapp.timeutil import local_today, to_local


@dataclass(frozen=True)
class LeaderInstruction:
    """A leader's 批示 that a request carries out: who, what, and how many days it allows."""

    leader: str
    text: str
    days: int | None = None

    def checked(self) -> LeaderInstruction:
        leader, text = " ".join(self.leader.split())[:100], self.text.strip()
        if not leader or not text:
            raise ValidationError("领导批示须写明批示领导和批示内容", code="instruction_required")
        if self.days is not None and not 1 <= self.days <= 90:
            raise ValidationError("批示时限应为 1–90 天", code="invalid_time_limit")
        return LeaderInstruction(leader, text, self.days)


TARGET_LABELS = {
    "answered": "已按时报送并采用",
    "late": "逾期报送",
    "pending": "已报送，待评定",
    "unacceptable": "答复未被采用",
    "overdue": "逾期未报",
    "waiting": "待报送",
}


@dataclass
class TargetState:
    """How one target unit stands with a request: only an accepted answer fulfils it."""

    unit: Unit
    answers: list[Item]
    state: str  # TARGET_LABELS

    @property
    def label(self) -> str:
        return TARGET_LABELS[self.state]

    @property
    def fulfilled(self) -> bool:
        return self.state in ("answered", "late")


def _target_state(request: Request, answers: list[Item], today: date) -> str:
    accepted = [a for a in answers if answer_standing(a) == "accepted"]
    if accepted:
        first = min(to_local(a.submitted_at).date() for a in accepted)
        return "late" if first > request.deadline else "answered"
    if any(answer_standing(a) == "pending" for a in answers):
        return "pending"
    if answers:
        return "unacceptable"
    return "overdue" if today > request.deadline else "waiting"


def target_states(request: Request, today: date | None = None) -> list[TargetState]:
    """Each target unit's answers and standing."""
    today = today or local_today()
    live = [a for a in request.answers if a.withdrawn_at is None]
    states = []
    for target in request.targets:
        answers = [a for a in live if a.unit_id == target.unit_id]
        states.append(TargetState(target.unit, answers, _target_state(request, answers, today)))
    return states


def request_state(request: Request, today: date | None = None) -> str:
    """open → answered (every target has an accepted answer) / overdue (deadline passed, someone not
    yet fulfilled) → closed."""
    if request.closed:
        return "closed"
    today = today or local_today()
    if all(t.fulfilled for t in target_states(request, today)):
        return "answered"
    return "overdue" if today > request.deadline else "open"


def judge_answer(actor: User | None, item_id: int, verdict: str) -> Item:
    """An editor's verdict on an answer (采用, 部分采用, 答非所问, 避重就轻, 空话套话, 不采用); only the
    first two fulfil the request, and the verdict's points are scored on the day it is given."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以评定约稿答复")
    item = db.session.get(Item, item_id)
    if item is None or not can_see(actor, item):
        raise NotFound(f"信息 {item_id} 不存在")
    if item.request is None:
        raise ValidationError("该信息不是约稿答复", code="not_an_answer")
    if verdict not in REQUEST_VERDICTS:
        raise ValidationError(
            f"评定结果必须是 {'、'.join(REQUEST_VERDICTS.values())} 之一", code="invalid_verdict"
        )
    before = item.request_verdict
    item.request_verdict = verdict
    audit.record(actor, "item", item.id, "judge_answer", from_state=before, to_state=verdict)
    db.session.flush()
    scoring.rescore_request(item.request)
    db.session.commit()
    return item


def create_request(
    actor: User | None,
    topic: str,
    description: str,
    deadline: date | str | None,
    unit_codes: Sequence[str] = (),
    category_codes: Sequence[str] = (),
    *,
    instruction: LeaderInstruction | None = None,
) -> Request:
    """Issue a request to units and/or whole categories, with a deadline; one that carries out a
    leader's 批示 records it, and its time limit (days) sets the deadline."""
    if not is_editor(actor):
        raise Forbidden("只有编辑可以发布约稿")
    topic = topic.strip()
    if not topic:
        raise ValidationError("请填写约稿主题", code="topic_required")
    if instruction is not None:
        instruction = instruction.checked()
        if instruction.days is not None:
            deadline = local_today() + timedelta(days=instruction.days)
    if deadline is None or deadline == "":
        raise ValidationError("请填写截止日期或领导批示的时限", code="invalid_date")
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
        instruction_leader=instruction.leader if instruction else None,
        instruction_text=instruction.text if instruction else None,
        time_limit_days=instruction.days if instruction else None,
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
    """Requests not closed that were issued to a unit and that it has not yet fulfilled: an overdue
    one too, since a late answer still counts (marked late)."""
    requests = db.session.scalars(
        db.select(Request)
        .where(Request.closed.is_(False), Request.targets.any(RequestTarget.unit_id == unit_id))
        .order_by(Request.deadline)
    )
    return [r for r in requests if not any(t.fulfilled for t in target_states(r) if t.unit.id == unit_id)]


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
    """(request, unit) pairs past the deadline with no acceptable answer, for the dashboard."""
    today = today or local_today()
    pairs: list[tuple[Request, Unit]] = []
    past = (
        db.select(Request)
        .where(Request.deadline < today)
        .options(
            selectinload(Request.targets).selectinload(RequestTarget.unit), selectinload(Request.answers)
        )
    )
    for request in db.session.scalars(past):
        states = target_states(request, today)
        pairs.extend((request, t.unit) for t in states if t.state in ("overdue", "unacceptable"))
    return pairs
